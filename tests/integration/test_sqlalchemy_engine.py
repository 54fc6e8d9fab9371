"""``sqlalchemy_engine()``: an SQLAlchemy engine (for Alembic and reflection) whose connections
the database's backend opens, with its settings, in DB-API's transaction handling; on every
backend, DuckDB saying it has none."""

from __future__ import annotations

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
