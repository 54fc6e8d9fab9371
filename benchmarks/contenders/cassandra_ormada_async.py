"""ormada (async) on Cassandra: the async twins of the sync contender's calls.

``acreate``, ``aget``, ``await filter(…).limit(20)``, ``async with ormada.batch(db, kind=…)``,
``aupdate(hits__incr=1)`` and ``aiterator(chunk_size=fetch_size)``; every request goes through
ormada's ResponseFuture-to-asyncio bridge.
"""

from __future__ import annotations

import ormada
from benchmarks.contenders._ormada_cql_models import BenchCounter, BenchRow
from benchmarks.databases import Target
from benchmarks.workload import Row


class Contender:
    """ormada, async."""

    def __init__(self, target: Target) -> None:
        self.target = target

    async def setup(self) -> None:
        self.db = ormada.connect(self.target.url)
        await self.db.acreate_all([BenchRow, BenchCounter])

    async def close(self) -> None:
        await self.db.aclose()

    async def insert_one(self, rows: list[Row]) -> None:
        acreate = BenchRow.acreate
        for row in rows:
            await acreate(**row)

    async def get_by_pk(self, keys: list[tuple[int, int]]) -> int:
        aget, found = BenchRow.aget, 0
        for part, seq in keys:
            found += (await aget(part=part, seq=seq)) is not None
        return found

    async def filter_partition(self, parts: list[int], limit: int) -> int:
        flt, total = BenchRow.filter, 0
        for part in parts:
            total += len(await flt(part=part).limit(limit))
        return total

    async def batch_insert(self, batches: list[list[Row]]) -> None:
        acreate = BenchRow.acreate
        for rows in batches:
            async with ormada.batch(self.db, kind="unlogged"):
                for row in rows:
                    await acreate(**row)

    async def increment(self, ids: list[int]) -> None:
        flt = BenchCounter.filter
        for i in ids:
            await flt(id=i).aupdate(hits__incr=1)

    async def paged_read(self, part: int, fetch_size: int) -> int:
        return len([obj async for obj in BenchRow.filter(part=part).aiterator(chunk_size=fetch_size)])
