"""Writes: INSERT, UPDATE (by QuerySet or by key), DELETE, and their CQL-only parts.

CQL writes are upserts that never read first. Left-out values are bound as
*unset*, never as null, so saving a new instance writes no tombstones. Conditions
(``IF NOT EXISTS``, ``IF EXISTS``, ``IF col = …``) make a write a lightweight
transaction whose result says whether it applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from cassandra.query import UNSET_VALUE

from ormada.backends.cassandra.statements import (
    CqlStatement,
    Template,
    TemplateCache,
    bind,
    bind_many,
    whole_number,
)
from ormada.backends.cassandra.tables import CqlTable
from ormada.backends.cassandra.types import cql_type
from ormada.backends.cassandra.where import Marker, lookup_shape, render_write
from ormada.errors import NotSupported, QueryError
from ormada.query.expressions import Combined, F, Lookup, is_expression
from ormada.query.shape import QueryShape
from ormada.schema import ColumnSchema, Kind

CONDITION_OPS = {"exact": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "in": "IN"}
COLLECTION_OPS = ("add", "remove", "append", "prepend", "update", "incr", "decr")


def _using(options: Mapping[str, Any], *, allow_ttl: bool = True) -> tuple[str, list[Marker], list[Any]]:
    parts, markers, values = [], [], []
    if options.get("ttl") is not None:
        if not allow_ttl:
            raise NotSupported("a CQL DELETE takes no TTL; give ttl on the write that stores the value")
        parts.append("TTL ?")
        markers.append(Marker("int"))
        values.append(whole_number(options["ttl"], "ttl"))
    if options.get("timestamp") is not None:
        parts.append("TIMESTAMP ?")
        markers.append(Marker("bigint"))
        values.append(whole_number(options["timestamp"], "timestamp"))
    return (" USING " + " AND ".join(parts)) if parts else "", markers, values


def _conditions(table: CqlTable, options: Mapping[str, Any]) -> tuple[str, list[Marker], list[Any], tuple[Any, ...]]:
    """``IF EXISTS`` or ``IF a = ? AND …`` from ``if_exists=True`` / ``if_={...}``."""
    conds = options.get("if_") or options.get("if_conditions")
    if options.get("if_exists"):
        if conds:
            raise NotSupported(f"{table.model_name}: use either if_exists or if_={{…}}, not both")
        return " IF EXISTS", [], [], ("exists",)
    if not conds:
        return "", [], [], ()
    parts, markers, values, shape = [], [], [], []
    for key, value in conds.items():
        field, _, op = key.partition("__")
        op = op or "exact"
        if field not in table.by_name:
            raise QueryError(f"{table.model_name} has no field {field!r} (in if_)")
        if op not in CONDITION_OPS:
            raise QueryError(f"{table.model_name}.{field}: condition {op!r} unknown; "
                             f"use one of {', '.join(CONDITION_OPS)}")
        if field in table.primary_key:
            raise NotSupported(f"{table.model_name}.{field}: LWT conditions test non-key columns; the key is in WHERE")
        column = table.by_name[field]
        enc = table.encoder(field)
        if op == "in":
            parts.append(f"{table.ident(field)} IN ?")
            markers.append(Marker(f"list<{cql_type(column.type, nested=True)}>", _list_encoder(enc)))
            values.append(list(value))
        else:
            parts.append(f"{table.ident(field)} {CONDITION_OPS[op]} ?")
            markers.append(Marker(cql_type(column.type), enc))
            values.append(value)
        shape.append((field, op))
    return " IF " + " AND ".join(parts), markers, values, tuple(shape)


def _list_encoder(enc: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    if enc is None:
        return list
    return lambda values: [enc(v) for v in values]


def _check_writable(table: CqlTable) -> None:
    if table.view_of is not None:
        raise NotSupported(f"{table.model_name} is a materialized view of {table.view_of}; write to that table")


# -- INSERT -------------------------------------------------------------------

def compile_insert(cache: TemplateCache, table: CqlTable, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
                   options: Mapping[str, Any], database: str | None) -> CqlStatement:
    """``INSERT INTO … VALUES (?, …)``; ``None`` values are bound unset (no tombstones).

    A counter table has no INSERT: the values become increments of an UPDATE.
    """
    if table.discriminator is not None:
        columns, rows = _with_discriminator(table.discriminator, columns, rows)
    if table.is_counter_table:
        _check_insert(table, columns)
        return _counter_insert(cache, table, columns, rows, options, database)
    if options.get("if_exists") or options.get("if_"):
        raise NotSupported(f"{table.model_name}: an INSERT takes if_not_exists only; use update() for if_exists / if_")
    if_not_exists = bool(options.get("if_not_exists"))
    using, using_markers, using_values = _using(options)

    def build() -> Template:
        _check_insert(table, columns)
        names = ", ".join(table.ident(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        text = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
        text += " IF NOT EXISTS" if if_not_exists else ""
        text += using
        markers = [Marker(cql_type(table.by_name[c].type, freeze=table.by_name[c].key is not None),
                          table.encoder(c)) for c in columns]
        return Template(text, (*markers, *using_markers), fetch="rowcount",
                        write=True, conditional=if_not_exists)

    # The columns are checked when their template is built, so a cached one is known good.
    template = cache.get(QueryShape("insert", id(table), columns=columns, options=(if_not_exists, using)), build)
    # Left-out values and empty collections are bound unset: a null (or an empty
    # non-frozen collection) would write a tombstone.
    multicell = table.multicell
    if multicell:
        empty_unset = [c in multicell for c in columns]
        values = [[UNSET_VALUE if v is None or (e and not v) else v for v, e in zip(r, empty_unset, strict=True)]
                  + using_values for r in rows]
    else:
        values = [[UNSET_VALUE if v is None else v for v in r] + using_values for r in rows]
    if len(values) == 1:
        return bind(template, values[0], database=database, options=options, idempotent=not if_not_exists)
    return bind_many(template, values, database=database, options=options)


def _check_insert(table: CqlTable, columns: tuple[str, ...]) -> None:
    _check_writable(table)
    unknown = [c for c in columns if c not in table.by_name]
    if unknown:
        raise QueryError(f"{table.model_name} has no field {unknown[0]!r}")
    missing = [k for k in table.primary_key if k not in columns]
    if missing:
        raise QueryError(f"{table.model_name}: a CQL row needs every primary-key column; "
                         f"{', '.join(missing)} not given")


def _with_discriminator(discriminator: tuple[str, Any], columns: tuple[str, ...],
                        rows: Sequence[Sequence[Any]]) -> tuple[tuple[str, ...], list[list[Any]]]:
    """A polymorphic subclass's rows, which always carry its discriminator value."""
    name, value = discriminator
    if name not in columns:
        return (*columns, name), [[*r, value] for r in rows]
    at = columns.index(name)
    return columns, [[*r[:at], value, *r[at + 1:]] for r in rows]


def _counter_insert(cache: TemplateCache, table: CqlTable, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
                    options: Mapping[str, Any], database: str | None) -> CqlStatement:
    counters = tuple(c for c in columns if c not in table.primary_key)
    if options.get("ttl") is not None or options.get("if_not_exists"):
        raise NotSupported(f"{table.model_name}: counter tables take no TTL and no conditions")
    keys = table.primary_key
    positions = {c: i for i, c in enumerate(columns)}
    body = [[r[positions[c]] or 0 for c in counters] + [r[positions[k]] for k in keys] for r in rows]
    return compile_update_rows(cache, table, counters, body, options, database, increments=True)


# -- UPDATE by key (model.save of changed columns) -------------------------------------

def compile_update_rows(cache: TemplateCache, table: CqlTable, columns: tuple[str, ...],
                        rows: Sequence[Sequence[Any]], options: Mapping[str, Any], database: str | None,
                        increments: bool = False) -> CqlStatement:
    """``UPDATE … SET c = ? … WHERE key = ?``; each row is new values then primary-key values.

    Only ``columns`` are written; a ``None`` among them is a deliberate null.
    """
    _check_writable(table)
    if not columns:
        raise QueryError(f"{table.model_name}: nothing to update (no changed columns)")
    keyed = [c for c in columns if c in table.primary_key]
    if keyed:
        raise NotSupported(f"{table.model_name}.{keyed[0]}: primary-key columns cannot change in CQL; "
                           "delete the row and insert a new one")
    counters = [c for c in columns if table.by_name[c].type.kind is Kind.COUNTER]
    if counters and not increments:
        raise NotSupported(f"{table.model_name}.{counters[0]}: a counter cannot be set; increment it with "
                           f"update({counters[0]}=F({counters[0]!r}) + n) or {counters[0]}__incr=n")
    using, using_markers, using_values = _using(options)
    cond, cond_markers, cond_values, cond_shape = _conditions(table, options)
    # CQL refuses clustering columns in the WHERE of an UPDATE that sets only static columns.
    keys = table.partition if _static_only(table, columns) else table.primary_key

    def build() -> Template:
        sets, markers = [], []
        for c in columns:
            name = table.ident(c)
            if increments:
                sets.append(f"{name} = {name} + ?")
                markers.append(Marker("bigint"))
            else:
                sets.append(f"{name} = ?")
                markers.append(Marker(cql_type(table.by_name[c].type), table.encoder(c)))
        where = " AND ".join(f"{table.ident(k)} = ?" for k in keys)
        key_markers = [Marker(cql_type(table.by_name[k].type, freeze=True), table.encoder(k)) for k in keys]
        text = f"UPDATE {table.name}{using} SET {', '.join(sets)} WHERE {where}{cond}"
        return Template(text, (*using_markers, *markers, *key_markers, *cond_markers),
                        fetch="rowcount", write=True, counter=increments, conditional=bool(cond))

    shape = QueryShape("update_rows", id(table), columns=columns, options=(using, cond_shape), write=increments)
    template = cache.get(shape, build)
    width = len(columns) + len(keys)  # partition values come first among the key values
    values = [[*using_values, *r[:width], *cond_values] for r in rows]
    if len(values) == 1:
        return bind(template, values[0], database=database, options=options, idempotent=not (cond or increments))
    return bind_many(template, values, database=database, options=options)


# -- UPDATE by QuerySet -------------------------------------------------------------

def _as_collection(value: Any, kind: Kind) -> Any:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable) or isinstance(value, Mapping):
        return value if isinstance(value, Mapping) and kind is Kind.MAP else [value]
    return list(value)


def _assignment(table: CqlTable, key: str, value: Any) -> tuple[str, Marker, Any, bool]:
    """One SET item: ``(text, marker, value, is_counter)`` for ``field`` or ``field__op``."""
    field, _, op = key.partition("__")
    if isinstance(value, (F, Combined)):
        _settable(table, field)
        op, value = _expression_op(table.model_name, field, value)
        if op == "add" and table.by_name[field].type.kind is Kind.MAP:
            op = "update"
    cached = table.write_parts.get(("set", field, op))
    if cached is None:
        cached = table.write_parts[("set", field, op)] = _set_item(table, field, op)
    text, marker, convert, is_counter = cached
    return text, marker, convert(value), is_counter


def _settable(table: CqlTable, field: str) -> ColumnSchema:
    if field not in table.by_name:
        raise QueryError(f"{table.model_name} has no field {field!r}")
    if field in table.primary_key:
        raise NotSupported(f"{table.model_name}.{field}: primary-key columns cannot change in CQL; "
                           "delete and insert instead")
    return table.by_name[field]


def _set_item(table: CqlTable, field: str, op: str) -> tuple[str, Marker, Callable[[Any], Any], bool]:
    """The value-independent part of a SET item: its text, marker, how to turn the value
    into the bound one, and whether it changes a counter (kept per table, see ``write_parts``)."""
    model = table.model_name
    column = _settable(table, field)
    kind = column.type.kind
    name = table.ident(field)
    ctype = cql_type(column.type)
    enc = table.encoder(field)
    if op in ("incr", "decr"):
        if kind is not Kind.COUNTER:
            raise NotSupported(f"{model}.{field}: CQL adds to counter columns only; read, change and save the value")
        return (f"{name} = {name} {'+' if op == 'incr' else '-'} ?", Marker("bigint"),
                lambda value: whole_number(value, f"{model}.{field}__{op}"), True)
    if kind is Kind.COUNTER:
        raise NotSupported(f"{model}.{field}: a counter cannot be set; use {field}__incr=n or F({field!r}) + n")
    if not op:
        return f"{name} = ?", Marker(ctype, enc), _same, False
    if op not in COLLECTION_OPS:
        raise QueryError(f"{model}.{field}: unknown update {op!r}; use one of {', '.join(COLLECTION_OPS)}")
    if kind not in (Kind.LIST, Kind.SET, Kind.MAP) or column.type.frozen:
        raise NotSupported(f"{model}.{field}__{op}: in-place changes need a non-frozen list, set or map")
    allowed = {Kind.LIST: ("add", "append", "prepend", "remove"), Kind.SET: ("add", "remove"),
               Kind.MAP: ("update", "remove")}[kind]
    if op not in allowed:
        raise QueryError(f"{model}.{field}: a {kind.value} takes {', '.join(f'__{o}' for o in allowed)}, not __{op}")
    if op == "remove" and kind is Kind.MAP:
        key_type = cql_type(column.type.items[0], nested=True)
        return (f"{name} = {name} - ?", Marker(f"set<{key_type}>", _key_encoder(table, field)),
                lambda value: _as_collection(value, Kind.SET), False)
    as_collection: Callable[[Any], Any] = lambda value: _as_collection(value, kind)  # noqa: E731
    if op == "prepend":
        return f"{name} = ? + {name}", Marker(ctype, enc), as_collection, False
    return f"{name} = {name} {'-' if op == 'remove' else '+'} ?", Marker(ctype, enc), as_collection, False


def _same(value: Any) -> Any:
    return value


def _key_encoder(table: CqlTable, field: str) -> Any:
    from ormada.backends.cassandra import codecs

    enc = codecs.item_encoder(table.model_name, table.by_name[field], 0)
    return (lambda keys: [enc(k) for k in keys]) if enc is not None else list


def _expression_op(model: str, field: str, value: Any) -> tuple[str, Any]:
    """``F(field) + v`` → increment or add; ``F(field) - v`` → decrement or remove; ``v + F(field)`` → prepend."""
    if isinstance(value, Combined) and value.op in ("+", "-"):
        lhs, rhs = value.lhs, value.rhs
        if isinstance(lhs, F) and lhs.name == field and not is_expression(rhs):
            if isinstance(rhs, int) and not isinstance(rhs, bool):
                return ("incr" if value.op == "+" else "decr"), rhs
            return ("add" if value.op == "+" else "remove"), rhs
        if value.op == "+" and isinstance(rhs, F) and rhs.name == field and not is_expression(lhs):
            return "prepend", lhs
    raise NotSupported(f"{model}.{field}: CQL updates take F({field!r}) + value or - value (counters and "
                       "collections) only; compute other values in Python")


def compile_update(cache: TemplateCache, table: CqlTable, lookups: list[Lookup], values: Mapping[str, Any],
                   options: Mapping[str, Any], database: str | None) -> CqlStatement:
    """``UPDATE … SET … WHERE <full primary key>`` from ``QuerySet.update(**values)``."""
    _check_writable(table)
    if not values:
        raise QueryError(f"{table.model_name}: update() needs at least one field")
    if _static_only(table, tuple(k.partition("__")[0] for k in values)):
        lookups = _static_lookups(table, lookups)
        where = render_write(table, lookups, "delete")  # the partition key suffices
    else:
        where = render_write(table, lookups, "update")
    texts, markers, bound_values, counter = zip(*(_assignment(table, k, v) for k, v in values.items()),
                                                strict=True)
    is_counter = counter[0]
    if any(c is not is_counter for c in counter):
        raise NotSupported(f"{table.model_name}: CQL cannot change counters and other columns in one UPDATE")
    if is_counter and options.get("ttl") is not None:
        raise NotSupported(f"{table.model_name}: counters take no TTL")
    using, using_markers, using_values = _using(options)
    cond, cond_markers, cond_values, cond_shape = _conditions(table, options)
    # The SET texts, not the field names, key the template: ``items=[0] + F("items")`` and
    # ``items=F("items") + [9]`` (or ``hits=F("hits") - 1`` and ``+ 1``) share a field but not a statement.
    shape = QueryShape("update", id(table), where=where.text, options=(using, cond_shape), write=texts)

    def build() -> Template:
        text = f"UPDATE {table.name}{using} SET {', '.join(texts)} WHERE {where.text}{cond}"
        return Template(text, (*using_markers, *markers, *where.markers, *cond_markers),
                        fetch="rowcount", write=True, counter=is_counter, conditional=bool(cond))

    template = cache.get(shape, build)
    bound = [*using_values, *bound_values, *_lookup_values(lookups), *cond_values]
    return bind(template, bound, database=database, options=options, idempotent=not (cond or is_counter))


def _static_only(table: CqlTable, fields: Sequence[str]) -> bool:
    return bool(fields) and all(f in table.by_name and table.by_name[f].static for f in fields)


def _static_lookups(table: CqlTable, lookups: list[Lookup]) -> list[Lookup]:
    """The lookups of an UPDATE of static columns: the partition key by ``=`` or ``IN``.

    A static value belongs to the whole partition, so clustering filters are dropped
    (CQL refuses them there).

    Raises:
        NotSupported: a partition column is missing, or a filter is on a non-key column.
    """
    kept = [lk for lk in lookups if lk.field not in table.clustering]
    given = {lk.field for lk in kept if lk.op in ("exact", "in")}
    stray = [lk.field for lk in kept if lk.field not in table.partition or lk.op not in ("exact", "in")]
    missing = [p for p in table.partition if p not in given]
    if stray or missing:
        raise NotSupported(f"{table.model_name}: an UPDATE of static columns names its partitions by the partition "
                           f"key ({', '.join(table.partition)}) with = or __in; "
                           f"{', '.join([*(f'{m} (missing)' for m in missing), *stray])} cannot be used")
    return kept


def _lookup_values(lookups: list[Lookup]) -> list[Any]:
    out: list[Any] = []
    for lk in lookups:
        out += list(lk.value) if lk.op == "range" else [lk.value]
    return out


# -- DELETE -------------------------------------------------------------------------

def compile_delete(cache: TemplateCache, table: CqlTable, lookups: list[Lookup], options: Mapping[str, Any],
                   database: str | None) -> CqlStatement:
    """``DELETE [cols] FROM … WHERE <partition key, clustering prefix or range> [IF …]``.

    ``options["columns"]`` deletes only those columns (``DELETE a, b FROM``).
    """
    _check_writable(table)
    where = render_write(table, lookups, "delete")
    cols = tuple(options.get("columns") or ())
    for c in cols:
        if c not in table.by_name:
            raise QueryError(f"{table.model_name} has no field {c!r}")
        if c in table.primary_key:
            raise NotSupported(f"{table.model_name}.{c}: a key column cannot be deleted alone; delete the row")
    using, using_markers, using_values = _using(options, allow_ttl=False)
    cond, cond_markers, cond_values, cond_shape = _conditions(table, options)
    shape = QueryShape("delete", id(table), where=lookup_shape(lookups), columns=cols, options=(using, cond_shape))

    def build() -> Template:
        head = f"DELETE {', '.join(table.ident(c) for c in cols)} FROM" if cols else "DELETE FROM"
        text = f"{head} {table.name}{using} WHERE {where.text}{cond}"
        return Template(text, (*using_markers, *where.markers, *cond_markers), fetch="rowcount",
                        write=True, conditional=bool(cond))

    template = cache.get(shape, build)
    bound = [*using_values, *_lookup_values(lookups), *cond_values]
    return bind(template, bound, database=database, options=options, idempotent=not cond)
