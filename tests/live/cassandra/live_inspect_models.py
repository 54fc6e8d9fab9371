"""Models whose keyspace ``ormada inspect`` reads back (database "cassandra_inspect")."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel

from ormada import (
    BigInt,
    ClusteringKey,
    Counter,
    Frozen,
    Indexed,
    Model,
    PartitionKey,
    SmallInt,
    Static,
    TimeUUID,
    Vector,
    VectorIndex,
)

DB = "cassandra_inspect"


class InsGeo(BaseModel):
    lat: float
    lon: float


class InsAddress(BaseModel):
    street: str
    zip: int
    geo: InsGeo | None = None


class InsReading(Model):
    sensor: Annotated[str, PartitionKey()]
    day: Annotated[dt.date, PartitionKey()]
    at: Annotated[dt.datetime, ClusteringKey(order="desc")]
    seq: Annotated[int, ClusteringKey()]
    value: float | None = None
    site: Annotated[str | None, Static()] = None
    tags: set[str] = set()
    history: list[int] = []
    limits: dict[str, Decimal] = {}
    pair: tuple[int, str] | None = None
    frozen_tags: Annotated[list[str] | None, Frozen()] = None
    home: InsAddress | None = None
    stamp: Annotated[uuid.UUID | None, TimeUUID()] = None
    big: Annotated[int | None, BigInt()] = None
    small: Annotated[int | None, SmallInt()] = None
    note: Annotated[str | None, Indexed()] = None
    embedding: Annotated[list[float] | None, Vector(3)] = None
    extra: bytes | None = None

    class Meta:
        database = DB
        table = "ins_reading"
        default_ttl = 86400
        options = {"comment": "raw data"}
        indexes = [VectorIndex("embedding", metric="l2")]


class InsHits(Model):
    page: Annotated[str, PartitionKey()]
    hits: Annotated[int, Counter()] = 0

    class Meta:
        database = DB
        table = "ins_hits"


MODELS: list[Any] = [InsReading, InsHits]
