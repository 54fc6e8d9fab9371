"""caspyorm (async): ``create_async``, ``get_async``, ``all_async``, ``bulk_create_async`` and
``page_async``. caspyorm waits on each driver ResponseFuture in a worker thread
(``asyncio.to_thread(future.result)``), so every request costs a thread hop; it has no counter
column type (n/a).
"""

from __future__ import annotations

from typing import Any

from benchmarks.contenders._caspyorm_models import build
from benchmarks.contenders.base import NotSupported
from benchmarks.cql_workload import KEYSPACE
from benchmarks.databases import CASSANDRA_HOST, CASSANDRA_PORT, Target
from benchmarks.workload import Row


class Contender:
    """caspyorm, async."""

    def __init__(self, target: Target) -> None:
        self.target = target

    async def setup(self) -> None:
        self.Row = build()
        from caspyorm import connection

        await connection.connect_async(keyspace=KEYSPACE, contact_points=[CASSANDRA_HOST], port=CASSANDRA_PORT)

    async def close(self) -> None:
        from caspyorm import connection

        await connection.disconnect_async()

    async def insert_one(self, rows: list[Row]) -> None:
        create = self.Row.create_async
        for row in rows:
            await create(**row)

    async def get_by_pk(self, keys: list[tuple[int, int]]) -> int:
        get, found = self.Row.get_async, 0
        for part, seq in keys:
            found += (await get(part=part, seq=seq)) is not None
        return found

    async def filter_partition(self, parts: list[int], limit: int) -> int:
        flt, total = self.Row.filter, 0
        for part in parts:
            total += len(await flt(part=part).limit(limit).all_async())
        return total

    async def batch_insert(self, batches: list[list[Row]]) -> None:
        model = self.Row
        for rows in batches:
            await model.bulk_create_async([model(**row) for row in rows])

    async def increment(self, ids: list[int]) -> None:
        raise NotSupported("caspyorm has no counter column type")

    async def paged_read(self, part: int, fetch_size: int) -> int:
        qs: Any = self.Row.filter(part=part)
        objects, state = await qs.page_async(page_size=fetch_size)
        while state is not None:
            page, state = await qs.page_async(page_size=fetch_size, paging_state=state)
            objects += page
        return len(objects)
