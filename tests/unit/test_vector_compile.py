"""What ``nearest()`` compiles to on SQLite and PostgreSQL (text and parameters), the DDL of
vector columns and indexes, and what a backend without vector search refuses; no database
is opened."""

from __future__ import annotations

from typing import Annotated

import pytest

import ormada
from ormada import Model, NotSupported, PrimaryKey, Vector, VectorIndex
from ormada._vectors import pack_float32

from .helpers import assert_compiles
from .models import POSTGRES, SQLITE

MYSQL = "unit_vector_mysql"
ormada.connect("mysql://root@127.0.0.1:3306/unit", name=MYSQL)


class SqliteDoc(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    lang: str
    embedding: Annotated[list[float] | None, Vector(2)] = None

    class Meta:
        table = "docs"
        database = SQLITE
        indexes = [VectorIndex("embedding", metric="cosine", m=16)]


class PgDoc(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    lang: str
    embedding: Annotated[list[float] | None, Vector(2)] = None

    class Meta:
        table = "docs"
        database = POSTGRES
        indexes = [VectorIndex("embedding", metric="cosine", m=16)]


class MyDoc(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    embedding: Annotated[list[float] | None, Vector(2)] = None

    class Meta:
        table = "docs"
        database = MYSQL


def test_sqlite_orders_by_the_registered_exact_distance() -> None:
    assert_compiles(
        SqliteDoc.filter(lang="en").nearest("embedding", [1, 0.5], metric="l2")[:3],
        "SELECT docs.id, docs.lang, docs.embedding, ormada_l2_distance(docs.embedding, ?) AS ormada_distance "
        "FROM docs WHERE docs.lang = ? AND docs.embedding IS NOT NULL ORDER BY ormada_distance ASC NULLS LAST "
        "LIMIT ? OFFSET ?",
        [pack_float32([1.0, 0.5]), "en", 3, 0])


@pytest.mark.parametrize(("metric", "operator"), [("cosine", "<=>"), ("l2", "<->"), ("inner", "<#>")])
def test_postgresql_orders_by_the_pgvector_operator(metric: str, operator: str) -> None:
    assert_compiles(
        PgDoc.filter(lang="en").nearest("embedding", [1, 0.5], metric=metric, distance=None).order_by("-id")[:3],
        "SELECT docs.id, docs.lang, docs.embedding FROM docs WHERE docs.lang = $1::VARCHAR AND docs.embedding IS "
        f"NOT NULL ORDER BY (docs.embedding {operator} $2::vector(2)) ASC NULLS LAST, docs.id DESC LIMIT $3::INTEGER",
        ["en", "[1.0,0.5]", 3])


def test_a_count_without_a_window_counts_the_rows_that_have_a_vector_and_binds_no_vector() -> None:
    backend = ormada.get_database(POSTGRES).backend
    statement = backend.count(PgDoc.__ormada__, PgDoc.nearest("embedding", [1.0, 0.0]).state)
    assert "IS NOT NULL" in statement.text and "<=>" not in statement.text and list(statement.params) == []
    windowed = backend.count(PgDoc.__ormada__, PgDoc.nearest("embedding", [1.0, 0.0])[:5].state)
    assert "<=>" in windowed.text and "ormada_distance" not in windowed.text
    assert list(windowed.params) == ["[1.0,0.0]", 5]


def test_a_sliced_delete_picks_its_keys_by_distance() -> None:
    backend = ormada.get_database(POSTGRES).backend
    statement = backend.delete(PgDoc.__ormada__, PgDoc.nearest("embedding", [1.0, 0.0])[:2].state)
    assert "docs.id IN (SELECT" in statement.text and "<=> $1::vector(2)" in statement.text
    assert "ormada_distance" not in statement.text


def test_vector_columns_and_indexes_in_the_ddl() -> None:
    pg = [s.text for s in ormada.get_database(POSTGRES).backend.create_tables([PgDoc.__ormada__])]
    assert pg[0] == "CREATE EXTENSION IF NOT EXISTS vector"
    assert "embedding vector(2)" in pg[1]
    assert pg[2] == ("CREATE INDEX IF NOT EXISTS ix_docs_embedding ON docs USING hnsw (embedding vector_cosine_ops) "
                     "WITH (m = 16)")
    lite = [s.text for s in ormada.get_database(SQLITE).backend.create_tables([SqliteDoc.__ormada__])]
    assert len(lite) == 1 and "embedding BLOB" in lite[0]  # no vector index on SQLite


def test_mysql_refuses_nearest_naming_the_alternatives() -> None:
    with pytest.raises(NotSupported, match=r"MyDoc\.nearest\('embedding'\): mysql has no vector search \(MariaDB "
                                           r"10\.11 has no vector type\); use PostgreSQL with pgvector"):
        MyDoc.nearest("embedding", [1.0, 0.0])[:3].statement()
