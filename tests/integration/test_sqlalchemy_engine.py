"""``sqlalchemy_engine()``: an SQLAlchemy engine (for Alembic and reflection) whose connections
the database's backend opens, with its settings, in DB-API's transaction handling; on every
backend, DuckDB saying it has none."""

from __future__ import annotations

import warnings

import pytest
import sqlalchemy as sa

import ormada
from ormada import NotSupported
from ormada.backends._sql.engine import sqlalchemy_engine
from tests.models import Author


async def test_an_engine_on_the_backend_s_own_connections(db: ormada.Database) -> None:
    if getattr(db.backend, "sqlalchemy_driver", None) is None:
        with pytest.raises(NotSupported, match=f"SQLAlchemy cannot run on ormada's connections to a "
                                               f"{db.url.backend} database"):
            sqlalchemy_engine(db.backend)
        return
    engine = sqlalchemy_engine(db.backend)
    assert "***" not in str(engine.url) and engine.url.password is None and engine.pool.__class__ is sa.pool.NullPool
    table = Author.__ormada__.table.name
    try:
        # The schema= of the URL is the search path: the tables are found without naming it.
        assert table in sa.inspect(engine).get_table_names()
        with engine.connect() as connection:
            connection.execute(sa.text(f"INSERT INTO {table} (name) VALUES (:name)"), {"name": "Rolled Back"})
            assert connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 1
            connection.rollback()  # nothing committed by itself: DB-API's transactions, as SQLAlchemy expects
        with engine.connect() as connection:
            connection.execute(sa.text(f"INSERT INTO {table} (name) VALUES (:name)"), {"name": "Committed"})
            connection.commit()
    finally:
        engine.dispose()
    assert [a.name for a in Author.all()] == ["Committed"]


def test_backends_without_sql_connections_say_so() -> None:
    with pytest.raises(NotSupported, match="cassandra database"):
        sqlalchemy_engine(ormada.Database("cassandra://127.0.0.1/ks", name="no_engine").backend)


def test_pgvector_columns_reflect_as_vectors(pgvector_database: str) -> None:
    """pgvector's type, unknown to SQLAlchemy, reflects as ormada's own (for inspect, diagram and
    autogenerate alike), without an "unrecognised type" warning."""
    from tests.conftest import PGV_HOST, PGV_PORT

    database = ormada.Database(f"postgresql://postgres@{PGV_HOST}:{PGV_PORT}/{pgvector_database}", name="vectors")
    engine = sqlalchemy_engine(database.backend)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
            connection.execute(sa.text("CREATE TABLE embedded (id int PRIMARY KEY, v vector(3))"))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            column = next(c for c in sa.inspect(engine).get_columns("embedded") if c["name"] == "v")
        assert type(column["type"]).__name__ == "PgVector" and column["type"].dimensions == 3
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS embedded"))
        engine.dispose()
        database.close()
