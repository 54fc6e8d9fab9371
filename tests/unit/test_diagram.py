"""Entity-relationship diagrams: Mermaid text compared with a file kept beside the tests,
Graphviz SVG parsed as XML, Cassandra keys and user types, and a reflected database."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import pytest
import sqlalchemy as sa
from pydantic import Field

from ormada import ForeignKey, ManyToMany, Model, OneToOne, PrimaryKey, Text, Unique
from ormada.diagrams import diagram, draw, graph_of
from ormada.errors import ConfigurationError

EXPECTED = Path(__file__).parent.parent / "data" / "diagram_library.mmd"
DB = "diagram_fixture"  # never connected: the models are only drawn


class Country(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: Annotated[str, Text(max_length=80), Unique()]

    class Meta:
        database = DB
        table = "dg_country"


class Person(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str
    country: Annotated[Country | None, ForeignKey(related_name="people", on_delete="set null")] = None

    class Meta:
        database = DB
        table = "dg_person"


class Passport(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    person: Annotated[Person, OneToOne(related_name="passport", on_delete="cascade")]

    class Meta:
        database = DB
        table = "dg_passport"


class Tag(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str

    class Meta:
        database = DB
        table = "dg_tag"


class Book(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    price: Annotated[Decimal, Field(max_digits=8, decimal_places=2)]
    published: dt.datetime | None = None
    author: Annotated[Person, ForeignKey(related_name="books", on_delete="cascade")]
    editor: Annotated[Person | None, ForeignKey(related_name="edited")] = None
    tags: Annotated[list[Tag], ManyToMany(related_name="books")] = []

    class Meta:
        database = DB
        table = "dg_book"


MODELS = [Book, Country, Passport, Person, Tag]


def test_mermaid_of_models_matches_the_kept_file() -> None:
    text = diagram(MODELS)
    assert text == EXPECTED.read_text()
    # Every table once, the many-to-many junction included, whatever order the models came in.
    assert diagram(list(reversed(MODELS))) == text
    assert diagram(database=DB) == text


def test_links_carry_relation_names_cardinality_and_on_delete() -> None:
    links = {(k.parent, k.child, k.label): k for k in graph_of(MODELS).links}
    author = links[("dg_person", "dg_book", "author / books")]
    assert (author.kind, author.optional, author.on_delete) == ("foreign_key", False, "CASCADE")
    assert links[("dg_person", "dg_book", "editor / edited")].optional
    assert links[("dg_person", "dg_passport", "person / passport")].kind == "one_to_one"
    assert links[("dg_country", "dg_person", "country / people")].on_delete == "SET NULL"
    # The junction's two keys are labelled with the many-to-many relation's two names.
    assert links[("dg_book", "dg_book_tags", "tags")].kind == "many_to_many"
    assert links[("dg_tag", "dg_book_tags", "books")].kind == "many_to_many"


def test_only_some_tables_and_an_unknown_table() -> None:
    text = diagram(MODELS, tables=["dg_book", "dg_person"])
    assert "dg_book {" in text and "dg_person {" in text and "dg_tag" not in text
    assert '"author / books (cascade)"' in text and "dg_country" not in text
    with pytest.raises(ConfigurationError, match=r"no table 'dg_nope'.*dg_book"):
        diagram(MODELS, tables=["dg_nope"])


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="unknown diagram format 'gif'"):
        draw(graph_of(MODELS), "gif")  # type: ignore[arg-type]


def test_cassandra_keys_static_columns_and_user_types() -> None:
    from tests.unit.cassandra.models import Reading

    text = diagram([Reading])
    lines = [line.strip() for line in text.splitlines()]
    assert 'text sensor PK "partition key 1"' in lines
    assert 'date day PK "partition key 2"' in lines
    assert 'datetime at PK "clustering key 1 desc; aware"' in lines
    assert 'int seq PK "clustering key 2 asc"' in lines
    assert 'text site "static; null"' in lines
    assert 'set tags "text"' in lines and 'map attrs "text, int"' in lines
    # Each user type is a box of its own, linked to the table and to the type using it.
    assert "address {" in lines and "geo {" in lines
    assert 'address ||..o{ reading : "home"' in lines
    assert 'geo ||..o{ address : "geo"' in lines


def need_dot() -> None:
    if shutil.which("dot") is None:
        message = "Graphviz's dot is not installed; install it with: bash scripts/graphviz.sh"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)


def test_svg_has_a_node_per_table_and_an_edge_per_link() -> None:
    need_dot()
    root = ET.fromstring(diagram(MODELS, format="svg"))
    ns = {"svg": "http://www.w3.org/2000/svg"}
    nodes = {g.findtext("svg:title", namespaces=ns) for g in root.iterfind(".//svg:g[@class='node']", ns)}
    assert nodes == {"dg_book", "dg_book_tags", "dg_country", "dg_passport", "dg_person", "dg_tag"}
    edges = root.findall(".//svg:g[@class='edge']", ns)
    assert len(edges) == len(graph_of(MODELS).links) == 6


def test_png_is_a_png() -> None:
    need_dot()
    png = draw(graph_of(MODELS), "png")
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_reflected_database(tmp_path: Path) -> None:
    """Drawn from the database instead of the models: the same tables and links, the
    junction found by its shape (two foreign keys and its own key)."""
    path = tmp_path / "drawn.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            for statement in _ddl():
                conn.exec_driver_sql(statement)
        metadata = sa.MetaData()
        metadata.reflect(engine)
        graph = graph_of(metadata=metadata)
    finally:
        engine.dispose()
    assert [b.name for b in graph.boxes] == sorted(b.name for b in graph_of(MODELS).boxes)
    kinds = {(k.parent, k.child, k.label): (k.kind, k.on_delete, k.optional) for k in graph.links}
    assert kinds[("dg_person", "dg_book", "author_id")] == ("foreign_key", "CASCADE", False)
    assert kinds[("dg_person", "dg_book", "editor_id")] == ("foreign_key", None, True)
    assert kinds[("dg_book", "dg_book_tags", "book_id")] == ("many_to_many", "CASCADE", False)
    assert len(graph.links) == len(graph_of(MODELS).links)
    book = next(b for b in graph.boxes if b.name == "dg_book")
    price = next(a for a in book.attributes if a.name == "price")
    assert (price.type, price.detail, price.nullable) == ("numeric", "numeric(8, 2)", False)
    country = next(b for b in graph.boxes if b.name == "dg_country")
    assert next(a for a in country.attributes if a.name == "name").keys == ("UK",)
    text = draw(graph)
    assert 'dg_person ||--o{ dg_book : "author_id (cascade)"' in text


def _ddl() -> list[str]:
    """The CREATE TABLE statements ormada would run for the fixture models on SQLite."""
    from sqlalchemy.schema import CreateTable

    from ormada._registry import info_of
    from ormada.backends._sql.metadata import build_metadata

    junction = info_of(Book).relations["tags"].through
    assert junction is not None
    metadata = build_metadata([info_of(m) for m in [*MODELS, junction]])
    dialect = sa.create_engine("sqlite://").dialect
    return [str(CreateTable(t).compile(dialect=dialect)) for t in metadata.sorted_tables]
