"""coodie documents of the Cassandra workload, on coodie's sync or async ``Document`` base."""

# No `from __future__ import annotations` here: coodie reads the annotations as objects, not strings.

from datetime import datetime
from typing import Annotated, Any

from benchmarks.cql_workload import COUNTERS_TABLE, KEYSPACE, ROWS_TABLE


def build(document: Any, counter_document: Any) -> tuple[Any, Any]:
    """(row document, counter document) subclassing the given coodie bases."""
    from coodie.fields import ClusteringKey, Counter, PrimaryKey

    class BenchRow(document):  # type: ignore[misc, valid-type]
        part: Annotated[int, PrimaryKey()]
        seq: Annotated[int, ClusteringKey()]
        level: int
        note: str
        created: datetime

        class Settings:
            name = ROWS_TABLE
            keyspace = KEYSPACE

    class BenchCounter(counter_document):  # type: ignore[misc, valid-type]
        id: Annotated[int, PrimaryKey()]
        hits: Annotated[int, Counter()] = 0

        class Settings:
            name = COUNTERS_TABLE
            keyspace = KEYSPACE

    return BenchRow, BenchCounter
