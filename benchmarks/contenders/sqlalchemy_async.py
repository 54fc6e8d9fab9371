"""SQLAlchemy 2 ORM, async: AsyncSession on aiosqlite / asyncpg.

Same choices as the sync contender; the stream uses ``AsyncSession.stream_scalars`` with
``yield_per``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from benchmarks.contenders._sqlalchemy_models import build_model, url
from benchmarks.databases import Target
from benchmarks.workload import ModelSpec, Row


class Contender:
    """SQLAlchemy ORM, async."""

    stream_method = "stream_scalars + yield_per"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        self.M = build_model(spec, target.db)
        self.columns = [self.M.__table__.c[n] for n in ("id", *spec.names)]
        self.work: AsyncSession | None = None

    async def setup(self) -> None:
        self.engine = create_async_engine(url(self.target, is_async=True))
        async with self.engine.begin() as conn:
            await conn.run_sync(self.M.metadata.create_all)
        self.Session = async_sessionmaker(self.engine, expire_on_commit=False)

    async def close(self) -> None:
        if self.work is not None:
            await self.work.close()
        await self.engine.dispose()

    async def insert_single(self, rows: list[Row]) -> None:
        M = self.M
        async with self.Session() as s:
            for row in rows:
                s.add(M(**row))
                await s.commit()

    async def insert_txn(self, rows: list[Row]) -> None:
        M = self.M
        async with self.Session() as s, s.begin():
            for row in rows:
                s.add(M(**row))
                await s.flush()

    async def bulk_insert(self, rows: list[Row]) -> None:
        async with self.Session() as s, s.begin():
            await s.execute(insert(self.M), rows)

    async def filter_large(self, min_level: int) -> int:
        async with self.Session() as s:
            return len((await s.scalars(select(self.M).where(self.M.level >= min_level))).all())

    async def filter_page(self, min_level: int, offsets: list[int]) -> int:
        M, total = self.M, 0
        async with self.Session() as s:
            for off in offsets:
                stmt = select(M).where(M.level >= min_level).order_by(M.id).offset(off).limit(20)
                total += len((await s.scalars(stmt)).all())
        return total

    async def get_by_pk(self, ids: list[int]) -> int:
        found = 0
        async with self.Session() as s:
            for i in ids:
                found += (await s.get(self.M, i)) is not None
        return found

    async def values_dicts(self, min_level: int) -> int:
        async with self.Session() as s:
            result = await s.execute(select(*self.columns).where(self.M.level >= min_level))
            return len(result.mappings().all())

    async def values_tuples(self, min_level: int) -> int:
        async with self.Session() as s:
            result = await s.execute(select(*self.columns).where(self.M.level >= min_level))
            return len(result.tuples().all())

    async def fetch(self, ids: list[int]) -> list[Any]:
        if self.work is not None:
            await self.work.close()
        self.work = self.Session()
        return list((await self.work.scalars(select(self.M).where(self.M.id.in_(ids)))).all())

    async def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        s = self.work
        assert s is not None
        for obj, row in zip(objs, rows, strict=True):
            for name, value in row.items():
                setattr(obj, name, value)
            await s.commit()

    async def update_one(self, objs: list[Any], levels: list[int]) -> None:
        s = self.work
        assert s is not None
        for obj, level in zip(objs, levels, strict=True):
            obj.level = level
            await s.commit()

    async def delete(self, objs: list[Any]) -> None:
        s = self.work
        assert s is not None
        for obj in objs:
            await s.delete(obj)
            await s.commit()

    async def stream(self, chunk_size: int) -> AsyncIterator[Any]:
        async with self.Session() as s:
            result = await s.stream_scalars(select(self.M).execution_options(yield_per=chunk_size))
            async for obj in result:
                yield obj
