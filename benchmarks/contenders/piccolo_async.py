"""Piccolo (async): SQLiteEngine (aiosqlite) / PostgresEngine (asyncpg, with its connection pool).

Tables come from ``create_table_class``. G is ``Table.select()`` (dicts); Piccolo has no
tuple-rows output, so H is not measured. C is ``Table.insert(*rows)`` in batches inside a
transaction; the stream is ``objects().batch(batch_size=...)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from piccolo.columns import (
    JSON,
    JSONB,
    BigInt,
    DoublePrecision,
    Integer,
    Numeric,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import create_table_class

from benchmarks.contenders.base import NotSupported
from benchmarks.databases import Target
from benchmarks.workload import Kind, ModelSpec, Row


def _column(kind: Kind, indexed: bool, db: str) -> Any:
    if kind is Kind.VARCHAR:
        return Varchar(length=255, index=indexed)
    if kind is Kind.DECIMAL:
        return Numeric(digits=(10, 2), index=indexed)
    if kind is Kind.JSON:
        return JSONB() if db == "postgresql" else JSON()
    simple: dict[Kind, Any] = {
        Kind.INT: Integer,
        Kind.SMALLINT: SmallInt,
        Kind.BIGINT: BigInt,
        Kind.FLOAT: DoublePrecision,
        Kind.TEXT: Text,
        Kind.DATETIME: Timestamptz,
    }
    return simple[kind](index=indexed)


class Contender:
    """Piccolo, awaited one call at a time."""

    stream_method = "objects().batch(batch_size=2000)"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        if target.db == "sqlite":
            self.engine: Any = SQLiteEngine(path=target.sqlite_path)
        else:
            self.engine = PostgresEngine(config=target.pg)
        members = {c.name: _column(c.kind, c.indexed, target.db) for c in spec.columns}
        self.M: Any = create_table_class(
            spec.class_name, class_kwargs={"tablename": spec.table, "db": self.engine}, class_members=members
        )
        self.batch = max(1, min(1000, 30_000 // len(spec.columns)))

    async def setup(self) -> None:
        if self.target.db == "postgresql":
            await self.engine.start_connection_pool()
        await self.M.create_table()

    async def close(self) -> None:
        if self.target.db == "postgresql":
            await self.engine.close_connection_pool()

    async def insert_single(self, rows: list[Row]) -> None:
        create = self.M.objects().create
        for row in rows:
            await create(**row)

    async def insert_txn(self, rows: list[Row]) -> None:
        async with self.engine.transaction():
            for row in rows:
                await self.M.objects().create(**row)

    async def bulk_insert(self, rows: list[Row]) -> None:
        M = self.M
        async with self.engine.transaction():
            for start in range(0, len(rows), self.batch):
                await M.insert(*[M(**row) for row in rows[start : start + self.batch]])

    async def filter_large(self, min_level: int) -> int:
        return len(await self.M.objects().where(self.M.level >= min_level))

    async def filter_page(self, min_level: int, offsets: list[int]) -> int:
        M, total = self.M, 0
        for off in offsets:
            total += len(await M.objects().where(M.level >= min_level).order_by(M.id).offset(off).limit(20))
        return total

    async def get_by_pk(self, ids: list[int]) -> int:
        M, found = self.M, 0
        for i in ids:
            found += (await M.objects().get(M.id == i)) is not None
        return found

    async def values_dicts(self, min_level: int) -> int:
        return len(await self.M.select().where(self.M.level >= min_level))

    async def values_tuples(self, min_level: int) -> int:
        raise NotSupported("Piccolo returns dicts or objects; there is no tuple-rows output")

    async def fetch(self, ids: list[int]) -> list[Any]:
        return list(await self.M.objects().where(self.M.id.is_in(ids)))

    async def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        for obj, row in zip(objs, rows, strict=True):
            for name, value in row.items():
                setattr(obj, name, value)
            await obj.save()

    async def update_one(self, objs: list[Any], levels: list[int]) -> None:
        level = self.M.level
        for obj, value in zip(objs, levels, strict=True):
            obj.level = value
            await obj.save([level])

    async def delete(self, objs: list[Any]) -> None:
        for obj in objs:
            await obj.remove()

    async def stream(self, chunk_size: int) -> AsyncIterator[Any]:
        async with await self.M.objects().batch(batch_size=chunk_size) as batch:
            async for page in batch:
                for obj in page:
                    yield obj
