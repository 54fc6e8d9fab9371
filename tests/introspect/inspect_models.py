"""The models whose tables the introspection tests read back: every type, key and relation
that ``ormada inspect`` writes models for."""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, NaiveDatetime

from ormada import (
    BigInt,
    Column,
    ForeignKey,
    Index,
    Indexed,
    ManyToMany,
    Model,
    PrimaryKey,
    SmallInt,
    Text,
    Unique,
)


class Publisher(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: Annotated[str, Unique(), Text(max_length=120)]
    country: Annotated[str, Indexed()] = "fr"

    class Meta:
        table = "ix_publisher"


class Person(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str
    mentor: Annotated[Person | None, ForeignKey("self", related_name="mentees", on_delete="set null")] = None

    class Meta:
        table = "ix_person"


class Label(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: Annotated[str, Unique(name="uq_label_title_custom")]

    class Meta:
        table = "ix_label"


class Work(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: Annotated[str, Text(max_length=200)]
    pages: Annotated[int, SmallInt()] = 0
    copies: Annotated[int, BigInt()] = 0
    price: Annotated[Decimal, Field(max_digits=9, decimal_places=2)]
    rating: float | None = None
    public: bool = True
    token: uuid.UUID
    published: dt.date | None = None
    opens: dt.time | None = None
    added: dt.datetime
    local: NaiveDatetime | None = None
    cover: bytes | None = None
    extra: dict[str, Any] = {}
    loan: dt.timedelta | None = None
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    publisher: Annotated[Publisher, ForeignKey(related_name="works", on_delete="cascade")]
    author: Annotated[Person, ForeignKey(related_name="written")]
    editor: Annotated[Person | None, ForeignKey(related_name="edited", on_delete="set null")] = None
    klass: Annotated[str, Column("class")] = "novel"
    odd: Annotated[int | None, Column("Odd Name")] = None
    labels: Annotated[list[Label], ManyToMany(related_name="works")] = []

    class Meta:
        table = "ix_work"
        indexes = [Index("title", "pages"), Index("token", unique=True, name="ix_work_token_once")]


class Edition(Model):
    """A composite primary key, and a unique pair."""

    work_id: Annotated[int, PrimaryKey(), ForeignKey(Work, related_name="editions", on_delete="cascade")]
    number: Annotated[int, PrimaryKey()]
    isbn: Annotated[str, Text(max_length=20)]
    year: int

    class Meta:
        table = "ix_edition"
        unique_together = [("isbn", "year")]


MODELS: list[Any] = [Publisher, Person, Label, Work, Edition]
MODELS.append(Work.__ormada__.relations["labels"].through)
