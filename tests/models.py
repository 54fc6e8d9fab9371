"""Models shared by the integration tests."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Any

from pydantic import BaseModel, Field

from ormada import BigInt, Index, Indexed, Model, PrimaryKey, SmallInt, Text, Unique


class Author(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: Annotated[str, Unique(), Text(max_length=100)]
    born: int | None = None


class Book(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: Annotated[str, Indexed()]
    year: int
    author_id: int | None = None
    pages: int = 100
    rating: float | None = None
    tags: list[str] = []

    class Meta:
        table = "books"
        indexes = [Index("author_id", "year")]


class Genre(enum.Enum):
    FICTION = "fiction"
    SCIENCE = "science"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Address(BaseModel):
    city: str
    zip: str | None = None


class Everything(Model):
    """One field of every supported type, for round-trip tests."""

    id: Annotated[int | None, PrimaryKey()] = None
    i: int | None = None
    small: Annotated[int | None, SmallInt()] = None
    big: Annotated[int | None, BigInt()] = None
    f: float | None = None
    b: bool | None = None
    s: str | None = None
    short: Annotated[str | None, Text(max_length=20)] = None
    raw: bytes | None = None
    d: Annotated[Decimal | None, Field(max_digits=12, decimal_places=4)] = None
    u: uuid.UUID | None = None
    at: dt.datetime | None = None
    day: dt.date | None = None
    clock: dt.time | None = None
    genre: Genre | None = None
    level: Level | None = None
    items: list[int] | None = None
    mapping: dict[str, Any] | None = None
    address: Address | None = None
    addresses: list[Address] | None = None


class Membership(Model):
    """A composite primary key and a client-generated UUID."""

    group: Annotated[str, PrimaryKey()]
    member: Annotated[uuid.UUID, PrimaryKey()] = Field(default_factory=uuid.uuid4)
    role: str = "member"


class Price(Model):
    """A Decimal with no declared precision."""

    id: Annotated[int | None, PrimaryKey()] = None
    amount: Decimal


ALL_MODELS: list[type[Model]] = [Author, Book, Everything, Membership, Price]


class Session(Model):
    """Network addresses and durations."""

    id: Annotated[int | None, PrimaryKey()] = None
    client: IPv4Address | IPv6Address
    length: dt.timedelta | None = None


ALL_MODELS.append(Session)
