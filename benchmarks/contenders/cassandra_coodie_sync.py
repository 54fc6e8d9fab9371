"""coodie (sync): Pydantic documents over cassandra-driver.

insert is ``Document.save()``; get ``Document.get(part=…, seq=…)``; the partition read
``find(part=…).limit(20).all()``; the batch ``BatchQuery(logged=False)`` with ``save(batch=b)``;
the counter ``CounterDocument.increment(hits=1)``; the paged read ``fetch_size(n).paged_all()``
resumed with ``page(paging_state)`` until the state runs out.
"""

from __future__ import annotations

from typing import Any

from benchmarks.contenders._coodie_models import build
from benchmarks.cql_workload import KEYSPACE
from benchmarks.databases import CASSANDRA_HOST, CASSANDRA_PORT, Target
from benchmarks.workload import Row


class Contender:
    """coodie, sync."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def setup(self) -> None:
        from coodie.sync import CounterDocument, Document, init_coodie

        self.driver = init_coodie(hosts=[CASSANDRA_HOST], port=CASSANDRA_PORT, keyspace=KEYSPACE,
                                  driver_type="cassandra")
        self.Row, self.Counter = build(Document, CounterDocument)
        self.Row.sync_table()
        self.Counter.sync_table()

    def close(self) -> None:
        self.driver.close()

    def insert_one(self, rows: list[Row]) -> None:
        doc = self.Row
        for row in rows:
            doc(**row).save()

    def get_by_pk(self, keys: list[tuple[int, int]]) -> int:
        get = self.Row.get
        return sum(1 for part, seq in keys if get(part=part, seq=seq) is not None)

    def filter_partition(self, parts: list[int], limit: int) -> int:
        find = self.Row.find
        return sum(len(find(part=part).limit(limit).all()) for part in parts)

    def batch_insert(self, batches: list[list[Row]]) -> None:
        from coodie.sync import BatchQuery

        doc = self.Row
        for rows in batches:
            with BatchQuery(logged=False) as b:
                for row in rows:
                    doc(**row).save(batch=b)

    def increment(self, ids: list[int]) -> None:
        doc = self.Counter
        for i in ids:
            doc(id=i).increment(hits=1)

    def paged_read(self, part: int, fetch_size: int) -> int:
        qs: Any = self.Row.find(part=part).fetch_size(fetch_size)
        result = qs.paged_all()
        objects = list(result.data)
        while result.paging_state is not None:
            result = qs.page(result.paging_state).paged_all()
            objects += result.data
        return len(objects)
