"""ormada (async): the model API on aiosqlite / asyncpg, the ``a``-prefixed twins.

Same operations as the sync contender: ``acreate``, ``db.atransaction()``, ``abulk_create``,
awaitable QuerySets, ``asave``, ``adelete`` and ``aiterator`` for the stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import ormada
from benchmarks.contenders._ormada_models import build_model
from benchmarks.databases import Target
from benchmarks.workload import ModelSpec, Row


class Contender:
    """ormada, async, awaited one call at a time."""

    stream_method = "aiterator(chunk_size=2000)"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        self.M: Any = build_model(spec)

    async def setup(self) -> None:
        self.db = ormada.connect(self.target.url)
        await self.db.adrop_all([self.M])
        await self.db.acreate_all([self.M])

    async def close(self) -> None:
        await self.db.aclose()

    async def insert_single(self, rows: list[Row]) -> None:
        acreate = self.M.acreate
        for row in rows:
            await acreate(**row)

    async def insert_txn(self, rows: list[Row]) -> None:
        acreate = self.M.acreate
        async with self.db.atransaction():
            for row in rows:
                await acreate(**row)

    async def bulk_insert(self, rows: list[Row]) -> None:
        M = self.M
        await M.abulk_create([M(**row) for row in rows], batch_size=1000)

    async def filter_large(self, min_level: int) -> int:
        return len(await self.M.filter(level__gte=min_level))

    async def filter_page(self, min_level: int, offsets: list[int]) -> int:
        qs, total = self.M.filter(level__gte=min_level).order_by("id"), 0
        for off in offsets:
            total += len(await qs.offset(off).limit(20))
        return total

    async def get_by_pk(self, ids: list[int]) -> int:
        aget, found = self.M.aget, 0
        for i in ids:
            found += (await aget(id=i)) is not None
        return found

    async def values_dicts(self, min_level: int) -> int:
        return len(await self.M.filter(level__gte=min_level).values().aall())

    async def values_tuples(self, min_level: int) -> int:
        return len(await self.M.filter(level__gte=min_level).values_list().aall())

    async def fetch(self, ids: list[int]) -> list[Any]:
        return list(await self.M.filter(id__in=ids).aall())

    async def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        for obj, row in zip(objs, rows, strict=True):
            for name, value in row.items():
                setattr(obj, name, value)
            await obj.asave()

    async def update_one(self, objs: list[Any], levels: list[int]) -> None:
        for obj, level in zip(objs, levels, strict=True):
            obj.level = level
            await obj.asave()

    async def delete(self, objs: list[Any]) -> None:
        for obj in objs:
            await obj.adelete()

    async def stream(self, chunk_size: int) -> AsyncIterator[Any]:
        async for obj in self.M.filter().aiterator(chunk_size=chunk_size):
            yield obj
