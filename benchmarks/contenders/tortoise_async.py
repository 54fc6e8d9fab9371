"""Tortoise ORM (async) on aiosqlite / asyncpg / asyncmy (its ``mysql://`` client).

Each model lives in its own generated module, so ``Tortoise.init`` registers and creates only the
table under test. Tortoise has no streaming read (``async for`` over a QuerySet fetches every row
first), so S pages through the table by primary key, 2,000 rows a page.
"""

from __future__ import annotations

import sys
import types
from collections.abc import AsyncIterator
from typing import Any

from tortoise import Tortoise, fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from benchmarks.databases import Target
from benchmarks.workload import Kind, ModelSpec, Row


def _field(kind: Kind, indexed: bool) -> Any:
    if kind is Kind.VARCHAR:
        return fields.CharField(max_length=255, db_index=indexed)
    if kind is Kind.DECIMAL:
        return fields.DecimalField(max_digits=10, decimal_places=2, db_index=indexed)
    simple: dict[Kind, Any] = {
        Kind.INT: fields.IntField,
        Kind.SMALLINT: fields.SmallIntField,
        Kind.BIGINT: fields.BigIntField,
        Kind.FLOAT: fields.FloatField,
        Kind.TEXT: fields.TextField,
        Kind.DATETIME: fields.DatetimeField,
        Kind.JSON: fields.JSONField,
    }
    return simple[kind](db_index=indexed)


def _module(spec: ModelSpec) -> types.ModuleType:
    name = f"benchmarks.contenders._tortoise_{spec.key}"
    module = types.ModuleType(name)
    meta = type("Meta", (), {"table": spec.table})
    namespace: dict[str, Any] = {"__module__": name, "Meta": meta, "id": fields.IntField(primary_key=True)}
    namespace.update({c.name: _field(c.kind, c.indexed) for c in spec.columns})
    module.Model = type(spec.class_name, (Model,), namespace)  # type: ignore[attr-defined]
    sys.modules[name] = module
    return module


class Contender:
    """Tortoise ORM, awaited one call at a time."""

    stream_method = "keyset pages of 2000 (no streaming API)"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        self.module = _module(spec)
        self.M: Any = self.module.Model

    async def setup(self) -> None:
        if self.target.db == "sqlite":
            db_url = f"sqlite://{self.target.sqlite_path}"
        elif self.target.db == "mysql":
            my = self.target.mysql
            db_url = f"mysql://{my['user']}:@{my['host']}:{my['port']}/{my['database']}?charset=utf8mb4"
        else:
            db_url = self.target.url.replace("postgresql://", "asyncpg://", 1)
        await Tortoise.init(db_url=db_url, modules={"models": [self.module.__name__]}, use_tz=True)
        await Tortoise.generate_schemas()

    async def close(self) -> None:
        await Tortoise.close_connections()

    async def insert_single(self, rows: list[Row]) -> None:
        for row in rows:
            await self.M.create(**row)

    async def insert_txn(self, rows: list[Row]) -> None:
        async with in_transaction() as conn:
            for row in rows:
                await self.M.create(using_db=conn, **row)

    async def bulk_insert(self, rows: list[Row]) -> None:
        M = self.M
        await M.bulk_create([M(**row) for row in rows], batch_size=1000)

    async def filter_large(self, min_level: int) -> int:
        return len(await self.M.filter(level__gte=min_level))

    async def filter_page(self, min_level: int, offsets: list[int]) -> int:
        total = 0
        for off in offsets:
            total += len(await self.M.filter(level__gte=min_level).order_by("id").offset(off).limit(20))
        return total

    async def get_by_pk(self, ids: list[int]) -> int:
        found = 0
        for i in ids:
            found += (await self.M.get(id=i)) is not None
        return found

    async def values_dicts(self, min_level: int) -> int:
        return len(await self.M.filter(level__gte=min_level).values())

    async def values_tuples(self, min_level: int) -> int:
        return len(await self.M.filter(level__gte=min_level).values_list())

    async def fetch(self, ids: list[int]) -> list[Any]:
        return list(await self.M.filter(id__in=ids))

    async def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        for obj, row in zip(objs, rows, strict=True):
            for name, value in row.items():
                setattr(obj, name, value)
            await obj.save()

    async def update_one(self, objs: list[Any], levels: list[int]) -> None:
        for obj, level in zip(objs, levels, strict=True):
            obj.level = level
            await obj.save(update_fields=["level"])

    async def delete(self, objs: list[Any]) -> None:
        for obj in objs:
            await obj.delete()

    async def stream(self, chunk_size: int) -> AsyncIterator[Any]:
        last = 0
        while page := await self.M.filter(id__gt=last).order_by("id").limit(chunk_size):
            for obj in page:
                yield obj
            last = page[-1].id
