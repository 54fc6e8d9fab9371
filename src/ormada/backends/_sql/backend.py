"""``SqlBackend``: the part of every SQL backend that only differs by data."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ormada.backends._sql import codecs
from ormada.backends._sql.compiler import SqlCompiler
from ormada.backends._sql.metadata import build_metadata, create_statements, drop_statements, schema_tables
from ormada.backends._sql.transforms import TransformDialect
from ormada.backends._sql.vectors import decode_distance
from ormada.backends._sql.where import TEXT_PATTERNS, Binds, like_escape
from ormada.backends.base import Backend, Compiled, Decoder, Encoder, KeyedSelect, Statement
from ormada.errors import NotSupported

if TYPE_CHECKING:
    from ormada._info import ModelInfo
    from ormada._url import DatabaseURL
    from ormada.query.aggregates import AggregateSpec
    from ormada.query.state import QueryState
    from ormada.schema import ColumnSchema


class SqlBackend(Backend):
    """A SQL database: SQLAlchemy compiles, the native drivers run.

    Subclasses supply the dialect, the codec tables and the connection pools, and
    override the few lookups whose SQL differs (case-sensitive matching, JSON).
    """

    encoders: dict[Any, Any] = {}
    decoders: dict[Any, Any] = {}
    bounds: dict[Any, Any] = {}
    explain_prefix = "EXPLAIN "
    transforms: TransformDialect  # date parts and JSON values (backends/_sql/dialect_transforms.py)
    # SQLAlchemy's dialect+driver over :meth:`dbapi_connection`'s connections; None where
    # SQLAlchemy cannot drive the sync driver (DuckDB).
    sqlalchemy_driver: str | None = None

    def __init__(self, url: DatabaseURL) -> None:
        super().__init__(url)
        self.compiler = SqlCompiler(self, self.make_dialect())
        self._encoders: dict[tuple[ModelInfo, str], Encoder | None] = {}
        self._bounds: dict[tuple[ModelInfo, str], tuple[Encoder, Encoder] | None] = {}

    def dbapi_connection(self) -> Any:
        """A new connection of the sync driver (sqlite3, psycopg, PyMySQL) with what ormada's
        own connections have: the credentials (a password callable called and a password file
        read for each one), TLS and the session settings; in DB-API's transaction handling
        (a transaction begins with the first statement; nothing commits by itself), for code
        that drives a DB-API connection itself: SQLAlchemy, Alembic (see
        :func:`ormada.backends._sql.engine.sqlalchemy_engine`). Its caller closes it.

        Raises:
            ConnectionFailed: the database cannot be reached or refused the login.
            NotSupported: the backend hands out no DB-API connections.
        """
        raise NotSupported(f"ormada opens no DB-API connection of its own to a {self.name} database")

    def make_dialect(self) -> sa.Dialect:
        """The SQLAlchemy dialect, configured for the sync driver's paramstyle."""
        raise NotImplementedError

    def dialect_insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT construct that knows ON CONFLICT."""
        raise NotImplementedError

    def insert_skipping(self, table: sa.Table) -> Any:
        """An INSERT that skips rows whose key is taken (``ON CONFLICT DO NOTHING``)."""
        return self.dialect_insert(table).on_conflict_do_nothing()

    def insert_updating(self, table: sa.Table, values: Any, conflict: tuple[str, ...],
                        update: tuple[str, ...]) -> Any:
        """An INSERT of ``values`` that updates the ``update`` columns of a row whose
        ``conflict`` columns collide (``ON CONFLICT … DO UPDATE``)."""
        query = self.dialect_insert(table).values(values)
        return query.on_conflict_do_update(index_elements=[table.c[c] for c in conflict],
                                           set_={c: query.excluded[c] for c in update})

    # -- values ----------------------------------------------------------
    def encoder(self, info: ModelInfo, column: ColumnSchema) -> Encoder | None:
        return codecs.make_encoder(self.encoders, info.name, column)

    def decoder(self, column: ColumnSchema) -> Decoder | None:
        return codecs.make_decoder(self.decoders, column)

    def column_encoder(self, info: ModelInfo, name: str) -> Encoder | None:
        """The cached encoder of one of a model's columns."""
        key = (info, name)
        try:
            return self._encoders[key]
        except KeyError:
            encoder = self._encoders[key] = self.encoder(info, info.table.by_name[name])
            return encoder

    def column_bounds(self, info: ModelInfo, name: str) -> tuple[Encoder, Encoder] | None:
        """For a column whose values may be stored as several texts (SQLite datetimes
        written by other programs), the encoders of the lowest and highest text of a
        value; None where a value has one stored form."""
        key = (info, name)
        try:
            return self._bounds[key]
        except KeyError:
            ltype = info.table.by_name[name].type
            factory = self.bounds.get(ltype.kind) if ltype.db_type is None else None
            bounds = self._bounds[key] = None if factory is None else factory(ltype)
            return bounds

    def expression_constant(self, info: ModelInfo, field: str, value: Any) -> Any:
        """A constant inside an F() expression on ``field`` whose type is not the field's
        own (those use the field's encoder), as the driver binds it."""
        return value

    # -- lookups whose SQL differs by database ----------------------------
    def text_pattern(self, op: str, value: str) -> str:
        """The bound pattern for a LIKE-style lookup."""
        head, tail = TEXT_PATTERNS[op]
        return f"{head}{like_escape(value)}{tail}"

    def text_match(self, column: sa.ColumnElement[Any], op: str, pattern: sa.BindParameter[Any]) -> Any:
        """``column LIKE pattern`` (case-sensitive ops) or ``ILIKE`` (the ``i…`` ops)."""
        if op.startswith("i"):
            return column.ilike(pattern, escape="\\")
        return column.like(pattern, escape="\\")

    def collection_item(self, info: ModelInfo, field: str, op: str, value: Any) -> Any:
        """The bound value for ``list_field__contains=item``."""
        raise NotSupported(f"{info.name}.{field}__contains on a JSON column is not supported by {self.name}")

    def collection_match(self, column: sa.ColumnElement[Any], op: str, binds: Binds, kind: str) -> Any:
        """The clause for ``list_field__contains=item`` (``has``), JSON containment,
        and ``dict_field__contains_key=key``; ``kind`` is the column's logical kind."""
        raise NotSupported(f"contains on a JSON column is not supported by {self.name}")

    # -- vectors (nearest()) ----------------------------------------------
    def vector_value(self, info: ModelInfo, field: str, vector: tuple[float, ...]) -> Any:
        """The query vector of ``nearest()`` as the driver binds it (as the field's values are)."""
        encode = self.column_encoder(info, field)
        return list(vector) if encode is None else encode(list(vector))

    def vector_distance(self, info: ModelInfo, field: str, column: sa.ColumnElement[Any], metric: str,
                        binds: Binds) -> Any:
        """The distance between ``column`` and the bound query vector, smallest first."""
        raise NotSupported(
            f"{info.name}.nearest({field!r}): {self.name} has no vector search (MariaDB 10.11 has no vector "
            "type); use PostgreSQL with pgvector, SQLite (an exact search) or Cassandra 5 (SAI), or read the "
            "vectors and rank them in Python"
        )

    def distance_decoder(self) -> Decoder:
        """Turns a distance read back into a float (None where there is none)."""
        return decode_distance

    # -- compiling (delegated to the shared compiler) ---------------------
    def select(self, info: ModelInfo, state: QueryState) -> Compiled:
        self._refuse_options(info, state.options)
        compiled = self.compiler.select(info, state)
        self._recursive_prefix(state, compiled.statement)
        return compiled

    def _recursive_prefix(self, state: QueryState, statement: Statement) -> None:
        """Puts what a database needs before a statement with a recursive CTE (data:
        ``supports.extra["recursive_prefix"]``) in front of its text, in place."""
        prefix = self.supports.extra.get("recursive_prefix")
        if prefix and any(spec.recursion is not None for spec in state.ctes):
            statement.text = prefix + statement.text

    def keyed_select(self, info: ModelInfo, fields: tuple[str, ...]) -> KeyedSelect | None:
        return self.compiler.keyed_select(info, fields)

    def aggregate(self, info: ModelInfo, state: QueryState,
                  specs: tuple[AggregateSpec, ...]) -> tuple[Statement, tuple[Decoder, ...]]:
        self._refuse_options(info, state.options)
        return self.compiler.aggregate(info, state, specs)

    def count(self, info: ModelInfo, state: QueryState) -> Statement:
        statement = self.compiler.count(info, state)
        self._recursive_prefix(state, statement)
        return statement

    def exists(self, info: ModelInfo, state: QueryState) -> Statement:
        statement = self.compiler.exists(info, state)
        self._recursive_prefix(state, statement)
        return statement

    def update(self, info: ModelInfo, state: QueryState, values: dict[str, Any]) -> Statement:
        self._refuse_options(info, state.options)
        return self.compiler.update(info, state, values)

    def delete(self, info: ModelInfo, state: QueryState) -> Statement:
        self._refuse_options(info, state.options)
        return self.compiler.delete(info, state)

    def insert(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
               returning: tuple[str, ...] = (), options: Mapping[str, Any] | None = None) -> Statement:
        if options and options.get("if_not_exists"):
            options = {k: v for k, v in options.items() if k != "if_not_exists"}
            self._refuse_options(info, options)
            return self.compiler.insert(info, columns, rows, returning, skip_existing=True)
        self._refuse_options(info, options)
        return self.compiler.insert(info, columns, rows, returning)

    def upsert(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
               conflict: tuple[str, ...], update: tuple[str, ...], returning: tuple[str, ...] = ()) -> Statement:
        return self.compiler.upsert(info, columns, rows, conflict, update, returning)

    def update_rows(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
                    options: Mapping[str, Any] | None = None) -> Statement:
        self._refuse_options(info, options)
        return self.compiler.update_rows(info, columns, rows)

    # -- schema ------------------------------------------------------------
    def metadata(self, infos: Sequence[ModelInfo], metadata: sa.MetaData | None = None) -> sa.MetaData:
        return build_metadata(infos, metadata)

    def create_tables(self, infos: Sequence[ModelInfo], known: Sequence[ModelInfo] = (),
                      metadata: sa.MetaData | None = None) -> list[Statement]:
        return create_statements(*schema_tables(infos, known, metadata), self.compiler.dialect,
                                 bool(self.supports.extra.get("vector_indexes")))

    def drop_tables(self, infos: Sequence[ModelInfo], known: Sequence[ModelInfo] = (),
                    metadata: sa.MetaData | None = None) -> list[Statement]:
        return drop_statements(*schema_tables(infos, known, metadata), self.compiler.dialect)

    def explain(self, statement: Statement) -> Statement:
        text = statement.text
        prefix = self.supports.extra.get("recursive_prefix")
        if prefix and text.startswith(prefix):  # SET STATEMENT … FOR EXPLAIN …, not EXPLAIN SET STATEMENT
            return Statement(prefix + self.explain_prefix + text[len(prefix):], statement.params, "rows")
        return Statement(self.explain_prefix + text, statement.params, "rows")

    def raw(self, text: str, params: Sequence[Any] | dict[str, Any] | None) -> Statement:
        return self.compiler.raw(text, params)

    # Options that only make sense elsewhere (TTL, consistency…) are refused, not ignored.
    SQL_OPTIONS = frozenset({"fetch_size"})

    def _refuse_options(self, info: ModelInfo, options: Mapping[str, Any] | None) -> None:
        if options:
            unknown = set(options) - self.SQL_OPTIONS
            if unknown:
                raise NotSupported(
                    f"{info.name}: option(s) {', '.join(sorted(unknown))} have no meaning on {self.name}; "
                    "they apply to the Cassandra backend"
                )


CodecTable = Mapping[Any, Callable[..., Any]]
