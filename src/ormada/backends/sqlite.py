"""SQLite: sqlite3 for sync, aiosqlite for async; the embedded default."""

from __future__ import annotations

import itertools
import os
import sqlite3
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import aiosqlite
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as sqlite_dialect

from ormada.backends._options import positive_number, read_options, whole_number
from ormada.backends._pool import DEFAULT_ACQUIRE_TIMEOUT, SimpleAsyncPool, SimpleSyncPool
from ormada.backends._sql import codecs
from ormada.backends._sql.backend import SqlBackend
from ormada.backends._sql.dialect_transforms import SqliteTransforms
from ormada.backends._sql.vectors import register_sqlite_functions, sqlite_distance
from ormada.backends._sql.where import Binds
from ormada.backends._sqlite_io import AsyncSqliteConnection, BorrowedSqliteConnection, SqliteConnection
from ormada.backends.base import AsyncConnection, Capabilities, Encoder, SyncConnection
from ormada.errors import ConnectionFailed, DataError, NotSupported
from ormada.schema import ColumnSchema, Kind

if TYPE_CHECKING:
    from ormada._info import ModelInfo
    from ormada._url import DatabaseURL

_memory_ids = itertools.count()


_ABOVE_UTF8: sa.ColumnClause[Any] = sa.literal_column("CAST(x'F5' AS TEXT)")


SQLITE_DECIMAL_DIGITS = 15


def decimal_encoder(model: str, field: str) -> Encoder:
    """Binds a Decimal as text, refusing one that SQLite's NUMERIC (an 8-byte float
    past 15 significant digits) would silently round."""

    def encode(value: Decimal) -> str:
        text = str(value)
        # Every significant digit is a character of the text, so a short text needs no
        # count (as_tuple() was a third of a wide bulk insert's encoding time).
        if len(text) > SQLITE_DECIMAL_DIGITS and (digits := len(value.as_tuple().digits)) > SQLITE_DECIMAL_DIGITS:
            raise DataError(
                f"{model}.{field}: {value} has {digits} significant digits; SQLite keeps "
                f"{SQLITE_DECIMAL_DIGITS}. Store it as text with DbType('TEXT'), or use PostgreSQL"
            )
        return text

    return encode


class SqliteBackend(SqlBackend):
    """SQLite through sqlite3 (sync) and aiosqlite (async)."""

    name = "sqlite"
    sqlalchemy_driver = "sqlite+pysqlite"
    version_query = "SELECT sqlite_version()"
    # Bound parameters per statement: 32,766 from SQLite 3.32, 999 before it.
    supports = Capabilities(server_side_cursors=False, max_params=32_000 if sqlite3.sqlite_version_info >= (3, 32, 0)
                            else 999, extra={
        # FILTER (WHERE …) on aggregates came in SQLite 3.30; before it, CASE WHEN.
        "aggregate_filter": sqlite3.sqlite_version_info >= (3, 30, 0),
        # Decimals are stored as floats: sum them exactly, as whole units of their last place when
        # their declared digits fit a double, else in Python (backends/_sql/aggregates.py).
        "decimal_text_sum": True,
        "decimal_units_digits": SQLITE_DECIMAL_DIGITS,
        "variance": False,  # no var_pop/stddev_pop
        "row_locks_instead": "SQLite locks the whole database, never single rows. ormada's transaction() on SQLite "
                             "begins with BEGIN IMMEDIATE, which takes the database's write lock at once: read the "
                             "rows inside `with db.transaction():` (or `async with db.atransaction():`) and no other "
                             "writer can change them before the block ends",
        "vector_search": "exact",  # distances computed by functions each connection registers
        # Expressions (backends/_sql/expressions.py): decimals compute as floats; max()/min() of
        # several arguments are GREATEST/LEAST; dates and times are texts (CAST AS DATE is a number).
        "decimal_as_float": True,
        "functions": {"greatest": "max", "least": "min"},
        "cast_as_text": frozenset((Kind.DATE, Kind.DATETIME, Kind.TIME, Kind.UUID, Kind.TIMEUUID)),
    })
    begin_statement = "BEGIN IMMEDIATE"  # take the write lock up front: no deadlock on lock upgrade
    encoders = codecs.SQLITE_ENCODERS
    decoders = codecs.SQLITE_DECODERS
    bounds = codecs.SQLITE_BOUNDS
    explain_prefix = "EXPLAIN QUERY PLAN "
    transforms = SqliteTransforms()

    def __init__(self, url: DatabaseURL) -> None:
        super().__init__(url)
        if url.is_memory:
            # A shared-cache URI lets the sync and async connections see one database;
            # the anchor connection keeps it alive while pools come and go.
            self.path = f"file:ormada-memory-{os.getpid()}-{next(_memory_ids)}?mode=memory&cache=shared"
            self.uri = True
        else:
            self.path = url.database or ""
            self.uri = self.path.startswith("file:")
        self._anchor: sqlite3.Connection | None = None
        options = read_options(url, {"pool_size": whole_number, "pool_timeout": positive_number,
                                     "timeout": positive_number})
        self.pool_size: int = options.get("pool_size", 1 if url.is_memory else 5)
        self.pool_timeout: float = options.get("pool_timeout", DEFAULT_ACQUIRE_TIMEOUT)
        self.timeout: float = options.get("timeout", 10.0)  # seconds to wait for another writer's lock

    def make_dialect(self) -> sa.Dialect:
        return sqlite_dialect.dialect(paramstyle="qmark")

    def encoder(self, info: ModelInfo, column: ColumnSchema) -> Encoder | None:
        if column.type.kind is Kind.DECIMAL and column.type.db_type is None:
            return decimal_encoder(info.name, column.name)
        return super().encoder(info, column)

    def dialect_insert(self, table: sa.Table) -> Any:
        return sqlite_dialect.insert(table)

    def expression_constant(self, info: ModelInfo, field: str, value: Any) -> Any:
        # sqlite3 binds no Decimal; as text, SQLite's arithmetic reads it as a number.
        if isinstance(value, Decimal):
            return decimal_encoder(info.name, field)(value)
        return value

    # No LIKE or GLOB: SQLite refuses patterns past 50,000 bytes ("pattern too complex")
    # and cuts them at a NUL byte, and its LIKE ignores ASCII case. The value is bound
    # as it is, and the i… lookups fold case with lower(), which is ASCII-only like LIKE.
    def text_pattern(self, op: str, value: str) -> str:
        return value

    def text_match(self, column: sa.ColumnElement[Any], op: str, pattern: sa.BindParameter[Any]) -> Any:
        folded = op.startswith("i")
        text: Any = sa.func.lower(column) if folded else column
        value: Any = sa.func.lower(pattern) if folded else pattern
        match op.removeprefix("i"):
            case "contains":
                return sa.func.instr(text, value) > sa.literal_column("0")
            case "startswith":
                # A range, so an index on the column serves it: the strings that start with
                # the value sort from it up to it followed by 0xF5, a byte UTF-8 never holds.
                return sa.and_(text >= value, text < value.concat(_ABOVE_UTF8))
            case _:  # endswith, compared as bytes: length() of text stops at a NUL
                whole, tail = sa.cast(text, sa.LargeBinary), sa.cast(value, sa.LargeBinary)
                start = sa.func.length(whole) - sa.func.length(tail) + sa.literal_column("1")
                return sa.func.substr(whole, start) == tail

    def collection_item(self, info: ModelInfo, field: str, op: str, value: Any) -> Any:
        column = info.table.by_name[field]
        if op == "json_contains" and isinstance(value, (dict, list)):
            raise NotSupported(
                f"{info.name}.{field}__contains with a {type(value).__name__} needs JSON containment, which "
                "SQLite lacks; filter on a scalar item, or use PostgreSQL (JSONB @>)"
            )
        if op == "contains_key":
            return str(value)
        items = column.type.items
        item_type = items[-1].python_type if items else Any  # a map's values, a list's items
        return codecs.json_adapter(item_type).dump_python(value, mode="json")

    def collection_match(self, column: sa.ColumnElement[Any], op: str, binds: Binds, kind: str) -> Any:
        each = sa.func.json_each(column).table_valued("key", "value")
        target = each.c.key if op == "contains_key" else each.c.value
        return sa.exists(sa.select(sa.literal_column("1")).select_from(each).where(target == binds()))

    def vector_distance(self, info: ModelInfo, field: str, column: sa.ColumnElement[Any], metric: str,
                        binds: Binds) -> Any:
        return sqlite_distance(column, metric, binds)  # type: ignore[arg-type]

    # -- connections -----------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(self.path, uri=self.uri, timeout=self.timeout,
                                         isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise ConnectionFailed(f"could not open {self.url}: {exc}") from exc
        self._configure(connection.execute)
        register_sqlite_functions(connection.create_function)
        return connection

    def _configure(self, execute: Any) -> None:
        execute("PRAGMA foreign_keys = ON")
        if not self.url.is_memory:
            execute("PRAGMA journal_mode = WAL")
            execute("PRAGMA synchronous = NORMAL")

    def dbapi_connection(self) -> sqlite3.Connection:
        """A new sqlite3 connection to the database file (or to this backend's in-memory
        database), waiting up to ``timeout`` for another writer's lock, in sqlite3's own
        transaction handling, and with foreign keys left as SQLite has them (off): Alembic's
        batch operations copy a table and drop the old one, which enforced keys would refuse,
        or cascade into the rows that refer to it.
        """
        self.anchor()
        try:
            return sqlite3.connect(self.path, uri=self.uri, timeout=self.timeout, check_same_thread=False)
        except sqlite3.Error as exc:
            raise ConnectionFailed(f"could not open {self.url}: {exc}") from exc

    def anchor(self) -> None:
        """Opens the connection that keeps an in-memory database alive."""
        if self.url.is_memory and self._anchor is None:
            self._anchor = self._open()

    def close_anchor(self) -> None:
        """Closes the in-memory anchor: the database is gone afterwards."""
        if self._anchor is not None:
            self._anchor.close()
            self._anchor = None

    def sync_pool(self) -> SimpleSyncPool:
        self.anchor()
        return SimpleSyncPool(lambda: SqliteConnection(self._open()), self.pool_size, str(self.url), self.pool_timeout)

    def borrowed(self, driver_connection: Any) -> SyncConnection:
        if not isinstance(driver_connection, sqlite3.Connection) or driver_connection.isolation_level is not None:
            # sqlite3's own transaction handling would COMMIT before DDL behind its owner's back.
            raise NotSupported("ormada runs on a sqlite3 connection of someone else's only in autocommit mode "
                               "(isolation_level=None), where the owner issues BEGIN and COMMIT itself")
        register_sqlite_functions(driver_connection.create_function)  # what ormada's own connections have
        return BorrowedSqliteConnection(driver_connection)

    def async_pool(self) -> SimpleAsyncPool:
        self.anchor()
        busy_timeout_ms = int(self.timeout * 1000)

        async def connect() -> AsyncConnection:
            try:
                # No busy wait on the connection itself: statements run inline on the
                # event loop must never sleep there; the worker thread waits instead.
                pending = aiosqlite.connect(self.path, uri=self.uri, timeout=0,
                                            isolation_level=None, check_same_thread=False)
                # A daemon worker: a forgotten aclose() must not keep the process alive at exit.
                worker = getattr(pending, "_thread", None)
                if worker is not None:
                    worker.daemon = True
                connection = await pending
            except sqlite3.Error as exc:
                raise ConnectionFailed(f"could not open {self.url}: {exc}") from exc
            try:
                # These run on the worker thread, which may wait for a lock: a connection
                # closing just before (the last one of a pool checkpoints the WAL file)
                # holds one for a moment, and without the wait this open failed.
                await connection.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
                for pragma in ("PRAGMA foreign_keys = ON",) + (() if self.url.is_memory else (
                        "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL")):
                    await connection.execute(pragma)
                await connection.execute("PRAGMA busy_timeout = 0")
                register_sqlite_functions(connection._conn.create_function)  # the worker is idle: no race
            except sqlite3.Error as exc:
                await connection.close()
                raise ConnectionFailed(f"could not set up a connection to {self.url}: {exc}") from exc
            return AsyncSqliteConnection(connection, self.timeout)

        def abandon(connection: AsyncConnection) -> None:
            if isinstance(connection, AsyncSqliteConnection):
                close_without_loop(connection.connection, self.timeout)

        return SimpleAsyncPool(connect, self.pool_size, str(self.url), self.pool_timeout, abandon=abandon)


def close_without_loop(connection: aiosqlite.Connection, timeout: float) -> None:
    """Closes an aiosqlite connection on its worker thread and waits until it is closed.

    Not aiosqlite's ``stop()``: it makes a future on whatever event loop is current,
    and when that loop is closed the worker thread dies on reporting the result. The
    wait makes the next open reliable: closing a pool's last connection to a WAL
    database takes a lock to checkpoint it.
    """
    connection._running = False

    def close_and_stop() -> object:
        raw, connection._connection = connection._connection, None
        if raw is not None:
            raw.close()
        return aiosqlite.core._STOP_RUNNING_SENTINEL

    connection._tx.put_nowait((None, close_and_stop))
    worker = getattr(connection, "_thread", None)
    if worker is not None and worker.is_alive():
        worker.join(timeout)
