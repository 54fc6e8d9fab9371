"""Models for the unit tests, bound to databases that are never opened.

``ormada.connect`` opens nothing (pools are lazy), so these databases compile
statements offline. They are registered under their own names, never ``"default"``,
so they cannot replace the database the integration tests use.

The same models are defined once per backend by :func:`define_models`, so a test
can compare what SQLite and PostgreSQL make of one query.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Annotated, Any

from pydantic import BaseModel, Field, NaiveDatetime

import ormada
from ormada import BigInt, DbType, ForeignKey, Index, Indexed, Json, Model, PrimaryKey, SmallInt, Text, Unique

SQLITE = "unit_sqlite"
POSTGRES = "unit_pg"

sqlite_db = ormada.connect("sqlite://:memory:", name=SQLITE)
postgres_db = ormada.connect("postgresql://u:secret@h:5432/db", name=POSTGRES)


class Genre(enum.Enum):
    FICTION = "fiction"
    SCIENCE = "science"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Address(BaseModel):
    city: str
    zip: str | None = None


class Shelf(BaseModel):
    label: str
    addresses: list[Address] = []


def define_models(database_name: str) -> SimpleNamespace:
    """The unit-test models, bound to the database registered as ``database_name``."""

    class Author(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        name: Annotated[str, Unique(), Text(max_length=100)]
        born: int | None = None

        class Meta:
            database = database_name

    class Book(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        title: Annotated[str, Indexed()]
        year: int
        author_id: Annotated[int | None, ForeignKey("author.id", on_delete="CASCADE")] = None
        tags: list[str] = []

        class Meta:
            database = database_name
            table = "books"
            indexes = [Index("author_id", "year")]
            unique_together = ("title", "author_id")

    class Everything(Model):
        id: Annotated[int | None, PrimaryKey(), BigInt()] = None
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
        naive: NaiveDatetime | None = None
        day: dt.date | None = None
        clock: dt.time | None = None
        genre: Genre | None = None
        level: Level | None = None
        numbers: list[int] | None = None
        mapping: dict[str, Any] | None = None
        address: Address | None = None
        shelf: Shelf | None = None
        ci: Annotated[str | None, DbType("CITEXT")] = None

        class Meta:
            database = database_name

    class Membership(Model):
        group: Annotated[str, PrimaryKey()]
        member: Annotated[uuid.UUID, PrimaryKey()] = Field(default_factory=uuid.uuid4)
        role: str = "member"

        class Meta:
            database = database_name

    class Document(Model):
        """A dict stored as one JSON document (``Json()``), so ``contains`` means containment."""

        id: Annotated[int | None, PrimaryKey()] = None
        body: Annotated[dict[str, Any], Json()]

        class Meta:
            database = database_name

    class Counter(Model):
        """A model whose only column is its generated key."""

        id: Annotated[int | None, PrimaryKey()] = None

        class Meta:
            database = database_name

    return SimpleNamespace(Author=Author, Book=Book, Everything=Everything, Membership=Membership,
                           Document=Document, Counter=Counter, database=ormada.get_database(database_name))


sqlite_models = define_models(SQLITE)
postgres_models = define_models(POSTGRES)
