"""``db.metadata``: each SQL database's complete SQLAlchemy metadata, what create_all makes
from it, and Alembic's autogenerate finding nothing to change after create_all."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterator
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Annotated, Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import BaseModel, Field

import ormada
from ormada import BigInt, Column, ForeignKey, Index, Indexed, ManyToMany, Model, PrimaryKey, SmallInt, Text, Unique
from tests.conftest import PG_URL, Api, database_url


class Tone(enum.Enum):
    WARM = "warm"
    COOL = "cool"


class Grade(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Place(BaseModel):
    city: str


class MetaPublisher(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: Annotated[str, Unique(), Text(max_length=80)]
    code: Annotated[str, Unique(name="uq_meta_publisher_code")]
    city: Annotated[str | None, Indexed(), Column("town")] = None

    class Meta:
        table = "meta_publisher"
        database = "meta"


class MetaWriter(Model):
    id: Annotated[int | None, PrimaryKey(), Column("WriterId")] = None
    full_name: Annotated[str, Column("name")]
    email: Annotated[str | None, Indexed(name="ix_meta_writer_mail"), Column("mail")] = None
    publisher: Annotated[MetaPublisher | None, ForeignKey(on_delete="set null")] = None

    class Meta:
        table = "meta_writer"
        database = "meta"


class MetaTag(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    label: Annotated[str, Text(max_length=40)]

    class Meta:
        table = "meta_tag"
        database = "meta"


class MetaBook(Model):
    id: Annotated[int | None, PrimaryKey(), BigInt()] = None
    title: str
    year: int
    writer: Annotated[MetaWriter, ForeignKey(on_delete="cascade")]
    keywords: Annotated[list[MetaTag], ManyToMany(related_name="books")] = []

    class Meta:
        table = "meta_book"
        database = "meta"
        indexes = [Index("year", "title"), Index("writer_id", "year", unique=True, name="ix_meta_book_once")]
        unique_together = [("title", "writer_id")]


class MetaTypes(Model):
    """One column of every logical type SQL stores."""

    id: Annotated[uuid.UUID, PrimaryKey()]
    part: Annotated[int, PrimaryKey(), SmallInt()]
    i: int | None = None
    big: Annotated[int | None, BigInt()] = None
    f: float | None = None
    b: bool | None = None
    s: str | None = None
    raw: bytes | None = None
    d: Annotated[Decimal | None, Field(max_digits=12, decimal_places=4)] = None
    u: uuid.UUID | None = None
    at: dt.datetime | None = None
    day: dt.date | None = None
    clock: dt.time | None = None
    tone: Tone | None = None
    grade: Grade | None = None
    items: list[int] | None = None
    mapping: dict[str, Any] | None = None
    place: Place | None = None
    ip: IPv4Address | IPv6Address | None = None
    length: dt.timedelta | None = None

    class Meta:
        table = "meta_types"
        database = "meta"


JUNCTION = MetaBook.__ormada__.relations["keywords"].through
TABLES = {"meta_publisher", "meta_writer", "meta_tag", "meta_book", "meta_book_keywords", "meta_types"}


@pytest.fixture
async def meta_db(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    database = ormada.connect(database_url(backend, request, tmp_path), name="meta")
    yield database
    await database.aclose()


@pytest.fixture
def engine(meta_db: ormada.Database, backend: str, request: pytest.FixtureRequest,
           tmp_path: Path) -> Iterator[sa.Engine]:
    """A SQLAlchemy engine on the database ``meta_db`` uses (for PostgreSQL, its schema first
    on the search path, as ormada's connections have it)."""
    if backend == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'test.db'}")
    elif backend == "mysql":
        url = meta_db.backend.url  # type: ignore[attr-defined]
        engine = sa.create_engine(sa.URL.create("mysql+pymysql", username=url.username, password=url.password,
                                                host=url.host, port=url.port, database=url.database))
    else:
        schema = request.getfixturevalue("pg_schema")
        engine = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"),
                                  connect_args={"options": f"-csearch_path={schema}"})
    yield engine
    engine.dispose()


def differences(engine: sa.Engine, metadata: sa.MetaData) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match ``metadata``."""
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))


def foreign_keys(table: sa.Table) -> set[tuple[str, str, str | None]]:
    return {(fk.parent.name, fk.target_fullname, fk.ondelete) for fk in table.foreign_keys}


def test_the_metadata_holds_every_table_column_key_and_index(meta_db: ormada.Database) -> None:
    metadata = meta_db.metadata
    assert set(metadata.tables) == TABLES
    publisher, writer, book = (metadata.tables[n] for n in ("meta_publisher", "meta_writer", "meta_book"))
    junction = metadata.tables["meta_book_keywords"]

    assert [c.name for c in writer.columns] == ["WriterId", "name", "mail", "publisher_id"]
    assert [c.key for c in writer.columns] == ["id", "full_name", "email", "publisher_id"]  # addressed by field
    assert [c.name for c in publisher.columns if c.nullable] == ["town"]
    assert [c.name for c in writer.primary_key] == ["WriterId"]
    assert [c.name for c in metadata.tables["meta_types"].primary_key] == ["id", "part"]

    assert foreign_keys(writer) == {("publisher_id", "meta_publisher.id", "SET NULL")}
    assert foreign_keys(book) == {("writer_id", "meta_writer.WriterId", "CASCADE")}
    assert foreign_keys(junction) == {("meta_book_id", "meta_book.id", "CASCADE"),
                                      ("meta_tag_id", "meta_tag.id", "CASCADE")}

    uniques = {(c.name, tuple(col.name for col in c.columns)) for c in publisher.constraints
               if isinstance(c, sa.UniqueConstraint)}
    assert uniques == {(None, ("name",)), ("uq_meta_publisher_code", ("code",))}
    assert {(ix.name, tuple(c.name for c in ix.columns), ix.unique) for ix in book.indexes} == {
        ("ix_meta_book_year_title", ("year", "title"), False),
        ("ix_meta_book_once", ("writer_id", "year"), True),
        ("uq_meta_book_title_writer_id", ("title", "writer_id"), True),
    }
    assert {ix.name for ix in writer.indexes} == {"ix_meta_writer_mail"}
    assert {tuple(c.name for c in ix.columns) for ix in publisher.indexes} == {("town",)}
    assert {(ix.name, ix.unique) for ix in junction.indexes} == {
        ("uq_meta_book_keywords_meta_book_id_meta_tag_id", True)}
    # The only server-side defaults: the generated keys (an identity on PostgreSQL, the rowid on SQLite).
    assert {(t.name, c.name) for t in metadata.tables.values() for c in t.columns if c.server_default is not None} \
        == {(name, "WriterId" if name == "meta_writer" else "id") for name in TABLES - {"meta_types"}}
    assert all(isinstance(c.server_default, sa.Identity) for c in publisher.columns if c.server_default is not None)


@pytest.mark.requires("alembic")
async def test_alembic_finds_nothing_to_change_after_create_all(meta_db: ormada.Database, engine: sa.Engine,
                                                               api: Api) -> None:
    added = {d[1].name for d in differences(engine, meta_db.metadata) if d[0] == "add_table"}
    assert added == TABLES  # on an empty database, everything is to add
    await api(meta_db, "create_all")
    assert differences(engine, meta_db.metadata) == []
    # Not ix_meta_book_once: InnoDB keeps it for the foreign key on writer_id, whose first column it is.
    index = next(ix for ix in meta_db.metadata.tables["meta_book"].indexes if ix.name == "ix_meta_book_year_title")
    drop = str(sa.schema.DropIndex(index).compile(dialect=meta_db.backend.compiler.dialect))  # type: ignore[attr-defined]
    await api.execute(meta_db, drop)  # the comparison does see what differs
    assert [(d[0], d[1].name) for d in differences(engine, meta_db.metadata)] == \
        [("add_index", "ix_meta_book_year_title")]
    await api(meta_db, "drop_all")
    assert sa.inspect(engine).get_table_names() == []


async def test_create_all_compiles_the_database_metadata(meta_db: ormada.Database, api: Api) -> None:
    metadata = meta_db.metadata
    dialect = meta_db.backend.compiler.dialect  # type: ignore[attr-defined]
    expected = [str(sa.schema.CreateTable(t, if_not_exists=True).compile(dialect=dialect)).strip()
                for t in metadata.sorted_tables]
    texts = [s.text for s in await api(meta_db, "create_all", dry_run=True) if s.text.startswith("CREATE TABLE")]
    assert texts == expected
    subset = await api(meta_db, "create_all", [MetaWriter, MetaPublisher], dry_run=True)
    assert [s.text.split()[5] for s in subset if s.text.startswith("CREATE TABLE")] == ["meta_publisher",
                                                                                         "meta_writer"]
    drops = await api(meta_db, "drop_all", [MetaBook, JUNCTION], dry_run=True)
    assert [s.text for s in drops if s.text.startswith("DROP TABLE")] == [
        "DROP TABLE IF EXISTS meta_book_keywords", "DROP TABLE IF EXISTS meta_book"]


def test_models_bound_later_join_the_same_metadata(tmp_path: Path) -> None:
    db = ormada.connect(f"sqlite:///{tmp_path / 'late.db'}", name="meta_late")
    try:
        metadata = db.metadata
        assert set(metadata.tables) == set()

        class Shelf(Model):
            id: Annotated[int | None, PrimaryKey()] = None

            class Meta:
                database = "meta_late"

        class Slot(Model):
            id: Annotated[int | None, PrimaryKey()] = None
            shelf: Annotated[Shelf, ForeignKey(on_delete="cascade")]
            holds: Annotated[list[Shelf], ManyToMany(related_name="+")] = []

            class Meta:
                database = "meta_late"

        assert db.metadata is metadata
        assert set(metadata.tables) == {"shelf", "slot", "slot_holds"}
        shelf_table = metadata.tables["shelf"]

        class ShelfLabel(Model):  # a narrow model of the shelf table: the full one still defines it
            id: Annotated[int | None, PrimaryKey()] = None

            class Meta:
                table = "shelf"
                database = "meta_late"

        assert metadata.tables["shelf"] is shelf_table

        class WideShelf(Model):  # a wider one takes the table over
            id: Annotated[int | None, PrimaryKey()] = None
            name: str = ""

            class Meta:
                table = "shelf"
                database = "meta_late"

        assert [c.name for c in metadata.tables["shelf"].columns] == ["id", "name"]
        assert foreign_keys(metadata.tables["slot"]) == {("shelf_id", "shelf.id", "CASCADE")}
        # A narrower model asked for by name still creates its own definition of the table.
        (narrow,) = db.create_all([Shelf], dry_run=True)
        assert "name" not in narrow.text
        with pytest.raises(ormada.ConfigurationError, match="Shelf and WideShelf both map table 'shelf'"):
            db.create_all([Shelf, WideShelf], dry_run=True)
        assert ShelfLabel.__ormada__.database == "meta_late"
    finally:
        db.close()


def test_a_model_defined_again_replaces_its_table(tmp_path: Path) -> None:
    db = ormada.connect(f"sqlite:///{tmp_path / 'again.db'}", name="meta_again")
    try:
        def define(with_body: bool) -> None:
            # One module and qualname each time, as a notebook cell run again.
            if with_body:
                class Note(Model):
                    id: Annotated[int | None, PrimaryKey()] = None
                    title: str | None = None
                    body: str | None = None

                    class Meta:
                        database = "meta_again"
            else:
                class Note(Model):  # type: ignore[no-redef]
                    id: Annotated[int | None, PrimaryKey()] = None
                    title: str | None = None

                    class Meta:
                        database = "meta_again"

        define(with_body=True)
        define(with_body=False)
        assert [c.name for c in db.metadata.tables["note"].columns] == ["id", "title"]
    finally:
        db.close()


def test_cassandra_keeps_no_sqlalchemy_metadata() -> None:
    db = ormada.Database("cassandra://127.0.0.1/shop", name="meta_cql")  # nothing connects until a query
    with pytest.raises(ormada.NotSupported, match="migrate_schema"):
        db.metadata  # noqa: B018 - the property raises
    with pytest.raises(ormada.NotSupported, match="migrate_schema"):
        db.backend.metadata([])
