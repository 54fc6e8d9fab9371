"""Filter trees (``Q``), field references (``F``) and the nodes they build."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Union


@dataclass(frozen=True, slots=True)
class Lookup:
    """One comparison: ``field <op> value`` (``value`` may be an :class:`F` expression).

    Attributes:
        transform: What the field's value is turned into before the comparison: a date
            part (``"year"``, ``"month"``, ``"day"``, ``"week_day"``, ``"hour"``,
            ``"minute"``, ``"date"``), ``"key"`` for a value inside a JSON document, or None.
        path: For ``"key"``: the keys (and array indexes) leading to that value.
    """

    field: str
    op: str
    value: Any
    transform: str | None = None
    path: tuple[str | int, ...] = ()


@dataclass(frozen=True, slots=True)
class Junction:
    """Children joined by AND or OR, optionally negated."""

    connector: Literal["and", "or"]
    children: tuple[Node, ...]
    negated: bool = False


Node = Union[Lookup, Junction]


@dataclass(frozen=True, slots=True)
class RawLookups:
    """Lookups as written (``year__gte=1960``), before they are checked against a model."""

    items: tuple[tuple[str, Any], ...]


class Q:
    """A filter that can be combined with ``|``, ``&`` and negated with ``~``.

    >>> Book.filter(Q(year__lt=1950) | Q(title__startswith="The"))
    """

    __slots__ = ("children", "connector", "negated")

    def __init__(self, *children: Q, **lookups: Any) -> None:
        self.connector: Literal["and", "or"] = "and"
        raw = (RawLookups(tuple(lookups.items())),) if lookups else ()
        self.children: tuple[Q | RawLookups, ...] = (*children, *raw)
        self.negated = False

    @classmethod
    def _combine(cls, connector: Literal["and", "or"], children: tuple[Q | RawLookups, ...], negated: bool) -> Q:
        q = cls.__new__(cls)
        q.connector, q.children, q.negated = connector, children, negated
        return q

    def __or__(self, other: Q) -> Q:
        return Q._combine("or", (self, _check_q(other)), False)

    def __and__(self, other: Q) -> Q:
        return Q._combine("and", (self, _check_q(other)), False)

    def __invert__(self) -> Q:
        return Q._combine(self.connector, self.children, not self.negated)

    def __repr__(self) -> str:
        inner = f" {self.connector.upper()} ".join(
            repr(c) if isinstance(c, Q) else ", ".join(f"{k}={v!r}" for k, v in c.items) for c in self.children
        )
        return f"{'~' if self.negated else ''}Q({inner})"


def _check_q(other: object) -> Q:
    if not isinstance(other, Q):
        raise TypeError(f"can only combine Q with Q, not {type(other).__name__}")
    return other


Operand = Union["F", "Combined", Any]


class _Arithmetic:
    __slots__ = ()

    def __add__(self, other: Any) -> Combined:
        return Combined(self, "+", other)

    def __radd__(self, other: Any) -> Combined:
        return Combined(other, "+", self)

    def __sub__(self, other: Any) -> Combined:
        return Combined(self, "-", other)

    def __rsub__(self, other: Any) -> Combined:
        return Combined(other, "-", self)

    def __mul__(self, other: Any) -> Combined:
        return Combined(self, "*", other)

    def __rmul__(self, other: Any) -> Combined:
        return Combined(other, "*", self)

    def __truediv__(self, other: Any) -> Combined:
        return Combined(self, "/", other)

    def __rtruediv__(self, other: Any) -> Combined:
        return Combined(other, "/", self)


class Expression(_Arithmetic):
    """Anything that stands for a value the database computes: a field reference (:class:`F`),
    arithmetic on them (``F("price") * F("qty")``), and the functions and subqueries of
    :mod:`ormada.query.functions`."""

    __slots__ = ()


class F(Expression):
    """A reference to a column's current value, for updates and comparisons.

    >>> Book.filter(id=1).update(year=F("year") + 1)
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"F({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, F) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("F", self.name))


class Combined(Expression):
    """``lhs <op> rhs`` where either side is an :class:`F`, a ``Combined`` or a value."""

    __slots__ = ("lhs", "op", "rhs")

    def __init__(self, lhs: Any, op: str, rhs: Any) -> None:
        self.lhs, self.op, self.rhs = lhs, op, rhs

    def __repr__(self) -> str:
        return f"({self.lhs!r} {self.op} {self.rhs!r})"


def is_expression(value: object) -> bool:
    """Whether ``value`` refers to columns rather than being a plain value."""
    return isinstance(value, Expression)


def references(value: object) -> list[F]:
    """The ``F`` references inside an expression, left to right (none for a plain value)."""
    if isinstance(value, F):
        return [value]
    if isinstance(value, Combined):
        return [*references(value.lhs), *references(value.rhs)]
    return []
