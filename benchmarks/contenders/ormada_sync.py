"""ormada (sync): the model API on sqlite3 / psycopg.

A is ``Model.create``; B the same inside ``db.transaction()``; C ``bulk_create(batch_size=1000)``;
I and J assign fields and ``save()``, which writes only what changed; K ``delete()``; the stream
is ``QuerySet.iterator(chunk_size=...)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ormada
from benchmarks.contenders._ormada_models import build_model
from benchmarks.databases import Target
from benchmarks.workload import ModelSpec, Row


class Contender:
    """ormada, sync."""

    stream_method = "iterator(chunk_size=2000)"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        self.M: Any = build_model(spec)

    def setup(self) -> None:
        self.db = ormada.connect(self.target.url)
        self.db.drop_all([self.M])
        self.db.create_all([self.M])

    def close(self) -> None:
        self.db.close()

    def insert_single(self, rows: list[Row]) -> None:
        create = self.M.create
        for row in rows:
            create(**row)

    def insert_txn(self, rows: list[Row]) -> None:
        create = self.M.create
        with self.db.transaction():
            for row in rows:
                create(**row)

    def bulk_insert(self, rows: list[Row]) -> None:
        M = self.M
        M.bulk_create([M(**row) for row in rows], batch_size=1000)

    def filter_large(self, min_level: int) -> int:
        return len(self.M.filter(level__gte=min_level).all())

    def filter_page(self, min_level: int, offsets: list[int]) -> int:
        qs = self.M.filter(level__gte=min_level).order_by("id")
        return sum(len(qs.offset(o).limit(20).all()) for o in offsets)

    def get_by_pk(self, ids: list[int]) -> int:
        get = self.M.get
        return sum(1 for i in ids if get(id=i) is not None)

    def values_dicts(self, min_level: int) -> int:
        return len(self.M.filter(level__gte=min_level).values().all())

    def values_tuples(self, min_level: int) -> int:
        return len(self.M.filter(level__gte=min_level).values_list().all())

    def fetch(self, ids: list[int]) -> list[Any]:
        return list(self.M.filter(id__in=ids).all())

    def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        for obj, row in zip(objs, rows, strict=True):
            for name, value in row.items():
                setattr(obj, name, value)
            obj.save()

    def update_one(self, objs: list[Any], levels: list[int]) -> None:
        for obj, level in zip(objs, levels, strict=True):
            obj.level = level
            obj.save()

    def delete(self, objs: list[Any]) -> None:
        for obj in objs:
            obj.delete()

    def stream(self, chunk_size: int) -> Iterator[Any]:
        yield from self.M.filter().iterator(chunk_size=chunk_size)
