"""Models for the live suite (database "cassandra_live", keyspace made per run)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

import ormada
from ormada import ClusteringKey, Counter, Frozen, Indexed, PartitionKey, PrimaryKey, Static, Vector

DB = "cassandra_live"


class Geo(BaseModel):
    lat: float
    lon: float


class Address(BaseModel):
    street: str
    zip: int
    geo: Geo | None = None


class Reading(ormada.Model):
    sensor: Annotated[str, PartitionKey()]
    day: Annotated[dt.date, PartitionKey()]
    at: Annotated[dt.datetime, ClusteringKey(order="desc")]
    value: float = 0.0
    site: Annotated[str | None, Static()] = None
    tags: set[str] = set()
    samples: list[int] = []
    attrs: dict[str, int] = {}
    home: Address | None = None
    places: list[Address] = []
    pair: tuple[int, str] | None = None
    frozen_list: Annotated[list[int], Frozen()] = []
    kind: Annotated[str | None, Indexed()] = None
    level: Annotated[int | None, Indexed(using="sai")] = None
    note: Annotated[str | None, Indexed(using="sasi")] = None
    labels: Annotated[dict[str, str], Indexed(using="keys")] = {}

    class Meta:
        database = DB
        default_ttl = 86400


class PageViews(ormada.Model):
    page: Annotated[str, PrimaryKey()]
    views: Annotated[int, Counter()] = 0

    class Meta:
        database = DB


class User(ormada.Model):
    id: Annotated[uuid.UUID, PrimaryKey()] = Field(default_factory=uuid.uuid4)
    email: Annotated[str, Indexed()]
    name: str = ""
    version: int = 0
    balance: Decimal = Decimal("0")
    embedding: Annotated[list[float] | None, Vector(3)] = None

    class Meta:
        database = DB


class UserByName(ormada.Model):
    name: Annotated[str, PartitionKey()]
    id: Annotated[uuid.UUID, ClusteringKey()]
    email: str

    class Meta:
        database = DB
        options = {"view_of": User}


LIVE_MODELS = (Reading, PageViews, User, UserByName)
