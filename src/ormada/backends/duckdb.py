"""DuckDB: the embedded analytical database, through the ``duckdb`` module.

``duckdb:///path.db`` opens (or creates) a file, ``duckdb://:memory:`` a database that
lives as long as the :class:`~ormada.Database`. One root connection per backend holds
the database; every pooled connection is a cursor of it, so the sync and async pools
see one database. DuckDB has no async driver: async connections run their calls on a
worker thread each (see :mod:`ormada.backends._duckdb_io`), the one backend where
ormada does that.

What DuckDB's SQL lacks, stated as capabilities: no savepoints (a nested
``transaction()`` is refused, and a failed statement aborts the whole transaction),
and no ``ON DELETE`` actions on foreign keys. Generated keys come from a sequence per
column (DuckDB has no identity columns) and are read back with ``RETURNING``. JSON
documents, lists and dicts are DuckDB's ``JSON`` type (its json extension is built
into the ``duckdb`` wheel: nothing is downloaded). A file may be open for writing by
one process at a time: a second process gets :class:`~ormada.errors.ConnectionFailed`
at once, naming the file, never a wait.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import duckdb
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ormada.backends._duckdb_dialect import DEFAULT_DECIMAL, MAX_DECIMAL_DIGITS, DuckdbDialect, sequence_name
from ormada.backends._duckdb_io import AsyncDuckdbConnection, DuckdbConnection, first_line
from ormada.backends._options import flag, positive_number, read_options, whole_number
from ormada.backends._pool import DEFAULT_ACQUIRE_TIMEOUT, SimpleAsyncPool, SimpleSyncPool
from ormada.backends._sql import codecs
from ormada.backends._sql.backend import SqlBackend
from ormada.backends._sql.duckdb_transforms import DuckdbTransforms, json_pointer_step
from ormada.backends._sql.metadata import create_statements, drop_statements, schema_tables
from ormada.backends._sql.where import Binds
from ormada.backends.base import AsyncConnection, Capabilities, Encoder, Statement, SyncConnection
from ormada.errors import ConnectionFailed, DataError, NotSupported
from ormada.schema import ColumnSchema, Kind, LogicalType

if TYPE_CHECKING:
    from ormada._info import ModelInfo
    from ormada._url import DatabaseURL

UTC = dt.UTC


def decimal_encoder(model: str, field: str) -> Encoder:
    """Refuses a Decimal that DuckDB's default ``DECIMAL(38, 18)`` would round or cannot hold."""
    precision, scale = DEFAULT_DECIMAL

    def encode(value: Decimal) -> Decimal:
        _, digits, exponent = value.as_tuple()
        if not isinstance(exponent, int):
            raise DataError(f"{model}.{field}: {value} cannot be stored: DuckDB's DECIMAL holds finite numbers only")
        places, whole = max(0, -exponent), len(digits) + exponent  # digits after and before the point
        if places > scale or whole > precision - scale:
            raise DataError(
                f"{model}.{field}: {value} does not fit DuckDB's DECIMAL({precision}, {scale}) (at most "
                f"{precision - scale} digits before the point and {scale} after it); give the field its own "
                f"max_digits and decimal_places (at most {MAX_DECIMAL_DIGITS} digits in all)")
        return value

    return encode


def _unscaled_decimal_decoder(_: LogicalType) -> codecs.Codec:
    # DECIMAL(38, 18) pads every value to 18 places: the padding zeros go.
    def decode(value: Any) -> Decimal:
        text = str(value)
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return Decimal(text)

    return decode


def _decimal_decoder(ltype: LogicalType) -> codecs.Codec | None:
    return _unscaled_decimal_decoder(ltype) if ltype.scale is None else None


def _datetime_encoder(ltype: LogicalType) -> codecs.Codec:
    if ltype.timezone:  # TIMESTAMPTZ: an instant; a naive value is taken as UTC
        return codecs.aware_utc
    return lambda v: v if v.tzinfo is None else v.replace(tzinfo=None)


# TIMESTAMPTZ comes back in the session's zone, UTC (set on the database instance), as
# ZoneInfo("UTC"): the wall time is already UTC, and combine() puts datetime.UTC on it in
# two fifths of what astimezone() takes (on every value of a large read). ZoneInfo keeps
# one instance per key, so the identity check finds it; a value in any other zone (a
# session whose TimeZone someone changed) is converted.
_UTC_ZONE = ZoneInfo("UTC")
_combine = dt.datetime.combine


def _datetime_decoder(ltype: LogicalType) -> codecs.Codec | None:
    if ltype.timezone:
        return lambda v: _combine(v, v.time(), UTC) if v.tzinfo is _UTC_ZONE else v.astimezone(UTC)
    return None


ENCODERS: dict[Kind, Any] = {
    Kind.DATETIME: _datetime_encoder,
    Kind.ENUM: codecs.enum_encoder,
    Kind.INET: lambda _: str,
    Kind.DURATION: lambda _: lambda v: v // dt.timedelta(microseconds=1),
}

DECODERS: dict[Kind, Any] = {
    Kind.DECIMAL: _decimal_decoder,
    Kind.DATETIME: _datetime_decoder,
    Kind.ENUM: codecs.enum_decoder,
    Kind.INET: lambda _: ipaddress.ip_address,
    Kind.DURATION: lambda _: lambda v: dt.timedelta(microseconds=v),
}


def _refers_within(info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> bool:
    """Whether a row of ``rows`` refers to another of them through a foreign key to its own
    table. DuckDB checks a foreign key against the rows that were there before the
    statement, so such rows go one INSERT each, in the order given (parents first)."""
    position = {name: i for i, name in enumerate(columns)}
    for column in info.table.columns:
        target = column.foreign_key
        if target is None or target[0] != info.table.name or column.name not in position \
                or target[1] not in position:
            continue
        ref, key = position[column.name], position[target[1]]
        keys = {row[key] for row in rows}
        if any(row[ref] is not None and row[ref] in keys for row in rows):
            return True
    return False


class DuckdbBackend(SqlBackend):
    """DuckDB, in-process: one database file (or memory) per backend."""

    name = "duckdb"
    supports = Capabilities(savepoints=False, max_params=32_000, extra={
        "error_aborts_transaction": True,  # as on PostgreSQL, and with no savepoint to contain it
        "foreign_key_actions": False,  # no ON DELETE CASCADE / SET NULL
        "triggers": False,
        # Alembic compares through a SQLAlchemy engine; ormada's DuckDB dialect only compiles.
        "alembic": False,
        "decimal_avg_double": True,  # avg() of a DECIMAL is a DOUBLE (sums stay exact DECIMALs)
        "group_by_label": True,  # GROUP BY CASE WHEN (x >= ?) … is not matched to the same SELECT expression
        # Its ART indexes never serve a range (created__year is one): the scan skips row
        # groups by their min/max instead, and EXPLAIN names no index.
        "index_range_scans": False,
        "nulls_high": True,  # set for every connection when the database is opened
        # An UPDATE that changes a foreign-key or unique column (both indexed) is a delete and
        # an insert to DuckDB, refused where other rows refer to the row: re-parenting a node
        # that has children, closing a cycle in a tree.
        "update_indexed_columns_of_referenced_rows": False,
        "row_locks_instead": "DuckDB's transactions are optimistic and lock no rows: a transaction that writes a "
                             "row another transaction changed since it began fails at that write with "
                             "TransactionError, never waiting. Read and write the rows inside `with "
                             "db.transaction():` (or `async with db.atransaction():`) and run the whole block "
                             "again when it raises TransactionError",
    })
    begin_statement = "BEGIN TRANSACTION"
    transforms = DuckdbTransforms()
    encoders = ENCODERS
    decoders = DECODERS

    def __init__(self, url: DatabaseURL) -> None:
        super().__init__(url)
        options = read_options(url, {"pool_size": whole_number, "pool_timeout": positive_number,
                                     "read_only": flag, "threads": whole_number})
        self.path = ":memory:" if url.is_memory else (url.database or "")
        self.pool_size: int = options.get("pool_size", 5)
        self.pool_timeout: float = options.get("pool_timeout", DEFAULT_ACQUIRE_TIMEOUT)
        self.read_only: bool = options.get("read_only", False)
        self.threads: int | None = options.get("threads")
        self._root: duckdb.DuckDBPyConnection | None = None
        self._root_lock = threading.Lock()

    def make_dialect(self) -> sa.Dialect:
        return DuckdbDialect(paramstyle="qmark")  # type: ignore[no-untyped-call]

    def dialect_insert(self, table: sa.Table) -> Any:
        return postgresql.insert(table)

    def encoder(self, info: ModelInfo, column: ColumnSchema) -> Encoder | None:
        ltype = column.type
        if ltype.kind is Kind.DECIMAL and ltype.db_type is None and ltype.precision is None:
            return decimal_encoder(info.name, column.name)
        return super().encoder(info, column)

    def insert(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
               returning: tuple[str, ...] = (), options: Mapping[str, Any] | None = None) -> Statement:
        # Several rows go as one list per column: DuckDB binds a parameter list in time
        # growing faster than its length, so a multi-row VALUES of 1,000 rows of 5 columns
        # inserted 4.7k rows/s, one list per column 28k rows/s, executemany 0.9k rows/s.
        if len(rows) > 1 and columns and not options:
            if _refers_within(info, columns, rows):
                return self.compiler.insert_each(info, columns, rows, returning)
            return self.compiler.insert_lists(info, columns, rows, returning, postgresql.ARRAY)
        return super().insert(info, columns, rows, returning, options)

    def update_rows(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
                    options: Mapping[str, Any] | None = None) -> Statement:
        # One UPDATE … FROM a list per column instead of one statement per row.
        if len(rows) > 1 and not options and info.pk:
            return self.compiler.update_lists(info, columns, rows, postgresql.ARRAY)
        return super().update_rows(info, columns, rows, options)

    # -- JSON lookups (the json extension built into DuckDB) ------------------
    def collection_item(self, info: ModelInfo, field: str, op: str, value: Any) -> Any:
        column = info.table.by_name[field]
        if op == "json_contains":
            return codecs.json_text(Any, value)
        if op == "contains_key":  # a JSON pointer: "$." paths cannot name the empty key
            return json_pointer_step(str(value))
        items = column.type.items
        item_type = items[-1].python_type if items else Any  # a map's values, a list's items
        return codecs.json_text(item_type, value)

    def collection_match(self, column: sa.ColumnElement[Any], op: str, binds: Binds, kind: str) -> Any:
        if op == "contains_key":
            return sa.func.json_exists(column, binds(sa.String()))
        if op == "json_contains":
            return sa.func.json_contains(column, binds(sa.String()))
        each = sa.func.json_each(column).table_valued("key", "value")
        return sa.exists(sa.select(sa.literal_column("1")).select_from(each)
                         .where(each.c.value == sa.cast(binds(sa.String()), sa.JSON())))

    # -- schema: a sequence per generated key ---------------------------------
    def _sequences(self, tables: set[sa.Table]) -> list[str]:
        preparer = self.compiler.dialect.identifier_preparer
        return sorted(preparer.quote(sequence_name(table.name, column.name))
                      for table in tables for column in table.columns if column.identity is not None)

    def create_tables(self, infos: Sequence[ModelInfo], known: Sequence[ModelInfo] = (),
                      metadata: sa.MetaData | None = None) -> list[Statement]:
        for info in infos:
            for column in info.table.columns:
                precision = column.type.precision
                if column.type.kind is Kind.DECIMAL and precision is not None and precision > MAX_DECIMAL_DIGITS:
                    raise NotSupported(
                        f"{info.name}.{column.name}: a Decimal of {precision} digits does not fit DuckDB's DECIMAL, "
                        f"which holds at most {MAX_DECIMAL_DIGITS}; lower max_digits, or store it as text with "
                        "DbType('VARCHAR')")
        source, wanted = schema_tables(infos, known, metadata)
        sequences = [Statement(f"CREATE SEQUENCE IF NOT EXISTS {name}", (), "none")
                     for name in self._sequences(wanted)]
        return sequences + create_statements(source, wanted, self.compiler.dialect)

    def drop_tables(self, infos: Sequence[ModelInfo], known: Sequence[ModelInfo] = (),
                    metadata: sa.MetaData | None = None) -> list[Statement]:
        source, wanted = schema_tables(infos, known, metadata)
        return drop_statements(source, wanted, self.compiler.dialect) + [
            Statement(f"DROP SEQUENCE IF EXISTS {name}", (), "none") for name in self._sequences(wanted)]

    # -- connections -----------------------------------------------------
    def _open_root(self) -> duckdb.DuckDBPyConnection:
        config: dict[str, Any] = {} if self.threads is None else {"threads": self.threads}
        try:
            root = duckdb.connect(self.path, read_only=self.read_only, config=config)
            # Every connection of the instance reads TIMESTAMPTZ in UTC (ICU is built in).
            root.execute("SET GLOBAL TimeZone = 'UTC'")
            # NULL sorts above every value, as on PostgreSQL (nulls_high): DuckDB's own default
            # puts NULLs last in both directions, which cursor pages cannot follow.
            root.execute("SET GLOBAL default_null_order = 'nulls_last_on_asc_first_on_desc'")
            return root
        except duckdb.IOException as exc:
            message = first_line(exc)
            if "lock" in message.lower():
                raise ConnectionFailed(
                    f"could not open {self.url}: the file {self.path} is open in another process, and DuckDB "
                    f"lets one process write a database file at a time ({message}); close it there, or open "
                    "it read-only everywhere with ?read_only=true") from None
            raise ConnectionFailed(f"could not open {self.url}: {message}") from None
        except duckdb.Error as exc:
            raise ConnectionFailed(f"could not open {self.url}: {first_line(exc)}") from None

    def root(self) -> duckdb.DuckDBPyConnection:
        """The connection that holds the database open; pooled connections are its cursors."""
        with self._root_lock:
            if self._root is None:
                self._root = self._open_root()
            return self._root

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        try:
            return self.root().cursor()
        except duckdb.Error as exc:  # the root was closed meanwhile
            raise ConnectionFailed(f"could not open a connection to {self.url}: {first_line(exc)}") from None

    def close_anchor(self) -> None:
        """Closes the root connection: an in-memory database is gone afterwards, and a
        file is free for other processes once every pooled connection is closed too."""
        with self._root_lock:
            if self._root is not None:
                self._root.close()
                self._root = None

    def sync_pool(self) -> SimpleSyncPool:
        def connect() -> SyncConnection:
            return DuckdbConnection(self._cursor())

        return SimpleSyncPool(connect, self.pool_size, str(self.url), self.pool_timeout)

    def async_pool(self) -> SimpleAsyncPool:
        async def connect() -> AsyncConnection:
            # Opening a cursor touches no file: cheap enough for the event loop's thread.
            return AsyncDuckdbConnection(self._cursor())

        # A pool whose event loop has finished still closes its connections: on their own
        # worker threads, so the file is released without waiting for the garbage collector.
        return SimpleAsyncPool(connect, self.pool_size, str(self.url), self.pool_timeout,
                               abandon=lambda connection: connection.terminate())
