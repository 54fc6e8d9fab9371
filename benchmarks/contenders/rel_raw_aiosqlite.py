"""Baseline for the relations workload: aiosqlite, tuples straight from the driver.

R1-R5 run on one connection. R6 reads the authors, then the three related tables at once on
three more connections (each aiosqlite connection has its own worker thread), with
``asyncio.gather``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite

from benchmarks.contenders._rawsql import qmark
from benchmarks.contenders._relcheck import r7, r9
from benchmarks.contenders._relsql import attached, batches, build, ddl, from_cents, group, in_list
from benchmarks.databases import Target
from benchmarks.rel_workload import R6_RELATIONS, Check


class Contender:
    """Raw aiosqlite in autocommit mode: one connection, plus one per R6 relation."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.sql = build("sqlite", qmark)
        self.conn: aiosqlite.Connection
        self.side: dict[str, aiosqlite.Connection] = {}

    async def _connect(self) -> aiosqlite.Connection:
        return await aiosqlite.connect(self.target.sqlite_path, isolation_level=None, cached_statements=256)

    async def setup(self) -> None:
        self.conn = await self._connect()
        for stmt in ddl("sqlite"):
            await self.conn.execute(stmt)
        for name in R6_RELATIONS:
            self.side[name] = await self._connect()

    async def close(self) -> None:
        for conn in self.side.values():
            await conn.close()
        await self.conn.close()

    async def _in(self, conn: aiosqlite.Connection, sql: str, keys: list[int]) -> list[Any]:
        rows: list[Any] = []
        for batch in batches(keys):
            rows += await conn.execute_fetchall(in_list(sql, len(batch)), batch)
        return rows

    async def select_one(self) -> Check:
        rows = list(await self.conn.execute_fetchall(self.sql.select_one))
        return len(rows), sum(len(r[4]) for r in rows)

    async def select_two(self) -> Check:
        rows = list(await self.conn.execute_fetchall(self.sql.select_two))
        return len(rows), sum(len(r[7]) for r in rows)

    async def prefetch_reverse(self) -> Check:
        authors = list(await self.conn.execute_fetchall(self.sql.authors))
        books = group(await self._in(self.conn, self.sql.books_in, [a[0] for a in authors]), 2)
        return len(authors), attached(authors, books)

    async def prefetch_m2m(self, max_book_id: int) -> Check:
        books = list(await self.conn.execute_fetchall(self.sql.books_upto, (max_book_id,)))
        tags = group(await self._in(self.conn, self.sql.tags_in, [b[0] for b in books]), 0)
        return len(books), attached(books, tags)

    async def filter_across(self, prefix: str) -> Check:
        rows = list(await self.conn.execute_fetchall(self.sql.filter_across, (prefix + "%",)))
        return len(rows), sum(r[2] for r in rows)

    async def _related(self, relation: str, keys: list[int]) -> dict[int, list[Any]]:
        return group(await self._in(self.side[relation], self.sql.related_in[relation], keys), 2)

    async def prefetch_single(self, relation: str) -> Check:
        authors = list(await self.conn.execute_fetchall(self.sql.authors))
        return len(authors), attached(authors, await self._related(relation, [a[0] for a in authors]))

    async def prefetch_three(self) -> Check:
        authors = list(await self.conn.execute_fetchall(self.sql.authors))
        keys = [a[0] for a in authors]
        loaded = await asyncio.gather(*(self._related(name, keys) for name in R6_RELATIONS))
        return len(authors), sum(attached(authors, groups) for groups in loaded)

    async def aggregate_groups(self) -> Check:
        return r7(from_cents(list(await self.conn.execute_fetchall(self.sql.sales_by_region))))

    async def annotate_count(self) -> Check:
        rows = list(await self.conn.execute_fetchall(self.sql.authors_book_count))
        return len(rows), sum(r[3] for r in rows)

    async def window_rank(self) -> Check:
        return r9([tuple(r) for r in await self.conn.execute_fetchall(self.sql.best_sales)])
