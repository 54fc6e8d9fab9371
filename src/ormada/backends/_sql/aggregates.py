"""Aggregates in SQL: ``SELECT count(…), sum(…) … FROM … WHERE …`` built through
SQLAlchemy Core and cached by query shape, and the decoding of what comes back.

Differences between databases are capability data on the backend:

- ``aggregate_filter``: ``FILTER (WHERE …)`` (PostgreSQL, SQLite >= 3.30); otherwise the
  filtered value goes through ``CASE WHEN … THEN value END``, which the aggregates skip
  as NULL.
- ``decimal_text_sum``: SQLite keeps decimals as 8-byte floats (NUMERIC affinity), so its
  ``sum()`` adds in binary floating point (``0.1 + 0.2`` reads back ``0.30000000000000004``).
  There, Sum and Avg of a decimal field with a declared ``max_digits`` of at most
  ``decimal_units_digits`` (15, what a double keeps) and ``decimal_places`` add whole units of
  the last place in the database: ``sum(CAST(round(x * 10^places) AS INTEGER))``, one
  integer per group, scaled back once in Python. Every value the column's declaration
  holds is within 10^15 units, where the double's error stays far below half a unit, so the
  rounding recovers the decimal exactly (a value stored with more places, which ormada
  writes only through arithmetic on floats, counts as a read quantizes it); a group whose
  total passes 2^63 units fails with SQLite's ``integer overflow`` rather than rounding.
  Other decimals read ``group_concat()`` of the stored values (their shortest exact texts)
  and add them as ``Decimal`` in Python: exact, in the one statement, at the cost of one
  text as long as the values and a ``Decimal`` per row.
- ``variance``: SQLite has no ``var_pop``/``stddev_pop``; there the variance is
  ``(Σx² - (Σx)²/n) / n`` over the values as floats (n - 1 for a sample), and the
  standard deviation its square root, taken in Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ormada.backends._sql.expressions import ExpressionCompiler
from ormada.backends._sql.where import COMPARE, Binds, Scope, column_key
from ormada.backends.base import Decoder, Statement
from ormada.errors import NotSupported
from ormada.query.aggregates import AggregateSpec
from ormada.query.expressions import Junction, Node
from ormada.query.shape import QueryShape
from ormada.query.state import Join, QueryState
from ormada.schema import Kind, LogicalType

if TYPE_CHECKING:
    from ormada._info import ModelInfo

_INTS = frozenset((Kind.INT16, Kind.INT32, Kind.INT64, Kind.COUNTER))
_NATIVE = {"count": sa.func.count, "sum": sa.func.sum, "avg": sa.func.avg, "min": sa.func.min, "max": sa.func.max}


class AggregateCompiler(ExpressionCompiler):
    """The ``aggregate()`` statements of :class:`SqlCompiler`."""

    def _compiled(self, key: QueryShape, build: Callable[[Binds], Any]) -> tuple[str, tuple[Any, ...]]:
        raise NotImplementedError  # SqlCompiler's

    def _statement(self, key: QueryShape, build: Callable[[Binds], Any], values: Any,
                   fetch: Any = "rows") -> Statement:
        raise NotImplementedError  # SqlCompiler's

    def _scope(self, table: sa.FromClause, joins: tuple[Join, ...], prefix: str = "j") -> Scope:
        raise NotImplementedError  # SqlCompiler's

    @staticmethod
    def _joined(query: sa.Select[Any], scope: Scope, joins: tuple[Join, ...]) -> sa.Select[Any]:
        raise NotImplementedError  # SqlCompiler's

    def aggregate(self, info: ModelInfo, state: QueryState,
                  specs: tuple[AggregateSpec, ...]) -> tuple[Statement, tuple[Decoder, ...]]:
        """``SELECT <aggregates> FROM … WHERE …``; a sliced or distinct query is read as a
        sub-select first, so the aggregates see only its rows."""
        extra = self.backend.supports.extra
        windowed = state.limit is not None or bool(state.offset) or state.distinct
        if not windowed:
            state = state.evolve(order_by=())  # order changes no aggregate
        elif any(spec.filter is not None or "__" in spec.field for spec in specs):
            raise NotSupported(f"{info.name}.aggregate(): over a sliced or distinct query, aggregates "
                               "read the query's own fields, with no filter=; slice after filtering instead")
        # The sub-select reads the distinct rows (of the columns selected), or the fields aggregated.
        wanted = tuple(dict.fromkeys(spec.field for spec in specs if spec.field != "*"))
        inner_columns = (state.columns or info.field_names) if state.distinct else wanted or info.pk or info.field_names
        if windowed and not set(wanted) <= set(inner_columns):
            raise NotSupported(f"{info.name}.aggregate(): a distinct query over {', '.join(inner_columns)} cannot "
                               f"aggregate {', '.join(sorted(set(wanted) - set(inner_columns)))}; select it too")
        values: list[Any] = []
        # The aggregates' filter values come first: their parameters come first in the SELECT.
        shapes = tuple(self._aggregate_shape(info, spec, values, state, extra) for spec in specs)
        shape = self._read_shape("aggregate", info, state, values, write=shapes)

        def build(binds: Binds) -> Any:
            if windowed:
                inner = self._select_construct(info, shape._replace(columns=inner_columns), binds).subquery()
                scope: Any = Scope(inner, [])
                columns = [self._aggregate_column(scope, item, binds, extra).label(f"a{i}")
                           for i, item in enumerate(shapes)]
                return sa.select(*columns).select_from(inner)
            table = self.table(info)
            joins = shape.joins
            scope = self._scope(table, joins) if joins else table
            # Labelled by position: the names asked for never reach the text (nor the shape).
            query = sa.select(*(self._aggregate_column(scope, item, binds, extra).label(f"a{i}")
                                for i, item in enumerate(shapes)))
            query = self._joined(query, scope, joins) if joins else query.select_from(table)
            if shape.where is not None:
                query = query.where(self.build_where(scope, shape.where, binds))
            return query

        return self._statement(shape, build, values), tuple(self._aggregate_decoder(spec, extra) for spec in specs)

    def _aggregate_shape(self, info: ModelInfo, spec: AggregateSpec, values: list[Any], state: QueryState,
                         extra: dict[str, Any]) -> Hashable:
        if spec.function in ("stddev", "variance") and spec.distinct and not extra.get("variance", True):
            raise NotSupported(f"{info.name}: {spec.name}: {self.backend.name} has no variance function, so "
                               "a distinct one cannot be computed in the statement; read the distinct values "
                               "(values_list(..., flat=True).distinct()) and use statistics.pvariance")
        where = None if spec.filter is None else self.flatten(info, spec.filter, values, state.joins)
        key: Hashable = "*" if spec.field == "*" else column_key(state.joins, spec.field)
        if spec.expression is not None:  # after the filter: its parameters come after the filter's
            key = ("E", self.flatten_expression_tree(info, spec.expression, values, state.joins))
        return (spec.function, key, spec.kind, spec.distinct, spec.sample, where, _units_scale(spec, extra))

    def _aggregate_column(self, scope: Any, item: Any, binds: Binds, extra: dict[str, Any],
                          comparable: bool = False) -> Any:
        """An aggregate's expression; ``comparable``: one HAVING and ORDER BY can compare
        (not SQLite's exact decimal sum, a text)."""
        function, key, kind, distinct, sample, where, scale = item
        condition = None if where is None else self.build_where(scope, where, binds)
        if key == "*":
            value: Any = sa.literal_column("1") if condition is not None else sa.literal_column("*")
        elif _computed(key):
            value = self.build_expression_tree(scope, key[1], binds)
        else:
            value = scope.c[key]
        if condition is not None and not extra.get("aggregate_filter", True):
            value, condition = sa.case((condition, value)), None

        def call(fn: Any, argument: Any) -> Any:
            call = fn(argument.distinct() if distinct else argument)
            return call.filter(condition) if condition is not None else call

        if function in ("sum", "avg") and kind is Kind.DECIMAL and extra.get("decimal_text_sum") and not comparable \
                and not _computed(key):
            if scale is None:
                return call(sa.func.group_concat, value)
            units = sa.cast(sa.func.round(value * sa.literal_column(str(10**scale))), sa.Integer())
            total = call(sa.func.sum, units)
            if function == "sum":
                return total
            # NULL (no rows) stays NULL through ||; the decoder divides the exact total by the count.
            count = call(sa.func.count, units if distinct else value)
            return total.op("||")(sa.literal_column("' '")).op("||")(count)
        if function in ("stddev", "variance"):
            if extra.get("variance", True):
                fn = {("stddev", False): sa.func.stddev_pop, ("stddev", True): sa.func.stddev_samp,
                      ("variance", False): sa.func.var_pop, ("variance", True): sa.func.var_samp}[function, sample]
                if extra.get("variance_of_double"):
                    # MariaDB gives the variance of exact values as a DECIMAL of four places.
                    value = value * sa.literal_column("1e0")
                return call(fn, value)
            x = sa.cast(value, sa.Float())
            n = call(sa.func.count, x)
            total = call(sa.func.sum, x)
            # A sample of one row divides by zero: SQLite gives NULL, as var_samp does.
            return (call(sa.func.sum, x * x) - total * total / n) / (n - sa.literal_column("1") if sample else n)
        return call(_NATIVE[function], value)

    def annotation_decoder(self, spec: Any, extra: dict[str, Any]) -> Decoder:
        """Reads an annotation's value: an aggregate's, or an expression's (of its type)."""
        if isinstance(spec, AggregateSpec):
            return self._aggregate_decoder(spec, extra)
        return self.expression_decoder(spec.ltype)

    def _aggregate_decoder(self, spec: AggregateSpec, extra: dict[str, Any]) -> Decoder:
        function, kind = spec.function, spec.kind
        if spec.expression is not None and (function in ("sum", "min", "max") or
                                            (function == "avg" and kind is Kind.DECIMAL)):
            ltype = spec.column.type
            return self.expression_decoder(ltype if function != "avg" else LogicalType(Kind.DECIMAL, Decimal))
        if function == "count":
            return lambda v: 0 if v is None else int(v)
        if function in ("min", "max"):
            decode = None if spec.column is None else self.backend.decoder(spec.column)
            return (lambda v: v) if decode is None else (lambda v: None if v is None else decode(v))
        if kind is Kind.DECIMAL:
            if function in ("sum", "avg") and (scale := _units_scale(spec, extra)) is not None:
                return _units_sum(scale) if function == "sum" else _units_avg(scale)
            if function in ("sum", "avg") and extra.get("decimal_text_sum"):
                return _decimal_sum if function == "sum" else _decimal_avg
            if function == "avg" and extra.get("decimal_avg_double"):
                # The mean came back as a double: the 15 significant digits a double keeps exactly.
                return lambda v: None if v is None else Decimal(format(v, ".15g"))
            if function in ("sum", "avg"):
                return lambda v: None if v is None else Decimal(str(v))
        if function == "sum":
            return (lambda v: None if v is None else int(v)) if kind in _INTS else _float
        if function == "avg" or function == "variance":
            return _float
        return _sqrt if not extra.get("variance", True) else _float


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _sqrt(value: Any) -> float | None:
    # Σx² - (Σx)²/n may come out a hair below zero for equal values.
    return None if value is None else math.sqrt(max(float(value), 0.0))


def _decimals(text: Any) -> list[Decimal]:
    return [Decimal(part) for part in str(text).split(",")]


def _decimal_sum(text: Any) -> Decimal | None:
    return None if text is None else sum(_decimals(text), Decimal(0))


def _decimal_avg(text: Any) -> Decimal | None:
    if text is None:
        return None
    parts = _decimals(text)
    return sum(parts, Decimal(0)) / len(parts)


def _units_scale(spec: AggregateSpec, extra: dict[str, Any]) -> int | None:
    """The places of a decimal Sum or Avg that the database adds as whole units of its last
    place (see the module's docstring), or None."""
    digits = extra.get("decimal_units_digits")
    if digits is None or spec.kind is not Kind.DECIMAL or spec.function not in ("sum", "avg") \
            or spec.expression is not None or spec.column is None:
        return None
    ltype = spec.column.type
    if ltype.db_type is not None or ltype.scale is None or ltype.precision is None or ltype.precision > digits:
        return None
    return int(ltype.scale)


def _units_sum(scale: int) -> Callable[[Any], Decimal | None]:
    def decode(units: Any) -> Decimal | None:
        return None if units is None else Decimal(int(units)).scaleb(-scale)

    return decode


def _units_avg(scale: int) -> Callable[[Any], Decimal | None]:
    def decode(text: Any) -> Decimal | None:
        if text is None:
            return None
        units, count = str(text).split()
        return Decimal(int(units)).scaleb(-scale) / int(count)

    return decode


class AnnotationCompiler(AggregateCompiler):
    """``annotate()``: aggregates per group in a SELECT, its GROUP BY and HAVING."""

    def flatten_annotations(self, info: ModelInfo, state: QueryState, values: list[Any]) -> Hashable:
        extra = self.backend.supports.extra
        shapes = tuple((spec.name, self._aggregate_shape(info, spec, values, state, extra)
                        if isinstance(spec, AggregateSpec) else
                        ("E", self.flatten_expression_tree(info, spec.expression, values, state.joins)))
                       for spec in state.annotations)
        for item in state.order_by:
            spec = next((s for s in state.annotations if s.name == item.field), None)
            if isinstance(spec, AggregateSpec) and spec.filter is not None and _text_sum(spec, extra):
                raise NotSupported(f"{info.name}.order_by({item.field!r}): {self.backend.name} sorts a decimal "
                                   f"{spec.function} with filter= only approximately; sort the rows in Python")
        return shapes

    def flatten_having(self, info: ModelInfo, state: QueryState, node: Node, values: list[Any]) -> Hashable:
        if isinstance(node, Junction):
            return ("J", node.connector, node.negated,
                    tuple(self.flatten_having(info, state, child, values) for child in node.children))
        index, spec = next((i, s) for i, s in enumerate(state.annotations) if s.name == node.field)
        assert isinstance(spec, AggregateSpec)  # HAVING filters aggregates; filters on expressions are WHERE's
        if spec.filter is not None:  # HAVING repeats the aggregate, and with it its filter's values
            self.flatten(info, spec.filter, values, state.joins)
        if spec.expression is not None:
            self.flatten_expression_tree(info, spec.expression, values, state.joins)
        decimal_as_float = _text_sum(spec, self.backend.supports.extra)

        def bound(value: Any) -> Any:
            # SQLite compares the float sum with a float: a Decimal would be bound as text.
            return float(value) if decimal_as_float and isinstance(value, Decimal) else value

        if node.op == "isnull":
            return ("H", index, node.op, bool(node.value))
        if node.op == "in":
            values.extend(bound(v) for v in node.value)
            return ("H", index, node.op, len(node.value))
        if node.op == "range":
            values.extend((bound(node.value[0]), bound(node.value[1])))
        else:
            values.append(bound(node.value))
        return ("H", index, node.op, None)

    def annotation_columns(self, scope: Any, shape: QueryShape, binds: Binds) -> dict[str, Any]:
        """Each annotation's expression by name, labelled; built first, as its values come first."""
        extra = self.backend.supports.extra
        assert isinstance(shape.annotations, tuple)
        return {name: (self.build_expression_tree(scope, item[1], binds) if item[0] == "E" else
                       self._aggregate_column(scope, item, binds, extra)).label(f"ormada_a{i}")
                for i, (name, item) in enumerate(shape.annotations)}

    def grouped(self, info: ModelInfo, query: sa.Select[Any], scope: Any, shape: QueryShape,
                labels: dict[str, Any], binds: Binds) -> sa.Select[Any]:
        """``query`` with the annotations read last, grouped, and filtered by HAVING."""
        joins = shape.joins
        assert isinstance(shape.annotations, tuple)
        computed = [labels[name] for name, item in shape.annotations if item[0] == "E"]
        if len(computed) == len(labels):  # expressions only: no groups
            return query.add_columns(*labels.values())
        # Windows are computed over the groups, so they group nothing.
        computed = [labels[name] for name, item in shape.annotations if item[0] == "E" and not _windowed(item)]
        if shape.group_by is not None:
            # A database that cannot match a grouped expression holding parameters with the same
            # expression in the SELECT list (its ? are not the same ?) groups by the label.
            by_label = self.backend.supports.extra.get("group_by_label", False)
            keys = [(sa.literal_column(labels[name].name) if by_label else labels[name]) if name in labels
                    else scope.c[column_key(joins, name)] for name in shape.group_by]
        else:  # one group per row of the model, and whatever else the row reads
            keys = [scope.c[name] for name in info.field_names]
            keys += [c for c in query.selected_columns if not any(c is k for k in keys)] + computed
        # Read in every SELECT built with them (counts' and probes' sub-selects too): their
        # filters' values are bound there. Sub-selects of keys and writes refuse annotations.
        query = query.add_columns(*labels.values()).group_by(*keys)
        if shape.having is not None:
            query = query.having(self._build_having(scope, shape, shape.having, binds))
        return query

    def order_key(self, scope: Any, shape: QueryShape, labels: dict[str, Any], name: str, binds: Binds) -> Any:
        """What ORDER BY an annotation sorts by: its label, or where the value read is not
        comparable (SQLite's exact decimal sums are text), the plain aggregate."""
        assert isinstance(shape.annotations, tuple)
        item = next(item for n, item in shape.annotations if n == name)
        extra = self.backend.supports.extra
        if item[0] in ("sum", "avg") and not _computed(item[1]) and item[2] is Kind.DECIMAL \
                and extra.get("decimal_text_sum"):
            return self._aggregate_column(scope, item, binds, self.backend.supports.extra, comparable=True)
        return labels[name]

    def _build_having(self, scope: Any, shape: QueryShape, node: Any, binds: Binds) -> Any:
        if node[0] == "J":
            _, connector, negated, children = node
            parts = [self._build_having(scope, shape, child, binds) for child in children]
            clause = sa.and_(*parts) if connector == "and" else sa.or_(*parts)
            return sa.not_(clause) if negated else clause
        _, index, op, arity = node
        assert isinstance(shape.annotations, tuple)
        value = self._aggregate_column(scope, shape.annotations[index][1], binds, self.backend.supports.extra,
                                       comparable=True)
        if op == "isnull":
            return value.is_(None) if arity else value.is_not(None)
        if op == "in":
            return value.in_([binds() for _ in range(arity)]) if arity else sa.false()
        if op == "range":
            return value.between(binds(), binds())
        return COMPARE[op](value, binds())


def _windowed(shape: Any) -> bool:
    if isinstance(shape, tuple):
        return bool(shape) and (shape[0] == "win" or any(_windowed(part) for part in shape))
    return False


def _computed(key: Any) -> bool:
    """Whether an aggregate's argument is an expression (``("E", shape)``), not a column."""
    return isinstance(key, tuple) and key[0] == "E"


def _text_sum(spec: AggregateSpec, extra: dict[str, Any]) -> bool:
    return (spec.expression is None and spec.kind is Kind.DECIMAL and spec.function in ("sum", "avg")
            and bool(extra.get("decimal_text_sum")))
