"""The schema of a keyspace as plain data, read from the models, and the CQL that builds its parts.

A *snapshot* is what a CQL migration file records under ``schema``: user types, tables
and materialized views, with names as the database spells them and nothing that names
the keyspace, so the same files migrate a development, a test and a production keyspace.
``makemigrations`` compares the models' snapshot with the one the latest revision left.

Shape (JSON-compatible, so a file stays a readable Python literal)::

    {"types":  {"address": {"street": "text", "zip": "text"}},
     "tables": {"users": {"columns": {"id": "uuid", "email": "text"}, "partition": ["id"],
                          "clustering": {"at": "desc"}, "static": [], "options": {"comment": "..."},
                          "indexes": {"users_email_idx": "CREATE INDEX IF NOT EXISTS ..."}}},
     "views":  {"users_by_email": {"base": "users", "cql": "CREATE MATERIALIZED VIEW IF NOT EXISTS ..."}}}
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pydantic import BaseModel

from ormada._registry import info_of
from ormada.backends.cassandra import ddl
from ormada.backends.cassandra.tables import CqlTable
from ormada.backends.cassandra.types import column_type, cql_type, quote, udt_fields, udt_name, user_types
from ormada.errors import ConfigurationError

Snapshot = dict[str, Any]


def empty() -> Snapshot:
    """The schema before the first revision: nothing."""
    return {"types": {}, "tables": {}, "views": {}}


def normalised(snapshot: Snapshot | None) -> Snapshot:
    """A deep copy with every section present (files written by hand may leave some out)."""
    out = empty()
    for key, value in (snapshot or {}).items():
        out[key] = copy.deepcopy(value)
    return out


def from_models(backend: Any, models: Sequence[type[BaseModel]], keyspace: str | None) -> Snapshot:
    """The snapshot the models declare, for the tables of ``keyspace`` (or of no keyspace).

    Models that name another keyspace in ``Meta.keyspace`` are left out: each keyspace
    has its own record table and its own files.

    Raises:
        ConfigurationError: a model cannot be stored on Cassandra as declared.
    """
    tables: dict[str, CqlTable] = {}
    for model in models:
        table = backend.table(info_of(model))  # the backend's own checks (generated keys, ...)
        if table.keyspace not in (None, keyspace):
            continue
        # No keyspace in the text: the files run against whichever keyspace the database names.
        tables.setdefault(table.schema.name, replace(table, keyspace=None, encoders={}, write_parts={}))
    out = empty()
    for model in user_types(t.schema for t in tables.values()):
        out["types"][udt_name(model)] = {name: cql_type(ltype, nested=True) for name, ltype in udt_fields(model)}
    for name, table in tables.items():
        if table.view_of is None:
            ddl.create_table(table)  # raises on what CQL refuses (counter mixes, keys of collections)
            out["tables"][name] = _table(table)
    for name, table in tables.items():
        if table.view_of is not None:
            base = tables.get(table.view_of)
            if base is None:
                raise ConfigurationError(f"{table.model_name}: its base table {table.view_of} is not among the "
                                         "models of this database")
            out["views"][name] = {"base": base.schema.name, "cql": ddl.create_view(table, base).text}
    return out


def _table(table: CqlTable) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if table.schema.default_ttl is not None:
        options["default_time_to_live"] = int(table.schema.default_ttl)
    options.update((k, v) for k, v in table.schema.options.items() if k not in ddl.RESERVED_OPTIONS)
    return {
        "columns": {c.column_name: column_type(c) for c in table.columns},
        "partition": [table.by_name[f].column_name for f in table.partition],
        "clustering": {table.by_name[f].column_name: table.by_name[f].clustering_order.lower()
                       for f in table.clustering},
        "static": [c.column_name for c in table.columns if c.static],
        "options": options,
        "indexes": {ix.name: ddl.create_index(table, ix).text for ix in table.indexes},
    }


# -- CQL for the parts of a snapshot -------------------------------------------------------------


def create_type(name: str, fields: dict[str, str]) -> str:
    """``CREATE TYPE IF NOT EXISTS`` with the fields in order."""
    body = ", ".join(f"{quote(f)} {t}" for f, t in fields.items())
    return f"CREATE TYPE IF NOT EXISTS {quote(name)} ({body})"


def add_type_field(name: str, field: str, ctype: str) -> str:
    """``ALTER TYPE … ADD IF NOT EXISTS`` (a re-run after a partial failure skips it)."""
    return f"ALTER TYPE {quote(name)} ADD IF NOT EXISTS {quote(field)} {ctype}"


def drop_type(name: str) -> str:
    """``DROP TYPE IF EXISTS``."""
    return f"DROP TYPE IF EXISTS {quote(name)}"


def create_table(name: str, table: dict[str, Any]) -> str:
    """``CREATE TABLE IF NOT EXISTS`` with keys, static columns, clustering order and options."""
    static = set(table["static"])
    defs = [f"{quote(c)} {t}{' static' if c in static else ''}" for c, t in table["columns"].items()]
    partition = ", ".join(quote(c) for c in table["partition"])
    if len(table["partition"]) > 1:
        partition = f"({partition})"
    defs.append(f"PRIMARY KEY ({', '.join([partition, *(quote(c) for c in table['clustering'])])})")
    text = f"CREATE TABLE IF NOT EXISTS {quote(name)} ({', '.join(defs)})"
    options = []
    if table["clustering"]:
        order = ", ".join(f"{quote(c)} {o.upper()}" for c, o in table["clustering"].items())
        options.append(f"CLUSTERING ORDER BY ({order})")
    options += [f"{k} = {ddl.literal(v)}" for k, v in table["options"].items()]
    return text + (" WITH " + " AND ".join(options) if options else "")


def drop_table(name: str) -> str:
    """``DROP TABLE IF EXISTS``."""
    return f"DROP TABLE IF EXISTS {quote(name)}"


def add_column(table: str, column: str, ctype: str, static: bool) -> str:
    """``ALTER TABLE … ADD IF NOT EXISTS``."""
    return f"ALTER TABLE {quote(table)} ADD IF NOT EXISTS {quote(column)} {ctype}{' static' if static else ''}"


def drop_column(table: str, column: str) -> str:
    """``ALTER TABLE … DROP IF EXISTS``."""
    return f"ALTER TABLE {quote(table)} DROP IF EXISTS {quote(column)}"


def set_options(table: str, options: dict[str, Any]) -> str:
    """``ALTER TABLE … WITH`` the given options."""
    return f"ALTER TABLE {quote(table)} WITH " + " AND ".join(f"{k} = {ddl.literal(v)}" for k, v in options.items())


def drop_index(name: str) -> str:
    """``DROP INDEX IF EXISTS``."""
    return f"DROP INDEX IF EXISTS {quote(name)}"


def drop_view(name: str) -> str:
    """``DROP MATERIALIZED VIEW IF EXISTS``."""
    return f"DROP MATERIALIZED VIEW IF EXISTS {quote(name)}"
