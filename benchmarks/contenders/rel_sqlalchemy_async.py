"""SQLAlchemy 2 ORM (async) on the relations workload: AsyncSession on aiosqlite / asyncpg.

The same statements as the sync contender; R6 is ``selectinload`` of the three relations in one
query, which SQLAlchemy runs one after another on the session's connection.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import selectinload

from benchmarks.contenders._rel_sqlalchemy_models import Author, Base, Book
from benchmarks.contenders._relcheck import r1, r2, r5, r7, r9, related
from benchmarks.contenders._sqlalchemy_models import url
from benchmarks.contenders.rel_sqlalchemy_sync import R1, R2, R3, R7, R8, R9, r4, r5_query
from benchmarks.databases import Target
from benchmarks.rel_workload import R6_RELATIONS, Check


class Contender:
    """SQLAlchemy ORM, async."""

    def __init__(self, target: Target) -> None:
        self.target = target

    async def setup(self) -> None:
        self.engine = create_async_engine(url(self.target, is_async=True))
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
            await conn.run_sync(Base.metadata.create_all)
        self.Session = async_sessionmaker(self.engine, expire_on_commit=False)

    async def close(self) -> None:
        await self.engine.dispose()

    async def _all(self, stmt: Select[tuple[Book]] | Select[tuple[Author]]) -> list[object]:
        async with self.Session() as s:
            return list((await s.scalars(stmt)).all())

    async def select_one(self) -> Check:
        return r1(await self._all(R1))

    async def select_two(self) -> Check:
        return r2(await self._all(R2))

    async def prefetch_reverse(self) -> Check:
        return related(await self._all(R3), "books")

    async def prefetch_m2m(self, max_book_id: int) -> Check:
        return related(await self._all(r4(max_book_id)), "tags")

    async def filter_across(self, prefix: str) -> Check:
        return r5(await self._all(r5_query(prefix)))

    async def prefetch_single(self, relation: str) -> Check:
        stmt = select(Author).options(selectinload(getattr(Author, relation)))
        return related(await self._all(stmt), relation)

    async def prefetch_three(self) -> Check:
        stmt = select(Author).options(*(selectinload(getattr(Author, name)) for name in R6_RELATIONS))
        authors = await self._all(stmt)
        return len(authors), sum(related(authors, name)[1] for name in R6_RELATIONS)

    async def aggregate_groups(self) -> Check:
        async with self.Session() as s:
            return r7([tuple(row) for row in await s.execute(R7)])

    async def annotate_count(self) -> Check:
        async with self.Session() as s:
            rows = (await s.execute(R8)).all()
        return len(rows), sum(n for _, n in rows)

    async def window_rank(self) -> Check:
        async with self.Session() as s:
            return r9(list((await s.scalars(R9)).all()))
