"""Baseline: asyncmy (PyMySQL's API on asyncio, Cython-sped), tuples straight from the driver.

Like PyMySQL it interpolates parameters on the client; ``executemany`` of an INSERT sends
multi-row INSERTs. JSON parameters go as text, datetimes as UTC wall time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncmy
from asyncmy.cursors import DictCursor, SSCursor

from benchmarks.contenders._rawsql import build, pyformat
from benchmarks.contenders.raw_pymysql import mysql_params
from benchmarks.databases import Target
from benchmarks.workload import ModelSpec, Row


class Contender:
    """Raw asyncmy on one connection in autocommit mode; BEGIN/COMMIT for B and C."""

    stream_method = "SSCursor (unbuffered), fetchmany(2000)"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        self.sql = build(spec, "mysql", pyformat)
        self._params = mysql_params(spec)
        self.conn: Any

    async def setup(self) -> None:
        m = self.target.mysql
        self.conn = await asyncmy.connect(host=m["host"], port=m["port"], user=m["user"], database=m["database"],
                                          autocommit=True, init_command="SET time_zone = '+00:00'")
        async with self.conn.cursor() as cur:
            for stmt in self.sql.ddl:
                await cur.execute(stmt)

    async def close(self) -> None:
        self.conn.close()
        await self.conn.ensure_closed()

    async def insert_single(self, rows: list[Row]) -> None:
        async with self.conn.cursor() as cur:
            for row in rows:
                await cur.execute(self.sql.insert, self._params(row))

    async def insert_txn(self, rows: list[Row]) -> None:
        await self.conn.begin()
        async with self.conn.cursor() as cur:
            for row in rows:
                await cur.execute(self.sql.insert, self._params(row))
        await self.conn.commit()

    async def bulk_insert(self, rows: list[Row]) -> None:
        await self.conn.begin()
        async with self.conn.cursor() as cur:
            await cur.executemany(self.sql.insert, [self._params(r) for r in rows])
        await self.conn.commit()

    async def filter_large(self, min_level: int) -> int:
        async with self.conn.cursor() as cur:
            await cur.execute(self.sql.select_all, (min_level,))
            return len(await cur.fetchall())

    async def filter_page(self, min_level: int, offsets: list[int]) -> int:
        total = 0
        async with self.conn.cursor() as cur:
            for off in offsets:
                await cur.execute(self.sql.select_page, (min_level, off))
                total += len(await cur.fetchall())
        return total

    async def get_by_pk(self, ids: list[int]) -> int:
        found = 0
        async with self.conn.cursor() as cur:
            for i in ids:
                await cur.execute(self.sql.select_pk, (i,))
                found += (await cur.fetchone()) is not None
        return found

    async def values_dicts(self, min_level: int) -> int:
        async with self.conn.cursor(DictCursor) as cur:
            await cur.execute(self.sql.select_all, (min_level,))
            return len(await cur.fetchall())

    async def values_tuples(self, min_level: int) -> int:
        return await self.filter_large(min_level)

    async def fetch(self, ids: list[int]) -> list[Any]:
        async with self.conn.cursor() as cur:
            await cur.execute(f"{self.sql.select_in_prefix}({', '.join(['%s'] * len(ids))})", ids)
            return list(await cur.fetchall())

    async def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        async with self.conn.cursor() as cur:
            for obj, row in zip(objs, rows, strict=True):
                await cur.execute(self.sql.update_all, (*self._params(row), obj[0]))

    async def update_one(self, objs: list[Any], levels: list[int]) -> None:
        async with self.conn.cursor() as cur:
            for obj, level in zip(objs, levels, strict=True):
                await cur.execute(self.sql.update_one, (level, obj[0]))

    async def delete(self, objs: list[Any]) -> None:
        async with self.conn.cursor() as cur:
            for obj in objs:
                await cur.execute(self.sql.delete, (obj[0],))

    async def stream(self, chunk_size: int) -> AsyncIterator[Any]:
        async with self.conn.cursor(SSCursor) as cur:
            await cur.execute(self.sql.stream)
            while chunk := await cur.fetchmany(chunk_size):
                for row in chunk:
                    yield row
