"""Models for the live write and concurrency tests (database "cassandra_live", keyspace made per run).

Every name starts with ``W`` so that these tables never meet another live module's.
"""

from __future__ import annotations

from typing import Annotated

import ormada
from ormada import ClusteringKey, Counter, Frozen, PartitionKey, PrimaryKey, Static

DB = "cassandra_live"


class WAccount(ormada.Model):
    """One row per key: lightweight transactions, collections, per-write options."""

    key: Annotated[str, PrimaryKey()]
    owner: str = ""
    version: int = 0
    balance: int = 0
    note: str | None = None
    tags: set[str] = set()
    items: list[int] = []
    attrs: dict[str, int] = {}
    fixed: Annotated[list[int], Frozen()] = []

    class Meta:
        database = DB


class WCounter(ormada.Model):
    """A counter table: only increments, no plain writes."""

    page: Annotated[str, PrimaryKey()]
    hits: Annotated[int, Counter()] = 0
    misses: Annotated[int, Counter()] = 0

    class Meta:
        database = DB


class WEvent(ormada.Model):
    """A partition of clustered rows with a static column: range deletes, static writes."""

    stream: Annotated[str, PartitionKey()]
    seq: Annotated[int, ClusteringKey()]
    value: int = 0
    label: str | None = None
    owner: Annotated[str | None, Static()] = None

    class Meta:
        database = DB


class WExpiring(ormada.Model):
    """A table whose values expire after an hour unless a write says otherwise."""

    key: Annotated[str, PrimaryKey()]
    value: str = ""

    class Meta:
        database = DB
        default_ttl = 3600


class WRow(ormada.Model):
    """Many small rows in a few partitions: bulk writes and concurrency."""

    group: Annotated[str, PartitionKey()]
    n: Annotated[int, ClusteringKey()]
    label: str = ""
    score: int = 0

    class Meta:
        database = DB


WRITE_MODELS = (WAccount, WCounter, WEvent, WExpiring, WRow)
