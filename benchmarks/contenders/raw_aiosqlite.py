"""Baseline: aiosqlite (sqlite3 on a worker thread), tuples straight from the driver."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiosqlite

from benchmarks.contenders._rawsql import build, qmark
from benchmarks.databases import Target
from benchmarks.workload import ModelSpec, Row

sqlite3.register_adapter(Decimal, str)
sqlite3.register_adapter(dict, json.dumps)


class Contender:
    """Raw aiosqlite in autocommit mode; explicit BEGIN for B."""

    stream_method = "cursor.fetchmany(2000)"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        self.sql = build(spec, "sqlite", qmark)
        self.names = spec.names
        self.conn: aiosqlite.Connection

    async def setup(self) -> None:
        self.conn = await aiosqlite.connect(self.target.sqlite_path, isolation_level=None, cached_statements=256)
        for stmt in self.sql.ddl:
            await self.conn.execute(stmt)

    async def close(self) -> None:
        await self.conn.close()

    def _params(self, row: Row) -> tuple[Any, ...]:
        return tuple([row[n] for n in self.names])

    async def insert_single(self, rows: list[Row]) -> None:
        for row in rows:
            await self.conn.execute(self.sql.insert, self._params(row))

    async def insert_txn(self, rows: list[Row]) -> None:
        await self.conn.execute("BEGIN")
        for row in rows:
            await self.conn.execute(self.sql.insert, self._params(row))
        await self.conn.execute("COMMIT")

    async def bulk_insert(self, rows: list[Row]) -> None:
        await self.conn.execute("BEGIN")
        await self.conn.executemany(self.sql.insert, [self._params(r) for r in rows])
        await self.conn.execute("COMMIT")

    async def filter_large(self, min_level: int) -> int:
        return len(await self.conn.execute_fetchall(self.sql.select_all, (min_level,)))

    async def filter_page(self, min_level: int, offsets: list[int]) -> int:
        total = 0
        for off in offsets:
            total += len(await self.conn.execute_fetchall(self.sql.select_page, (min_level, off)))
        return total

    async def get_by_pk(self, ids: list[int]) -> int:
        found = 0
        for i in ids:
            found += len(await self.conn.execute_fetchall(self.sql.select_pk, (i,)))
        return found

    async def values_dicts(self, min_level: int) -> int:
        self.conn.row_factory = sqlite3.Row
        try:
            return len(await self.conn.execute_fetchall(self.sql.select_all, (min_level,)))
        finally:
            self.conn.row_factory = None

    async def values_tuples(self, min_level: int) -> int:
        return await self.filter_large(min_level)

    async def fetch(self, ids: list[int]) -> list[Any]:
        marks = ", ".join("?" * len(ids))
        return list(await self.conn.execute_fetchall(f"{self.sql.select_in_prefix}({marks})", ids))

    async def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        for obj, row in zip(objs, rows, strict=True):
            await self.conn.execute(self.sql.update_all, (*self._params(row), obj[0]))

    async def update_one(self, objs: list[Any], levels: list[int]) -> None:
        for obj, level in zip(objs, levels, strict=True):
            await self.conn.execute(self.sql.update_one, (level, obj[0]))

    async def delete(self, objs: list[Any]) -> None:
        for obj in objs:
            await self.conn.execute(self.sql.delete, (obj[0],))

    async def stream(self, chunk_size: int) -> AsyncIterator[Any]:
        async with self.conn.execute(self.sql.stream) as cur:
            while chunk := await cur.fetchmany(chunk_size):
                for row in chunk:
                    yield row
