"""Baseline for the relations workload: asyncpg, Records straight from the driver.

R1-R5 run on one connection, like the mappers' single-connection reads. R6 reads the authors,
then the three related tables at once on three pooled connections (``asyncio.gather``): the
fastest the three can be loaded together, against which the mappers' R6 is set.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from benchmarks.contenders._rawsql import dollar
from benchmarks.contenders._relcheck import r7, r9
from benchmarks.contenders._relsql import attached, build, ddl, group
from benchmarks.databases import Target
from benchmarks.rel_workload import R6_RELATIONS, Check


class Contender:
    """Raw asyncpg: one connection, plus a pool of three for R6."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.sql = build("postgresql", dollar)
        self.conn: asyncpg.Connection
        self.pool: asyncpg.Pool

    async def setup(self) -> None:
        self.conn = await asyncpg.connect(self.target.url)
        for stmt in ddl("postgresql"):
            await self.conn.execute(stmt)
        self.pool = await asyncpg.create_pool(self.target.url, min_size=len(R6_RELATIONS),
                                              max_size=len(R6_RELATIONS))

    async def close(self) -> None:
        await self.pool.close()
        await self.conn.close()

    async def select_one(self) -> Check:
        rows = await self.conn.fetch(self.sql.select_one)
        return len(rows), sum(len(r[4]) for r in rows)

    async def select_two(self) -> Check:
        rows = await self.conn.fetch(self.sql.select_two)
        return len(rows), sum(len(r[7]) for r in rows)

    async def prefetch_reverse(self) -> Check:
        authors = await self.conn.fetch(self.sql.authors)
        books = group(await self.conn.fetch(self.sql.books_in, [a[0] for a in authors]), 2)
        return len(authors), attached(authors, books)

    async def prefetch_m2m(self, max_book_id: int) -> Check:
        books = await self.conn.fetch(self.sql.books_upto, max_book_id)
        tags = group(await self.conn.fetch(self.sql.tags_in, [b[0] for b in books]), 0)
        return len(books), attached(books, tags)

    async def filter_across(self, prefix: str) -> Check:
        rows = await self.conn.fetch(self.sql.filter_across, prefix + "%")
        return len(rows), sum(r[2] for r in rows)

    async def _related(self, relation: str, keys: list[int]) -> dict[int, list[Any]]:
        async with self.pool.acquire() as conn:
            return group(await conn.fetch(self.sql.related_in[relation], keys), 2)

    async def prefetch_single(self, relation: str) -> Check:
        authors = await self.conn.fetch(self.sql.authors)
        return len(authors), attached(authors, await self._related(relation, [a[0] for a in authors]))

    async def prefetch_three(self) -> Check:
        authors = await self.conn.fetch(self.sql.authors)
        keys = [a[0] for a in authors]
        loaded = await asyncio.gather(*(self._related(name, keys) for name in R6_RELATIONS))
        return len(authors), sum(attached(authors, groups) for groups in loaded)

    async def aggregate_groups(self) -> Check:
        return r7(await self.conn.fetch(self.sql.sales_by_region))

    async def annotate_count(self) -> Check:
        rows = await self.conn.fetch(self.sql.authors_book_count)
        return len(rows), sum(r[3] for r in rows)

    async def window_rank(self) -> Check:
        return r9([tuple(r) for r in await self.conn.fetch(self.sql.best_sales)])
