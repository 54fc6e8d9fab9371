"""An SQLAlchemy engine on the connections a backend opens, for the code that needs one
(Alembic's migrations, reflection by ``ormada inspect`` and ``ormada diagram``).

SQLAlchemy never sees the URL: each connection comes from the backend's
:meth:`~ormada.backends._sql.backend.SqlBackend.dbapi_connection`, so it has the password
from ``password=`` (a callable asked again for each connection) or ``password_file=``, the
TLS options and the session settings of ormada's own connections, and no password ever
reaches SQLAlchemy's URL, its logs or its errors.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ormada.backends._sql.backend import SqlBackend
from ormada.backends._sql.tables import PgVector
from ormada.backends.base import Backend
from ormada.errors import NotSupported


def sqlalchemy_engine(backend: Backend, **engine_kwargs: Any) -> sa.Engine:
    """An engine whose connections the backend opens, with no pool: each ``connect()`` is a new
    connection, closed with it.

    Args:
        backend: The database's backend (``db.backend``).
        **engine_kwargs: More arguments for ``sqlalchemy.create_engine`` (``echo``, ``isolation_level``…).

    Raises:
        NotSupported: SQLAlchemy cannot drive the backend's sync driver (DuckDB, Cassandra).
    """
    if not isinstance(backend, SqlBackend) or backend.sqlalchemy_driver is None:
        raise NotSupported(f"SQLAlchemy cannot run on ormada's connections to a {backend.name} database")
    engine = sa.create_engine(f"{backend.sqlalchemy_driver}://", creator=backend.dbapi_connection,
                              poolclass=sa.pool.NullPool, **engine_kwargs)
    if engine.dialect.name == "postgresql":
        # pgvector's type, which SQLAlchemy does not know: reflected (by inspect, diagram and
        # Alembic's autogenerate) as ormada's own.
        dialect: Any = engine.dialect
        dialect.ischema_names = {**dialect.ischema_names, "vector": PgVector}
    return engine
