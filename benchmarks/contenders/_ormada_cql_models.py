"""ormada models of the Cassandra workload (shared by the sync and async contenders)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from benchmarks.cql_workload import COUNTERS_TABLE, ROWS_TABLE
from ormada import ClusteringKey, Counter, Model, PartitionKey, PrimaryKey


class BenchRow(Model):
    """One row of ``bench_rows``: partition ``part``, clustering ``seq``."""

    part: Annotated[int, PartitionKey()]
    seq: Annotated[int, ClusteringKey()]
    level: int
    note: str
    created: datetime

    class Meta:
        table = ROWS_TABLE


class BenchCounter(Model):
    """One counter of ``bench_counters``."""

    id: Annotated[int, PrimaryKey()]
    hits: Annotated[int, Counter()] = 0

    class Meta:
        table = COUNTERS_TABLE
