"""ormada (sync) on Cassandra: the model API over cassandra-driver.

insert is ``Model.create``; get ``Model.get(part=…, seq=…)``; the partition read
``filter(part=…).limit(20).all()``; the batch ``with ormada.batch(kind="unlogged")`` around 100
``create`` calls; the counter ``filter(id=…).update(hits__incr=1)``; the paged read
``filter(part=…).iterator(chunk_size=fetch_size)``, one page per request.
"""

from __future__ import annotations

import ormada
from benchmarks.contenders._ormada_cql_models import BenchCounter, BenchRow
from benchmarks.databases import Target
from benchmarks.workload import Row


class Contender:
    """ormada, sync."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def setup(self) -> None:
        self.db = ormada.connect(self.target.url)
        self.db.create_all([BenchRow, BenchCounter])  # IF NOT EXISTS: the harness made them

    def close(self) -> None:
        self.db.close()

    def insert_one(self, rows: list[Row]) -> None:
        create = BenchRow.create
        for row in rows:
            create(**row)

    def get_by_pk(self, keys: list[tuple[int, int]]) -> int:
        get = BenchRow.get
        return sum(1 for part, seq in keys if get(part=part, seq=seq) is not None)

    def filter_partition(self, parts: list[int], limit: int) -> int:
        flt = BenchRow.filter
        return sum(len(flt(part=part).limit(limit).all()) for part in parts)

    def batch_insert(self, batches: list[list[Row]]) -> None:
        create = BenchRow.create
        for rows in batches:
            with ormada.batch(kind="unlogged"):
                for row in rows:
                    create(**row)

    def increment(self, ids: list[int]) -> None:
        flt = BenchCounter.filter
        for i in ids:
            flt(id=i).update(hits__incr=1)

    def paged_read(self, part: int, fetch_size: int) -> int:
        return len(list(BenchRow.filter(part=part).iterator(chunk_size=fetch_size)))
