"""Schema statements: keyspaces, user types, tables, indexes and materialized views.

Everything here is text generation with no connection, so a dry run prints
exactly what :meth:`CassandraBackend.create_tables` would send. DDL takes no bind
markers, so option values are rendered as CQL literals with quotes escaped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from ormada.backends.cassandra.statements import CqlStatement
from ormada.backends.cassandra.tables import CqlTable, IndexSpec
from ormada.backends.cassandra.types import column_type, cql_type, quote, udt_fields, udt_name
from ormada.errors import ConfigurationError
from ormada.schema import Kind

# Meta.options keys the CQL backend reads itself; the rest become table options.
RESERVED_OPTIONS = frozenset({"view_of"})
OPTION_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
SAI_CLASS = "StorageAttachedIndex"
SASI_CLASS = "org.apache.cassandra.index.sasi.SASIIndex"


def ddl(text: str) -> CqlStatement:
    """A schema statement: unprepared, no parameters, nothing to fetch."""
    return CqlStatement(text=text, params=(), fetch="none", prepare=False)


def literal(value: Any) -> str:
    """A Python value as a CQL literal for DDL options.

    Raises:
        ConfigurationError: the value has no literal form.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{literal(str(k))}: {literal(v)}" for k, v in value.items()) + "}"
    raise ConfigurationError(f"table option value {value!r} has no CQL literal; use a str, number, bool or dict")


def _qualified(keyspace: str | None, name: str) -> str:
    return f"{quote(keyspace)}.{quote(name)}" if keyspace else quote(name)


def _options(table: CqlTable) -> list[str]:
    parts: list[str] = []
    if table.clustering:
        order = ", ".join(f"{table.ident(c)} {table.by_name[c].clustering_order.upper()}" for c in table.clustering)
        parts.append(f"CLUSTERING ORDER BY ({order})")
    if table.schema.default_ttl is not None:
        parts.append(f"default_time_to_live = {int(table.schema.default_ttl)}")
    for key, value in table.schema.options.items():
        if key in RESERVED_OPTIONS:
            continue
        if not OPTION_NAME.match(key):
            raise ConfigurationError(f"{table.model_name}: table option name {key!r} is not a CQL option name")
        parts.append(f"{key} = {literal(value)}")
    return parts


def _primary_key(table: CqlTable) -> str:
    partition = ", ".join(table.ident(p) for p in table.partition)
    if len(table.partition) > 1:
        partition = f"({partition})"
    return ", ".join([partition, *(table.ident(c) for c in table.clustering)])


def create_type(model: type[BaseModel], keyspace: str | None) -> CqlStatement:
    """``CREATE TYPE IF NOT EXISTS`` for a user type declared as a pydantic model."""
    fields = ", ".join(f"{quote(n)} {cql_type(t, nested=True)}" for n, t in udt_fields(model))
    return ddl(f"CREATE TYPE IF NOT EXISTS {_qualified(keyspace, udt_name(model))} ({fields})")


def drop_type(model: type[BaseModel], keyspace: str | None) -> CqlStatement:
    """``DROP TYPE IF EXISTS``."""
    return ddl(f"DROP TYPE IF EXISTS {_qualified(keyspace, udt_name(model))}")


def create_table(table: CqlTable) -> CqlStatement:
    """``CREATE TABLE IF NOT EXISTS`` with keys, static columns, clustering order and options.

    Raises:
        ConfigurationError: the model mixes counters and other values, or puts a
            collection or counter in the key.
    """
    _check_table(table)
    defs = []
    for c in table.columns:
        static = " static" if c.static else ""
        defs.append(f"{table.ident(c.name)} {column_type(c)}{static}")
    defs.append(f"PRIMARY KEY ({_primary_key(table)})")
    text = f"CREATE TABLE IF NOT EXISTS {table.name} ({', '.join(defs)})"
    options = _options(table)
    if options:
        text += " WITH " + " AND ".join(options)
    return ddl(text)


def _check_table(table: CqlTable) -> None:
    model = table.model_name
    keys = set(table.primary_key)
    counters = [c.name for c in table.columns if c.type.kind is Kind.COUNTER]
    others = [c.name for c in table.columns if c.name not in keys and c.type.kind is not Kind.COUNTER]
    if counters and others:
        raise ConfigurationError(f"{model}: a counter table holds only key and counter columns; move "
                                 f"{', '.join(others)} to another model")
    for c in table.columns:
        if c.name in keys and c.type.kind in (Kind.COUNTER, Kind.VECTOR):
            raise ConfigurationError(f"{model}.{c.name}: a {c.type.kind.value} cannot be part of the key")
        if c.static and not table.clustering:
            raise ConfigurationError(f"{model}.{c.name}: Static() needs at least one ClusteringKey()")
        if c.static and c.name in keys:
            raise ConfigurationError(f"{model}.{c.name}: a key column cannot be Static()")
    if counters and table.schema.default_ttl:
        raise ConfigurationError(f"{model}: counter tables cannot have a default_ttl")


def create_index(table: CqlTable, index: IndexSpec) -> CqlStatement:
    """``CREATE [CUSTOM] INDEX IF NOT EXISTS`` for a secondary, SAI or SASI index."""
    column = table.ident(index.column)
    target = f"{index.kind.upper()}({column})" if index.kind in ("keys", "values", "entries", "full") else column
    head = f"CREATE INDEX IF NOT EXISTS {quote(index.name)} ON {table.name} ({target})"
    if index.kind == "sai":
        head = f"CREATE CUSTOM INDEX IF NOT EXISTS {quote(index.name)} ON {table.name} ({target}) USING '{SAI_CLASS}'"
        if index.options:  # a vector index's similarity function
            head += f" WITH OPTIONS = {literal(dict(index.options))}"
    elif index.kind == "sasi":
        options = dict(index.options)
        if table.by_name[index.column].type.kind is Kind.TEXT:
            options.setdefault("mode", "CONTAINS")
        head = f"CREATE CUSTOM INDEX IF NOT EXISTS {quote(index.name)} ON {table.name} ({target}) USING '{SASI_CLASS}'"
        if options:
            head += f" WITH OPTIONS = {literal(options)}"
    statement = ddl(head)
    statement.builds_index = (table.keyspace, index.name)
    return statement


def drop_index(table: CqlTable, index: IndexSpec) -> CqlStatement:
    """``DROP INDEX IF EXISTS``."""
    return ddl(f"DROP INDEX IF EXISTS {_qualified(table.keyspace, index.name)}")


def create_view(view: CqlTable, base: CqlTable) -> CqlStatement:
    """``CREATE MATERIALIZED VIEW`` for a model whose ``Meta.options["view_of"]`` names its base.

    Raises:
        ConfigurationError: the view lacks a base key column or names columns its base does not have.
    """
    missing = [c.name for c in view.columns if c.name not in base.by_name]
    if missing:
        raise ConfigurationError(f"{view.model_name}: {', '.join(missing)} not in base table {base.schema.name}")
    lacking = [k for k in base.primary_key if k not in view.primary_key]
    if lacking:
        raise ConfigurationError(f"{view.model_name}: a materialized view's key must include every key column of "
                                 f"its base ({', '.join(lacking)} missing)")
    extra = [k for k in view.primary_key if k not in base.primary_key]
    if len(extra) > 1:
        raise ConfigurationError(f"{view.model_name}: a materialized view may add one non-key column to its key")
    cols = ", ".join(view.ident(c.name) for c in view.columns)
    where = " AND ".join(f"{view.ident(k)} IS NOT NULL" for k in view.primary_key)
    text = (f"CREATE MATERIALIZED VIEW IF NOT EXISTS {view.name} AS SELECT {cols} FROM {base.name} "
            f"WHERE {where} PRIMARY KEY ({_primary_key(view)})")
    options = _options(view)
    if options:
        text += " WITH " + " AND ".join(options)
    return ddl(text)


def drop_table(table: CqlTable) -> CqlStatement:
    """``DROP TABLE IF EXISTS`` (or ``DROP MATERIALIZED VIEW`` for a view model)."""
    if table.view_of is not None:
        return ddl(f"DROP MATERIALIZED VIEW IF EXISTS {table.name}")
    return ddl(f"DROP TABLE IF EXISTS {table.name}")


def create_keyspace(name: str, *, replication_factor: int = 1, datacenters: Mapping[str, int] | None = None,
                    durable_writes: bool = True) -> CqlStatement:
    """``CREATE KEYSPACE IF NOT EXISTS`` with SimpleStrategy, or NetworkTopologyStrategy when
    ``datacenters`` maps data-centre names to replica counts."""
    if datacenters:
        replicas = {dc: int(n) for dc, n in datacenters.items()}
        replication: dict[str, Any] = {"class": "NetworkTopologyStrategy", **replicas}
    else:
        replication = {"class": "SimpleStrategy", "replication_factor": int(replication_factor)}
    return ddl(f"CREATE KEYSPACE IF NOT EXISTS {quote(name)} WITH replication = {literal(replication)} "
               f"AND durable_writes = {literal(durable_writes)}")


def drop_keyspace(name: str) -> CqlStatement:
    """``DROP KEYSPACE IF EXISTS``."""
    return ddl(f"DROP KEYSPACE IF EXISTS {quote(name)}")


def add_column(table: CqlTable, name: str) -> CqlStatement:
    """``ALTER TABLE … ADD`` for a new non-key column (keeps existing data)."""
    column = table.by_name[name]
    static = " static" if column.static else ""
    return ddl(f"ALTER TABLE {table.name} ADD {table.ident(name)} {column_type(column)}{static}")


def add_type_field(model: type[BaseModel], keyspace: str | None, field: str) -> CqlStatement:
    """``ALTER TYPE … ADD`` for a field added to a user type."""
    ltype = dict(udt_fields(model))[field]
    return ddl(f"ALTER TYPE {_qualified(keyspace, udt_name(model))} ADD {quote(field)} {cql_type(ltype, nested=True)}")
