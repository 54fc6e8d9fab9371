"""Baseline: asyncpg, Records straight from the driver.

asyncpg prepares and caches every statement it runs (its statement cache), and bulk insert uses
its binary COPY. JSON parameters are passed as text, asyncpg's default for ``jsonb``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from benchmarks.contenders._rawsql import build, dollar
from benchmarks.databases import Target
from benchmarks.workload import Kind, ModelSpec, Row


class Contender:
    """Raw asyncpg on one connection; ``conn.transaction()`` for B."""

    stream_method = "cursor(prefetch=2000) in a transaction"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        self.sql = build(spec, "postgresql", dollar)
        self.names = spec.names
        self.json_names = {c.name for c in spec.columns if c.kind is Kind.JSON}
        self.conn: asyncpg.Connection

    async def setup(self) -> None:
        self.conn = await asyncpg.connect(self.target.url)
        for stmt in self.sql.ddl:
            await self.conn.execute(stmt)

    async def close(self) -> None:
        await self.conn.close()

    def _params(self, row: Row) -> tuple[Any, ...]:
        if self.json_names:
            return tuple([json.dumps(row[n]) if n in self.json_names else row[n] for n in self.names])
        return tuple([row[n] for n in self.names])

    async def insert_single(self, rows: list[Row]) -> None:
        for row in rows:
            await self.conn.execute(self.sql.insert, *self._params(row))

    async def insert_txn(self, rows: list[Row]) -> None:
        async with self.conn.transaction():
            for row in rows:
                await self.conn.execute(self.sql.insert, *self._params(row))

    async def bulk_insert(self, rows: list[Row]) -> None:
        records = [self._params(r) for r in rows]
        await self.conn.copy_records_to_table(self.spec.table, records=records, columns=list(self.names))

    async def filter_large(self, min_level: int) -> int:
        return len(await self.conn.fetch(self.sql.select_all, min_level))

    async def filter_page(self, min_level: int, offsets: list[int]) -> int:
        total = 0
        for off in offsets:
            total += len(await self.conn.fetch(self.sql.select_page, min_level, off))
        return total

    async def get_by_pk(self, ids: list[int]) -> int:
        found = 0
        for i in ids:
            found += (await self.conn.fetchrow(self.sql.select_pk, i)) is not None
        return found

    async def values_dicts(self, min_level: int) -> int:
        # asyncpg's Record is already a mapping (and a sequence): the same call as H.
        return await self.filter_large(min_level)

    async def values_tuples(self, min_level: int) -> int:
        return await self.filter_large(min_level)

    async def fetch(self, ids: list[int]) -> list[Any]:
        return list(await self.conn.fetch(self.sql.select_in_prefix, ids))

    async def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        for obj, row in zip(objs, rows, strict=True):
            await self.conn.execute(self.sql.update_all, *self._params(row), obj[0])

    async def update_one(self, objs: list[Any], levels: list[int]) -> None:
        for obj, level in zip(objs, levels, strict=True):
            await self.conn.execute(self.sql.update_one, level, obj[0])

    async def delete(self, objs: list[Any]) -> None:
        for obj in objs:
            await self.conn.execute(self.sql.delete, obj[0])

    async def stream(self, chunk_size: int) -> AsyncIterator[Any]:
        async with self.conn.transaction():
            async for row in self.conn.cursor(self.sql.stream, prefetch=chunk_size):
                yield row
