"""Expressions a query computes: values, conditions, SQL functions and subqueries.

They are plain data, like :class:`~ormada.query.expressions.F`: a QuerySet resolves them
against its model (``annotate()``, ``filter()``, ``update()``), checking every field they
name and working out the type of what they give, before anything is sent. A string where
an expression is expected names a field (``Upper("author__name")``); :class:`Value` wraps
a literal. Values are always bound as parameters.

>>> Book.annotate(total=F("price") * F("qty"), label=Concat("title", Value(" ("), "year", Value(")")))
>>> Author.annotate(latest=Subquery(Book.filter(author=OuterRef("pk")).order_by("-year").values("title")[:1]))
>>> Author.filter(Exists(Book.filter(author=OuterRef("pk"), year__lt=1970)))
"""

from __future__ import annotations

import re
from typing import Any

from ormada.query.expressions import Expression, F, Q

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def operand(value: Any) -> Any:
    """What an argument stands for: a string names a field; expressions stay; anything
    else is a literal :class:`Value`."""
    if isinstance(value, str):
        return F(value)
    if isinstance(value, Expression):
        return value
    return Value(value)


class Value(Expression):
    """A literal, bound as a parameter: ``Value(" ")``, ``Value(Decimal("1.5"))``, ``Value(None)``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        if isinstance(value, (Expression, Q)):
            raise TypeError(f"Value() wraps a literal, not {value!r}")
        self.value = value

    def __repr__(self) -> str:
        return f"Value({self.value!r})"


class Func(Expression):
    """Any SQL function: ``Func("abs", F("balance"))``, ``Func("round", "price", 1, output=Decimal)``.

    Args:
        function: The function's name, a plain identifier (never text spliced into SQL).
        *args: Field names, expressions or literals (bound as parameters).
        output: The Python type (or ``Annotated`` field type) of the result; by default
            the type of the first argument with one.
    """

    __slots__ = ("args", "function", "output")
    name: str = ""  # the function of a subclass (Lower, Coalesce…), which takes no name

    def __init__(self, function: str, *args: Any, output: Any = None) -> None:
        if not isinstance(function, str) or not IDENTIFIER.fullmatch(function):
            raise TypeError(f"Func() takes a function name made of letters, digits and _, not {function!r}")
        self.function = function
        self.args = tuple(operand(arg) for arg in args)
        self.output = output

    def __repr__(self) -> str:
        inner = ", ".join(repr(arg) for arg in self.args)
        if type(self).name:
            return f"{type(self).__name__}({inner})"
        return f"Func({self.function!r}{', ' if inner else ''}{inner})"


class _Named(Func):
    __slots__ = ()
    least_args = 1
    most_args: int | None = None

    def __init__(self, *args: Any) -> None:
        n = len(args)
        if n < self.least_args or (self.most_args is not None and n > self.most_args):
            count = str(self.least_args) if self.most_args == self.least_args else f"at least {self.least_args}"
            raise TypeError(f"{type(self).__name__}() takes {count} argument(s), got {n}")
        super().__init__(self.name, *args)


class Lower(_Named):
    """The text in lower case."""

    __slots__ = ()
    name = "lower"
    most_args = 1


class Upper(_Named):
    """The text in upper case."""

    __slots__ = ()
    name = "upper"
    most_args = 1


class Length(_Named):
    """The number of characters of a text (an ``int``)."""

    __slots__ = ()
    name = "length"
    most_args = 1


class Concat(_Named):
    """The texts joined (other values as their text); a None counts as an empty text."""

    __slots__ = ()
    name = "concat"
    least_args = 2


class Coalesce(_Named):
    """The first argument that is not None."""

    __slots__ = ()
    name = "coalesce"
    least_args = 2


class Greatest(_Named):
    """The largest argument (PostgreSQL skips Nones; SQLite and MySQL give None if any is None)."""

    __slots__ = ()
    name = "greatest"
    least_args = 2


class Least(_Named):
    """The smallest argument (PostgreSQL skips Nones; SQLite and MySQL give None if any is None)."""

    __slots__ = ()
    name = "least"
    least_args = 2


class Cast(Expression):
    """A value converted to another type: ``Cast("year", str)``, ``Cast("price", int)``.

    Args:
        expression: A field name or an expression.
        output: The target: a Python type or a field annotation (``Annotated[Decimal, …]``).
    """

    __slots__ = ("expression", "output")

    def __init__(self, expression: Any, output: Any) -> None:
        self.expression = operand(expression)
        self.output = output

    def __repr__(self) -> str:
        name = getattr(self.output, "__name__", repr(self.output))
        return f"Cast({self.expression!r}, {name})"


class Extract(Expression):
    """A part of a date or datetime, as an ``int``: ``Extract("created", "year")``.

    Parts are those of the lookups: ``year``, ``month``, ``day``, ``week_day`` (1 = Sunday …
    7 = Saturday), ``hour`` and ``minute``; an aware datetime is read in UTC.
    """

    __slots__ = ("expression", "part")
    PARTS = ("year", "month", "day", "week_day", "hour", "minute")

    def __init__(self, expression: Any, part: str) -> None:
        if part not in self.PARTS:
            raise TypeError(f"Extract() takes one of the parts {', '.join(self.PARTS)}, not {part!r}")
        self.expression = operand(expression)
        self.part = part

    def __repr__(self) -> str:
        return f"Extract({self.expression!r}, {self.part!r})"


class Trunc(Expression):
    """A date or datetime cut down to the start of its ``unit``: the first day of its
    ``year``, ``month`` or ``day``, as a ``date``, or the start of its ``hour``, as a
    ``datetime`` of the field's kind (aware in UTC, or naive); an aware datetime is read in
    UTC. Spelt :class:`TruncYear`, :class:`TruncMonth`, :class:`TruncDay` and
    :class:`TruncHour`."""

    __slots__ = ("expression",)
    unit = ""

    def __init__(self, expression: Any) -> None:
        self.expression = operand(expression)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.expression!r})"


class TruncYear(Trunc):
    """The date of January 1st of the value's year."""

    __slots__ = ()
    unit = "year"


class TruncMonth(Trunc):
    """The date of the first day of the value's month."""

    __slots__ = ()
    unit = "month"


class TruncDay(Trunc):
    """The value's date."""

    __slots__ = ()
    unit = "day"


class TruncHour(Trunc):
    """The datetime of the start of the value's hour (UTC for an aware value); a ``date``
    has no hour, and is refused."""

    __slots__ = ()
    unit = "hour"


class When:
    """One branch of a :class:`Case`: a condition (a ``Q`` or keyword lookups) and its value."""

    __slots__ = ("condition", "then")

    def __init__(self, condition: Q | None = None, *, then: Any, **lookups: Any) -> None:
        if condition is not None and not isinstance(condition, Q):
            raise TypeError(f"When() takes a Q object or keyword lookups, not {condition!r}")
        if condition is None and not lookups:
            raise TypeError("When() needs a condition: a Q object or keyword lookups")
        parts = ([condition] if condition is not None else []) + ([Q(**lookups)] if lookups else [])
        self.condition = parts[0] if len(parts) == 1 else parts[0] & parts[1]
        self.then = operand(then)

    def __repr__(self) -> str:
        return f"When({self.condition!r}, then={self.then!r})"


class Case(Expression):
    """The value of the first :class:`When` whose condition holds, else ``default`` (None
    when not given): ``Case(When(qty__gte=10, then=Value("bulk")), default=Value("single"))``."""

    __slots__ = ("default", "whens")

    def __init__(self, *whens: When, default: Any = None) -> None:
        if not whens:
            raise TypeError("Case() needs at least one When()")
        for item in whens:
            if not isinstance(item, When):
                raise TypeError(f"Case() takes When() branches, not {item!r}")
        self.whens = whens
        self.default = operand(default)

    def __repr__(self) -> str:
        return f"Case({', '.join(repr(w) for w in self.whens)}, default={self.default!r})"


class OuterRef(Expression):
    """A field of the query a :class:`Subquery` or :class:`Exists` sits in:
    ``Book.filter(author=OuterRef("pk"))``; ``"pk"`` is the outer model's primary key."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"OuterRef() takes a field name, not {name!r}")
        self.name = name

    def __repr__(self) -> str:
        return f"OuterRef({self.name!r})"


class Subquery(Expression):
    """The one value a QuerySet of one column gives, computed inside the outer query:
    ``Subquery(Book.filter(author=OuterRef("pk")).order_by("-year").values("title")[:1])``.
    Its type is the selected field's."""

    __slots__ = ("queryset",)

    def __init__(self, queryset: Any) -> None:
        if not hasattr(queryset, "as_subquery"):
            raise TypeError(f"Subquery() takes a QuerySet, not {queryset!r}")
        self.queryset = queryset

    def __repr__(self) -> str:
        return f"Subquery({self.queryset!r})"


class Exists(Expression):
    """Whether a QuerySet has any row, tested inside the outer query:
    ``filter(Exists(Book.filter(author=OuterRef("pk"))))``; ``~Exists(...)`` negates it."""

    __slots__ = ("negated", "queryset")

    def __init__(self, queryset: Any, negated: bool = False) -> None:
        if not hasattr(queryset, "as_subquery"):
            raise TypeError(f"Exists() takes a QuerySet, not {queryset!r}")
        self.queryset = queryset
        self.negated = negated

    def __invert__(self) -> Exists:
        return Exists(self.queryset, not self.negated)

    def __repr__(self) -> str:
        return f"{'~' if self.negated else ''}Exists({self.queryset!r})"


class WindowFunction(Expression):
    """A function computed over a window of rows (:class:`Window`): ranks and neighbours."""

    __slots__ = ("args",)
    name: str = ""
    ordered = True  # only meaningful over ordered rows

    def __init__(self, *args: Any) -> None:
        self.args = tuple(operand(arg) for arg in args)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(repr(arg) for arg in self.args)})"


class RowNumber(WindowFunction):
    """The row's position in its partition, from 1."""

    __slots__ = ()
    name = "row_number"

    def __init__(self) -> None:
        super().__init__()


class Rank(WindowFunction):
    """The row's rank in its partition, with gaps after ties (1, 1, 3)."""

    __slots__ = ()
    name = "rank"

    def __init__(self) -> None:
        super().__init__()


class DenseRank(WindowFunction):
    """The row's rank in its partition, without gaps after ties (1, 1, 2)."""

    __slots__ = ()
    name = "dense_rank"

    def __init__(self) -> None:
        super().__init__()


class _Neighbour(WindowFunction):
    __slots__ = ("default", "offset")

    def __init__(self, expression: Any, offset: int = 1, default: Any = None) -> None:
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise TypeError(f"{type(self).__name__}() takes a non-negative int offset, not {offset!r}")
        super().__init__(expression)
        self.offset = offset
        self.default = operand(default)


class Lag(_Neighbour):
    """The value ``offset`` rows before, in the window's order (``default`` where there is none)."""

    __slots__ = ()
    name = "lag"


class Lead(_Neighbour):
    """The value ``offset`` rows after, in the window's order (``default`` where there is none)."""

    __slots__ = ()
    name = "lead"


class FirstValue(WindowFunction):
    """The value of the first row of the window frame."""

    __slots__ = ()
    name = "first_value"

    def __init__(self, expression: Any) -> None:
        super().__init__(expression)


class RowRange:
    """A window frame of rows around the current one: ``RowRange(-2, 0)`` is the two rows
    before and the current row; None is unbounded on that side."""

    __slots__ = ("end", "start")
    unit = "rows"

    def __init__(self, start: int | None = None, end: int | None = 0) -> None:
        for bound in (start, end):
            if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
                raise TypeError(f"{type(self).__name__}() takes ints or None, not {bound!r}")
        self.start, self.end = start, end

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.start!r}, {self.end!r})"


class ValueRange(RowRange):
    """A window frame by value: the rows whose ordering value is within the bounds."""

    __slots__ = ()
    unit = "range"


class Window(Expression):
    """A window function (:class:`RowNumber`, :class:`Rank`, :class:`DenseRank`, :class:`Lag`,
    :class:`Lead`, :class:`FirstValue`) or an aggregate (``Sum("amount")``…) computed per row over
    the rows of its partition: ``Window(Rank(), partition_by="genre", order_by="-sales")``.

    Args:
        expression: The function or aggregate.
        partition_by: A field name or expression, or several: rows with equal values form a window.
        order_by: A field name (``"-year"`` for descending) or expression, or several.
        frame: :class:`RowRange` or :class:`ValueRange`; by default the database's.
    """

    __slots__ = ("expression", "frame", "order_by", "partition_by")

    def __init__(self, expression: Any, partition_by: Any = None, order_by: Any = None,
                 frame: RowRange | None = None) -> None:
        self.expression = expression
        self.partition_by = _several(partition_by)
        self.order_by = _several(order_by)
        if frame is not None and not isinstance(frame, RowRange):
            raise TypeError(f"Window(frame=...) takes RowRange() or ValueRange(), not {frame!r}")
        self.frame = frame

    def __repr__(self) -> str:
        extra = "".join(f", {name}={value!r}" for name, value in (
            ("partition_by", self.partition_by), ("order_by", self.order_by), ("frame", self.frame)) if value)
        return f"Window({self.expression!r}{extra})"


def _several(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


__all__ = ["Case", "Cast", "Coalesce", "Concat", "DenseRank", "Exists", "FirstValue", "Func", "Greatest", "Lag",
           "Lead", "Least", "Length", "Lower", "OuterRef", "Rank", "RowNumber", "RowRange", "Subquery", "Upper",
           "Value", "ValueRange", "When", "Window"]
