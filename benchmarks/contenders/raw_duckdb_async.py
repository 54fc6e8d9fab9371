"""Baseline: the duckdb module under asyncio. DuckDB has no async driver, so each statement runs
on a worker thread of the connection's own (``run_in_executor``), which is what ormada's async
DuckDB path does too; the statements are the sync baseline's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import duckdb

from benchmarks.contenders._rawsql import build, qmark
from benchmarks.contenders.raw_duckdb import Statements
from benchmarks.databases import Target
from benchmarks.workload import ModelSpec, Row


class Contender:
    """Raw duckdb on one connection and one worker thread; one thread hop per statement."""

    stream_method = "cursor().fetchmany(2000), each chunk on the worker thread"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        self.sql = build(spec, "duckdb", qmark)
        self.worker = ThreadPoolExecutor(1, thread_name_prefix="duckdb")
        self.s: Statements

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.worker, fn, *args)

    async def setup(self) -> None:
        conn = await self._run(duckdb.connect, self.target.sqlite_path)
        self.s = Statements(conn, self.sql, self.spec)
        for stmt in self.sql.ddl:
            await self._run(conn.execute, stmt)

    async def close(self) -> None:
        await self._run(self.s.conn.close)
        self.worker.shutdown()

    async def _each(self, sql: str, params: list[tuple[Any, ...]]) -> None:
        execute = self.s.conn.execute
        for p in params:
            await self._run(execute, sql, p)

    async def insert_single(self, rows: list[Row]) -> None:
        await self._each(self.sql.insert, [self.s._params(r) for r in rows])

    async def insert_txn(self, rows: list[Row]) -> None:
        await self._run(self.s.conn.execute, "BEGIN")
        await self._each(self.sql.insert, [self.s._params(r) for r in rows])
        await self._run(self.s.conn.execute, "COMMIT")

    async def bulk_insert(self, rows: list[Row]) -> None:
        await self._run(self.s.bulk_insert, rows)

    async def _fetchall(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        return await self._run(lambda: self.s.conn.execute(sql, params).fetchall())

    async def filter_large(self, min_level: int) -> int:
        return len(await self._fetchall(self.sql.select_all, (min_level,)))

    async def filter_page(self, min_level: int, offsets: list[int]) -> int:
        total = 0
        for off in offsets:
            total += len(await self._fetchall(self.sql.select_page, (min_level, off)))
        return total

    async def get_by_pk(self, ids: list[int]) -> int:
        found = 0
        for i in ids:
            found += bool(await self._fetchall(self.sql.select_pk, (i,)))
        return found

    async def values_dicts(self, min_level: int) -> int:
        return int(await self._run(self.s.values_dicts, min_level))

    async def values_tuples(self, min_level: int) -> int:
        return await self.filter_large(min_level)

    async def fetch(self, ids: list[int]) -> list[Any]:
        return list(await self._run(self.s.fetch, ids))

    async def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        await self._each(self.sql.update_all, [(*self.s._params(r), o[0]) for o, r in zip(objs, rows, strict=True)])

    async def update_one(self, objs: list[Any], levels: list[int]) -> None:
        await self._each(self.sql.update_one, [(level, o[0]) for o, level in zip(objs, levels, strict=True)])

    async def delete(self, objs: list[Any]) -> None:
        await self._each(self.sql.delete, [(o[0],) for o in objs])

    async def stream(self, chunk_size: int) -> AsyncIterator[Any]:
        cur = await self._run(self.s.conn.cursor)
        await self._run(cur.execute, self.sql.stream)
        while chunk := await self._run(cur.fetchmany, chunk_size):
            for row in chunk:
                yield row
