"""Expressions resolved against a model: typed trees a backend compiles.

A QuerySet turns the expressions a user writes (:mod:`ormada.query.functions`, ``F``,
arithmetic) into these: every field checked and named by its path from the queried model,
every literal typed, the result type of every node worked out (``ltype``). Backends flatten
them into a shape (the structure, for the compile cache) and values (bound apart).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ormada.query.expressions import Node
from ormada.schema import ColumnSchema, Kind, LogicalType

INT = LogicalType(Kind.INT64, python_type=int)
FLOAT = LogicalType(Kind.FLOAT64, python_type=float)
DECIMAL = LogicalType(Kind.DECIMAL, python_type=Decimal)
TEXT = LogicalType(Kind.TEXT, python_type=str)
BOOL = LogicalType(Kind.BOOL, python_type=bool)
DATE = LogicalType(Kind.DATE, python_type=dt.date)
DATETIME = LogicalType(Kind.DATETIME, python_type=dt.datetime, timezone=False)
NULL = LogicalType(Kind.JSON, python_type=type(None))  # Value(None): takes the type of what it meets

_LITERALS: dict[type, LogicalType] = {
    bool: BOOL, int: INT, float: FLOAT, Decimal: DECIMAL, str: TEXT,
    bytes: LogicalType(Kind.BYTES, python_type=bytes),
    dt.date: LogicalType(Kind.DATE, python_type=dt.date),
    dt.time: LogicalType(Kind.TIME, python_type=dt.time),
    dt.timedelta: LogicalType(Kind.DURATION, python_type=dt.timedelta),
    uuid.UUID: LogicalType(Kind.UUID, python_type=uuid.UUID),
}
INTEGER_KINDS = frozenset((Kind.INT16, Kind.INT32, Kind.INT64, Kind.COUNTER))
NUMBER_KINDS = INTEGER_KINDS | {Kind.FLOAT64, Kind.DECIMAL}


def literal_type(value: Any) -> LogicalType | None:
    """The logical type of a literal, or None for one no column type holds."""
    if value is None:
        return NULL
    if isinstance(value, dt.datetime):
        return LogicalType(Kind.DATETIME, python_type=dt.datetime, timezone=value.tzinfo is not None)
    return _LITERALS.get(type(value))


class Resolved:
    """A resolved expression; ``ltype`` is the type of its value."""

    __slots__ = ()
    ltype: LogicalType


@dataclass(frozen=True, slots=True)
class Col(Resolved):
    """A field, by its path from the queried model (``price``, ``author__name``)."""

    path: str
    column: ColumnSchema

    @property
    def ltype(self) -> LogicalType:  # type: ignore[override]
        return self.column.type


@dataclass(frozen=True, slots=True)
class Val(Resolved):
    """A literal, bound as a parameter of type ``ltype``."""

    value: Any
    ltype: LogicalType


@dataclass(frozen=True, slots=True)
class Call(Resolved):
    """A function of its arguments (``lower``, ``concat``, ``coalesce``, or one named by ``Func``)."""

    function: str
    args: tuple[Resolved, ...]
    ltype: LogicalType


@dataclass(frozen=True, slots=True)
class DatePart(Resolved):
    """A part of a date or datetime (``year``…, as an int), the date it falls in, cut to a
    unit (``trunc_year``, ``trunc_month``, ``trunc_day``), or the start of its hour
    (``trunc_hour``, a datetime of the value's own kind)."""

    part: str
    expression: Resolved
    ltype: LogicalType


@dataclass(frozen=True, slots=True)
class Arith(Resolved):
    """``lhs <op> rhs`` with ``op`` one of ``+ - * /``."""

    op: str
    lhs: Resolved
    rhs: Resolved
    ltype: LogicalType


@dataclass(frozen=True, slots=True)
class CaseOf(Resolved):
    """The value of the first condition that holds (resolved filter trees), else ``default``."""

    whens: tuple[tuple[Node, Resolved], ...]
    default: Resolved
    ltype: LogicalType


@dataclass(frozen=True, slots=True)
class CastTo(Resolved):
    """``expression`` converted to ``ltype``."""

    expression: Resolved
    ltype: LogicalType


@dataclass(frozen=True, slots=True, eq=False)
class SubqueryOf(Resolved):
    """A query of one column (``column``) run inside the outer one, giving one value.

    Attributes:
        target: The inner model's description.
        state: The inner query (its outer references resolved to :class:`OuterCol`).
    """

    target: Any
    state: Any
    column: str
    ltype: LogicalType


@dataclass(frozen=True, slots=True, eq=False)
class ExistsOf(Resolved):
    """Whether the inner query has a row."""

    target: Any
    state: Any
    ltype: LogicalType = BOOL


@dataclass(frozen=True, slots=True)
class OuterCol(Resolved):
    """A field of the enclosing query (``OuterRef``), by its path from that query's model."""

    path: str
    column: ColumnSchema | None  # None until the subquery is put in its outer query

    @property
    def ltype(self) -> LogicalType:  # type: ignore[override]
        return NULL if self.column is None else self.column.type


@dataclass(frozen=True, slots=True)
class WindowOf(Resolved):
    """``function(args) OVER (PARTITION BY … ORDER BY … frame)``.

    Attributes:
        function: ``row_number``, ``rank``, ``dense_rank``, ``lag``, ``lead``, ``first_value``,
            or an aggregate (``sum``, ``count``, ``avg``, ``min``, ``max``).
        args: The arguments (none for ``count(*)`` and the ranks).
        offset: For ``lag``/``lead``, how many rows away (part of the statement's text).
        partition / order: The partition expressions; the order as (expression, descending).
        frame: ``("rows" | "range", start, end)`` or None.
    """

    function: str
    args: tuple[Resolved, ...]
    offset: int | None
    partition: tuple[Resolved, ...]
    order: tuple[tuple[Resolved, bool], ...]
    frame: tuple[str, int | None, int | None] | None
    ltype: LogicalType


@dataclass(frozen=True, slots=True)
class Named(Resolved):
    """An annotation of the same query by its name (a filter on a window's result, applied
    around the query that computes it)."""

    name: str
    ltype: LogicalType


def has_window(item: Any) -> bool:
    """Whether a resolved expression computes a window function somewhere."""
    if isinstance(item, WindowOf):
        return True
    if isinstance(item, (SubqueryOf, ExistsOf)):
        return False
    if isinstance(item, tuple):
        return any(has_window(part) for part in item)
    if isinstance(item, Resolved) and hasattr(item, "__dataclass_fields__"):
        return any(has_window(getattr(item, name)) for name in item.__dataclass_fields__)
    return False


@dataclass(frozen=True, slots=True)
class Match:
    """The value of a filter ``Lookup`` comparing an expression: ``lhs <op> rhs``.

    Attributes:
        lhs: The expression compared (an annotation's, a field's, ``Exists``…).
        rhs: What it is compared with: an expression, a tuple of them (``in``,
            ``range``), a bool (``isnull``), a text (text lookups), or None (``op`` is
            ``"true"``: ``lhs`` is itself the condition).
        paths: The relation paths both sides cross, which the query joins.
        label: How the lookup was written, for messages.
    """

    lhs: Resolved
    rhs: Any
    paths: tuple[str, ...] = ()
    label: str = ""

    def __repr__(self) -> str:
        return self.label or f"Match({self.lhs!r}, {self.rhs!r})"


@dataclass(frozen=True, slots=True)
class ExpressionSpec:
    """A non-aggregate annotation: ``name`` and the resolved expression computed per row."""

    name: str
    expression: Resolved

    @property
    def ltype(self) -> LogicalType:
        return self.expression.ltype
