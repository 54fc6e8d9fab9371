"""Transform lookups in SQL: date parts (``created__year``) and values inside JSON
documents (``data__a__b__gt``), flattened into shapes and values and built into clauses.

What differs by database (how a date part or a JSON value is read, the JSON operators)
is the backend's :class:`TransformDialect`; what is decided here is shared:

- ``__year`` and ``__date`` with ``exact``/``gt``/``gte``/``lt``/``lte`` become a range
  on the raw column, which an index on it serves. Where the column's stored form does not
  follow time order exactly (SQLite's text may carry an offset written by another client),
  the dialect says so (``exact_ranges = False``): the range is widened by a day on each
  side, still narrowing the index scan, and the date part itself is compared as well.
- Every other date part compares the database's extraction of it (EXTRACT, strftime).
- A value inside a JSON document is compared only with a value of its own JSON type
  (numbers as numbers, strings as strings), so ``data__n__lt=3`` never matches a string.

A transform's shape is ``("L", column, (transform, ...), extra)``: the tuple in the place
of the lookup name holds everything the text depends on, so ``created__year`` and
``created__month`` never share a compiled statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from ormada.query.expressions import Junction, Lookup
from ormada.query.transforms import JSON_TEXT, json_kind
from ormada.schema import Kind, LogicalType

if TYPE_CHECKING:
    from ormada._info import ModelInfo
    from ormada.query.state import Join

Bind = Callable[..., "sa.BindParameter[Any]"]

COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "exact": lambda c, v: c == v,
    "gt": lambda c, v: c > v,
    "gte": lambda c, v: c >= v,
    "lt": lambda c, v: c < v,
    "lte": lambda c, v: c <= v,
}
RANGE_TRANSFORMS = ("year", "date")
ONE_DAY = dt.timedelta(days=1)


class TransformDialect(Protocol):
    """How one database reads date parts and JSON values (SQLite's and PostgreSQL's are in
    :mod:`ormada.backends._sql.dialect_transforms`)."""

    exact_ranges: bool  # a range on the raw column selects exactly the rows of a year or a day

    def date_part(self, column: Any, part: str) -> Any:
        """The SQL of a date part (``year``…``minute``, ``week_day`` 1 = Sunday, ``date``)."""
        ...

    def date_value(self, value: dt.date) -> Any:
        """A date as bound for comparison with ``date_part(column, "date")``."""
        ...

    def date_trunc(self, column: Any, unit: str) -> Any:
        """The first day of the value's ``year`` or ``month``, as a date, or the start of its
        ``hour``, as a datetime of the column's kind (UTC for aware values)."""
        ...

    def json_path(self, path: tuple[str | int, ...], model: str, field: str) -> Any:
        """The bound value naming ``path`` inside a document; None for the whole document
        where the database needs no path for it."""
        ...

    def json_at(self, column: Any, path: Any) -> Any:
        """The JSON value at ``path`` (a bind parameter, or None for the whole document)."""
        ...

    def json_typed(self, column: Any, path: Any, kind: str | None) -> Any:
        """A clause: the value at ``path`` exists (``kind`` None) and is of that JSON type."""
        ...

    def json_operand(self, column: Any, path: Any, kind: str) -> Any:
        """The value at ``path`` as compared with a bound value of JSON type ``kind``."""
        ...

    def json_scalar(self, value: Any, kind: str) -> Any:
        """A scalar of JSON type ``kind`` as bound for comparison with ``json_operand``."""
        ...

    def json_scalar_type(self, kind: str) -> Any:
        """The bind type of such a scalar."""
        ...

    def json_has_values(self, path: tuple[str | int, ...], op: str, keys: tuple[str, ...],
                        model: str, field: str) -> list[Any]:
        """The values ``has_key``/``has_keys``/``has_any_keys`` bind, after the path's own."""
        ...

    def json_has(self, column: Any, path: Any, op: str, n: int, binds: Bind) -> Any:
        """The clause of ``has_key``/``has_keys``/``has_any_keys`` on ``n`` keys."""
        ...

    def json_contains_values(self, path: tuple[str | int, ...], value: Any, values: list[Any],
                             model: str, field: str) -> Hashable:
        """JSON containment of ``value`` at ``path``: its values are appended (after the
        path's own), and the shape of the value returned (never a value)."""
        ...

    def json_contains(self, column: Any, path: Any, shape: Any, binds: Bind) -> Any:
        """The clause of JSON containment from the shape ``json_contains_values`` gave."""
        ...


def pad_in(values: list[Any]) -> list[Any]:
    """Pads an IN list to the next power of two by repeating its last value, so
    lists of similar length share one compiled statement."""
    n = len(values)
    if n <= 2:
        return values
    size = 1 << (n - 1).bit_length()
    return values + [values[-1]] * (size - n)


def _span(transform: str, value: Any, ltype: LogicalType) -> tuple[Any, Any]:
    """The first instant of a year or day and the first after it (None past year 9999), in
    the column's type: dates for a date column, UTC for an aware datetime column."""
    if transform == "year":
        start, end = dt.date(value, 1, 1), (dt.date(value + 1, 1, 1) if value < dt.MAXYEAR else None)
    else:
        start, end = value, (value + ONE_DAY if value < dt.date.max else None)
    if ltype.kind is Kind.DATE:
        return start, end
    zone = dt.UTC if ltype.timezone else None
    midnight = dt.time(tzinfo=zone)
    return (dt.datetime.combine(start, midnight),
            None if end is None else dt.datetime.combine(end, midnight))


def _widened(low: Any, high: Any) -> tuple[Any, Any]:
    """A day more on each side; a bound past the calendar's ends is dropped."""
    try:
        low = None if low is None else low - ONE_DAY
    except OverflowError:
        low = None
    try:
        high = None if high is None else high + ONE_DAY
    except OverflowError:
        high = None
    return low, high


class TransformCompiler:
    """Flattening and building of transform lookups, for the SQL WHERE compiler."""

    backend: Any  # the SQL backend: its ``transforms`` dialect and its text-match hooks

    def flatten(self, info: ModelInfo, node: Any, values: list[Any], joins: tuple[Join, ...] = ()) -> Hashable:
        raise NotImplementedError  # WhereCompiler's

    def flatten_transform(self, info: ModelInfo, name: str, key: Hashable, lookup: Lookup, values: list[Any],
                          joins: tuple[Join, ...]) -> Hashable:
        """The shape of a transform lookup on ``info``'s column ``name`` (``key`` in the
        statement); its values are appended to ``values``."""
        if lookup.transform == "key":
            return self._flatten_json(info, name, key, lookup, values)
        ltype = info.table.by_name[name].type
        transform, op = lookup.transform, lookup.op
        if transform in RANGE_TRANSFORMS and op in COMPARE:
            start, end = _span(str(transform), lookup.value, ltype)
            low, high = {"exact": (start, end), "gt": (end, None), "gte": (start, None), "lt": (None, start),
                         "lte": (None, end)}[op]
            exact = self.backend.transforms.exact_ranges
            if not exact:
                low, high = _widened(low, high)
            if low is not None or high is not None:
                parts = [Lookup(lookup.field, "gte", low)] if low is not None else []
                parts += [Lookup(lookup.field, "lt", high)] if high is not None else []
                if exact:  # a range stands for the lookup; flattened as any comparison on the column
                    node = parts[0] if len(parts) == 1 else Junction("and", tuple(parts))
                    return self.flatten(info, node, values, joins)
                shapes = tuple(self.flatten(info, part, values, joins) for part in parts)
                return ("J", "and", False, (*shapes, self._flatten_part(key, lookup, values)))
        return self._flatten_part(key, lookup, values)

    def _flatten_part(self, key: Hashable, lookup: Lookup, values: list[Any]) -> Hashable:
        """A date part compared as the database extracts it."""
        encode = self.backend.transforms.date_value if lookup.transform == "date" else None
        items = lookup.value if lookup.op in ("in", "range") else (lookup.value,)
        if lookup.op == "in":
            items = tuple(pad_in(list(items)))
        values.extend(items if encode is None else (encode(v) for v in items))
        return ("L", key, (lookup.transform, lookup.op), len(items) if lookup.op == "in" else None)

    def _flatten_json(self, info: ModelInfo, name: str, key: Hashable, lookup: Lookup,
                      values: list[Any]) -> Hashable:
        """A lookup on a value inside a JSON document: the path first, then the values."""
        dialect: TransformDialect = self.backend.transforms
        op, value, path = lookup.op, lookup.value, lookup.path
        if op == "in" and not value:  # matches nothing, and binds nothing: no path either
            return ("L", key, ("key", False, op), ())
        bound = dialect.json_path(path, info.name, name)
        if bound is not None:
            values.append(bound)
        head = ("key", bound is not None, op)
        if op == "isnull":
            return ("L", key, head, bool(value))
        if op in ("has_key", "has_keys", "has_any_keys"):
            values += dialect.json_has_values(path, op, value, info.name, name)
            return ("L", key, head, len(value))
        if op == "contains":
            return ("L", key, head, dialect.json_contains_values(path, value, values, info.name, name))
        if op in JSON_TEXT:
            values.append(value if op == "iexact" else self.backend.text_pattern(op, value))
            return ("L", key, head, None)
        items = value if op in ("in", "range") else (value,)
        kinds = tuple(json_kind(name, item) for item in items)
        values.extend(dialect.json_scalar(item, kind) for item, kind in zip(items, kinds, strict=True)
                      if kind != "null")
        return ("L", key, head, kinds)

    def build_transform(self, column: Any, head: tuple[Any, ...], extra: Any, binds: Bind) -> Any:
        """The clause of a transform lookup's shape (see :meth:`flatten_transform`)."""
        dialect: TransformDialect = self.backend.transforms
        if head[0] == "key":
            return self._build_json(dialect, column, head, extra, binds)
        transform, op = head
        part = dialect.date_part(column, transform)
        type_ = sa.Date() if transform == "date" else sa.Integer()
        if op == "in":
            return part.in_([binds(type_) for _ in range(extra)]) if extra else sa.false()
        if op == "range":
            return part.between(binds(type_), binds(type_))
        return COMPARE[op](part, binds(type_))

    def _build_json(self, dialect: TransformDialect, column: Any, head: tuple[Any, ...], extra: Any,
                    binds: Bind) -> Any:
        _, has_path, op = head
        path = binds(dialect_path_type(self.backend)) if has_path else None
        if op == "isnull":
            present = dialect.json_typed(column, path, None)
            return sa.not_(present) if extra else present
        if op in ("has_key", "has_keys", "has_any_keys"):
            return dialect.json_has(column, path, op, extra, binds)
        if op == "contains":
            return dialect.json_contains(column, path, extra, binds)
        if op in JSON_TEXT:
            text = dialect.json_operand(column, path, "string")
            if op == "iexact":
                match = sa.func.lower(text) == sa.func.lower(binds(sa.String()))
            else:
                match = self.backend.text_match(text, op, binds(sa.String()))
            return sa.and_(dialect.json_typed(column, path, "string"), match)
        if op == "in":
            return sa.or_(sa.false(), *(self._json_compare(dialect, column, path, "exact", (kind,), binds)
                                        for kind in extra))
        return self._json_compare(dialect, column, path, op, extra, binds)

    @staticmethod
    def _json_compare(dialect: TransformDialect, column: Any, path: Any, op: str, kinds: tuple[str, ...],
                      binds: Bind) -> Any:
        kind = kinds[0]
        typed = dialect.json_typed(column, path, kind)
        if kind == "null":  # JSON null: the key is there and holds null
            return typed
        operand = dialect.json_operand(column, path, kind)
        type_ = dialect.json_scalar_type(kind)
        if op == "range":
            return sa.and_(typed, operand.between(binds(type_), binds(type_)))
        return sa.and_(typed, COMPARE[op](operand, binds(type_)))


def dialect_path_type(backend: Any) -> Any:
    """The bind type of a JSON path on ``backend``."""
    return getattr(backend.transforms, "path_type", None)
