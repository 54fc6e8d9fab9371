"""Baseline: cassandra-driver, sync ``Session.execute`` on prepared statements.

Rows come back as tuples (``tuple_factory``, the driver's cheapest row factory); the batch is an
unlogged ``BatchStatement`` of bound inserts into one partition; the paged read binds the
statement with ``fetch_size`` and lets the ResultSet fetch page after page.
"""

from __future__ import annotations

from typing import Any

from benchmarks.contenders import _cql
from benchmarks.databases import Target
from benchmarks.workload import Row


class Contender:
    """Raw cassandra-driver, sync."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def setup(self) -> None:
        self.cluster, self.session = _cql.connect()
        self.ps = _cql.prepare(self.session)

    def close(self) -> None:
        self.cluster.shutdown()

    def insert_one(self, rows: list[Row]) -> None:
        execute, insert, params = self.session.execute, self.ps.insert, _cql.params
        for row in rows:
            execute(insert, params(row))

    def get_by_pk(self, keys: list[tuple[int, int]]) -> int:
        execute, get = self.session.execute, self.ps.get
        return sum(1 for key in keys if execute(get, key).one() is not None)

    def filter_partition(self, parts: list[int], limit: int) -> int:
        execute, select = self.session.execute, self.ps.partition
        return sum(len(execute(select, (part, limit)).current_rows) for part in parts)

    def batch_insert(self, batches: list[list[Row]]) -> None:
        from cassandra.query import BatchStatement, BatchType

        insert, params = self.ps.insert, _cql.params
        for rows in batches:
            batch = BatchStatement(batch_type=BatchType.UNLOGGED)
            for row in rows:
                batch.add(insert, params(row))
            self.session.execute(batch)

    def increment(self, ids: list[int]) -> None:
        execute, counter = self.session.execute, self.ps.counter
        for i in ids:
            execute(counter, (i,))

    def paged_read(self, part: int, fetch_size: int) -> int:
        bound: Any = self.ps.paged.bind((part,))
        bound.fetch_size = fetch_size
        return len(list(self.session.execute(bound)))
