"""matrx-orm (async, PostgreSQL) on operations A-K and the stream, in its own Python 3.13 venv.

Tables come from the raw baseline's DDL (matrx-orm maps existing tables; see ``_matrx``). A is
``Model.create``; B the same inside ``transaction()``; C ``bulk_create``; D ``filter().all()``; E
``order_by("id").offset(k).limit(20)``; F ``get(use_cache=False, id=...)``: matrx-orm keeps every
row it writes or reads in a process-wide cache (StateManager), and a get served from that cache
would not read the database at all; G ``values()``; H ``values_list()``; I and J assign fields and
``save()``, which writes the changed columns; K ``delete()``. It has no streaming read (``all()``
fetches everything), so S pages through the table by primary key, 2,000 rows a page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from benchmarks.contenders import _matrx
from benchmarks.contenders._rawsql import build, dollar
from benchmarks.databases import Target
from benchmarks.workload import Kind, ModelSpec, Row


def _field(kind: Kind) -> Any:
    from matrx_orm.core import fields as f

    if kind is Kind.VARCHAR:
        return f.CharField(max_length=255)
    if kind is Kind.DECIMAL:
        return f.DecimalField(max_digits=10, decimal_places=2)
    simple: dict[Kind, Any] = {
        Kind.INT: f.IntegerField,
        Kind.SMALLINT: f.SmallIntegerField,
        Kind.BIGINT: f.BigIntegerField,
        Kind.FLOAT: f.FloatField,
        Kind.TEXT: f.TextField,
        Kind.DATETIME: f.DateTimeField,
        Kind.JSON: f.JSONBField,
    }
    return simple[kind]()


def build_model(spec: ModelSpec) -> Any:
    from matrx_orm import Model
    from matrx_orm.core.fields import IntegerField

    namespace: dict[str, Any] = {"__module__": __name__, "_table_name": spec.table, "_database": _matrx.DATABASE,
                                 "id": IntegerField(primary_key=True)}
    namespace.update({c.name: _field(c.kind) for c in spec.columns})
    return type(spec.class_name, (Model,), namespace)


class Contender:
    """matrx-orm, awaited one call at a time."""

    stream_method = "keyset pages of 2000 (no streaming API)"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        _matrx.register(target)
        self.M: Any = build_model(spec)

    async def setup(self) -> None:
        conn = await asyncpg.connect(self.target.url)
        try:
            for stmt in build(self.spec, "postgresql", dollar).ddl:
                await conn.execute(stmt)
        finally:
            await conn.close()

    async def close(self) -> None:
        await _matrx.close()

    async def insert_single(self, rows: list[Row]) -> None:
        for row in rows:
            await self.M.create(**row)

    async def insert_txn(self, rows: list[Row]) -> None:
        from matrx_orm.core.transaction import transaction

        async with transaction(_matrx.DATABASE):
            for row in rows:
                await self.M.create(**row)

    async def bulk_insert(self, rows: list[Row]) -> None:
        await self.M.bulk_create(rows)

    async def filter_large(self, min_level: int) -> int:
        return len(await self.M.filter(level__gte=min_level).all())

    async def filter_page(self, min_level: int, offsets: list[int]) -> int:
        total = 0
        for off in offsets:
            total += len(await self.M.filter(level__gte=min_level).order_by("id").offset(off).limit(20).all())
        return total

    async def get_by_pk(self, ids: list[int]) -> int:
        found = 0
        for i in ids:
            found += (await self.M.get(use_cache=False, id=i)) is not None
        return found

    async def values_dicts(self, min_level: int) -> int:
        return len(await self.M.filter(level__gte=min_level).values())

    async def values_tuples(self, min_level: int) -> int:
        return len(await self.M.filter(level__gte=min_level).values_list())

    async def fetch(self, ids: list[int]) -> list[Any]:
        return list(await self.M.filter(id__in=ids).all())

    async def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        for obj, row in zip(objs, rows, strict=True):
            for name, value in row.items():
                setattr(obj, name, value)
            await obj.save()

    async def update_one(self, objs: list[Any], levels: list[int]) -> None:
        for obj, level in zip(objs, levels, strict=True):
            obj.level = level
            await obj.save()

    async def delete(self, objs: list[Any]) -> None:
        for obj in objs:
            await obj.delete()

    async def stream(self, chunk_size: int) -> AsyncIterator[Any]:
        last = 0
        while page := await self.M.filter(id__gt=last).order_by("id").limit(chunk_size).all():
            for obj in page:
                yield obj
            last = page[-1].id
