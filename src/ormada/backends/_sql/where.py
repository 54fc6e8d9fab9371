"""The WHERE part of SQL compilation: filter trees flattened into shapes and values,
and shapes built into SQLAlchemy clauses (lookups, expressions, subqueries).

:class:`SqlCompiler` inherits this; it supplies the tables and the SELECT construct
that a subquery is built with.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Hashable
from dataclasses import replace
from decimal import Decimal
from itertools import count
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from ormada.backends._sql.transforms import TransformCompiler, TransformDialect, pad_in
from ormada.backends.base import Capabilities, Decoder, Encoder
from ormada.errors import NotSupported, QueryError
from ormada.query.expressions import Combined, F, Junction, Lookup, Node
from ormada.query.functions import OuterRef
from ormada.query.shape import QueryShape, read_shape
from ormada.query.state import Join, QueryState, Subquery
from ormada.query.typed import Match
from ormada.schema import Kind

if TYPE_CHECKING:
    from ormada._info import ModelInfo
    from ormada.schema import ColumnSchema

ARITHMETIC = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b}
COMPARE = {
    "exact": lambda c, v: c == v,
    "gt": lambda c, v: c > v,
    "gte": lambda c, v: c >= v,
    "lt": lambda c, v: c < v,
    "lte": lambda c, v: c <= v,
}
# Lookups rewritten as text ranges on columns with several stored forms per value.
BOUNDED_LOOKUPS = frozenset(("exact", "gt", "gte", "lt", "lte", "in", "range"))
TEXT_PATTERNS = {
    "contains": ("%", "%"),
    "icontains": ("%", "%"),
    "startswith": ("", "%"),
    "istartswith": ("", "%"),
    "endswith": ("%", ""),
    "iendswith": ("%", ""),
}


# The kinds whose values a driver may not bind as they are (SQLite: Decimal, UUID, dates).
_CONSTANT_KINDS = {Decimal: Kind.DECIMAL, uuid.UUID: Kind.UUID, dt.datetime: Kind.DATETIME, dt.date: Kind.DATE,
                   dt.time: Kind.TIME, dt.timedelta: Kind.DURATION}


def _kind_of(value: Any) -> Kind | None:
    return _CONSTANT_KINDS.get(type(value))


COLLECTION_OPS = ("has", "json_contains", "contains_key")
# Row comparisons, ``(a, b) > (x, y)``: the value is ``(fields, values)``. Cursor pages add
# one beside their expanded filter so that a composite index is read from the boundary on.
ROW_COMPARE = ("row_gt", "row_lt")


def like_escape(value: str) -> str:
    """Escapes LIKE wildcards with a backslash."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _searched(kind: str, state: QueryState) -> QueryState:
    """The state a statement of ``kind`` compiles for a ``nearest()`` query: only a read
    reads the distance; anything else orders by it only to pick a window's rows, and
    without a window the order changes nothing (and binds no vector): it keeps the rows
    searched, those with a vector."""
    nearest = state.nearest
    assert nearest is not None
    if kind == "select":
        return state
    if state.limit is None and not state.offset:  # the rows searched: those that have a vector
        has_vector = Lookup(nearest.field, "isnull", False)
        where = has_vector if state.where is None else Junction("and", (state.where, has_vector))
        return state.evolve(nearest=None, where=where)
    return state if nearest.distance is None else state.evolve(nearest=replace(nearest, distance=None))


class Binds:
    """Hands out bind parameters named in flattening order; and, while a subquery is built,
    the scopes (and joins) of the statements around it, which its outer references read."""

    def __init__(self) -> None:
        self._counter = count()
        # The statement's CTEs by name, as they are built (WITH entries before what reads them).
        self.ctes: dict[str, Any] = {}
        self.outer: list[tuple[Any, tuple[Join, ...]]] = []
        self.alias_next = False  # the next SELECT built is a correlated subquery's: on aliases

    def own_table(self, table: sa.Table) -> sa.FromClause:
        """The table a SELECT reads: for a correlated subquery an alias, so that a subquery
        on the outer query's own table does not correlate it away."""
        if not self.alias_next:
            return table
        self.alias_next = False
        return table.alias(f"s{len(self.outer)}")

    @property
    def join_prefix(self) -> str:
        return f"s{len(self.outer)}j" if self.outer else "j"

    def __call__(self, type_: Any = None) -> sa.BindParameter[Any]:
        return sa.bindparam(f"p{next(self._counter)}", type_=type_)


class DialectHooks(Protocol):
    """What the SQL compiler asks of its backend (``SqlBackend`` and its dialects)."""

    name: str
    supports: Capabilities

    def decoder(self, column: ColumnSchema) -> Decoder | None: ...

    def dialect_insert(self, table: sa.Table) -> Any: ...

    def insert_skipping(self, table: sa.Table) -> Any: ...

    def insert_updating(self, table: sa.Table, values: Any, conflict: tuple[str, ...],
                        update: tuple[str, ...]) -> Any: ...

    def column_encoder(self, info: ModelInfo, name: str) -> Encoder | None: ...

    def encoder(self, info: ModelInfo, column: ColumnSchema) -> Encoder | None: ...

    def column_bounds(self, info: ModelInfo, name: str) -> tuple[Encoder, Encoder] | None: ...

    def expression_constant(self, info: ModelInfo, field: str, value: Any) -> Any: ...

    def text_pattern(self, op: str, value: str) -> str: ...

    def text_match(self, column: sa.ColumnElement[Any], op: str, pattern: sa.BindParameter[Any]) -> Any: ...

    def collection_item(self, info: ModelInfo, field: str, op: str, value: Any) -> Any: ...

    def collection_match(self, column: sa.ColumnElement[Any], op: str, binds: Binds, kind: str) -> Any: ...

    @property
    def transforms(self) -> TransformDialect: ...

    def vector_value(self, info: ModelInfo, field: str, vector: tuple[float, ...]) -> Any: ...

    def vector_distance(self, info: ModelInfo, field: str, column: sa.ColumnElement[Any], metric: str,
                        binds: Binds) -> Any: ...

    def distance_decoder(self) -> Decoder: ...


def column_key(joins: tuple[Join, ...], field: str) -> str | tuple[int, str]:
    """Where a field a statement names is: the queried table's column (its name), or a
    joined table's (``author__name``: the join's index and ``name``)."""
    if "__" not in field or not joins:
        return field
    path, _, name = field.rpartition("__")
    return next(((i, name) for i, join in enumerate(joins) if join.path == path), field)


class Scope:
    """The columns a statement's clauses name: the queried table's by field name, and a
    joined table's by ``(join index, field name)``; used where a table would be
    (``scope.c[...]``)."""

    def __init__(self, table: sa.FromClause, aliases: list[sa.FromClause], joins: tuple[Join, ...] = ()) -> None:
        self.table, self.aliases, self.c, self.joins = table, aliases, self, joins

    def __getitem__(self, key: str | tuple[int, str]) -> Any:
        if isinstance(key, tuple):
            return self.aliases[key[0]].c[key[1]]
        return self.table.c[key]


class WhereCompiler(TransformCompiler):
    """Flattening and building of filters, for :class:`SqlCompiler`."""

    backend: DialectHooks

    def table(self, info: ModelInfo) -> sa.Table:
        raise NotImplementedError  # SqlCompiler's

    def _select_construct(self, info: ModelInfo, shape: QueryShape, binds: Binds) -> sa.Select[Any]:
        raise NotImplementedError  # SqlCompiler's

    # -- flattening --------------------------------------------------------
    def _encode(self, info: ModelInfo, field: str, value: Any) -> Any:
        encode = self.backend.column_encoder(info, field)
        return value if encode is None or value is None else encode(value)

    def flatten(self, info: ModelInfo, node: Node, values: list[Any], joins: tuple[Join, ...] = ()) -> Hashable:
        """The shape of a filter tree; its values are appended to ``values``. A lookup on
        a path (``author__name``) names the column of the join that path made."""
        if isinstance(node, Junction):
            return ("J", node.connector, node.negated, tuple(self.flatten(info, c, values, joins)
                                                              for c in node.children))
        field, op, value = node.field, node.op, node.value
        if op in ROW_COMPARE:
            return self._flatten_row(info, op, value, values)
        if isinstance(value, Match):
            return self.flatten_match(info, node, values, joins)
        if isinstance(value, OuterRef):
            raise QueryError(f"{info.name}.{field}: {value!r} refers to the query around a subquery; this "
                             "QuerySet runs only inside Subquery() or Exists()")
        owner, name, key = info, field, field  # type: tuple[ModelInfo, str, Hashable]
        if field not in info.table.by_name and "__" in field:
            index, owner, name = self._joined_field(joins, field)
            key = (index, name)
        elif field not in info.table.by_name:
            raise NotSupported(f"{info.name}: {field}__{op} (token ranges) exists only on Cassandra")
        if node.transform is not None:
            return self.flatten_transform(owner, name, key, node, values, joins)
        if op == "isnull":
            return ("L", key, op, bool(value))
        if isinstance(value, (F, Combined)):
            if op not in COMPARE:
                raise QueryError(f"{info.name}.{field}__{op} cannot compare with an F() expression")
            return ("L", key, op, self.flatten_expression(owner, name, value, values, joins))
        bounds = self.backend.column_bounds(owner, name)
        if bounds is not None and op in BOUNDED_LOOKUPS and not isinstance(value, Subquery):
            return self._flatten_bounded(key, op, value, bounds, values)
        if op == "in":
            if isinstance(value, Subquery):
                return ("L", key, op, self._subquery_shape(value, values))
            items = pad_in([self._encode(owner, name, v) for v in value])
            values.extend(items)
            return ("L", key, op, len(items))
        if op == "range":
            values.append(self._encode(owner, name, value[0]))
            values.append(self._encode(owner, name, value[1]))
        elif op in TEXT_PATTERNS:
            values.append(self.backend.text_pattern(op, value))
        elif op == "iexact":
            values.append(value)
        elif op in COLLECTION_OPS:
            column = owner.table.by_name[name]
            values.append(self.backend.collection_item(owner, name, op, value))
            return ("L", key, op, column.type.kind.value)
        elif op == "like":
            values.append(value)
        else:
            values.append(self._encode(owner, name, value))
        return ("L", key, op, None)

    def _flatten_row(self, info: ModelInfo, op: str, value: tuple[tuple[str, ...], tuple[Any, ...]],
                     values: list[Any]) -> Hashable:
        fields, row = value
        if any(self.backend.column_bounds(info, name) is not None for name in fields):
            # A value with several stored texts has no one text to compare rows with; the
            # comparison only narrows what the filter beside it decides, so it is left out.
            return ("T",)
        values.extend(self._encode(info, name, item) for name, item in zip(fields, row, strict=True))
        return ("R", fields, op)

    @staticmethod
    def _joined_field(joins: tuple[Join, ...], field: str) -> tuple[int, ModelInfo, str]:
        """The join a path lookup reads (its index and model) and the field on it."""
        key = column_key(joins, field)
        assert isinstance(key, tuple), field  # the QuerySet made a join for every path it filters on
        return key[0], joins[key[0]].target, key[1]

    def _subquery_shape(self, sub: Subquery, values: list[Any]) -> QueryShape:
        """The shape of ``field__in=<QuerySet>``; the inner query's values are appended in
        the order its parameters are made (filters, then the window)."""
        state = sub.state
        if state.annotations:  # its GROUP BY would pick the keys, its annotations would be dropped
            raise QueryError(f"{sub!r}: a subquery reads one column and no annotations; "
                             "drop annotate() from it, or read its keys first")
        if state.limit is None and not state.offset:
            state = state.evolve(order_by=())  # order changes which rows a window keeps, and nothing else
        return self._read_shape("subquery", sub.target, state.evolve(columns=(sub.column,)), values)

    @staticmethod
    def _flatten_bounded(field: Hashable, op: str, value: Any, bounds: tuple[Any, Any],
                         values: list[Any]) -> Hashable:
        """A comparison on a column where one value has several stored texts, as text
        ranges between the lowest and highest text of each value."""
        low, high = bounds
        if op == "exact":
            values += (low(value), high(value))
            return ("L", field, "between", None)
        if op == "in":
            for item in value:
                values += (low(item), high(item))
            return ("L", field, "in_between", len(value))
        if op == "range":
            values += (low(value[0]), high(value[1]))
        else:
            values.append(low(value) if op in ("lt", "gte") else high(value))
        return ("L", field, op, None)

    def flatten_expression(self, info: ModelInfo, field: str, value: Any, values: list[Any],
                           joins: tuple[Join, ...] = ()) -> Hashable:
        """The shape of an ``F``/``Combined`` expression; constants go to ``values``. An
        ``F`` across relations names the column of the join its path made."""
        if isinstance(value, F):
            return ("F", column_key(joins, value.name))
        if isinstance(value, Combined):
            return ("C", self.flatten_expression(info, field, value.lhs, values, joins), value.op,
                    self.flatten_expression(info, field, value.rhs, values, joins))
        column = info.table.by_name.get(field)
        if column is not None and _kind_of(value) is column.type.kind:
            values.append(self._encode(info, field, value))  # as the same value in a plain filter
        else:
            values.append(self.backend.expression_constant(info, field, value))
        return ("V",)

    # -- building ----------------------------------------------------------
    def build_where(self, table: sa.Table, shape: Any, binds: Binds, negated: bool = False) -> Any:
        """Rebuilds a filter shape as a SQLAlchemy clause with bind parameters.

        Under a NOT, a comparison on a nullable column also requires the column to
        be set, so ``exclude(born=1)`` keeps the rows whose ``born`` is NULL (SQL's
        ``NOT (NULL = 1)`` is NULL, which would drop them)."""
        if shape[0] == "J":
            _, connector, negate, children = shape
            inside = negated ^ negate
            parts = [self.build_where(table, c, binds, inside) for c in children]
            clause = sa.and_(*parts) if connector == "and" else sa.or_(*parts)
            return sa.not_(clause) if negate else clause
        if shape[0] == "T":
            return sa.true()
        if shape[0] == "R":
            columns = sa.tuple_(*(table.c[name] for name in shape[1]))
            row = sa.tuple_(*(binds(table.c[name].type) for name in shape[1]))
            return columns > row if shape[2] == "row_gt" else columns < row
        if shape[0] == "M":
            return self.build_match(table, shape, binds, negated)
        clause = self._build_lookup(table, shape, binds, negated)
        column = table.c[shape[1]]
        if negated and column.nullable and shape[2] != "isnull":
            return sa.and_(clause, column.is_not(None))
        return clause

    def _build_lookup(self, table: sa.Table, shape: Any, binds: Binds, negated: bool = False) -> Any:
        _, field, op, extra = shape
        column = table.c[field]
        if type(op) is tuple:  # a transform: a date part, a value inside a JSON document
            return self.build_transform(column, op, extra, binds)
        if op == "isnull":
            return column.is_(None) if extra else column.is_not(None)
        if op == "in" and isinstance(extra, QueryShape):
            return column.in_(self._build_subquery(extra, binds, negated))
        if isinstance(extra, tuple):  # compared with an F() expression
            return COMPARE[op](column, self.build_expression(table, extra, binds))
        if op in COMPARE:
            return COMPARE[op](column, binds(column.type))
        if op == "in":
            if extra == 0:
                return sa.false()
            return column.in_([binds(column.type) for _ in range(extra)])
        if op == "range":
            return column.between(binds(column.type), binds(column.type))
        if op == "between":
            return column.between(binds(column.type), binds(column.type))
        if op == "in_between":
            if extra == 0:
                return sa.false()
            return sa.or_(*(column.between(binds(column.type), binds(column.type)) for _ in range(extra)))
        if op == "iexact":
            return sa.func.lower(column) == sa.func.lower(binds(sa.String()))
        if op in TEXT_PATTERNS:
            return self.backend.text_match(column, op, binds(sa.String()))
        if op in COLLECTION_OPS:
            return self.backend.collection_match(column, op, binds, extra)
        if op == "like":
            return column.like(binds(sa.String()))
        raise QueryError(f"unknown lookup {op!r}")  # pragma: no cover - resolve() checks names

    def _build_subquery(self, shape: QueryShape, binds: Binds, negated: bool) -> Any:
        info: ModelInfo = shape.model  # type: ignore[assignment]
        name = shape.columns[0] if shape.columns else ""
        # Not correlated: on the outer query's own table, SQLAlchemy would drop the inner FROM.
        query = self._select_construct(info, shape, binds).correlate(None)
        column = query.selected_columns[0]  # the table's, or the CTE's it reads from
        # NOT IN over a list holding NULL is NULL, never true: leave the NULLs out, after the
        # window, which counts them.
        drop_nulls = negated and getattr(column, "nullable", True)
        windowed = shape.limited or shape.offset
        if windowed and (drop_nulls or not self.backend.supports.extra.get("limit_in_subquery", True)):
            # A derived table keeps the window: MySQL and MariaDB refuse LIMIT in IN (…) itself.
            rows = query.subquery()
            outer = sa.select(rows.c[name])
            return outer.where(rows.c[name].is_not(None)) if drop_nulls else outer
        return query.where(column.is_not(None)) if drop_nulls else query

    def build_expression(self, table: sa.Table, shape: Any, binds: Binds) -> Any:
        if shape[0] == "F":
            return table.c[shape[1]]
        if shape[0] == "C":
            left = self.build_expression(table, shape[1], binds)
            right = self.build_expression(table, shape[3], binds)
            return ARITHMETIC[shape[2]](left, right)
        return binds()

    def _read_shape(self, kind: str, info: ModelInfo, state: QueryState, values: list[Any],
                    write: Hashable = None) -> QueryShape:
        """The shape of a statement built from ``state``; its values are appended to
        ``values`` in the order its parameters are made (annotations, filters, the filter
        on annotations, then the window)."""
        annotations = having = ctes = None
        if state.nearest is not None:
            state = _searched(kind, state)
        if state.ctes or state.source is not None or state.cte_joins:  # the WITH entries' values come first
            ctes = self.flatten_ctes(kind, info, state, values)
        if state.annotations:
            annotations = self.flatten_annotations(info, state, values)
        where = None if state.where is None else self.flatten(info, state.where, values, state.joins)
        if state.having is not None:
            having = self.flatten_having(info, state, state.having, values)
        if state.nearest is not None:  # the query vector, bound in ORDER BY (and in SELECT, labelled)
            values.append(self.backend.vector_value(info, state.nearest.field, state.nearest.vector))
        qualify = None if state.qualify is None else self.flatten(info, state.qualify, values, state.joins)
        if state.limit is not None:
            values.append(state.limit)
        if state.offset:
            values.append(state.offset)
        return read_shape(kind, info, state, where, write=write, annotations=annotations, having=having, ctes=ctes,
                          qualify=qualify)

    def flatten_ctes(self, kind: str, info: ModelInfo, state: QueryState, values: list[Any]) -> Hashable:
        raise NotImplementedError  # CteCompiler's

    def flatten_annotations(self, info: ModelInfo, state: QueryState, values: list[Any]) -> Hashable:
        raise NotImplementedError  # AggregateCompiler's

    def flatten_match(self, info: ModelInfo, node: Lookup, values: list[Any], joins: tuple[Join, ...]) -> Hashable:
        raise NotImplementedError  # ExpressionCompiler's

    def build_match(self, scope: Any, shape: Any, binds: Binds, negated: bool) -> Any:
        raise NotImplementedError  # ExpressionCompiler's

    def flatten_having(self, info: ModelInfo, state: QueryState, node: Node, values: list[Any]) -> Hashable:
        raise NotImplementedError  # AggregateCompiler's
