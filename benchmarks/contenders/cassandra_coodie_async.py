"""coodie (async): the ``coodie.aio`` twins of the sync contender's calls.

coodie awaits each driver ResponseFuture through ``add_callbacks`` and ``call_soon_threadsafe``,
except for reads with a ``fetch_size``: those it runs as the sync call in the default thread
pool (``run_in_executor``), so each page of the paged read costs a thread hop.
"""

from __future__ import annotations

from typing import Any

from benchmarks.contenders._coodie_models import build
from benchmarks.cql_workload import KEYSPACE
from benchmarks.databases import CASSANDRA_HOST, CASSANDRA_PORT, Target
from benchmarks.workload import Row


class Contender:
    """coodie, async."""

    def __init__(self, target: Target) -> None:
        self.target = target

    async def setup(self) -> None:
        from coodie.aio import CounterDocument, Document, init_coodie

        self.driver = await init_coodie(hosts=[CASSANDRA_HOST], port=CASSANDRA_PORT, keyspace=KEYSPACE,
                                        driver_type="cassandra")
        self.Row, self.Counter = build(Document, CounterDocument)
        await self.Row.sync_table()
        await self.Counter.sync_table()

    async def close(self) -> None:
        self.driver.close()

    async def insert_one(self, rows: list[Row]) -> None:
        doc = self.Row
        for row in rows:
            await doc(**row).save()

    async def get_by_pk(self, keys: list[tuple[int, int]]) -> int:
        get, found = self.Row.get, 0
        for part, seq in keys:
            found += (await get(part=part, seq=seq)) is not None
        return found

    async def filter_partition(self, parts: list[int], limit: int) -> int:
        find, total = self.Row.find, 0
        for part in parts:
            total += len(await find(part=part).limit(limit).all())
        return total

    async def batch_insert(self, batches: list[list[Row]]) -> None:
        from coodie.aio import AsyncBatchQuery

        doc = self.Row
        for rows in batches:
            async with AsyncBatchQuery(logged=False) as b:
                for row in rows:
                    await doc(**row).save(batch=b)

    async def increment(self, ids: list[int]) -> None:
        doc = self.Counter
        for i in ids:
            await doc(id=i).increment(hits=1)

    async def paged_read(self, part: int, fetch_size: int) -> int:
        qs: Any = self.Row.find(part=part).fetch_size(fetch_size)
        result = await qs.paged_all()
        objects = list(result.data)
        while result.paging_state is not None:
            result = await qs.page(result.paging_state).paged_all()
            objects += result.data
        return len(objects)
