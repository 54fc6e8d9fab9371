"""The SQLAlchemy connection Alembic works on, and the lock that keeps two migrating
processes apart.

Alembic needs an SQLAlchemy ``Connection``; ormada runs its queries on the native drivers,
so the migrations get an engine of their own whose connections the database's backend
opens on the same sync driver (pysqlite, psycopg, PyMySQL), with its credentials, TLS and
session settings, and no pool: the connection (and with it any session lock) ends when the
migration does.

How each database is locked is data (:data:`DIALECTS`):

- SQLite: the whole run is one ``BEGIN IMMEDIATE`` transaction (the database file's write
  lock; a second process waits for it up to the busy timeout), each revision in a
  savepoint of its own;
- PostgreSQL: the whole run is one transaction holding ``pg_advisory_xact_lock``, each
  revision in a savepoint;
- MySQL/MariaDB: DDL commits by itself, so a transaction cannot hold anything: the
  connection takes the session lock ``GET_LOCK`` and each revision commits on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ormada.backends._sql.engine import sqlalchemy_engine
from ormada.errors import NotSupported
from ormada.migrations.base import MigrationError

if TYPE_CHECKING:
    from ormada.database import Database

# The name the lock is taken under; the database (and, on PostgreSQL, the schema) tell
# apart the projects that share a server.
LOCK_NAME = "ormada.migrate"


@dataclass(frozen=True, slots=True)
class Dialect:
    """How Alembic migrates one kind of database (the backend's ``sqlalchemy_driver`` drives it).

    Attributes:
        transactional: Whether DDL is transactional, so the whole run can be one locked
            transaction with a savepoint per revision (else each revision commits alone).
        batch: Whether autogenerate writes batch operations (SQLite's ALTER TABLE cannot
            change or drop most things, so batch mode copies the table).
    """

    transactional: bool
    batch: bool = False


DIALECTS: dict[str, Dialect] = {
    "sqlite": Dialect(transactional=True, batch=True),
    "postgresql": Dialect(transactional=True),
    "mysql": Dialect(transactional=False),
}

# What to use instead, for the SQL backends Alembic cannot drive.
INSTEAD = {
    "duckdb": "ormada's DuckDB dialect only compiles SQL: it cannot reflect a live DuckDB database, which Alembic's "
              "autogenerate and batch operations need. Create new tables with db.create_all() and change existing "
              "ones with ALTER TABLE through db.execute_script() (or `ormada sql`)",
}


def dialect_of(backend: str) -> Dialect:
    """The migration dialect of a backend.

    Raises:
        NotSupported: Alembic cannot drive that backend; the message says what to do instead.
    """
    dialect = DIALECTS.get(backend)
    if dialect is None:
        instead = INSTEAD.get(backend, "manage its schema with db.create_all()")
        raise NotSupported(f"SQL migrations (Alembic) do not support the {backend} backend: {instead}")
    return dialect


def engine_for(db: Database, lock_timeout: float) -> sa.Engine:
    """An engine with no pool on the connections ``db``'s backend opens (its credentials, TLS
    and session settings: strict SQL mode and UTC on MySQL, the ``schema=`` search path on
    PostgreSQL, so a data migration's model calls run as on ormada's own connections).

    Args:
        db: The database to migrate.
        lock_timeout: Seconds to wait for another process's migration lock (on SQLite, the
            database file's write lock, unless the URL sets ``timeout=``).

    Raises:
        NotSupported: the backend has no migrations, or the database is in memory.
    """
    url = db.url
    dialect_of(url.backend)
    if url.backend == "sqlite" and url.is_memory:
        raise NotSupported("an in-memory SQLite database lives only as long as its connection, so migrations "
                           "cannot be applied to it: use db.create_all(), or a file (sqlite:///app.db)")
    engine = sqlalchemy_engine(db.backend)
    if url.backend == "sqlite":
        sqlite_transactions(engine, None if "timeout" in url.query else lock_timeout)
    return engine


def sqlite_transactions(engine: sa.Engine, busy_timeout: float | None = None) -> None:
    """Makes pysqlite's transactions real: pysqlite would COMMIT before DDL and begin lazily,
    so neither the lock nor a rollback of a failed revision would hold (SQLAlchemy's
    documented recipe for pysqlite), and begins them with the write lock taken, waiting
    ``busy_timeout`` seconds for it when given."""

    @sa.event.listens_for(engine, "connect")
    def no_implicit_transactions(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        if busy_timeout is not None:
            dbapi_connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")

    @sa.event.listens_for(engine, "begin")
    def begin_immediately(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_key(url: Any) -> str:
    """What tells this database's migration lock from others on the same server."""
    return f"{LOCK_NAME}:{url.database}:{url.query.get('schema', '')}"


@contextmanager
def locked(connection: sa.Connection, url: Any, lock_timeout: float) -> Iterator[sa.RootTransaction | None]:
    """Holds the migration lock on ``connection`` for the block.

    Yields:
        The transaction the whole run happens in (commit it to keep what was applied), or
        None where each revision commits on its own (MySQL).

    Raises:
        MigrationError: another process held the lock for ``lock_timeout`` seconds.
    """
    key = lock_key(url)
    if url.backend == "mysql":
        # GET_LOCK's name is at most 64 characters.
        name = "ormada_" + hashlib.sha256(key.encode()).hexdigest()[:40]
        got = connection.execute(sa.text("SELECT GET_LOCK(:name, :timeout)"),
                                 {"name": name, "timeout": int(lock_timeout)}).scalar()
        connection.commit()
        if got != 1:
            raise MigrationError(f"another process held the migration lock of {url} for {lock_timeout:g}s")
        try:
            yield None
        finally:
            connection.rollback()
            connection.execute(sa.text("SELECT RELEASE_LOCK(:name)"), {"name": name})
            connection.commit()
        return
    try:
        transaction = connection.begin()  # SQLite: BEGIN IMMEDIATE, waiting for the file's write lock
        if url.backend == "postgresql":
            number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(lock_timeout * 1000)}ms'")
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})
            connection.exec_driver_sql("SET LOCAL lock_timeout = 0")  # the lock is ours: migrations may wait
    except sa.exc.OperationalError as exc:
        connection.rollback()
        raise MigrationError(f"another process held the migration lock of {url} for {lock_timeout:g}s "
                             f"({exc.orig})") from exc
    try:
        yield transaction
    except BaseException:
        if transaction.is_active:
            transaction.rollback()
        raise
    else:
        if transaction.is_active:
            transaction.commit()
