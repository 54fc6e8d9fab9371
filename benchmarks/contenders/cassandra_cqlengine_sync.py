"""cqlengine, the object mapper that ships inside cassandra-driver (sync only: it has no async API).

insert is ``Model.create``; get ``Model.get(part=…, seq=…)``; the partition read
``objects(part=…).limit(20)``; the batch ``BatchQuery(batch_type=Unlogged)`` with
``Model.batch(b).create``; the counter ``objects(id=…).update(hits=1)``, which cqlengine sends
as ``hits = hits + 1``; the paged read ``objects(part=…).fetch_size(n)``. cqlengine binds values
into simple (unprepared) statements: that is how it runs every query.
"""

from __future__ import annotations

import logging
from typing import Any

from benchmarks.cql_workload import COUNTERS_TABLE, KEYSPACE, ROWS_TABLE
from benchmarks.databases import CASSANDRA_HOST, CASSANDRA_PORT, Target
from benchmarks.workload import Row


def _models() -> tuple[Any, Any]:
    from cassandra.cqlengine import columns, models

    class BenchRow(models.Model):
        __table_name__ = ROWS_TABLE
        __keyspace__ = KEYSPACE
        part = columns.Integer(partition_key=True)
        seq = columns.Integer(primary_key=True, clustering_order="ASC")
        level = columns.Integer()
        note = columns.Text()
        created = columns.DateTime()

    class BenchCounter(models.Model):
        __table_name__ = COUNTERS_TABLE
        __keyspace__ = KEYSPACE
        id = columns.Integer(primary_key=True)
        hits = columns.Counter()

    return BenchRow, BenchCounter


class Contender:
    """cqlengine, sync."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def setup(self) -> None:
        import os

        from cassandra.cqlengine import connection, management

        # sync_table refuses to run without this flag set; it only checks the existing tables here.
        os.environ.setdefault("CQLENG_ALLOW_SCHEMA_MANAGEMENT", "1")
        logging.getLogger("cassandra.cqlengine").setLevel(logging.ERROR)
        connection.setup([CASSANDRA_HOST], KEYSPACE, port=CASSANDRA_PORT)
        self.Row, self.Counter = _models()
        management.sync_table(self.Row)
        management.sync_table(self.Counter)

    def close(self) -> None:
        from cassandra.cqlengine import connection

        connection.unregister_connection("default")

    def insert_one(self, rows: list[Row]) -> None:
        create = self.Row.create
        for row in rows:
            create(**row)

    def get_by_pk(self, keys: list[tuple[int, int]]) -> int:
        get = self.Row.get
        return sum(1 for part, seq in keys if get(part=part, seq=seq) is not None)

    def filter_partition(self, parts: list[int], limit: int) -> int:
        objects = self.Row.objects
        return sum(len(list(objects(part=part).limit(limit))) for part in parts)

    def batch_insert(self, batches: list[list[Row]]) -> None:
        from cassandra.cqlengine.query import BatchQuery, BatchType

        for rows in batches:
            with BatchQuery(batch_type=BatchType.Unlogged) as b:
                create = self.Row.batch(b).create
                for row in rows:
                    create(**row)

    def increment(self, ids: list[int]) -> None:
        objects = self.Counter.objects
        for i in ids:
            objects(id=i).update(hits=1)

    def paged_read(self, part: int, fetch_size: int) -> int:
        # limit(None): cqlengine reads at most 10,000 rows unless told otherwise.
        return len(list(self.Row.objects(part=part).fetch_size(fetch_size).limit(None)))
