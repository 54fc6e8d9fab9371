"""Reading a Cassandra keyspace's tables and user types from ``system_schema`` into a
:class:`DatabaseInfo`: partition and clustering keys with their order, static and counter
columns, collections (frozen or not), user types, vectors, indexes and table options."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ormada.errors import ConfigurationError
from ormada.introspect.description import (
    ColumnInfo,
    DatabaseInfo,
    IndexInfo,
    TableInfo,
    TypeInfo,
    UserTypeInfo,
    chosen_tables,
    rows_by_table,
)
from ormada.schema import Kind

if TYPE_CHECKING:
    from ormada.database import Database

_SCALARS = {"smallint": Kind.INT16, "int": Kind.INT32, "bigint": Kind.INT64, "counter": Kind.COUNTER,
            "double": Kind.FLOAT64, "decimal": Kind.DECIMAL, "boolean": Kind.BOOL, "text": Kind.TEXT,
            "blob": Kind.BYTES, "uuid": Kind.UUID, "timeuuid": Kind.TIMEUUID, "date": Kind.DATE, "time": Kind.TIME,
            "timestamp": Kind.DATETIME, "inet": Kind.INET, "duration": Kind.DURATION}
# CQL types no ormada kind creates: the nearest kind, and the type kept verbatim (DbType).
_OTHER_SCALARS = {"ascii": Kind.TEXT, "varchar": Kind.TEXT, "float": Kind.FLOAT64, "tinyint": Kind.INT16,
                  "varint": Kind.INT64}
_COLLECTIONS = {"list": Kind.LIST, "set": Kind.SET, "map": Kind.MAP, "tuple": Kind.TUPLE}
_ROLES = {"partition_key": "partition", "clustering": "clustering"}
# Table options a model carries in Meta.options when they are not Cassandra's defaults.
_OPTION_DEFAULTS: dict[str, Any] = {"comment": "", "gc_grace_seconds": 864000}


def describe(database: Database, tables: Sequence[str] | None = None) -> DatabaseInfo:
    """The tables and user types of the keyspace ``database``'s URL names.

    Raises:
        ConfigurationError: the URL names no keyspace, the keyspace has no tables, or a table
            named in ``tables`` does not exist.
    """
    url = database.url
    keyspace = url.database
    if not keyspace:
        raise ConfigurationError(f"{url.render()} names no keyspace: add it to the URL (cassandra://host/keyspace)")
    where = {"ks": keyspace}
    columns = database.execute("SELECT table_name, column_name, kind, position, clustering_order, type "
                               "FROM system_schema.columns WHERE keyspace_name = :ks", where)
    table_rows = database.execute("SELECT table_name, default_time_to_live, comment, gc_grace_seconds "
                                  "FROM system_schema.tables WHERE keyspace_name = :ks", where)
    index_rows = database.execute("SELECT table_name, index_name, kind, options FROM system_schema.indexes "
                                  "WHERE keyspace_name = :ks", where)
    type_rows = database.execute("SELECT type_name, field_names, field_types FROM system_schema.types "
                                 "WHERE keyspace_name = :ks", where)
    return from_rows(url.render(), columns, table_rows, index_rows, type_rows, tables)


def from_rows(source: str, columns: Sequence[Sequence[Any]], table_rows: Sequence[Sequence[Any]],
              index_rows: Sequence[Sequence[Any]], type_rows: Sequence[Sequence[Any]],
              tables: Sequence[str] | None = None) -> DatabaseInfo:
    """The description of a keyspace from its ``system_schema`` rows (no I/O)."""
    by_table = rows_by_table(columns)
    names = chosen_tables(source, by_table, tables)
    options = {str(row[0]): row[1:] for row in table_rows}
    indexes: dict[str, list[IndexInfo]] = {}
    for table, name, kind, raw in index_rows:
        index = _index(str(table), str(name), str(kind), dict(raw or {}))
        if index is not None:
            indexes.setdefault(str(table), []).append(index)
    described = tuple(_table(name, by_table[name], options.get(name), indexes.get(name, [])) for name in names)
    user_types = tuple(sorted((UserTypeInfo(str(name), tuple(
        (str(f), parse_type(str(t), top=False)) for f, t in zip(field_names or (), field_types or (), strict=True)))
        for name, field_names, field_types in type_rows), key=lambda u: u.name))
    return DatabaseInfo(source, "cassandra", described, user_types)


def _table(name: str, rows: list[Sequence[Any]], options: Sequence[Any] | None,
           indexes: list[IndexInfo]) -> TableInfo:
    order = {"partition_key": 0, "clustering": 1, "static": 2, "regular": 2}
    columns = []
    for _, column, kind, position, clustering_order, cql in sorted(rows, key=lambda r: (order[r[2]], r[3], r[1])):
        role = _ROLES.get(str(kind))
        type_info = parse_type(str(cql))
        if role is not None and type_info.frozen:  # key columns are frozen by ormada itself
            type_info = replace(type_info, frozen=False)
        collection = type_info.kind in (Kind.LIST, Kind.SET, Kind.MAP) and not type_info.frozen
        counter = type_info.kind is Kind.COUNTER
        columns.append(ColumnInfo(
            str(column), type_info, nullable=role is None and not collection and not counter,
            default=0 if counter else None, key=role, key_position=int(position) if role else 0,  # type: ignore[arg-type]
            clustering_order="desc" if str(clustering_order).lower() == "desc" else "asc",
            static=str(kind) == "static"))
    table_options: list[tuple[str, Any]] = []
    if options is not None:
        ttl, comment, gc_grace = options
        if ttl:
            table_options.append(("default_ttl", int(ttl)))
        extra = {k: v for k, v in (("comment", comment or ""), ("gc_grace_seconds", gc_grace))
                 if v is not None and v != _OPTION_DEFAULTS[k]}
        if extra:
            table_options.append(("options", tuple(sorted(extra.items()))))
    return TableInfo(name, tuple(columns), indexes=tuple(sorted(indexes, key=lambda i: i.columns)),
                     options=tuple(table_options))


def _index(table: str, name: str, kind: str, options: dict[str, str]) -> IndexInfo | None:
    target = options.get("target", "")
    match = re.fullmatch(r"(?:\w+\()?\"?([^\")]+)\"?\)?", target)
    if match is None:
        return None
    column = match.group(1)
    using = "sai" if "StorageAttachedIndex" in options.get("class_name", "") or kind == "CUSTOM" else None
    similarity = options.get("similarity_function")
    if similarity is not None:  # a vector index: VectorIndex(column, metric=...) in Meta.indexes
        return IndexInfo(name, (column,), using=using, metric=_METRICS.get(similarity.upper(), "cosine"))
    default = f"{table}_{column}_idx".lower()
    return IndexInfo(None if name == default else name, (column,), using=using)


# SAI's similarity functions by the metric ormada names them with.
_METRICS = {"COSINE": "cosine", "EUCLIDEAN": "l2", "DOT_PRODUCT": "inner"}


def parse_type(text: str, top: bool = True) -> TypeInfo:
    """A ``system_schema`` type (``frozen<map<text, list<int>>>``) as a :class:`TypeInfo`;
    only a top-level ``frozen`` is kept, since ormada freezes nested types itself."""
    info, rest = _parse(text.strip())
    if rest.strip():
        raise ConfigurationError(f"cannot read the CQL type {text!r}")
    return info if top else replace(info, frozen=False)


def _parse(text: str) -> tuple[TypeInfo, str]:
    match = re.match(r'\s*("(?:[^"]|"")+"|[\w.]+)\s*', text)
    if match is None:
        raise ConfigurationError(f"cannot read the CQL type {text!r}")
    name, rest = match.group(1), text[match.end():]
    arguments: list[Any] = []
    if rest.startswith("<"):
        rest = rest[1:]
        while True:
            number = re.match(r"\s*(\d+)\s*", rest)
            if number is not None and name == "vector":
                arguments.append(int(number.group(1)))
                rest = rest[number.end():]
            else:
                item, rest = _parse(rest)
                arguments.append(item)
            rest = rest.lstrip()
            if rest.startswith(","):
                rest = rest[1:]
                continue
            if rest.startswith(">"):
                rest = rest[1:]
                break
            raise ConfigurationError(f"cannot read the CQL type near {rest!r}")
    lowered = name.lower()
    if lowered == "frozen":
        inner = arguments[0]
        # A tuple is frozen whatever it says; ormada writes frozen<tuple<…>> itself.
        return replace(inner, frozen=inner.kind is not Kind.TUPLE), rest
    if lowered in _COLLECTIONS:
        items = tuple(replace(a, frozen=False) for a in arguments)
        return TypeInfo(_COLLECTIONS[lowered], items=items), rest
    if lowered == "vector":
        return TypeInfo(Kind.VECTOR, dimensions=int(arguments[1])), rest
    if lowered in _SCALARS:
        return TypeInfo(_SCALARS[lowered]), rest
    if lowered in _OTHER_SCALARS:
        return TypeInfo(_OTHER_SCALARS[lowered], db_type=lowered), rest
    return TypeInfo(Kind.USER_TYPE, user_type=name.strip('"').replace('""', '"')), rest
