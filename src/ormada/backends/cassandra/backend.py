"""``CassandraBackend``: the CQL backend for Apache Cassandra and ScyllaDB.

Compiling never connects: ``QuerySet.statement()``, ``create_tables()`` and
migration plans work with no cluster in reach.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ormada.backends.base import (
    AsyncPool,
    Backend,
    Capabilities,
    Compiled,
    Decoder,
    Encoder,
    KeyedSelect,
    Statement,
    SyncPool,
)
from ormada.backends.cassandra import codecs, ddl, migrate
from ormada.backends.cassandra.compiler import compile_aggregate, compile_read, keyed_read, where_lookups
from ormada.backends.cassandra.executor import CassandraAsyncPool, CassandraSyncPool, SessionHolder
from ormada.backends.cassandra.statements import CqlStatement, TemplateCache
from ormada.backends.cassandra.tables import CqlTable, build_table
from ormada.backends.cassandra.types import user_types
from ormada.backends.cassandra.vectors import ann_read
from ormada.backends.cassandra.writes import compile_delete, compile_insert, compile_update, compile_update_rows
from ormada.errors import ConfigurationError, NotSupported
from ormada.schema import Kind

if TYPE_CHECKING:
    import sqlalchemy as sa

    from ormada._info import ModelInfo
    from ormada._url import DatabaseURL
    from ormada.query.aggregates import AggregateSpec
    from ormada.query.state import QueryState
    from ormada.schema import ColumnSchema

DEFAULT_TEMPLATE_CACHE = 2048


class CassandraBackend(Backend):
    """Compiles queries to CQL and runs them on cassandra-driver (scylla-driver works as a drop-in)."""

    name = "cassandra"
    version_query = "SELECT release_version FROM system.local"
    supports = Capabilities(
        returning=False, group_by=False, savepoints=False, transactions=False, joins=False, or_filters=False,
        upsert=True,
        server_side_cursors=True, json_contains=False, rowcount=False, max_params=65_535, metadata=False, ctes=False,
        set_operations=frozenset(), expressions=False,
        extra={"set_operations_reason": " (CQL reads one table's partitions at a time, with no compound queries)",
               "row_locks_instead": "Cassandra has neither row locks nor transactions; make the write conditional "
                                    "instead (a lightweight transaction: save(if_={...}), if_not_exists=True)",
               "ttl": True, "lwt": True, "batches": True, "counters": True, "paging_state": True,
               "natural_order": True, "decode_nulls": True,
               "offset": False},  # no OFFSET: numbered pages are refused, cursor pages use paging states
    )

    def __init__(self, url: DatabaseURL) -> None:
        super().__init__(url)
        self.keyspace = url.database
        self.holder = SessionHolder(url)
        self.templates = TemplateCache(self.holder.options.get("statement_cache_size", DEFAULT_TEMPLATE_CACHE))
        self._keyed: dict[tuple[ModelInfo, tuple[str, ...]], KeyedSelect | None] = {}
        self._table_cache: dict[ModelInfo, CqlTable] = {}

    # -- tables -----------------------------------------------------------------------
    def table(self, info: ModelInfo) -> CqlTable:
        """The model's :class:`CqlTable`, worked out once per backend (it names the keyspace)."""
        table = self._table_cache.get(info)
        if table is None:
            generated = info.table.generated_column
            if generated is not None:
                raise ConfigurationError(
                    f"{info.name}.{generated.name}: Cassandra does not generate keys; give it a value, e.g. "
                    "Annotated[UUID, PrimaryKey()] = Field(default_factory=uuid4), or "
                    "Annotated[int, PrimaryKey(autoincrement=False)]"
                )
            table = self._table_cache[info] = build_table(info, self.keyspace)
        return table

    # -- reads --------------------------------------------------------------------------
    def select(self, info: ModelInfo, state: QueryState) -> Compiled:
        distance: tuple[Any, ...] = ()
        if state.nearest is not None:
            state, distance = ann_read(self.table(info), state)
        state = self._natural_order(info, state)
        statement, template = compile_read(self.templates, self.table(info), state, "select", info.database)
        statement.model = info.name
        if distance:  # the vector column read once more, last, becomes the distance
            return Compiled(statement, template.columns[:-1], distance)
        return Compiled(statement, template.columns)

    def keyed_select(self, info: ModelInfo, fields: tuple[str, ...]) -> KeyedSelect | None:
        key = (info, fields)
        try:
            return self._keyed[key]
        except KeyError:
            if len(self._keyed) >= DEFAULT_TEMPLATE_CACHE:
                del self._keyed[next(iter(self._keyed))]
            plan = self._keyed[key] = keyed_read(self.table(info), fields, info.name, info.database)
            return plan

    def aggregate(self, info: ModelInfo, state: QueryState,
                  specs: tuple[AggregateSpec, ...]) -> tuple[Statement, tuple[Decoder, ...]]:
        statement = compile_aggregate(self.templates, self.table(info), state, specs, info.database)
        return statement, tuple(_aggregate_decoder(self, spec) for spec in specs)

    def count(self, info: ModelInfo, state: QueryState) -> Statement:
        state = state if state.nearest is None else state.evolve(nearest=None)  # order changes no count
        return _named(info, compile_read(self.templates, self.table(info), state, "count", info.database)[0])

    def exists(self, info: ModelInfo, state: QueryState) -> Statement:
        state = state if state.nearest is None else state.evolve(nearest=None)
        return _named(info, compile_read(self.templates, self.table(info), state, "exists", info.database)[0])

    def _natural_order(self, info: ModelInfo, state: QueryState) -> QueryState:
        """Drops an ordering CQL gives anyway: partition-key columns (fixed by ``=``)
        followed by clustering columns in their declared direction."""
        from dataclasses import replace

        if not state.order_by:
            return state
        table = self.table(info)
        fixed = {lk.field for lk in where_lookups(table, state) if lk.op == "exact"}
        order = list(state.order_by)
        while order and order[0].field in table.partition and order[0].field in fixed and not order[0].descending:
            order.pop(0)
        if len(order) == len(state.order_by):
            return state
        return replace(state, order_by=tuple(order))

    # -- writes ----------------------------------------------------------------------------
    def update(self, info: ModelInfo, state: QueryState, values: dict[str, Any]) -> Statement:
        table = self.table(info)
        statement = compile_update(self.templates, table, where_lookups(table, state, write=True), values,
                                   state.options, info.database)
        return _named(info, statement)

    def delete(self, info: ModelInfo, state: QueryState) -> Statement:
        table = self.table(info)
        statement = compile_delete(self.templates, table, where_lookups(table, state, write=True), state.options,
                                   info.database)
        return _named(info, statement)

    def insert(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
               returning: tuple[str, ...] = (), options: Mapping[str, Any] | None = None) -> Statement:
        self._check_returning(info, columns, returning)
        statement = compile_insert(self.templates, self.table(info), columns, rows, options or {}, info.database)
        return _named(info, statement)

    def upsert(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
               conflict: tuple[str, ...], update: tuple[str, ...], returning: tuple[str, ...] = ()) -> Statement:
        table = self.table(info)
        if tuple(sorted(conflict)) != tuple(sorted(table.primary_key)):
            raise NotSupported(f"{info.name}: a CQL write is an upsert on the primary key "
                               f"({', '.join(table.primary_key)}) only; conflict on other columns needs a read first")
        self._check_returning(info, columns, returning)
        # INSERT already overwrites: every given column is written, none is read back.
        return _named(info, compile_insert(self.templates, table, columns, rows, {}, info.database))

    def _check_returning(self, info: ModelInfo, columns: tuple[str, ...], returning: tuple[str, ...]) -> None:
        unknown = [c for c in returning if c not in columns]
        if unknown:
            raise NotSupported(f"{info.name}: CQL writes return nothing; {', '.join(unknown)} must be given a value")

    def update_rows(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
                    options: Mapping[str, Any] | None = None) -> Statement:
        statement = compile_update_rows(self.templates, self.table(info), columns, rows, options or {},
                                        info.database)
        return _named(info, statement)

    # -- schema ---------------------------------------------------------------------------------
    def _tables(self, infos: Sequence[ModelInfo]) -> list[CqlTable]:
        seen: dict[tuple[str | None, str], CqlTable] = {}
        for info in infos:
            table = self.table(info)
            seen.setdefault((table.keyspace, table.schema.name), table)
        return list(seen.values())

    def metadata(self, infos: Sequence[ModelInfo], metadata: sa.MetaData | None = None) -> sa.MetaData:
        """Refused: Alembic and SQLAlchemy cannot describe CQL tables (clustering order,
        collections, materialized views); :meth:`migrate_schema` plans Cassandra's schema changes."""
        raise NotSupported(
            "Cassandra has no SQLAlchemy metadata for Alembic to compare; plan schema changes with "
            "db.run(db.backend.migrate_schema(infos, dry_run=True))"
        )

    def create_tables(self, infos: Sequence[ModelInfo], known: Sequence[ModelInfo] = (),
                      metadata: sa.MetaData | None = None) -> list[Statement]:
        for info in infos:
            for column in info.table.columns:
                action = column.foreign_key[2] if column.foreign_key is not None else None
                if action:
                    raise NotSupported(
                        f"{info.name}.{column.name}: on_delete={action!r} cannot be kept on Cassandra, which has "
                        "no foreign keys; delete the related rows with the row (in one ormada.batch()) and drop "
                        "on_delete (the key stays a plain column)"
                    )
        tables = self._tables(infos)
        base_tables = [t for t in tables if t.view_of is None]
        by_name = {t.schema.name: t for t in base_tables}
        out: list[Statement] = []
        for keyspace in dict.fromkeys(t.keyspace for t in tables):
            used = user_types(t.schema for t in tables if t.keyspace == keyspace)
            out += [ddl.create_type(model, keyspace) for model in used]
        for table in base_tables:
            out.append(ddl.create_table(table))
            out += [ddl.create_index(table, ix) for ix in table.indexes]
        for view in (t for t in tables if t.view_of is not None):
            base = by_name.get(view.view_of or "")
            if base is None:
                raise ConfigurationError(f"{view.model_name}: its base table {view.view_of} must be created with it")
            out.append(ddl.create_view(view, base))
        return out

    def drop_tables(self, infos: Sequence[ModelInfo], known: Sequence[ModelInfo] = (),
                    metadata: sa.MetaData | None = None) -> list[Statement]:
        tables = self._tables(infos)
        views: list[Statement] = [ddl.drop_table(t) for t in tables if t.view_of is not None]
        return views + [ddl.drop_table(t) for t in tables if t.view_of is None]

    def create_keyspace(self, name: str | None = None, *, replication_factor: int = 1,
                        datacenters: Mapping[str, int] | None = None, durable_writes: bool = True) -> CqlStatement:
        """``CREATE KEYSPACE IF NOT EXISTS`` (SimpleStrategy, or NetworkTopologyStrategy with ``datacenters``)."""
        return ddl.create_keyspace(self._keyspace(name), replication_factor=replication_factor,
                                   datacenters=datacenters, durable_writes=durable_writes)

    def drop_keyspace(self, name: str | None = None) -> CqlStatement:
        """``DROP KEYSPACE IF EXISTS``."""
        return ddl.drop_keyspace(self._keyspace(name))

    def _keyspace(self, name: str | None) -> str:
        keyspace = name or self.keyspace
        if not keyspace:
            raise ConfigurationError(f"no keyspace given and none in {self.url}")
        return keyspace

    def migrate_schema(self, infos: Sequence[ModelInfo], *, dry_run: bool = False,
                       strict: bool = True) -> Generator[CqlStatement, Any, migrate.MigrationPlan]:
        """An operation (for ``Database.run``/``arun``) that adds missing types, tables,
        columns, indexes and views, and returns the :class:`~migrate.MigrationPlan`."""
        keyspace = self._keyspace(None)
        tables = [t for t in self._tables(infos) if t.keyspace == keyspace]  # system_schema is read per keyspace
        return migrate.migrate_gen(tables, keyspace, dry_run=dry_run, strict=strict)

    # -- misc ------------------------------------------------------------------------------------
    def explain(self, statement: Statement) -> Statement:
        raise NotSupported("CQL has no EXPLAIN; run the query with tracing in cqlsh (TRACING ON) or read "
                           "system_traces for a traced request")

    def raw(self, text: str, params: Sequence[Any] | dict[str, Any] | None) -> Statement:
        """A user's own CQL with ``?`` or ``:name`` markers; values are bound, never spliced in."""
        bound: Any = params if params is not None else ()
        return CqlStatement(text=text, params=bound, fetch="auto", prepare=bool(params))

    def script(self, text: str) -> Statement:
        raise NotSupported("CQL runs one statement per request; run each with execute(), or group writes "
                           "in ormada.batch()")

    def decoder(self, column: ColumnSchema) -> Decoder | None:
        return codecs.column_decoder(column)

    def encoder(self, info: ModelInfo, column: ColumnSchema) -> Encoder | None:
        return codecs.column_encoder(info.name, column)

    def sync_pool(self) -> SyncPool:
        return CassandraSyncPool(self.holder)

    def async_pool(self) -> AsyncPool:
        return CassandraAsyncPool(self.holder)


def _named(info: ModelInfo, statement: CqlStatement) -> CqlStatement:
    """The statement, marked with its model so that a refusal from the server names it."""
    statement.model = info.name
    return statement


def _aggregate_decoder(backend: CassandraBackend, spec: AggregateSpec) -> Decoder:
    if spec.function == "count":
        return lambda v: 0 if v is None else int(v)
    if spec.function == "sum" and spec.kind is not Kind.DECIMAL and spec.kind is not Kind.FLOAT64:
        return lambda v: None if v is None else int(v)
    if spec.function == "avg" and spec.kind is not Kind.DECIMAL:
        return lambda v: None if v is None else float(v)
    decode = backend.decoder(spec.column) if spec.column is not None else None
    return (lambda v: v) if decode is None else (lambda v: None if v is None else decode(v))
