"""Models for the live type and schema tests (database "cassandra_live", keyspace made per run)."""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import uuid
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NaiveDatetime

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

DB = "cassandra_live"


class TColor(enum.Enum):
    RED = "red"
    BLUE = "blue"


class TLevel(enum.IntEnum):
    LOW = 1
    HIGH = 3


class TGeo(BaseModel):
    model_config = ConfigDict(frozen=True)  # hashable, so it can sit in a set

    lat: float
    lon: float


class TAddress(BaseModel):
    street: str
    zip: int
    geo: TGeo | None = None


class TPerson(BaseModel):
    name: str
    home: TAddress | None = None
    others: list[TAddress] = []


class TAllTypes(ormada.Model):
    """One nullable column of every CQL scalar type."""

    id: Annotated[uuid.UUID, PrimaryKey()]
    t_text: str | None = None
    t_ascii: Annotated[str | None, DbType("ascii")] = None
    t_int: int | None = None
    t_bigint: Annotated[int | None, BigInt()] = None
    t_smallint: Annotated[int | None, SmallInt()] = None
    t_tinyint: Annotated[int | None, DbType("tinyint")] = None
    t_varint: Annotated[int | None, DbType("varint")] = None
    t_float: Annotated[float | None, DbType("float")] = None
    t_double: float | None = None
    t_decimal: Decimal | None = None
    t_bool: bool | None = None
    t_blob: bytes | None = None
    t_uuid: uuid.UUID | None = None
    t_timeuuid: Annotated[uuid.UUID | None, TimeUUID()] = None
    t_ts: dt.datetime | None = None
    t_aware: AwareDatetime | None = None
    t_naive: NaiveDatetime | None = None
    t_date: dt.date | None = None
    t_time: dt.time | None = None
    t_inet4: ipaddress.IPv4Address | None = None
    t_inet6: ipaddress.IPv6Address | None = None
    t_inet: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    t_duration: dt.timedelta | None = None
    t_color: TColor | None = None
    t_level: TLevel | None = None

    class Meta:
        database = DB
        table = "t_all_types"


class TDefaults(ormada.Model):
    """Non-nullable fields with defaults: what an unwritten column reads back as."""

    id: Annotated[int, PrimaryKey()]
    name: str = ""
    total: int = 0
    color: TColor = TColor.RED
    tags: list[str] = []
    ids: set[int] = set()
    attrs: dict[str, int] = {}
    frozen_tags: Annotated[list[str], Frozen()] = []

    class Meta:
        database = DB
        table = "t_defaults"


class TCollections(ormada.Model):
    """Collections of scalars and of user types, frozen and not, tuples and nesting."""

    id: Annotated[int, PrimaryKey()]
    ints: list[int] = []
    names: set[str] = set()
    scores: dict[str, int] = {}
    stamps: list[dt.datetime] = []
    days: set[dt.date] = set()
    decimals: dict[str, Decimal] = {}
    maybe_ints: list[int] | None = None
    maybe_map: dict[str, float] | None = None
    frozen_list: Annotated[list[int], Frozen()] = []
    frozen_set: Annotated[set[str] | None, Frozen()] = None
    frozen_map: Annotated[dict[str, int] | None, Frozen()] = None
    nested_list: list[list[int]] = []
    map_of_lists: dict[str, list[int]] = {}
    map_of_sets: dict[int, set[str]] = {}
    pair: tuple[int, str] | None = None
    triple: tuple[dt.date, Decimal, bytes] | None = None
    nested_tuple: tuple[int, tuple[str, bool]] | None = None
    tuple_list: list[tuple[str, int]] = []
    enum_list: list[TColor] = []
    level_map: dict[TLevel, str] = {}
    inet_set: set[ipaddress.IPv4Address] = set()

    class Meta:
        database = DB
        table = "t_collections"


class TUdts(ormada.Model):
    """User types: nested, frozen, inside list/set/map, as map values and in tuples."""

    id: Annotated[int, PrimaryKey()]
    person: TPerson | None = None
    frozen_home: Annotated[TAddress | None, Frozen()] = None
    homes: list[TAddress] = []
    geos: set[TGeo] = set()
    by_name: dict[str, TAddress] = {}
    by_geo: dict[str, list[TGeo]] = {}
    tagged: tuple[str, TGeo] | None = None

    class Meta:
        database = DB
        table = "t_udts"


class TCounter(ormada.Model):
    page: Annotated[str, PartitionKey()]
    day: Annotated[dt.date, ClusteringKey()]
    views: Annotated[int, Counter()] = 0
    clicks: Annotated[int, Counter()] = 0

    class Meta:
        database = DB
        table = "t_counter"


class TStatic(ormada.Model):
    team: Annotated[str, PartitionKey()]
    member: Annotated[str, ClusteringKey()]
    motto: Annotated[str | None, Static()] = None
    score: int = 0

    class Meta:
        database = DB
        table = "t_static"


class TVector(ormada.Model):
    id: Annotated[int, PrimaryKey()]
    embedding: Annotated[list[float] | None, Vector(3)] = None
    label: str = ""

    class Meta:
        database = DB
        table = "t_vector"


class TKeys(ormada.Model):
    """A composite partition key and clustering columns in mixed order."""

    region: Annotated[str, PartitionKey()]
    bucket: Annotated[int, PartitionKey()]
    year: Annotated[int, ClusteringKey(order="desc")]
    name: Annotated[str, ClusteringKey()]
    at: Annotated[dt.datetime, ClusteringKey(order="desc")]
    value: int = 0

    class Meta:
        database = DB
        table = "t_keys"


class TFrozenKey(ormada.Model):
    """Collections and user types as key columns (frozen by CQL's rules)."""

    tags: Annotated[tuple[str, int], PartitionKey()]
    where: Annotated[TGeo, ClusteringKey()]
    ids: Annotated[list[int], ClusteringKey(order="desc")]
    note: str = ""

    class Meta:
        database = DB
        table = "t_frozen_key"


class TIndexed(ormada.Model):
    """Every index kind on one table."""

    id: Annotated[uuid.UUID, PrimaryKey()] = Field(default_factory=uuid.uuid4)
    kind: Annotated[str | None, Indexed()] = None
    level: Annotated[int | None, Indexed(using="sai")] = None
    rank: Annotated[int | None, Indexed(using="sai")] = None
    note: Annotated[str | None, Indexed(using="sasi")] = None
    labels: Annotated[dict[str, str], Indexed(using="keys")] = {}
    scores: Annotated[dict[str, int], Indexed(using="values")] = {}
    pairs: Annotated[dict[str, int], Indexed(using="entries")] = {}
    parts: Annotated[list[str], Frozen(), Indexed(using="full")] = []

    class Meta:
        database = DB
        table = "t_indexed"


class TAuthor(ormada.Model):
    id: Annotated[uuid.UUID, PrimaryKey()] = Field(default_factory=uuid.uuid4)
    name: str
    country: str = ""
    born: int = 0

    class Meta:
        database = DB
        table = "t_author"


class TAuthorByCountry(ormada.Model):
    country: Annotated[str, PartitionKey()]
    id: Annotated[uuid.UUID, ClusteringKey()]
    name: str = ""
    born: int = 0

    class Meta:
        database = DB
        table = "t_author_by_country"
        options = {"view_of": TAuthor}


class TEvent(ormada.Model):
    """A polymorphic base: every subclass's rows share this table."""

    __discriminator__ = "type"

    source: Annotated[str, PartitionKey()]
    at: Annotated[int, ClusteringKey()]
    type: Annotated[str, Indexed()] = ""

    class Meta:
        database = DB
        table = "t_event"


class TClick(TEvent):
    __discriminator_value__ = "click"

    x: int = 0
    y: int = 0


class TPurchase(TEvent):
    __discriminator_value__ = "purchase"

    amount: Decimal = Decimal("0")


# -- schema evolution: versions of one table, on their own database and keyspace ------------

SCHEMA_DB = "t_schema_live"


class TMigAddV1(ormada.Model):
    id: Annotated[int, PrimaryKey()]
    name: str = ""

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_add"


class TMigIndexV1(ormada.Model):
    id: Annotated[int, PrimaryKey()]
    kind: str = ""
    level: int = 0

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_index"


class TMigIndexV2(ormada.Model):
    """The same table with an index of each build path on columns that already hold data."""

    id: Annotated[int, PrimaryKey()]
    kind: Annotated[str, Indexed()] = ""
    level: Annotated[int, Indexed(using="sai")] = 0

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_index"


class TMigAddV2(ormada.Model):
    id: Annotated[int, PrimaryKey()]
    name: str = ""
    age: int | None = None
    tags: set[str] = set()
    home: TAddress | None = None
    kind: Annotated[str | None, Indexed()] = None

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_add"


class TMigDryV1(ormada.Model):
    id: Annotated[int, PrimaryKey()]

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_dry"


class TMigDryV2(ormada.Model):
    id: Annotated[int, PrimaryKey()]
    extra: int | None = None
    level: Annotated[int | None, Indexed(using="sai")] = None

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_dry"


class TMigAsyncV1(ormada.Model):
    id: Annotated[int, PrimaryKey()]

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_async"


class TMigAsyncV2(ormada.Model):
    id: Annotated[int, PrimaryKey()]
    extra: int | None = None
    level: Annotated[int | None, Indexed(using="sai")] = None

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_async"


class TMigKeysV1(ormada.Model):
    a: Annotated[str, PartitionKey()]
    b: Annotated[int, ClusteringKey()]
    c: str = ""
    d: int = 0
    s: Annotated[str | None, Static()] = None

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_keys"


class TMigTypeChanged(ormada.Model):
    a: Annotated[str, PartitionKey()]
    b: Annotated[int, ClusteringKey()]
    c: int = 0  # was text
    d: int = 0
    s: Annotated[str | None, Static()] = None

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_keys"


class TMigPartitionChanged(ormada.Model):
    a: Annotated[str, PartitionKey()]
    b: Annotated[int, PartitionKey()]  # was the clustering column
    c: str = ""
    d: int = 0
    s: str | None = None  # was static

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_keys"


class TMigOrderChanged(ormada.Model):
    a: Annotated[str, PartitionKey()]
    b: Annotated[int, ClusteringKey(order="desc")]  # was ascending
    c: str = ""
    d: int = 0
    s: Annotated[str | None, Static()] = None

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_keys"


class TMigKeyAdded(ormada.Model):
    a: Annotated[str, PartitionKey()]
    b: Annotated[int, ClusteringKey()]
    e: Annotated[int, ClusteringKey()]  # a new key column
    c: str = ""
    d: int = 0
    s: Annotated[str | None, Static()] = None

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_keys"


class TMigKeyDropped(ormada.Model):
    a: Annotated[str, PrimaryKey()]  # b, a key column, left out
    c: str = ""

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_keys"


class TMigColumnDropped(ormada.Model):
    a: Annotated[str, PartitionKey()]
    b: Annotated[int, ClusteringKey()]
    c: str = ""
    s: Annotated[str | None, Static()] = None

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_keys"


class TProfV1(BaseModel):
    __cql_type_name__ = "t_prof"

    a: str = ""


class TProfV2(BaseModel):
    __cql_type_name__ = "t_prof"

    a: str = ""
    b: int | None = None


class TProfRetyped(BaseModel):
    __cql_type_name__ = "t_prof"

    a: int = 0


class TMigUdtV1(ormada.Model):
    id: Annotated[int, PrimaryKey()]
    prof: TProfV1 | None = None

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_udt"


class TMigUdtV2(ormada.Model):
    id: Annotated[int, PrimaryKey()]
    prof: TProfV2 | None = None

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_udt"


class TMigUdtRetyped(ormada.Model):
    id: Annotated[int, PrimaryKey()]
    prof: TProfRetyped | None = None

    class Meta:
        database = SCHEMA_DB
        table = "t_mig_udt"


TYPE_MODELS = (TAllTypes, TDefaults, TCollections, TUdts, TCounter, TStatic, TVector, TKeys, TFrozenKey)
SCHEMA_MODELS = (TIndexed, TAuthor, TAuthorByCountry, TEvent, TClick, TPurchase)
