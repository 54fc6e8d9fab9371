"""caspyorm (sync): models over cassandra-driver, connected to the benchmark keyspace.

insert is ``Model.create``; get ``Model.get(part=…, seq=…)`` (a ``LIMIT 1`` select); the
partition read ``filter(part=…).limit(20).all()``; the batch ``bulk_create`` of 100 instances
(its only batch API: a logged BatchStatement at QUORUM, which on one node and one partition
costs what an unlogged one does); no counter column type (n/a); the paged read
``QuerySet.page(page_size, paging_state)`` until the state runs out.
"""

from __future__ import annotations

from typing import Any

from benchmarks.contenders._caspyorm_models import build
from benchmarks.contenders.base import NotSupported
from benchmarks.cql_workload import KEYSPACE
from benchmarks.databases import CASSANDRA_HOST, CASSANDRA_PORT, Target
from benchmarks.workload import Row


class Contender:
    """caspyorm, sync."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def setup(self) -> None:
        self.Row = build()
        from caspyorm import connection

        connection.connect(keyspace=KEYSPACE, contact_points=[CASSANDRA_HOST], port=CASSANDRA_PORT)

    def close(self) -> None:
        from caspyorm import connection

        connection.disconnect()

    def insert_one(self, rows: list[Row]) -> None:
        create = self.Row.create
        for row in rows:
            create(**row)

    def get_by_pk(self, keys: list[tuple[int, int]]) -> int:
        get = self.Row.get
        return sum(1 for part, seq in keys if get(part=part, seq=seq) is not None)

    def filter_partition(self, parts: list[int], limit: int) -> int:
        flt = self.Row.filter
        return sum(len(flt(part=part).limit(limit).all()) for part in parts)

    def batch_insert(self, batches: list[list[Row]]) -> None:
        model = self.Row
        for rows in batches:
            model.bulk_create([model(**row) for row in rows])

    def increment(self, ids: list[int]) -> None:
        raise NotSupported("caspyorm has no counter column type")

    def paged_read(self, part: int, fetch_size: int) -> int:
        qs: Any = self.Row.filter(part=part)
        objects, state = qs.page(page_size=fetch_size)
        while state is not None:
            page, state = qs.page(page_size=fetch_size, paging_state=state)
            objects += page
        return len(objects)
