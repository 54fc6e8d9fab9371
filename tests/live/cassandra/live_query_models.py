"""Models for the live read-path tests (database "cassandra_live", keyspace made per run).

Every model is named with a ``Q`` prefix so that its table never meets another live
module's tables in the shared per-run keyspace.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field

import ormada
from ormada import ClusteringKey, Indexed, PartitionKey, PrimaryKey

DB = "cassandra_live"


class QItem(ormada.Model):
    """One row per partition, with every kind of index ormada declares."""

    id: Annotated[str, PrimaryKey()]
    kind: Annotated[str, Indexed()] = ""                      # secondary index: =
    level: Annotated[int, Indexed(using="sai")] = 0           # SAI: = and ranges
    rank: Annotated[int, Indexed(using="sai")] = 0            # a second SAI column to combine with
    code: Annotated[str, Indexed(using="sai")] = ""           # SAI on text: =, never LIKE
    note: Annotated[str, Indexed(using="sasi")] = ""          # SASI: LIKE on text
    weight: Annotated[int, Indexed(using="sasi")] = 0         # SASI: ranges on a number
    tags: Annotated[set[str], Indexed()] = set()              # secondary index on a set's values
    flags: Annotated[set[str], Indexed(using="sai")] = set()  # SAI on a set's values
    attrs: Annotated[dict[str, int], Indexed(using="values")] = {}
    labels: Annotated[dict[str, str], Indexed(using="keys")] = {}
    plain: int = 0                                            # no index: needs allow_filtering()

    class Meta:
        database = DB


class QEvent(ormada.Model):
    """Partitions of events clustered by ``seq`` ascending, then ``sub`` descending."""

    stream: Annotated[str, PartitionKey()]
    seq: Annotated[int, ClusteringKey()]
    sub: Annotated[int, ClusteringKey(order="desc")] = 0
    value: Annotated[int, Indexed(using="sai")] = 0
    label: Annotated[str, Indexed()] = ""

    class Meta:
        database = DB


class QFeed(ormada.Model):
    """Partitions clustered by ``at`` descending: the natural order is newest first."""

    feed: Annotated[str, PartitionKey()]
    at: Annotated[int, ClusteringKey(order="desc")]
    body: str = ""

    class Meta:
        database = DB


class QBulk(ormada.Model):
    """Many rows in one partition, for paging."""

    bucket: Annotated[str, PartitionKey()]
    n: Annotated[int, ClusteringKey()]
    payload: str = ""

    class Meta:
        database = DB


class QSpread(ormada.Model):
    """One row per partition over the whole token ring, for scans."""

    id: Annotated[int, PrimaryKey()]
    value: int = 0

    class Meta:
        database = DB


class QPerson(ormada.Model):
    """The base table of a materialized view."""

    id: Annotated[uuid.UUID, PrimaryKey()] = Field(default_factory=uuid.uuid4)
    city: str
    name: str = ""

    class Meta:
        database = DB


class QPersonByCity(ormada.Model):
    """``QPerson`` partitioned by city (a materialized view, read-only)."""

    city: Annotated[str, PartitionKey()]
    id: Annotated[uuid.UUID, ClusteringKey()]
    name: str = ""

    class Meta:
        database = DB
        options = {"view_of": QPerson}


QUERY_MODELS = (QItem, QEvent, QFeed, QBulk, QSpread, QPerson, QPersonByCity)
