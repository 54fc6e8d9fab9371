"""Resolved expressions in SQL (:mod:`ormada.query.typed`): flattened into a shape (their
structure and types, part of the compile-cache key) and values (bound apart), built into
SQLAlchemy constructs, and their results read back as the type each expression gives.

Differences between databases are data on the backend (``supports.extra``):

- ``functions``: SQL names of functions that differ (MySQL's ``char_length`` for Length,
  SQLite's many-argument ``max``/``min`` for Greatest/Least).
- ``decimal_as_float``: decimals are 8-byte floats in expressions (SQLite), so literals are
  bound as floats (a text would compare as text) and results are read back to the 15
  significant digits such a float holds.
- ``neighbour_default``: whether ``lag()``/``lead()`` take a default (MariaDB's do not: it is
  ``coalesce()``-d, so there a None neighbour also reads as the default).
- ``cast_as_text``: kinds with no column type of their own to cast to, held as text (SQLite's
  dates and times; CAST AS DATE would make a number of them).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Hashable
from decimal import Decimal
from functools import reduce
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ormada.backends._sql.tables import sa_type
from ormada.backends._sql.where import ARITHMETIC, COMPARE, Binds, WhereCompiler, column_key
from ormada.backends.base import Decoder
from ormada.errors import QueryError
from ormada.query.expressions import Lookup
from ormada.query.typed import (
    INTEGER_KINDS,
    Arith,
    Call,
    CaseOf,
    CastTo,
    Col,
    DatePart,
    ExistsOf,
    Match,
    Named,
    OuterCol,
    Resolved,
    SubqueryOf,
    Val,
    WindowOf,
)
from ormada.schema import ColumnSchema, Kind, LogicalType

if TYPE_CHECKING:
    from ormada._info import ModelInfo
    from ormada.query.state import Join

UTC = dt.UTC
_EMPTY: Any = sa.literal_column("''")
_FIFTEEN_DIGITS: Any = sa.literal_column("'%.15g'")


class ExpressionCompiler(WhereCompiler):
    """Expressions for :class:`SqlCompiler`: in SELECT lists, WHERE, UPDATE SET and aggregates."""

    # -- flattening ----------------------------------------------------------
    def flatten_expression_tree(self, info: ModelInfo, expr: Resolved, values: list[Any],
                                joins: tuple[Join, ...]) -> Hashable:
        """The shape of a resolved expression; its values are appended to ``values`` in the
        order :meth:`build_expression_tree` makes their parameters."""
        if isinstance(expr, Col):
            return ("col", column_key(joins, expr.path))
        if isinstance(expr, OuterCol):
            if expr.column is None:
                raise QueryError(f"{info.name}: OuterRef({expr.path!r}) refers to the query around a subquery; "
                                 "this QuerySet runs only inside Subquery() or Exists()")
            return ("outer", expr.path)
        if isinstance(expr, Val):
            if expr.value is None:
                return ("null",)
            values.append(self.literal(info, expr))
            return ("val", expr.ltype)
        if isinstance(expr, Call):
            args = tuple(self.flatten_expression_tree(info, arg, values, joins) for arg in expr.args)
            return ("fn", expr.function, args, tuple(arg.ltype.kind for arg in expr.args))
        if isinstance(expr, DatePart):
            return ("part", expr.part, self.flatten_expression_tree(info, expr.expression, values, joins))
        if isinstance(expr, Arith):
            return ("op", expr.op, self.flatten_expression_tree(info, expr.lhs, values, joins),
                    self.flatten_expression_tree(info, expr.rhs, values, joins))
        if isinstance(expr, CastTo):
            return ("cast", self.flatten_expression_tree(info, expr.expression, values, joins), expr.ltype)
        if isinstance(expr, CaseOf):
            whens = tuple((self.flatten(info, node, values, joins), self.flatten_expression_tree(info, then, values,
                                                                                                   joins))
                          for node, then in expr.whens)
            return ("case", whens, self.flatten_expression_tree(info, expr.default, values, joins))
        if isinstance(expr, WindowOf):
            args = tuple(self.flatten_expression_tree(info, arg, values, joins) for arg in expr.args)
            partition = tuple(self.flatten_expression_tree(info, key, values, joins) for key in expr.partition)
            order = tuple((self.flatten_expression_tree(info, key, values, joins), descending)
                          for key, descending in expr.order)
            return ("win", expr.function, args, expr.offset, partition, order, expr.frame)
        if isinstance(expr, Named):
            return ("named", expr.name)
        if isinstance(expr, SubqueryOf):
            return ("sub", self._read_shape("subquery", expr.target, expr.state, values))
        if isinstance(expr, ExistsOf):
            target = expr.target
            state = expr.state.evolve(columns=target.pk[:1] or target.field_names[:1])
            return ("exists", self._read_shape("subquery", target, state, values))
        raise QueryError(f"{info.name}: {expr!r} cannot be compiled")  # pragma: no cover - resolved kinds only

    def literal(self, info: ModelInfo, value: Val) -> Any:
        """A literal as the driver binds it, by its type."""
        ltype = value.ltype
        if ltype.kind is Kind.DECIMAL and self.backend.supports.extra.get("decimal_as_float"):
            return float(value.value)
        encode = self.backend.encoder(info, ColumnSchema("value", ltype, nullable=True))
        return value.value if encode is None else encode(value.value)

    def flatten_match(self, info: ModelInfo, node: Lookup, values: list[Any], joins: tuple[Join, ...]) -> Hashable:
        """The shape of a filter on an expression (:class:`Match`)."""
        match: Match = node.value
        op, rhs = node.op, match.rhs
        lhs = self.flatten_expression_tree(info, match.lhs, values, joins)
        kind = match.lhs.ltype.kind
        if op in ("true", "false", "isnull"):
            return ("M", op, lhs, rhs, kind)
        if isinstance(rhs, Resolved):
            return ("M", op, lhs, self.flatten_expression_tree(info, rhs, values, joins), kind)
        if isinstance(rhs, tuple):
            return ("M", op, lhs, tuple(self.flatten_expression_tree(info, item, values, joins) for item in rhs),
                    kind)
        values.append(rhs if op == "iexact" else self.backend.text_pattern(op, rhs))
        return ("M", op, lhs, "text", kind)

    # -- building ------------------------------------------------------------
    def build_expression_tree(self, scope: Any, shape: Any, binds: Binds) -> Any:
        tag = shape[0]
        if tag == "col":
            return scope.c[shape[1]]
        if tag == "outer":
            outer, joins = binds.outer[-1]
            return outer.c[column_key(joins, shape[1])]
        if tag == "null":
            return sa.null()
        if tag == "val":
            return binds(sa_type(shape[1]))
        if tag == "fn":
            return self._function(scope, shape, binds)
        if tag == "part":
            column = self.build_expression_tree(scope, shape[2], binds)
            part: str = shape[1]
            if part == "trunc_day":
                return self.backend.transforms.date_part(column, "date")
            if part.startswith("trunc_"):
                return self.backend.transforms.date_trunc(column, part.removeprefix("trunc_"))
            return self.backend.transforms.date_part(column, part)
        if tag == "op":
            left = self.build_expression_tree(scope, shape[2], binds)
            return ARITHMETIC[shape[1]](left, self.build_expression_tree(scope, shape[3], binds))
        if tag == "cast":
            return sa.cast(self.build_expression_tree(scope, shape[1], binds), self._cast_type(shape[2]))
        if tag == "win":
            return self._window(scope, shape, binds)
        if tag == "named":
            return scope.named(shape[1])
        if tag == "case":
            whens = []
            for condition, then in shape[1]:
                clause = self.build_where(scope, condition, binds)
                whens.append((clause, self.build_expression_tree(scope, then, binds)))
            default = None if shape[2] == ("null",) else self.build_expression_tree(scope, shape[2], binds)
            return sa.case(*whens, else_=default)
        inner = self._correlated(scope, shape[1], binds)
        return inner.scalar_subquery() if tag == "sub" else inner.exists()

    def _correlated(self, scope: Any, shape: Any, binds: Binds) -> sa.Select[Any]:
        """The SELECT of a subquery inside the statement being built at ``scope``: on tables
        of its own (aliases), its outer references read ``scope``'s."""
        binds.outer.append((scope, getattr(scope, "joins", ())))
        binds.alias_next = True
        try:
            return self._select_construct(shape.model, shape, binds)
        finally:
            binds.outer.pop()
            binds.alias_next = False

    def _window(self, scope: Any, shape: Any, binds: Binds) -> Any:
        _, function, arg_shapes, offset, partition, order, frame = shape
        args = [self.build_expression_tree(scope, arg, binds) for arg in arg_shapes]
        default = None
        if offset is not None:  # lag(x, offset, default): MySQL takes the offset as a literal only
            args.insert(1, sa.literal_column(str(int(offset))))
            if not self.backend.supports.extra.get("neighbour_default", True):
                default = args.pop()  # MariaDB's lag/lead take no default: coalesce() gives it
        call = getattr(sa.func, function)(*args)
        keys = [self.build_expression_tree(scope, key, binds) for key in partition]
        ordered = []
        for key, descending in order:
            column = self.build_expression_tree(scope, key, binds)
            ordered.append(column.desc() if descending else column.asc())
        bounds: dict[str, Any] = {}
        if frame is not None:
            bounds["rows" if frame[0] == "rows" else "range_"] = (frame[1], frame[2])
        over = call.over(partition_by=keys or None, order_by=ordered or None, **bounds)
        return over if default is None or arg_shapes[-1] == ("null",) else sa.func.coalesce(over, default)

    def _function(self, scope: Any, shape: Any, binds: Binds) -> Any:
        _, name, arg_shapes, kinds = shape
        args = [self.build_expression_tree(scope, arg, binds) for arg in arg_shapes]
        if name == "concat":  # None reads as an empty text, as Django's Concat does on every backend
            texts = [sa.func.coalesce(arg if kind is Kind.TEXT else sa.cast(arg, sa.String()), _EMPTY,
                                      type_=sa.String()) for arg, kind in zip(args, kinds, strict=True)]
            return reduce(lambda a, b: a.concat(b), texts[1:], texts[0])  # type: ignore[arg-type, return-value]
        name = self.backend.supports.extra.get("functions", {}).get(name, name)
        return getattr(sa.func, name)(*args)

    def _cast_type(self, ltype: LogicalType) -> Any:
        if ltype.kind in self.backend.supports.extra.get("cast_as_text", ()):
            return sa.Text()
        return sa_type(ltype)

    def build_match(self, scope: Any, shape: Any, binds: Binds, negated: bool) -> Any:
        _, op, lhs_shape, rhs, kind = shape
        lhs = self.build_expression_tree(scope, lhs_shape, binds)
        if kind is Kind.DECIMAL and self.backend.supports.extra.get("decimal_as_float") and rhs != "text":
            # A decimal computed as a float (0.05 * 3 is 0.15000000000000002) compares as the
            # 15 significant digits a float holds of a decimal, as it reads back.
            lhs = sa.cast(sa.func.printf(_FIFTEEN_DIGITS, lhs), sa.Float())
        if op == "true":
            return lhs
        if op == "false":
            return sa.not_(lhs)
        if op == "isnull":
            return lhs.is_(None) if rhs else lhs.is_not(None)
        if rhs == "text":
            pattern = binds(sa.String())
            clause = sa.func.lower(lhs) == sa.func.lower(pattern) if op == "iexact" else \
                self.backend.text_match(lhs, op, pattern)
        elif op == "in" and rhs and rhs[0] == "sub":
            clause = lhs.in_(self._correlated(scope, rhs[1], binds))
        elif op == "in":
            items = [self.build_expression_tree(scope, item, binds) for item in rhs]
            clause = lhs.in_(items) if items else sa.false()
        elif op == "range":
            low, high = (self.build_expression_tree(scope, item, binds) for item in rhs)
            clause = lhs.between(low, high)
        else:
            clause = COMPARE[op](lhs, self.build_expression_tree(scope, rhs, binds))
        # NOT (NULL > 1) is NULL, never true: under a negation a None value matches.
        return sa.and_(clause, lhs.is_not(None)) if negated else clause

    # -- reading ---------------------------------------------------------------
    def expression_decoder(self, ltype: LogicalType) -> Decoder:
        """Reads an expression's result as ``ltype``'s Python type, whatever the driver gives
        (SQLite's texts for dates, MySQL's decimals for integer division, floats for decimals)."""
        kind = ltype.kind
        extra = self.backend.supports.extra
        decode = self.backend.decoder(ColumnSchema("value", ltype, nullable=True))
        if kind is Kind.DECIMAL:
            return _decimal_reader(ltype.scale, bool(extra.get("decimal_as_float")))
        simple: dict[Kind, Callable[[Any], Any]] = {
            Kind.BOOL: bool, Kind.FLOAT64: float, Kind.TEXT: _text, Kind.DATE: _date, Kind.UUID: _uuid}
        convert = simple.get(kind) or (int if kind in INTEGER_KINDS else None)
        if convert is not None:
            return lambda v: None if v is None else convert(v)
        if kind is Kind.TIME:
            return lambda v: None if v is None else dt.time.fromisoformat(v) if isinstance(v, str) else \
                decode(v) if decode is not None else v
        if kind is Kind.DATETIME:
            return _datetime_reader(decode, ltype.timezone)
        return (lambda v: v) if decode is None else (lambda v: None if v is None else decode(v))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(_text(value)[:10])


def _uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(bytes=value) if isinstance(value, bytes) and len(value) == 16 else uuid.UUID(_text(value))


def _datetime_reader(decode: Decoder | None, aware: bool) -> Decoder:
    def read(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, (str, bytes)) or decode is None:
            value = dt.datetime.fromisoformat(_text(value)) if not isinstance(value, dt.datetime) else value
        else:
            value = decode(value)
        if aware and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if aware else value

    return read


def _decimal_reader(scale: int | None, floats: bool) -> Decoder:
    quantum = None if scale is None else Decimal(1).scaleb(-scale)

    def read(value: Any) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, float):
            # A float holds 15 significant digits of a decimal: 9.1 * 3 reads 27.3, not 27.299999999999997.
            number = Decimal(format(value, ".15g") if floats else repr(value))
        else:
            number = value if isinstance(value, Decimal) else Decimal(_text(value))
        if quantum is not None:
            return number.quantize(quantum)
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:  # trailing zeros (MySQL's DECIMAL(65, 30) has 30) go
            number = number.normalize()
            exponent = number.as_tuple().exponent
            if isinstance(exponent, int) and exponent > 0:  # 1E+2 reads 100
                number = number.quantize(Decimal(1))
        return number

    return read
