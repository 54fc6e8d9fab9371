"""Reads: a :class:`QueryState` → SELECT text and bound values.

Every refusal happens while compiling, so a query CQL cannot serve fails before
anything is sent. Templates are cached by shape; values are bound per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ormada.backends.base import KeyedSelect
from ormada.backends.cassandra.paging import unseal
from ormada.backends.cassandra.statements import CqlStatement, Template, TemplateCache, bind
from ormada.backends.cassandra.tables import CqlTable
from ormada.backends.cassandra.types import cql_type
from ormada.backends.cassandra.where import (
    TOKEN_FIELD,
    Marker,
    Where,
    flatten,
    lookup_shape,
    render,
    token_lookups,
)
from ormada.errors import NotSupported, QueryError
from ormada.query.aggregates import AggregateSpec
from ormada.query.expressions import Lookup
from ormada.query.shape import QueryShape, read_shape
from ormada.query.state import QueryState
from ormada.schema import ColumnSchema, Kind

WRITE_ONLY_OPTIONS = ("ttl", "timestamp", "if_not_exists", "if_exists", "if_")


def where_lookups(table: CqlTable, state: QueryState, *, write: bool = False) -> list[Lookup]:
    """The query's lookups, plus token bounds and the polymorphic discriminator.

    Args:
        write: For an UPDATE or DELETE, which CQL cannot filter on the discriminator (a
            non-key column): it names one row by its whole primary key instead.

    Raises:
        NotSupported: a polymorphic subclass's write names more than one row.
    """
    lookups = flatten(state.where, table.model_name)
    lookups += token_lookups(state.options)
    if table.discriminator is not None:
        column, value = table.discriminator
        if write:
            keyed = {lk.field for lk in lookups if lk.op == "exact"}
            if not set(table.primary_key) <= keyed:
                raise NotSupported(
                    f"{table.model_name}: CQL cannot limit an UPDATE or DELETE to the rows whose {column} is "
                    f"{value!r}; name one row by its whole primary key ({', '.join(table.primary_key)}), "
                    "or write through the base model"
                )
        elif not any(lk.field == column for lk in lookups):
            lookups.append(Lookup(column, "exact", value))
    return lookups


def _check_read(table: CqlTable, state: QueryState) -> None:
    model = table.model_name
    if state.offset:
        raise NotSupported(
            f"{model}: CQL has no OFFSET; page through results with .fetch_size(n) and the paging_state of "
            "each Page instead"
        )
    for key in WRITE_ONLY_OPTIONS:
        if state.options.get(key):
            raise NotSupported(f"{model}: {key} applies to writes (save, update, delete), not to reads")


def _select_columns(table: CqlTable, state: QueryState) -> tuple[ColumnSchema, ...]:
    if state.columns is None:
        return table.columns
    missing = [c for c in state.columns if c not in table.by_name]
    if missing:
        raise QueryError(f"{table.model_name} has no field {missing[0]!r}")
    return tuple(table.by_name[c] for c in state.columns)


def _order(table: CqlTable, state: QueryState, where: Where) -> str:
    model = table.model_name
    ann = state.options.get("ann_of")
    if ann is not None:
        if state.order_by:
            raise NotSupported(f"{model}: ann_of() orders by similarity; it cannot be combined with order_by()")
        field = ann[0]
        column = table.by_name.get(field)
        if column is None or column.type.kind is not Kind.VECTOR:
            raise QueryError(f"{model}: ann_of() needs a Vector() field, not {field!r}")
        if "sai" not in table.index_kinds(field):
            raise NotSupported(f"{model}.{field}: ANN search needs an SAI index; declare Indexed(using='sai')")
        if state.limit is None:
            raise NotSupported(f"{model}: ANN search needs a limit(); CQL refuses an unbounded ANN OF")
        return f" ORDER BY {table.ident(field)} ANN OF ?"
    if not state.order_by:
        return ""
    fields = [o.field for o in state.order_by]
    if any(f not in table.clustering for f in fields):
        bad = next(f for f in fields if f not in table.clustering)
        raise NotSupported(
            f"{model}: cannot order by {bad!r}; CQL sorts only by clustering columns "
            f"({', '.join(table.clustering) or 'none declared'}) within a partition. Sort the rows in Python, "
            "or declare a table (or materialized view) clustered by it"
        )
    if tuple(fields) != table.clustering[: len(fields)]:
        raise NotSupported(
            f"{model}: order_by({', '.join(fields)}) must follow the clustering order "
            f"({', '.join(table.clustering)}) from the first column"
        )
    declared = [table.by_name[f].clustering_order == "desc" for f in fields]
    wanted = [o.descending for o in state.order_by]
    flipped = [d != w for d, w in zip(declared, wanted, strict=True)]
    if any(flipped) and not all(flipped):
        raise NotSupported(
            f"{model}: order_by must keep every clustering column in its declared direction or reverse them all"
        )
    if where.indexed:
        # Refused by the server even with ALLOW FILTERING: "ORDER BY with 2ndary indexes is
        # not supported". reverse() and last() order too, so they land here as well.
        raise NotSupported(
            f"{model}: CQL cannot order a query an index answers ({', '.join(where.indexed)}); drop "
            "order_by()/reverse()/last() (one partition's rows come in clustering order) and sort the rows "
            "in Python"
        )
    if not where.partition_restricted:
        raise NotSupported(
            f"{model}: order_by needs the partition key ({', '.join(table.partition)}) restricted by = or __in; "
            "CQL sorts within partitions only"
        )
    return " ORDER BY " + ", ".join(f"{table.ident(o.field)} {'DESC' if o.descending else 'ASC'}"
                                    for o in state.order_by)


def _distinct(table: CqlTable, state: QueryState, columns: tuple[ColumnSchema, ...],
              lookups: list[Lookup]) -> str:
    if not state.distinct:
        return ""
    allowed = set(table.partition) | {c.name for c in table.columns if c.static}
    names = [c.name for c in columns]
    if state.columns is None or any(n not in allowed for n in names) or not set(table.partition) <= set(names):
        raise NotSupported(
            f"{table.model_name}: CQL DISTINCT selects partition-key (and static) columns only; "
            f"use .values_list({', '.join(repr(p) for p in table.partition)}).distinct()"
        )
    filtered = [lk.field for lk in lookups if lk.field not in allowed and lk.field != TOKEN_FIELD]
    if filtered:
        # The server refuses it: "SELECT DISTINCT with WHERE clause only supports restriction
        # by partition key and/or static columns".
        raise NotSupported(
            f"{table.model_name}: CQL DISTINCT filters only on partition-key and static columns (and token), "
            f"not on {', '.join(dict.fromkeys(filtered))}; read those rows' partition keys without distinct() "
            "and drop the duplicates in Python"
        )
    return "DISTINCT "


def _shape(kind: str, table: CqlTable, state: QueryState, lookups: list[Lookup]) -> QueryShape:
    opts = state.options
    options = (bool(opts.get("allow_filtering")), opts.get("per_partition_limit") is not None,
               opts.get("ann_of", (None,))[0])
    return read_shape(kind, id(table), state, lookup_shape(lookups), options=options)


def _build_select(table: CqlTable, state: QueryState, lookups: list[Lookup], kind: str) -> Template:
    allow = bool(state.options.get("allow_filtering"))
    where = render(table, lookups, allow_filtering=allow)
    markers: list[Marker] = list(where.markers)
    if kind == "count":
        columns: tuple[ColumnSchema, ...] = ()
        head = "SELECT count(*)"
    elif kind == "exists":
        columns = tuple(table.by_name[p] for p in table.partition)
        head = "SELECT " + ", ".join(table.ident(p) for p in table.partition)
    else:
        columns = _select_columns(table, state)
        head = "SELECT " + _distinct(table, state, columns, lookups) + ", ".join(table.ident(c.name) for c in columns)
    text = f"{head} FROM {table.name}"
    if where.text:
        text += f" WHERE {where.text}"
    order = _order(table, state, where) if kind == "select" else ""
    text += order
    if "ANN OF" in order:
        field = state.options["ann_of"][0]
        markers.append(Marker(cql_type(table.by_name[field].type), list))
    if state.options.get("per_partition_limit") is not None:
        text += " PER PARTITION LIMIT ?"
        markers.append(Marker("int"))
    if kind == "exists":
        text += " LIMIT 1"
    elif state.limit is not None and kind == "select":
        text += " LIMIT ?"
        markers.append(Marker("int"))
    if allow:
        text += " ALLOW FILTERING"
    # The server pages no ORDER BY across the partitions of an IN: such a read comes back whole.
    merged = bool(order) and any(lk.op == "in" and lk.field in table.partition for lk in lookups)
    return Template(text, tuple(markers), columns, "rows", paged=not merged)


def _values(state: QueryState, lookups: list[Lookup], kind: str) -> list[Any]:
    values: list[Any] = []
    for lk in lookups:
        if lk.op == "range":
            values += list(lk.value)
        else:
            values.append(lk.value)
    if kind == "select" and state.options.get("ann_of") is not None:
        values.append(list(state.options["ann_of"][1]))
    if state.options.get("per_partition_limit") is not None:
        values.append(int(state.options["per_partition_limit"]))
    if kind == "select" and state.limit is not None:
        values.append(int(state.limit))
    return values


def compile_read(cache: TemplateCache, table: CqlTable, state: QueryState, kind: str,
                 database: str | None) -> tuple[CqlStatement, Template]:
    """A SELECT (``kind`` = ``"select"``), ``SELECT count(*)`` or existence probe for the state.

    Raises:
        NotSupported: the query needs something CQL cannot do; the message says what to do instead.
    """
    _check_read(table, state)  # not part of the shape, so checked on every call
    lookups = where_lookups(table, state)
    if kind == "count" and (state.distinct or state.limit is not None
                            or state.options.get("per_partition_limit") is not None):
        return _tally(cache, table, state, database)
    template = cache.get(_shape(kind, table, state, lookups), lambda: _build_select(table, state, lookups, kind))
    statement = bind(template, _values(state, lookups, kind), database=database, options=state.options,
                     read=kind == "select", idempotent=True)
    if not template.paged and (statement.page or statement.fetch_size is not None):
        raise NotSupported(
            f"{table.model_name}: CQL cannot page a read ordered across the partitions of an __in "
            "(ORDER BY with IN on the partition key); drop page()/fetch_size() to read it whole, "
            "or read one partition at a time"
        )
    if statement.paging_state is not None:
        statement.paging_state = unseal(table.model_name, statement.text, statement.params, statement.paging_state)
    return statement, template


def _tally(cache: TemplateCache, table: CqlTable, state: QueryState,
           database: str | None) -> tuple[CqlStatement, Template]:
    """A count that honours LIMIT, DISTINCT and PER PARTITION LIMIT: CQL's ``count(*)``
    counts every matching row whatever the LIMIT, has no DISTINCT form and refuses a
    PER PARTITION LIMIT, so the keys are read and counted."""
    columns = state.columns if state.distinct and state.columns is not None else table.primary_key
    keys = state.evolve(columns=tuple(columns), order_by=(), shape="tuples")
    statement, template = compile_read(cache, table, keys, "select", database)
    statement.tally = True
    return statement, template


@dataclass(frozen=True, slots=True)
class CqlKeyedSelect(KeyedSelect):
    """A read of one row by its whole primary key, compiled once (``Model.get(part=…, seq=…)``)."""

    types: tuple[str, ...]
    model: str
    database: str | None

    def statement(self, values: Sequence[Any]) -> CqlStatement:
        return CqlStatement(text=self.text, params=self.params(values), types=self.types, database=self.database,
                            model=self.model, idempotent=True, quick=True)


def keyed_read(table: CqlTable, fields: tuple[str, ...], model: str, database: str | None) -> CqlKeyedSelect | None:
    """The plan of ``get(**fields)`` when ``fields`` are the whole primary key of a plain
    table (at most one row, so no LIMIT); None for anything else, which the general path reads."""
    if table.discriminator is not None or len(fields) != len(table.primary_key) \
            or set(fields) != set(table.primary_key):
        return None
    # The values come per call, in the order of ``fields``, which is the markers' order.
    template = _build_select(table, QueryState(), [Lookup(name, "exact", None) for name in fields], "select")
    return CqlKeyedSelect(template.text, template.encode, template.columns, True, template.types, model, database)


# CQL's sum() and avg() keep the column's type: an int sum may overflow and an int mean is
# truncated, so those read the values as varint / double.
_SUM_AS = {Kind.INT16: "varint", Kind.INT32: "varint", Kind.INT64: "varint"}
_AVG_AS = {Kind.INT16: "double", Kind.INT32: "double", Kind.INT64: "double", Kind.FLOAT64: "double"}


def _selector(table: CqlTable, spec: AggregateSpec) -> str:
    if spec.field == "*":
        return "count(*)"
    column = table.ident(spec.field)
    cast = (_SUM_AS if spec.function == "sum" else _AVG_AS if spec.function == "avg" else {}).get(spec.kind)  # type: ignore[arg-type]
    return f"{spec.function}(CAST({column} AS {cast}))" if cast else f"{spec.function}({column})"


def compile_aggregate(cache: TemplateCache, table: CqlTable, state: QueryState, specs: tuple[AggregateSpec, ...],
                      database: str | None) -> CqlStatement:
    """``SELECT count(*), sum(…) … FROM … WHERE …``: CQL's own aggregates over the rows the
    query's WHERE allows, then ``count(*)`` (CQL sums no rows to 0, which is read as None).

    Raises:
        NotSupported: what CQL cannot aggregate (StdDev/Variance, distinct=, filter=, fields
            across relations, a limited or distinct query), saying what to do instead.
    """
    model = table.model_name
    _check_read(table, state)
    for spec in specs:
        why = ("CQL has no such aggregate" if spec.function in ("stddev", "variance") else
               "CQL aggregates take no DISTINCT" if spec.distinct else
               "CQL aggregates take no FILTER" if spec.filter is not None else
               "CQL has no joins" if "__" in spec.field else None)
        if why is not None:
            raise NotSupported(f"{model}.aggregate({spec.name}): {why}; read the values (values_list(..., "
                               "flat=True)) and aggregate them in Python, or keep the figure in a counter table")
    if state.distinct or state.limit is not None or state.options.get("per_partition_limit") is not None:
        raise NotSupported(f"{model}.aggregate(): CQL aggregates every row the WHERE matches, whatever a "
                           "LIMIT or DISTINCT says; read the rows and aggregate them in Python")
    lookups = where_lookups(table, state)
    key = _shape("aggregate", table, state, lookups)._replace(
        write=tuple((spec.function, spec.field, spec.kind) for spec in specs))

    def build() -> Template:
        select = _build_select(table, state.evolve(order_by=()), lookups, "count")
        head = "SELECT " + ", ".join(_selector(table, spec) for spec in specs) + ", count(*)"
        return Template(head + select.text.removeprefix("SELECT count(*)"), select.markers, (), "rows")

    template = cache.get(key, build)
    statement = bind(template, _values(state, lookups, "aggregate"), database=database, options=state.options,
                     read=True, idempotent=True)
    statement.model = model
    return statement
