"""Aggregate functions (``Count``, ``Sum``, ``Avg``…) as plain data, and their resolved form.

An aggregate names a field as a user writes it (``"amount"``, ``"books"``,
``"books__pages"``); :class:`AggregateSpec` is what the QuerySet resolves it to against
a model: the column path the statement reads, the column's logical kind and the
resolved filter. Backends compile specs; nothing here holds SQL or CQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ormada.query.expressions import Expression, Node, Q
from ormada.schema import Kind

NUMERIC_KINDS = frozenset((Kind.INT16, Kind.INT32, Kind.INT64, Kind.FLOAT64, Kind.DECIMAL, Kind.COUNTER))


class Aggregate:
    """An aggregate over a field: ``Sum("amount")``, ``Count("books", distinct=True)``,
    ``Count("id", filter=Q(year__gte=2000))``.

    Args:
        field: A field of the queried model, a relation (``"books"``: its rows' keys)
            or a path across relations (``"books__pages"``); ``Count("*")`` counts rows.
        distinct: Aggregate distinct values only.
        filter: Only rows matching this Q count (``FILTER (WHERE …)`` in SQL).
    """

    __slots__ = ("distinct", "field", "filter")
    function: ClassVar[str] = ""
    numeric: ClassVar[bool] = False  # the field must hold numbers (Sum, Avg, StdDev, Variance)

    def __init__(self, field: str | Expression, *, distinct: bool = False, filter: Q | None = None) -> None:
        if not (isinstance(field, str) and field) and not isinstance(field, Expression):
            raise TypeError(f"{type(self).__name__}() takes a field name or an expression, not {field!r}")
        if filter is not None and not isinstance(filter, Q):
            raise TypeError(f"{type(self).__name__}(filter=...) takes a Q object, not {filter!r}")
        self.field, self.distinct, self.filter = field, distinct, filter

    @property
    def default_name(self) -> str:
        """The key a positional aggregate gets in ``aggregate()``'s dict: ``amount__sum``."""
        return f"{self.field}__{self.function}" if self.field != "*" else self.function

    @property
    def sample(self) -> bool:
        return False

    def __repr__(self) -> str:
        extra = (", distinct=True" if self.distinct else "") + (f", filter={self.filter!r}" if self.filter else "")
        return f"{type(self).__name__}({self.field!r}{extra})"


class Count(Aggregate):
    """How many rows have the field set (``Count("*")``: how many rows); 0 for no rows."""

    __slots__ = ()
    function = "count"


class Sum(Aggregate):
    """The sum of a numeric field; None for no rows. Decimals sum exactly."""

    __slots__ = ()
    function = "sum"
    numeric = True


class Avg(Aggregate):
    """The mean of a numeric field (a float, or a Decimal for decimal fields); None for no rows."""

    __slots__ = ()
    function = "avg"
    numeric = True


class Min(Aggregate):
    """The smallest value of a field, of the field's type; None for no rows."""

    __slots__ = ()
    function = "min"


class Max(Aggregate):
    """The largest value of a field, of the field's type; None for no rows."""

    __slots__ = ()
    function = "max"


class _Spread(Aggregate):
    __slots__ = ("_sample",)

    def __init__(self, field: str | Expression, *, sample: bool = False, distinct: bool = False,
                 filter: Q | None = None) -> None:
        super().__init__(field, distinct=distinct, filter=filter)
        self._sample = sample

    @property
    def sample(self) -> bool:
        return self._sample


class StdDev(_Spread):
    """The standard deviation of a numeric field, as a float: of the population, or of a
    sample with ``sample=True``; None for no rows (and for one row with ``sample=True``)."""

    __slots__ = ()
    function = "stddev"
    numeric = True


class Variance(_Spread):
    """The variance of a numeric field, as a float (``sample=True``: of a sample)."""

    __slots__ = ()
    function = "variance"
    numeric = True


@dataclass(frozen=True, slots=True)
class AggregateSpec:
    """An aggregate resolved against a model: what a backend compiles.

    Attributes:
        name: The key of the result (``aggregate()``) or the attribute (``annotate()``).
        function: ``count``, ``sum``, ``avg``, ``min``, ``max``, ``stddev``, ``variance``.
        field: The column path read (``"amount"``, ``"books__id"``), or ``"*"``.
        kind: The column's logical kind (None for ``*``), which decides the result type.
        column: The column's schema (None for ``*``), whose decoder reads Min/Max.
        distinct / sample: As given.
        filter: The resolved filter, or None.
        expression: The resolved expression aggregated (``Sum(F("price") * F("qty"))``, or an
            expression annotation's name), in place of ``field``; None for a field.
    """

    name: str
    function: str
    field: str
    kind: Kind | None
    column: Any
    distinct: bool = False
    sample: bool = False
    filter: Node | None = None
    expression: Any = None
