"""Baseline: cassandra-driver, ``Session.execute_async`` on prepared statements, awaited on asyncio.

Each ResponseFuture is bridged to the event loop with ``add_callbacks`` and
``call_soon_threadsafe`` (``_cql.Pages``), the way ormada's own bridge does; the paged read asks
for each next page with ``start_fetching_next_page``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from benchmarks.contenders import _cql
from benchmarks.databases import Target
from benchmarks.workload import Row


class Contender:
    """Raw cassandra-driver, async."""

    def __init__(self, target: Target) -> None:
        self.target = target

    async def setup(self) -> None:
        self.cluster, self.session = await asyncio.to_thread(_cql.connect)
        self.ps = _cql.prepare(self.session)

    async def close(self) -> None:
        self.cluster.shutdown()

    async def insert_one(self, rows: list[Row]) -> None:
        session, insert, params = self.session, self.ps.insert, _cql.params
        for row in rows:
            await _cql.resolve(session, insert, params(row))

    async def get_by_pk(self, keys: list[tuple[int, int]]) -> int:
        session, get, found = self.session, self.ps.get, 0
        for key in keys:
            rows = await _cql.resolve(session, get, key)
            found += bool(rows)
        return found

    async def filter_partition(self, parts: list[int], limit: int) -> int:
        session, select, total = self.session, self.ps.partition, 0
        for part in parts:
            total += len(await _cql.resolve(session, select, (part, limit)))
        return total

    async def batch_insert(self, batches: list[list[Row]]) -> None:
        from cassandra.query import BatchStatement, BatchType

        insert, params = self.ps.insert, _cql.params
        for rows in batches:
            batch = BatchStatement(batch_type=BatchType.UNLOGGED)
            for row in rows:
                batch.add(insert, params(row))
            await _cql.resolve(self.session, batch)

    async def increment(self, ids: list[int]) -> None:
        session, counter = self.session, self.ps.counter
        for i in ids:
            await _cql.resolve(session, counter, (i,))

    async def paged_read(self, part: int, fetch_size: int) -> int:
        bound: Any = self.ps.paged.bind((part,))
        bound.fetch_size = fetch_size
        future = self.session.execute_async(bound)
        pages = _cql.Pages(future, asyncio.get_running_loop())
        rows = list(await pages.first())
        while future.has_more_pages:
            rows += await pages.next()
        return len(rows)
