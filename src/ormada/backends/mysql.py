"""MySQL and MariaDB: PyMySQL for sync, asyncmy for async.

Both drivers take the same ``%s`` text, which SQLAlchemy's MySQL dialect renders.
Every connection runs in strict mode (``STRICT_ALL_TABLES``: a value that does not fit
is an error, never truncated), in UTC, with ``utf8mb4``; tables are ``utf8mb4_bin``
(see :mod:`ormada.backends._sql.tables`), so text compares case-sensitively, as on
PostgreSQL and SQLite.

Where the two servers differ the backend learns it at connect, as data: MariaDB from
10.5 has ``INSERT … RETURNING``, which reads back the keys of a multi-row INSERT; a
single row's key, and elsewhere every generated key, comes from the driver's
``lastrowid``, for a multi-row INSERT as the first key and the row count when the
server hands out consecutive keys (``innodb_autoinc_lock_mode`` 0 or 1), row by row
otherwise. UUIDs are stored as ``CHAR(36)``, their canonical text.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql as mysql_dialect

from ormada.backends._mysql_io import (
    SERVER_QUERY,
    AsyncmyConnection,
    BorrowedPyMysqlConnection,
    PyMysqlConnection,
    ServerInfo,
    first_line,
    server_info,
)
from ormada.backends._options import positive_number, read_options, text, whole_number
from ormada.backends._pool import DEFAULT_ACQUIRE_TIMEOUT, SimpleAsyncPool, SimpleSyncPool
from ormada.backends._sql import codecs
from ormada.backends._sql.backend import SqlBackend
from ormada.backends._sql.dialect_transforms import MysqlTransforms
from ormada.backends._sql.where import Binds
from ormada.backends._tls import TLS_OPTIONS, connect_error, tls_settings
from ormada.backends.base import AsyncConnection, Capabilities, Encoder, Statement, SyncConnection
from ormada.errors import ConfigurationError, ConnectionFailed, DataError, NotSupported
from ormada.schema import ColumnSchema, Kind, LogicalType

if TYPE_CHECKING:
    from ormada._info import ModelInfo
    from ormada._url import DatabaseURL

# Set on every connection: strict for all tables (not only transactional ones), no zero dates.
SQL_MODE = "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
INIT_COMMAND = f"SET SESSION sql_mode = '{SQL_MODE}', time_zone = '+00:00'"
UTC = dt.UTC


def _drivers_missing(exc: ImportError) -> ConfigurationError:
    return ConfigurationError(f"MySQL/MariaDB needs its drivers: pip install 'ormada[mysql]' ({exc})")


# The datetime codecs set or drop the offset with combine(), not replace(tzinfo=...): the
# same value (fold included) in a fifth of the time on CPython 3.11, which counts on every
# row of a large read (20,000 rows: 45 ms with replace, 8 ms with combine).
_combine = dt.datetime.combine


def _datetime_encoder(ltype: LogicalType) -> codecs.Codec:
    # DATETIME holds no offset: aware values are stored in UTC, naive ones as they are.
    if ltype.timezone:
        def encode_utc(v: dt.datetime) -> dt.datetime:
            if v.tzinfo is None:
                return v
            utc = v.astimezone(UTC)
            return _combine(utc, utc.time())

        return encode_utc
    return lambda v: v if v.tzinfo is None else _combine(v, v.time())


def _datetime_decoder(ltype: LogicalType) -> codecs.Codec | None:
    # A naive field takes the driver's value as it is: no call per row.
    return (lambda v: _combine(v, v.time(), UTC)) if ltype.timezone else None


def _time_decoder(_: LogicalType) -> codecs.Codec:
    # The drivers read TIME as a timedelta (MySQL's TIME is a duration of up to 838 hours).
    def decode(value: Any) -> dt.time:
        if isinstance(value, dt.timedelta):
            return (dt.datetime.min + value).time()
        return value  # type: ignore[no-any-return]

    return decode


def _decimal_decoder(ltype: LogicalType) -> codecs.Codec:
    if ltype.scale is not None:
        return codecs._decimal_decoder(ltype)

    # A DECIMAL without a scale of its own is DECIMAL(65, 30): the padding zeros go.
    def decode(value: Any) -> Decimal:
        text = str(value)
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return Decimal(text)

    return decode


def _finite_check(model: str, field: str) -> codecs.Codec:
    """Refuses inf, -inf (and NaN), which MySQL's DOUBLE cannot hold, naming the field."""

    def check(value: float) -> float:
        if math.isfinite(value):
            return value
        raise DataError(f"{model}.{field}: {value!r} cannot be stored, as MySQL and MariaDB floats hold "
                        "finite numbers only")

    return check


ENCODERS: dict[Kind, Any] = {
    Kind.DATETIME: _datetime_encoder,
    Kind.UUID: lambda _: str,
    Kind.TIMEUUID: lambda _: str,
    Kind.ENUM: codecs.enum_encoder,
    Kind.INET: lambda _: str,
    Kind.DURATION: lambda _: lambda v: v // dt.timedelta(microseconds=1),
}

DECODERS: dict[Kind, Any] = {
    Kind.BOOL: lambda _: bool,
    Kind.DECIMAL: _decimal_decoder,
    Kind.UUID: lambda _: lambda v: uuid.UUID(v) if isinstance(v, str) else uuid.UUID(v.decode()),
    Kind.TIMEUUID: lambda _: lambda v: uuid.UUID(v) if isinstance(v, str) else uuid.UUID(v.decode()),
    Kind.DATETIME: _datetime_decoder,
    Kind.TIME: _time_decoder,
    Kind.ENUM: codecs.enum_decoder,
    Kind.FLOAT64: lambda _: float,
    Kind.INET: lambda _: ipaddress.ip_address,
    Kind.DURATION: lambda _: lambda v: dt.timedelta(microseconds=v),
}


MAX_ITERATIONS = 4_294_967_295  # the largest max_recursive_iterations MariaDB takes


class MysqlBackend(SqlBackend):
    """MySQL 8 and MariaDB (10.5 and later for RETURNING)."""

    name = "mysql"
    sqlalchemy_driver = "mysql+pymysql"
    # Until a connection tells otherwise, the MySQL 8 common ground: no RETURNING.
    supports = Capabilities(returning=False, float_infinity=False, max_params=32_000, row_locks=True, extra={
        "aggregate_filter": False,  # no FILTER (WHERE …) on aggregates: CASE WHEN
        "variance_of_double": True,  # stddev/variance of integers and decimals come back rounded otherwise
        # A recursive CTE's columns take the types of its base part: the path of keys it
        # visits is a CHAR of this length (keys of up to 10 digits: some 700 levels deep).
        "recursive_path_length": 8000,
        "transactional_ddl": False,  # CREATE, ALTER, DROP… commit the open transaction
        "limit_in_subquery": False,  # IN (SELECT … LIMIT n) is refused: the SELECT goes in a derived table
        "functions": {"length": "char_length"},  # LENGTH() counts bytes
        "neighbour_default": False,  # MariaDB's LAG()/LEAD() take no default
    })
    encoders = ENCODERS
    decoders = DECODERS
    transforms = MysqlTransforms()

    def __init__(self, url: DatabaseURL) -> None:
        super().__init__(url)
        options = read_options(url, {"pool_size": whole_number, "pool_timeout": positive_number,
                                     "connect_timeout": positive_number, "returning": text, **TLS_OPTIONS})
        self.tls = tls_settings(options, str(url))
        if self.tls.mode == "allow":
            raise ConfigurationError(f"{url}: sslmode=allow is PostgreSQL's; MySQL and MariaDB take disable, "
                                     "prefer, require, verify-ca or verify-full")
        self.pool_size: int = options.get("pool_size", 10)
        self.pool_timeout: float = options.get("pool_timeout", DEFAULT_ACQUIRE_TIMEOUT)
        self.connect_timeout: float = options.get("connect_timeout", 10.0)
        # ``?returning=off`` keeps to what MySQL 8 can do, on a MariaDB that could do more.
        self._allow_returning = options.get("returning", "on").lower() not in ("off", "false", "0", "no")
        self.server: ServerInfo | None = None

    def encoder(self, info: ModelInfo, column: ColumnSchema) -> Encoder | None:
        if column.type.kind is Kind.FLOAT64 and column.type.db_type is None:
            return _finite_check(info.name, column.name)
        return super().encoder(info, column)

    def make_dialect(self) -> sa.Dialect:
        return mysql_dialect.dialect(paramstyle="format")

    def dialect_insert(self, table: sa.Table) -> Any:
        return mysql_dialect.insert(table)

    def _learn(self, server: ServerInfo) -> None:
        """Takes in what the first connection found out about the server."""
        if self.server == server:
            return
        self.server = server
        returning = server.returning and self._allow_returning
        extra = dict(type(self).supports.extra)
        if server.is_mariadb:
            # MariaDB stops a recursive CTE after max_recursive_iterations rounds (1000 by
            # default), with a warning and an incomplete result. ormada's recursive CTEs end
            # by themselves (they track the keys they visit), so they lift the limit.
            extra["recursive_prefix"] = f"SET STATEMENT max_recursive_iterations = {MAX_ITERATIONS} FOR "
        self.supports = replace(type(self).supports, returning=returning, extra=extra,
                                set_operations=server.set_operations)
        # The dialect renders RETURNING only once told the server has it.
        self.compiler.dialect.insert_returning = returning

    # -- writes --------------------------------------------------------------
    def insert_skipping(self, table: sa.Table) -> Any:
        # A no-op update of the key instead of INSERT IGNORE, which would also turn
        # strict mode's errors (a value too long, a missing foreign key) into warnings.
        query = mysql_dialect.insert(table)
        key = next(iter(table.primary_key.columns or table.c))
        return query.on_duplicate_key_update({key.key: key})

    def insert_updating(self, table: sa.Table, values: Any, conflict: tuple[str, ...],
                        update: tuple[str, ...]) -> Any:
        # MySQL has no conflict target: any unique key that collides updates the row.
        query = mysql_dialect.insert(table).values(values)
        return query.on_duplicate_key_update({c: query.inserted[c] for c in update})

    def insert(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
               returning: tuple[str, ...] = (), options: Mapping[str, Any] | None = None) -> Statement:
        # One row's generated key comes back in the server's OK packet (the driver's lastrowid)
        # even where RETURNING exists: no result set to send and parse, about a fifth of the
        # time of a single-row insert. Several rows use RETURNING where the server has it.
        if not returning or (self.supports.returning and len(rows) > 1):
            return super().insert(info, columns, rows, returning, options)
        if len(rows) > 1 and not (self.server is not None and self.server.consecutive_keys):
            statement = self.compiler.insert_each(info, columns, rows, ())
        else:
            statement = super().insert(info, columns, rows, (), options)
        statement.fetch = "lastrowid"
        return statement

    def upsert(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
               conflict: tuple[str, ...], update: tuple[str, ...], returning: tuple[str, ...] = ()) -> Statement:
        if not returning or self.supports.returning:
            return super().upsert(info, columns, rows, conflict, update, returning)
        if returning[0] not in columns:  # generated keys to read back, of inserted and updated rows alike
            raise NotSupported(
                f"{info.name}.upsert() of rows without their {returning[0]!r} needs INSERT … RETURNING, which "
                f"this server lacks (MariaDB has it from 10.5, MySQL not at all); give the rows their keys, "
                "or use update_or_create()")
        # The rows carry their keys, so nothing needs reading back.
        return super().upsert(info, columns, rows, conflict, update, ())

    # -- JSON lookups --------------------------------------------------------
    def collection_item(self, info: ModelInfo, field: str, op: str, value: Any) -> Any:
        column = info.table.by_name[field]
        if op == "json_contains":
            return codecs.json_adapter(Any).dump_json(value).decode()
        if op == "contains_key":
            return "$." + json.dumps(str(value))
        items = column.type.items
        item_type = items[-1].python_type if items else Any
        return codecs.json_adapter(list[item_type]).dump_json([value]).decode()  # type: ignore[valid-type]

    def collection_match(self, column: sa.ColumnElement[Any], op: str, binds: Binds, kind: str) -> Any:
        if op == "contains_key":
            return sa.func.json_contains_path(column, sa.literal_column("'one'"), binds(sa.String()))
        if kind == Kind.MAP.value:  # a value among the map's values
            return sa.func.json_contains(sa.func.json_extract(column, sa.literal_column("'$.*'")),
                                         binds(sa.String()))
        return sa.func.json_contains(column, binds(sa.String()))

    # -- connections -----------------------------------------------------
    def _connect_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "host": self.url.host or "localhost",
            "port": self.url.port or 3306,
            "user": self.url.username or "root",
            "password": self.url.current_password() or "",  # asked for each connection: tokens expire
            "database": self.url.database,
            "charset": "utf8mb4",
            "autocommit": True,
            "init_command": INIT_COMMAND,
            "connect_timeout": self.connect_timeout,
        }
        return {k: v for k, v in kwargs.items() if v is not None}

    def _tls_kwargs(self, *, asyncmy: bool = False) -> dict[str, Any]:
        """The drivers' TLS arguments: an SSL context when TLS is required (both then refuse a
        server without TLS rather than go on in plain text), none for the drivers' defaults."""
        tls = self.tls
        if tls.mode == "disable":
            # asyncmy has no ssl_disabled: without a context it never starts TLS.
            return {} if asyncmy else {"ssl_disabled": True}
        if tls.mode in (None, "prefer"):
            # The drivers' own default: PyMySQL tries TLS, unverified, when the server offers it; asyncmy does not.
            return {}
        return {"ssl": tls.context(str(self.url))}

    def _connect_failed(self, exc: BaseException) -> ConnectionFailed:
        hint = None
        # MySQL refuses a REQUIRE SSL user on a plain connection as it refuses a wrong password.
        if "access denied" in str(exc).lower() and not self.tls.encrypted:
            hint = ("access denied over a connection that did not require TLS (a user created REQUIRE SSL is "
                    "refused this way: connect with sslmode=verify-full and ssl_ca)")
        return ConnectionFailed(connect_error(str(self.url), exc, first_line(exc), hint))

    def _pymysql_connect(self, *, autocommit: bool, tls: dict[str, Any] | None = None) -> tuple[Any, ServerInfo]:
        """A new PyMySQL connection with the URL's credentials, TLS and session settings (strict
        SQL mode, UTC, utf8mb4), and what it found out about the server.

        Args:
            autocommit: Whether each statement commits on its own (ormada's pools) or a
                transaction begins with the first one (DB-API's way, which SQLAlchemy expects).
            tls: The TLS arguments (a pool makes its SSL context once); by default, made anew.

        Raises:
            ConnectionFailed: the server cannot be reached or refused the login (naming the URL,
                never the password).
        """
        try:
            import pymysql
        except ImportError as exc:
            raise _drivers_missing(exc) from exc
        try:
            # PyMySQL reads the server's greeting without a timeout, so a port where nothing
            # speaks MySQL (or a TLS-only one) would hang: the handshake gets connect_timeout,
            # and statements none (PyMySQL applies the new read timeout before the next read).
            connection = pymysql.connect(**{**self._connect_kwargs(), "autocommit": autocommit},
                                         **(self._tls_kwargs() if tls is None else tls),
                                         read_timeout=self.connect_timeout)
            connection._read_timeout = None
            with connection.cursor() as cursor:
                cursor.execute(SERVER_QUERY)
                server = server_info(cursor.fetchone())
            if not autocommit:
                connection.rollback()  # the query above began the transaction: the caller's starts clean
        except (pymysql.err.Error, OSError) as exc:
            raise self._connect_failed(exc) from None
        self._learn(server)
        return connection, server

    def dbapi_connection(self) -> Any:
        return self._pymysql_connect(autocommit=False)[0]

    def sync_pool(self) -> SimpleSyncPool:
        tls = self._tls_kwargs()

        def connect() -> SyncConnection:
            connection, server = self._pymysql_connect(autocommit=True, tls=tls)
            return PyMysqlConnection(connection, server, str(self.url))

        return SimpleSyncPool(connect, self.pool_size, str(self.url), self.pool_timeout)

    def borrowed(self, driver_connection: Any) -> SyncConnection:
        try:
            import pymysql
        except ImportError as exc:
            raise _drivers_missing(exc) from exc
        if not isinstance(driver_connection, pymysql.connections.Connection):
            raise NotSupported(f"ormada runs on a borrowed MySQL connection of PyMySQL only, not on a "
                               f"{type(driver_connection).__module__}.{type(driver_connection).__name__}")
        try:
            with driver_connection.cursor() as cursor:
                cursor.execute(SERVER_QUERY)
                server = server_info(cursor.fetchone())
        except (pymysql.err.Error, OSError) as exc:
            raise self._connect_failed(exc) from None
        self._learn(server)
        return BorrowedPyMysqlConnection(driver_connection, server, str(self.url))

    def async_pool(self) -> SimpleAsyncPool:
        try:
            import asyncmy
            from asyncmy import errors
        except ImportError as exc:
            raise _drivers_missing(exc) from exc

        tls = self._tls_kwargs(asyncmy=True)

        async def connect() -> AsyncConnection:
            try:
                # asyncmy's TLS handshake has no timeout of its own: a server that never answers it would hang.
                connection = await asyncio.wait_for(asyncmy.connect(**self._connect_kwargs(), **tls),
                                                    self.connect_timeout)
                async with connection.cursor() as cursor:
                    await cursor.execute(SERVER_QUERY)
                    server = server_info(await cursor.fetchone())
            except TimeoutError:
                raise ConnectionFailed(f"could not connect to {self.url}: no answer within "
                                       f"{self.connect_timeout:g}s (connect_timeout)") from None
            except (errors.Error, OSError) as exc:
                raise self._connect_failed(exc) from None
            self._learn(server)
            result = AsyncmyConnection(connection, server, str(self.url))
            try:  # asyncmy connects with multi-statements on; execute() runs one statement
                await result.multi_statements(False)
            except (errors.Error, OSError) as exc:
                connection.close()
                raise ConnectionFailed(f"could not connect to {self.url}: {first_line(exc)}") from None
            return result

        return SimpleAsyncPool(connect, self.pool_size, str(self.url), self.pool_timeout)

