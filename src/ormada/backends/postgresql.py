"""PostgreSQL: psycopg 3 for sync, asyncpg for async.

Both run the same compiled text: SQLAlchemy's asyncpg dialect renders ``$n``
placeholders with explicit casts, which asyncpg prepares and psycopg's
``RawCursor`` sends unchanged. Both drivers are set up to agree on values: JSON
arrives as text and timestamps in UTC.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect

from ormada.backends._options import positive_number, read_options, text, whole_number
from ormada.backends._pool import DEFAULT_ACQUIRE_TIMEOUT, SimpleAsyncPool, SimpleSyncPool
from ormada.backends._privileges import permission_denied
from ormada.backends._sql import codecs
from ormada.backends._sql.backend import SqlBackend
from ormada.backends._sql.dialect_transforms import PostgresTransforms
from ormada.backends._sql.vectors import pg_distance
from ormada.backends._sql.where import Binds
from ormada.backends._tls import TLS_OPTIONS, connect_error, tls_settings
from ormada.backends.base import (
    AsyncConnection,
    Capabilities,
    RawRows,
    Statement,
    SyncConnection,
    several_statements,
)
from ormada.errors import (
    ConfigurationError,
    ConnectionFailed,
    DatabaseError,
    DataError,
    IntegrityError,
    LockNotAvailable,
    NotSupported,
    OrmadaError,
    TransactionError,
)
from ormada.schema import Kind

if TYPE_CHECKING:
    import asyncpg
    import psycopg

    from ormada._info import ModelInfo
    from ormada._url import DatabaseURL

# Above this many columns, several rows are inserted as pipelined single-row INSERTs
# instead of one array per column (see PostgresBackend.insert).
ARRAY_INSERT_MAX_COLUMNS = 12

# Reads of the input waiting on an idle psycopg connection before deciding whether
# the server ended the session or only sent a notice.
READS_FOR_GOODBYE = 4


def _drivers_missing(exc: ImportError) -> ConfigurationError:
    return ConfigurationError(f"PostgreSQL needs its drivers: pip install 'ormada[postgresql]' ({exc})")


class PostgresBackend(SqlBackend):
    """PostgreSQL (and Postgres-wire engines such as CockroachDB, YugabyteDB, Citus)."""

    name = "postgresql"
    sqlalchemy_driver = "postgresql+psycopg"
    version_query = "SELECT current_setting('server_version')"
    # For cursor pages: NULL sorts above every value (last ascending, first descending), and
    # a row comparison (a, b) > (x, y) is read as a range of a composite index (the planner
    # does not make one of the OR expansion; MariaDB does, and SQLite is slower with both).
    supports = Capabilities(server_side_cursors=True, max_params=32_000, row_locks=True, lock_of=True,
                            distinct_on=True, extra={
                                "nulls_high": True, "row_range": True,
                                # A failed statement leaves the transaction refusing all others.
                                "error_aborts_transaction": True,
                                # "FOR UPDATE cannot be applied to the nullable side of an outer join"
                                "no_locks_on_outer_joins": True,
                                "vector_search": "pgvector", "vector_indexes": True,
                            })
    encoders = codecs.POSTGRES_ENCODERS
    decoders = codecs.POSTGRES_DECODERS
    transforms = PostgresTransforms()

    def __init__(self, url: DatabaseURL) -> None:
        super().__init__(url)
        options = read_options(url, {"pool_size": whole_number, "pool_timeout": positive_number, "schema": text,
                                     "connect_timeout": positive_number, "application_name": text, **TLS_OPTIONS})
        self.tls = tls_settings(options, str(url))
        self.pool_size: int = options.get("pool_size", 10)
        self.pool_timeout: float = options.get("pool_timeout", DEFAULT_ACQUIRE_TIMEOUT)
        self.schema: str | None = options.get("schema")
        self.connect_timeout: float = options.get("connect_timeout", 10.0)
        self.application_name: str | None = options.get("application_name")

    def make_dialect(self) -> sa.Dialect:
        return asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]

    def dialect_insert(self, table: sa.Table) -> Any:
        return pg_dialect.insert(table)

    def collection_item(self, info: ModelInfo, field: str, op: str, value: Any) -> Any:
        column = info.table.by_name[field]
        if op == "json_contains":
            return codecs.json_text(Any, value)
        if op == "contains_key":
            return str(value)
        items = column.type.items
        item_type = items[-1].python_type if items else Any
        if column.type.kind is Kind.MAP:
            return codecs.json_text(item_type, value)
        return codecs.json_text(list[item_type], [value])  # type: ignore[valid-type]

    def collection_match(self, column: sa.ColumnElement[Any], op: str, binds: Binds, kind: str) -> Any:
        if op == "contains_key":
            return sa.func.jsonb_exists(column, binds(sa.String()))
        if kind == Kind.MAP.value:  # a value among the map's values
            each = sa.func.jsonb_each(column).table_valued("key", "value")
            return sa.exists(sa.select(sa.literal_column("1")).select_from(each)
                             .where(each.c.value == binds(pg_dialect.JSONB())))
        return column.op("@>", is_comparison=True)(binds(pg_dialect.JSONB()))

    def vector_distance(self, info: ModelInfo, field: str, column: sa.ColumnElement[Any], metric: str,
                        binds: Binds) -> Any:
        return pg_distance(column, metric, info.table.by_name[field].type.dimensions, binds)

    def create_tables(self, infos: Sequence[ModelInfo], known: Sequence[ModelInfo] = (),
                      metadata: sa.MetaData | None = None) -> list[Statement]:
        statements = super().create_tables(infos, known, metadata)
        if any(c.type.kind is Kind.VECTOR and c.type.db_type is None for info in infos for c in info.table.columns):
            # pgvector's type, operators and index methods; in the first schema of the search path.
            statements.insert(0, Statement("CREATE EXTENSION IF NOT EXISTS vector", (), "none"))
        return statements

    def insert(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
               returning: tuple[str, ...] = (), options: Mapping[str, Any] | None = None) -> Statement:
        # Multi-row VALUES statements spend most of their time being parsed (2,000 rows of a
        # 31-column table), so several rows go either as one array per column or as one
        # single-row INSERT per row, pipelined by the driver. Measured on 3,000 rows, both
        # drivers: arrays win up to about a dozen columns (4 columns: 7.7 ms against 14.2 on
        # asyncpg), the pipeline beyond (31 columns: 42 ms against 75 on psycopg), as both
        # drivers check every array element one by one.
        if len(rows) > 1 and columns and not options:
            if len(columns) <= ARRAY_INSERT_MAX_COLUMNS:
                return self.compiler.insert_columns(info, columns, rows, returning, pg_dialect.ARRAY)
            return self.compiler.insert_each(info, columns, rows, returning)
        return super().insert(info, columns, rows, returning, options)

    # -- connections -----------------------------------------------------
    def _settings(self) -> dict[str, str]:
        settings = {"timezone": "UTC"}
        if self.application_name:
            settings["application_name"] = self.application_name
        if self.schema:
            settings["search_path"] = self.schema
        return settings

    def _connect_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "host": self.url.host or "localhost",
            "port": self.url.port or 5432,
            "user": self.url.username,
            "password": self.url.current_password(),  # asked for each connection: tokens expire
            "dbname": self.url.database,
        }
        return {k: v for k, v in kwargs.items() if v is not None}

    def _libpq_tls(self) -> dict[str, Any]:
        """libpq's own TLS keywords, for psycopg: libpq checks the chain and the host name itself."""
        tls = self.tls
        if tls.mode is None:
            return {}
        kwargs: dict[str, Any] = {"sslmode": tls.mode}
        if tls.ca is not None:
            kwargs["sslrootcert"] = tls.ca
        elif tls.verifies:
            # Without a file libpq looks for ~/.postgresql/root.crt; from libpq 16 "system" means the system's CAs.
            from psycopg import pq

            if pq.version() >= 160000:
                kwargs["sslrootcert"] = "system"
        if tls.cert is not None:
            kwargs["sslcert"] = tls.cert
        if tls.key is not None:
            kwargs["sslkey"] = tls.key
        return kwargs

    def _asyncpg_tls(self) -> Any:
        """asyncpg's ``ssl`` argument: a context when TLS is required, else the mode's name."""
        tls = self.tls
        if tls.mode is None:
            return None
        return tls.context(str(self.url)) if tls.encrypted else tls.mode

    def _psycopg_connect(self, *, autocommit: bool, raw: bool) -> psycopg.Connection[Any]:
        """A new psycopg connection with the URL's credentials, TLS and session settings.

        Args:
            autocommit: Whether each statement commits on its own (ormada's pools) or a
                transaction begins with the first one (DB-API's way, which SQLAlchemy expects).
            raw: Whether it takes ormada's ``$n`` text with its adapters (ormada's pools), or
                psycopg's own cursors and adapters (SQLAlchemy's dialect brings its own).

        Raises:
            ConnectionFailed: the server cannot be reached or refused the login (naming the URL,
                never the password).
        """
        try:
            import psycopg
        except ImportError as exc:
            raise _drivers_missing(exc) from exc
        settings = self._settings()
        # libpq's options string splits on spaces; the application name goes as its own keyword.
        name: dict[str, Any] = ({"application_name": settings.pop("application_name")}
                                if "application_name" in settings else {})
        options = " ".join(f"-c {k}={_libpq_escaped(v)}" for k, v in settings.items())
        cursors: dict[str, Any] = {"cursor_factory": psycopg.RawCursor} if raw else {}
        try:
            connection = psycopg.connect(
                autocommit=autocommit, options=options, connect_timeout=max(1, int(self.connect_timeout)),
                **cursors, **self._connect_kwargs(), **name, **self._libpq_tls(),
            )
        except psycopg.Error as exc:
            raise ConnectionFailed(connect_error(str(self.url), exc, _first_line(exc))) from None
        if raw:
            ormada_adapters(connection.adapters)
        return connection

    def dbapi_connection(self) -> psycopg.Connection[Any]:
        return self._psycopg_connect(autocommit=False, raw=False)

    def sync_pool(self) -> SimpleSyncPool:
        def open_connection() -> psycopg.Connection[Any]:
            return self._psycopg_connect(autocommit=True, raw=True)

        def connect() -> SyncConnection:
            return PsycopgConnection(open_connection(), open_connection, str(self.url))

        return SimpleSyncPool(connect, self.pool_size, str(self.url), self.pool_timeout)

    def borrowed(self, driver_connection: Any) -> SyncConnection:
        try:
            import psycopg
        except ImportError as exc:
            raise _drivers_missing(exc) from exc
        if not isinstance(driver_connection, psycopg.Connection):
            raise NotSupported(f"ormada runs on a borrowed PostgreSQL connection of psycopg 3 only, not on a "
                               f"{type(driver_connection).__module__}.{type(driver_connection).__name__}")
        return BorrowedPsycopgConnection(driver_connection, str(self.url))

    def async_pool(self) -> SimpleAsyncPool:
        try:
            import asyncpg
        except ImportError as exc:
            raise _drivers_missing(exc) from exc
        ssl_argument = self._asyncpg_tls()  # one context for the pool: it holds no per-connection state
        tls: dict[str, Any] = {} if ssl_argument is None else {"ssl": ssl_argument}

        async def open_connection() -> asyncpg.Connection:
            kwargs = self._connect_kwargs()
            kwargs["database"] = kwargs.pop("dbname", None)
            try:
                return await asyncpg.connect(server_settings=self._settings(), timeout=self.connect_timeout,
                                             **kwargs, **tls)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError,
                    asyncpg.InternalClientError) as exc:
                raise ConnectionFailed(connect_error(str(self.url), exc, _first_line(exc))) from None

        async def connect() -> AsyncConnection:
            return AsyncpgConnection(await open_connection(), open_connection, str(self.url))

        return SimpleAsyncPool(connect, self.pool_size, str(self.url), self.pool_timeout,
                               abandon=_abandon_asyncpg)


def _libpq_escaped(value: str) -> str:
    """A setting's value for libpq's ``options``, which splits at spaces: a backslash keeps one inside."""
    return value.replace("\\", "\\\\").replace(" ", "\\ ")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


MULTIPLE_COMMANDS = "cannot insert multiple commands into a prepared statement"


def _aborted(statement: Statement) -> TransactionError:
    return TransactionError(
        "this transaction was aborted by an earlier error inside it, so PostgreSQL refuses every further "
        "statement until the block ends (SQLite would go on); wrap the statement that may fail in a nested "
        f"transaction() (a savepoint) and catch the error outside it (in: {statement.text})"
    )


def map_psycopg_error(exc: Exception, statement: Statement) -> OrmadaError:
    """The ormada error for a psycopg error raised by ``statement``."""
    import psycopg

    message = f"{_first_line(exc)} (in: {statement.text})"
    if isinstance(exc, psycopg.errors.InFailedSqlTransaction):
        return _aborted(statement)
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):  # SQLSTATE 42501
        return permission_denied(statement.text, _first_line(exc))
    if isinstance(exc, psycopg.errors.IntegrityError):
        return IntegrityError(message)
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return LockNotAvailable(message)
    if isinstance(exc, psycopg.errors.DataError):
        return DataError(message)
    if MULTIPLE_COMMANDS in message:
        return several_statements(statement)
    return DatabaseError(message)


def map_asyncpg_error(exc: Exception, statement: Statement) -> OrmadaError:
    """The ormada error for an asyncpg error (server or client side) raised by ``statement``."""
    import asyncpg

    message = f"{_first_line(exc)} (in: {statement.text})"
    if isinstance(exc, asyncpg.InFailedSQLTransactionError):
        return _aborted(statement)
    if isinstance(exc, asyncpg.InsufficientPrivilegeError):  # SQLSTATE 42501
        return permission_denied(statement.text, _first_line(exc))
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return IntegrityError(message)
    if isinstance(exc, asyncpg.LockNotAvailableError):
        return LockNotAvailable(message)
    if isinstance(exc, (asyncpg.DataError, asyncpg.exceptions.DataError)):
        return DataError(message)
    if MULTIPLE_COMMANDS in message:
        return several_statements(statement)
    return DatabaseError(message)


def _lost(describe: str, exc: BaseException, statement: Statement) -> ConnectionFailed:
    return ConnectionFailed(
        f"lost the connection to {describe} while running a statement ({_first_line(exc)}); it may or may "
        f"not have been applied, so it was not retried, and an open transaction was rolled back by the "
        f"server (in: {statement.text})"
    )


def _lost_in_transaction(describe: str, statement: Statement) -> ConnectionFailed:
    return ConnectionFailed(
        f"lost the connection to {describe} inside a transaction (the server ended the session, or it "
        f"failed earlier); the server rolled the transaction back and nothing was retried: run the "
        f"transaction again (in: {statement.text})"
    )


def _waiting_input(fd: int) -> Callable[[], bool]:
    """Whether anything has arrived on an idle connection's socket, asked without a round trip.

    Between statements the server sends nothing unless it is ending the session (its
    FATAL message, then end of file, after a restart or ``pg_terminate_backend``), so
    this tells, before a statement is sent, that it would be lost.
    """
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)  # hang-ups and errors are always reported too
        return lambda: bool(poller.poll(0))
    return lambda: bool(select.select([fd], [], [], 0)[0])


class PsycopgConnection(SyncConnection):
    """A psycopg connection in autocommit mode, sending ``$n`` statements as they are.

    A connection whose session the server ended while it was idle is found before a
    statement is sent; outside a transaction it is replaced by a new one from
    ``reconnect`` and the statement runs there, inside one the statement fails with
    ConnectionFailed. A statement that may have reached the server is never sent again.
    """

    def __init__(self, connection: psycopg.Connection[Any], reconnect: Callable[[], psycopg.Connection[Any]],
                 describe: str) -> None:
        self._reconnect = reconnect
        self._describe = describe
        self._attach(connection)

    def _attach(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection
        self._input_waiting = _waiting_input(connection.pgconn.socket)

    def _check_alive(self, statement: Statement) -> None:
        """Replaces the connection if its session has ended and none of its transaction is lost.

        Raises:
            ConnectionFailed: the session ended inside a transaction, or a new
                connection cannot be made.
        """
        import psycopg
        from psycopg.pq import ConnStatus, TransactionStatus

        connection = self.connection
        if connection.closed:  # lost by an earlier statement: its transaction state is unknown
            raise _lost_in_transaction(self._describe, statement)
        pgconn = connection.pgconn
        # Read before the input is taken in: still the state the last statement left.
        outside = pgconn.transaction_status == TransactionStatus.IDLE
        # The goodbye message and the end of the stream may take a read each (TLS).
        for _ in range(READS_FOR_GOODBYE):
            try:
                pgconn.consume_input()
            except psycopg.OperationalError:
                break
            if not self._input_waiting():
                break
        if pgconn.status == ConnStatus.OK:  # only a notice; libpq handles it with the next result
            return
        connection.close()
        if not outside:
            raise _lost_in_transaction(self._describe, statement)
        self._attach(self._reconnect())

    def execute(self, statement: Statement) -> Any:
        import psycopg

        if self._input_waiting() or self.connection.closed:
            self._check_alive(statement)
        try:
            cursor = self._cursor()
            if statement.many and statement.fetch == "rows":
                cursor.executemany(statement.text, statement.params, returning=True)
                rows = cursor.fetchall()
                while cursor.nextset():
                    rows.extend(cursor.fetchall())
                return rows
            if statement.many:
                cursor.executemany(statement.text, statement.params)
                return cursor.rowcount
            fetch = statement.fetch
            if fetch == "script":  # the simple query protocol runs several statements, in one transaction
                cursor.execute(statement.text)
                return None
            # A raw statement is prepared, so the server refuses a second one in its text
            # (without parameters psycopg would send it by the simple query protocol).
            cursor.execute(statement.text, statement.params, prepare=True if fetch == "auto" else None)
            if fetch == "rows":
                return cursor.fetchall()
            if fetch == "auto":
                description = cursor.description
                return cursor.rowcount if description is None else RawRows(cursor.fetchall(),
                                                                             (d.name for d in description))
            if fetch == "rowcount":
                return cursor.rowcount
            return None
        except psycopg.Error as exc:
            raise self._failure(exc, statement) from exc

    def _failure(self, exc: Exception, statement: Statement) -> OrmadaError:
        if self.connection.closed:
            return _lost(self._describe, exc, statement)
        return map_psycopg_error(exc, statement)

    def stream(self, statement: Statement, chunk_size: int) -> Iterator[Sequence[Sequence[Any]]]:
        import psycopg

        if self._input_waiting() or self.connection.closed:
            self._check_alive(statement)
        try:
            # A server-side cursor needs a transaction; psycopg uses a savepoint inside one.
            with self.connection.transaction(), self._server_cursor("ormada_stream") as cursor:
                cursor.itersize = chunk_size
                cursor.execute(statement.text, statement.params)
                while rows := cursor.fetchmany(chunk_size):
                    yield rows
        except psycopg.Error as exc:
            raise self._failure(exc, statement) from exc

    def _cursor(self) -> psycopg.RawCursor[Any]:
        return self.connection.cursor()  # type: ignore[return-value]  # the connection's factory: RawCursor

    def _server_cursor(self, name: str) -> psycopg.RawServerCursor[Any]:
        import psycopg

        return psycopg.RawServerCursor(self.connection, name)

    def close(self) -> None:
        self.connection.close()

    @property
    def broken(self) -> bool:
        return bool(self.connection.closed or self.connection.broken)


class BorrowedPsycopgConnection(PsycopgConnection):
    """A psycopg connection that other code opened, holds a transaction on and closes (see
    ``Backend.borrowed``): ormada's cursors on it get ormada's own adapters (JSON read as
    text, lists dumped as binary arrays, ``$n`` placeholders), leaving the connection's alone."""

    def __init__(self, connection: psycopg.Connection[Any], describe: str) -> None:
        def reconnect() -> psycopg.Connection[Any]:
            raise ConnectionFailed(f"the connection to {describe} that ormada was lent has ended")

        super().__init__(connection, reconnect, describe)

    def _cursor(self) -> psycopg.RawCursor[Any]:
        import psycopg

        cursor = psycopg.RawCursor(self.connection)
        ormada_adapters(cursor.adapters)
        return cursor

    def _server_cursor(self, name: str) -> psycopg.RawServerCursor[Any]:
        cursor = super()._server_cursor(name)
        ormada_adapters(cursor.adapters)
        return cursor

    def close(self) -> None:
        pass  # its owner's


def ormada_adapters(adapters: Any) -> None:
    """Registers what ormada reads and writes differently from psycopg's defaults on an
    ``AdaptersMap``: JSON comes back as text (ormada's codecs parse it), and lists go as
    binary arrays (psycopg's binary array dumper is C-backed, its text one quotes every
    element in Python; lists are only sent as the per-column arrays of bulk inserts)."""
    from psycopg.types.array import ListBinaryDumper
    from psycopg.types.string import TextLoader

    for oid_name in ("json", "jsonb"):
        adapters.register_loader(oid_name, TextLoader)
    adapters.register_dumper(list, ListBinaryDumper)


class _Socket(Protocol):
    """What asyncio's transport lends of its socket."""

    def fileno(self) -> int: ...

    def shutdown(self, how: int, /) -> None: ...


def _socket_of(connection: asyncpg.Connection) -> _Socket | None:
    # asyncpg keeps its transport private; without it only its own closed flag is checked.
    transport = getattr(connection, "_transport", None)
    sock = None if transport is None else transport.get_extra_info("socket")
    return sock if hasattr(sock, "fileno") and hasattr(sock, "shutdown") else None


def _nothing_waiting() -> bool:
    return False


def _abandon_asyncpg(connection: AsyncConnection) -> None:
    """Lets a connection of a finished event loop go without that loop.

    Shutting its socket down ends the server's session now, rather than when the
    garbage collector closes the socket; the file descriptor itself stays with the
    transport, which closes it (closing it here could close a reused number later).
    """
    if isinstance(connection, AsyncpgConnection) and connection.socket is not None:
        with contextlib.suppress(OSError):
            try:
                connection.socket.shutdown(socket.SHUT_RDWR)
            except TypeError:  # uvloop's transport sockets refuse shutdown(): a duplicate descriptor does it
                with socket.socket(fileno=os.dup(connection.socket.fileno())) as duplicate:
                    duplicate.shutdown(socket.SHUT_RDWR)


class AsyncpgConnection(AsyncConnection):
    """An asyncpg connection; statements are prepared and cached by asyncpg.

    Dead connections are handled as by :class:`PsycopgConnection`: found before a
    statement is sent (asyncpg's closed flag, or the server's goodbye waiting unread
    when the loop was busy), replaced outside a transaction, ConnectionFailed inside.
    """

    def __init__(self, connection: asyncpg.Connection, reconnect: Callable[[], Awaitable[asyncpg.Connection]],
                 describe: str) -> None:
        self._reconnect = reconnect
        self._describe = describe
        self._attach(connection)

    def _attach(self, connection: asyncpg.Connection) -> None:
        self.connection = connection
        self.socket = _socket_of(connection)
        self._input_waiting: Callable[[], bool] = (
            _nothing_waiting if self.socket is None else _waiting_input(self.socket.fileno()))
        self._state_known = True  # False once this side gave up on the connection

    async def _check_alive(self, statement: Statement) -> None:
        """Replaces the connection if its session has ended and none of its transaction is lost.

        Raises:
            ConnectionFailed: the session ended inside a transaction, or a new
                connection cannot be made.
        """
        connection = self.connection
        # asyncpg keeps the transaction state the server last reported, even once closed.
        outside = self._state_known and not connection.is_in_transaction()
        # Input on an idle connection that the loop has not read yet: the loop was
        # blocked while the server ended the session. Letting asyncpg read it now would
        # leave its protocol waiting for a ReadyForQuery that never comes.
        self._give_up()
        if not outside:
            raise _lost_in_transaction(self._describe, statement)
        self._attach(await self._reconnect())

    async def execute(self, statement: Statement) -> Any:
        import asyncpg

        if self.connection.is_closed() or self._input_waiting():
            await self._check_alive(statement)
        connection = self.connection
        try:
            if statement.many and statement.fetch == "rows":
                return await connection.fetchmany(statement.text, statement.params)
            if statement.many:
                total = 0
                for params in statement.params:
                    total += _status_count(await connection.execute(statement.text, *params))
                return total
            if statement.fetch == "rows":
                return await connection.fetch(statement.text, *statement.params)
            if statement.fetch == "script":  # without arguments asyncpg uses the simple query protocol
                await connection.execute(statement.text)
                return None
            if statement.fetch == "auto":
                prepared = await connection.prepare(statement.text)
                if prepared.get_attributes():
                    return RawRows((tuple(row) for row in await prepared.fetch(*statement.params)),
                                   (a.name for a in prepared.get_attributes()))
                await prepared.fetch(*statement.params)
                return _status_count(prepared.get_statusmsg())
            status = await connection.execute(statement.text, *statement.params)
            return _status_count(status) if statement.fetch == "rowcount" else None
        except (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError) as exc:
            raise self._failure(exc, statement) from exc

    def _failure(self, exc: Exception, statement: Statement) -> OrmadaError:
        """The ormada error for an asyncpg or socket error raised by ``statement``."""
        import asyncpg
        from asyncpg import exceptions as pg_errors

        if isinstance(exc, pg_errors.OutdatedSchemaCacheError):  # a client-side error on a healthy connection
            return map_asyncpg_error(exc, statement)
        if isinstance(exc, (asyncpg.InternalClientError, OSError)):
            # asyncpg's protocol is in a state it cannot leave ("cannot switch to state
            # 11"): the connection is of no further use, whatever the server thinks.
            self._give_up()
            return _lost(self._describe, exc, statement)
        ended = (asyncpg.PostgresConnectionError, pg_errors.AdminShutdownError, pg_errors.CrashShutdownError,
                 pg_errors.CannotConnectNowError)
        if isinstance(exc, ended) or (isinstance(exc, (asyncpg.PostgresError, asyncpg.InterfaceError))
                                      and self.connection.is_closed()):
            self._give_up()
            return _lost(self._describe, exc, statement)
        return map_asyncpg_error(exc, statement)

    def _give_up(self) -> None:
        self._state_known = False
        self.connection.terminate()

    async def stream(self, statement: Statement, chunk_size: int) -> AsyncIterator[Sequence[Sequence[Any]]]:
        import asyncpg

        if self.connection.is_closed() or self._input_waiting():
            await self._check_alive(statement)
        try:
            if self.connection.is_in_transaction():
                async for chunk in self._chunks(statement, chunk_size):
                    yield chunk
            else:
                async with self.connection.transaction():
                    async for chunk in self._chunks(statement, chunk_size):
                        yield chunk
        except (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError) as exc:
            raise self._failure(exc, statement) from exc

    async def _chunks(self, statement: Statement, chunk_size: int) -> AsyncIterator[Sequence[Sequence[Any]]]:
        cursor = await self.connection.cursor(statement.text, *statement.params)
        while rows := await cursor.fetch(chunk_size):
            yield rows

    async def close(self) -> None:
        await self.connection.close()

    def terminate(self) -> None:
        self.connection.terminate()

    @property
    def broken(self) -> bool:
        return bool(self.connection.is_closed())


def _status_count(status: str) -> int:
    """``"UPDATE 3"`` → 3; statements that report no count → 0."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0
