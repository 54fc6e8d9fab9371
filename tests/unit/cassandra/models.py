"""Models used by the Cassandra unit tests (bound to a database that is never reached)."""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import uuid
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

import ormada
from ormada import (
    BigInt,
    ClusteringKey,
    Counter,
    DbType,
    Frozen,
    Indexed,
    PartitionKey,
    PrimaryKey,
    SmallInt,
    Static,
    TimeUUID,
    Vector,
)

URL = "cassandra://10.0.0.1,10.0.0.2:9042/shop"
DB = "cassandra_unit"
OTHER_DB = "cassandra_unit_other"
db = ormada.connect(URL, name=DB)
other_db = ormada.connect("scylla://10.0.0.9/analytics", name=OTHER_DB)


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Geo(BaseModel):
    lat: float
    lon: float


class Address(BaseModel):
    street: str
    zip: int
    geo: Geo | None = None


class Reading(ormada.Model):
    """Time series: composite partition key, descending clustering, collections, a UDT."""

    sensor: Annotated[str, PartitionKey()]
    day: Annotated[dt.date, PartitionKey()]
    at: Annotated[dt.datetime, ClusteringKey(order="desc")]
    seq: Annotated[int, ClusteringKey()] = 0
    value: float = 0.0
    site: Annotated[str | None, Static()] = None
    tags: set[str] = set()
    samples: list[int] = []
    attrs: dict[str, int] = {}
    home: Address | None = None
    note: Annotated[str | None, Indexed(using="sasi")] = None
    kind: Annotated[str | None, Indexed()] = None
    level: Annotated[int | None, Indexed(using="sai")] = None
    labels: Annotated[dict[str, str], Indexed(using="keys")] = {}

    class Meta:
        database = DB
        default_ttl = 86400
        options = {"compaction": {"class": "TimeWindowCompactionStrategy", "compaction_window_size": "1"},
                   "comment": "sensor's readings", "gc_grace_seconds": 3600}


class AllTypes(ormada.Model):
    """One column of every CQL scalar and container type."""

    id: Annotated[uuid.UUID, PrimaryKey()]
    t_text: str = ""
    t_ascii: Annotated[str | None, DbType("ascii")] = None
    t_int: int = 0
    t_bigint: Annotated[int, BigInt()] = 0
    t_smallint: Annotated[int, SmallInt()] = 0
    t_tinyint: Annotated[int, DbType("tinyint")] = 0
    t_varint: Annotated[int, DbType("varint")] = 0
    t_float: Annotated[float, DbType("float")] = 0.0
    t_double: float = 0.0
    t_decimal: Decimal = Decimal("0")
    t_bool: bool = False
    t_uuid: uuid.UUID | None = None
    t_timeuuid: Annotated[uuid.UUID | None, TimeUUID()] = None
    t_timestamp: dt.datetime | None = None
    t_date: dt.date | None = None
    t_time: dt.time | None = None
    t_duration: Annotated[dt.timedelta | None, DbType("duration")] = None
    t_blob: bytes = b""
    t_inet: Annotated[ipaddress.IPv4Address | None, DbType("inet")] = None
    t_enum: Color = Color.RED
    t_list: list[str] = []
    t_set: set[int] = set()
    t_map: dict[str, float] = {}
    t_tuple: tuple[int, str] | None = None
    t_frozen: Annotated[list[int], Frozen()] = []
    t_nested: dict[str, list[int]] = {}
    t_udt: Address | None = None
    t_frozen_udt: Annotated[Geo | None, Frozen()] = None
    t_udt_list: list[Address] = []
    t_udt_map: dict[str, Geo] = {}
    t_vector: Annotated[list[float], Vector(3), Indexed(using="sai")] = Field(default_factory=lambda: [0.0, 0.0, 0.0])

    class Meta:
        database = DB
        table = "all_types"


class PageViews(ormada.Model):
    """A counter table."""

    page: Annotated[str, PrimaryKey()]
    views: Annotated[int, Counter()] = 0
    likes: Annotated[int, Counter()] = 0

    class Meta:
        database = DB


class User(ormada.Model):
    """A single-column primary key, an indexed column, a version for LWT."""

    id: Annotated[uuid.UUID, PrimaryKey()] = Field(default_factory=uuid.uuid4)
    email: Annotated[str, Indexed()]
    name: str = ""
    version: int = 0

    class Meta:
        database = DB
        keyspace = "accounts"


class UserByName(ormada.Model):
    """A materialized view of User, keyed by name."""

    name: Annotated[str, PartitionKey()]
    id: Annotated[uuid.UUID, ClusteringKey()]
    email: str

    class Meta:
        database = DB
        keyspace = "accounts"
        options = {"view_of": User}


class Event(ormada.Model):
    """A polymorphic base: rows of every subclass share this table."""

    __discriminator__ = "type"

    id: Annotated[uuid.UUID, PartitionKey()]
    at: Annotated[dt.datetime, ClusteringKey()]
    type: Annotated[str, Indexed()] = ""

    class Meta:
        database = DB


class Click(Event):
    __discriminator_value__ = "click"

    x: int = 0
    y: int = 0


class Purchase(Event):
    __discriminator_value__ = "purchase"

    amount: Decimal = Decimal("0")


class Metric(ormada.Model):
    """A model on another database (batch routing)."""

    name: Annotated[str, PrimaryKey()]
    value: float = 0.0

    class Meta:
        database = OTHER_DB


ALL_MODELS = (Reading, AllTypes, PageViews, User, UserByName, Event, Click, Purchase, Metric)
