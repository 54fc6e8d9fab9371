"""Transform lookups: date parts (``created__year``) and values inside JSON documents
(``data__a__b__gt``), checked against the model when ``filter()`` is called.

A transform turns a field's value into another before the comparison that follows it
(``exact`` when none does). The :class:`~ormada.query.expressions.Lookup` it gives
carries the transform and, for JSON, the keys; backends compile it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ormada.errors import QueryError
from ormada.query.expressions import Lookup, is_expression
from ormada.schema import ColumnSchema, Kind

# The date and time parts, and the kinds of field each applies to.
DATE_TRANSFORMS: dict[str, tuple[Kind, ...]] = {
    "year": (Kind.DATE, Kind.DATETIME),
    "month": (Kind.DATE, Kind.DATETIME),
    "day": (Kind.DATE, Kind.DATETIME),
    "week_day": (Kind.DATE, Kind.DATETIME),
    "hour": (Kind.DATETIME, Kind.TIME),
    "minute": (Kind.DATETIME, Kind.TIME),
    "date": (Kind.DATETIME,),
}
# The comparisons that may follow a date part.
DATE_COMPARISONS = ("exact", "gt", "gte", "lt", "lte", "in", "range")
# Each integer part's range, so an impossible value fails before anything is sent.
PART_RANGES = {"year": (1, 9999), "month": (1, 12), "day": (1, 31), "week_day": (1, 7), "hour": (0, 23),
               "minute": (0, 59)}

JSON_FIELD_KINDS = (Kind.JSON, Kind.MAP)
# What may end a lookup on a JSON document or a value inside one.
JSON_KEY_LOOKUPS = ("exact", "gt", "gte", "lt", "lte", "in", "range", "isnull", "contains", "has_key", "has_keys",
                    "has_any_keys", "iexact", "icontains", "startswith", "istartswith", "endswith", "iendswith")
JSON_HAS = ("has_key", "has_keys", "has_any_keys")
JSON_TEXT = ("iexact", "icontains", "startswith", "istartswith", "endswith", "iendswith")


def json_kind(owner: str, value: Any) -> str:
    """The JSON type of a value compared with one inside a document: ``null``,
    ``boolean``, ``number``, ``string``, ``object`` or ``array``.

    Raises:
        QueryError: the value has no JSON form, naming the lookup (``owner``) and the value.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    raise QueryError(f"{owner} compares with JSON values (None, bool, numbers, str, dict, list), not {value!r}")


def is_transform(column: ColumnSchema, part: str) -> bool:
    """Whether ``part`` (the text after ``field__``) starts a transform on this column."""
    kind = column.type.kind
    if kind in JSON_FIELD_KINDS and column.type.db_type is None:
        # Plain lookups on the whole document keep their meaning; anything else names keys.
        return part not in ("exact", "in", "isnull", "contains", "contains_key")
    head = part.partition("__")[0]
    return head in DATE_TRANSFORMS


def transforms_of(column: ColumnSchema) -> tuple[str, ...]:
    """The date transforms a column takes (for the hints of errors)."""
    return tuple(name for name, kinds in DATE_TRANSFORMS.items() if column.type.kind in kinds)


def not_a_transform(model: str, column: ColumnSchema, part: str, lookups: Iterable[str]) -> QueryError:
    """The error for ``field__<part>`` where ``part`` is a date part the field cannot take,
    naming the closest lookup the field has."""
    import difflib

    head = part.partition("__")[0]
    kinds = DATE_TRANSFORMS.get(head, ())
    own = list(transforms_of(column))
    hint = difflib.get_close_matches(head, own + list(lookups), n=1, cutoff=0.5)
    needs = " or ".join(k.value for k in kinds)
    if hint:
        advice = f"; did you mean {hint[0]!r}?"
    elif own:
        advice = f"; {column.name} takes the transforms {', '.join(own)}"
    else:
        advice = f" (lookups of {column.name}: {', '.join(lookups)})"
    return QueryError(f"{model}.{column.name}__{head}: the transform {head!r} needs a {needs} field; "
                      f"{column.name} holds {column.type.kind.value}{advice}")


def resolve_transform(model: str, column: ColumnSchema, part: str, value: Any, lookups: tuple[str, ...]) -> Lookup:
    """The Lookup of ``field__<part>=value`` when ``part`` starts with a transform.

    Args:
        lookups: The lookups the field takes without a transform (for error hints).

    Raises:
        QueryError: an unknown or misplaced transform or comparison, or a bad value.
    """
    if column.type.kind in JSON_FIELD_KINDS and column.type.db_type is None:
        return _json_lookup(model, column.name, part, value)
    transform, _, op = part.partition("__")
    op = op or "exact"
    name = f"{model}.{column.name}__{transform}"
    if column.type.kind not in DATE_TRANSFORMS[transform]:
        raise not_a_transform(model, column, part, lookups)
    if op not in DATE_COMPARISONS:
        import difflib

        hint = difflib.get_close_matches(op, DATE_COMPARISONS, n=1, cutoff=0.5)
        raise QueryError(f"{name}: unknown comparison {op!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
                         + f" (after a transform: {', '.join(DATE_COMPARISONS)})")
    if is_expression(value):
        raise QueryError(f"{name}__{op} compares with values, not with an F() expression")
    check = _check_date if transform == "date" else _check_part
    if op == "in":
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise QueryError(f"{name}__in takes a list of values, not {value!r}")
        return Lookup(column.name, op, tuple(check(name, transform, v) for v in value), transform)
    if op == "range":
        try:
            low, high = value
        except (TypeError, ValueError):
            raise QueryError(f"{name}__range takes (low, high), not {value!r}") from None
        return Lookup(column.name, op, (check(name, transform, low), check(name, transform, high)), transform)
    return Lookup(column.name, op, check(name, transform, value), transform)


def _check_part(name: str, transform: str, value: Any) -> int:
    low, high = PART_RANGES[transform]
    if isinstance(value, bool) or not isinstance(value, int):
        raise QueryError(f"{name} takes a whole number from {low} to {high}, not {value!r}")
    if not low <= value <= high:
        raise QueryError(f"{name}: {value!r} is out of range; {transform} runs from {low} to {high}")
    return value


def _check_date(name: str, transform: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise QueryError(f"{name} takes a datetime.date, not {value!r}")
    return value


def _json_lookup(model: str, field: str, part: str, value: Any) -> Lookup:
    """``data__a__b__gt=3``: the keys ``a``, ``b`` (digits are array indexes) and the lookup."""
    steps = part.split("__")
    op = steps[-1] if steps[-1] in JSON_KEY_LOOKUPS else "exact"
    keys = steps[:-1] if steps[-1] in JSON_KEY_LOOKUPS else steps
    path: tuple[str | int, ...] = tuple(int(k) if k.isdigit() else k for k in keys)
    name = f"{model}.{field}__{part}"
    if is_expression(value):
        raise QueryError(f"{name} compares with values, not with an F() expression")
    if op in JSON_HAS:
        keys_given = [value] if op == "has_key" else value
        if isinstance(keys_given, (str, bytes)) or not isinstance(keys_given, Iterable) or \
                not all(isinstance(k, str) for k in keys_given):
            wanted = "a key (str)" if op == "has_key" else "a list of keys (str)"
            raise QueryError(f"{name} takes {wanted}, not {value!r}")
        return Lookup(field, op, tuple(keys_given), "key", path)
    if op == "isnull":
        if not isinstance(value, bool):
            raise QueryError(f"{name} takes True or False, not {value!r}")
        if not path:
            return Lookup(field, op, value)
        return Lookup(field, op, value, "key", path)
    if op == "in":
        if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
            raise QueryError(f"{name} takes a list of values, not {value!r}")
        items = tuple(value)
        for item in items:
            if json_kind(name, item) in ("object", "array"):
                raise QueryError(f"{name} takes scalar JSON values (None, bool, numbers, str), not {item!r}")
        return Lookup(field, op, items, "key", path)
    if op == "range":
        try:
            low, high = value
        except (TypeError, ValueError):
            raise QueryError(f"{name} takes (low, high), not {value!r}") from None
        if json_kind(name, low) != json_kind(name, high) or json_kind(name, low) not in ("number", "string"):
            raise QueryError(f"{name} takes two numbers or two strings, not {value!r}")
        return Lookup(field, op, (low, high), "key", path)
    kind = json_kind(name, value)
    if op in JSON_TEXT and kind != "string":
        raise QueryError(f"{name} takes a string, not {value!r}")
    if op in ("gt", "gte", "lt", "lte") and kind not in ("number", "string"):
        raise QueryError(f"{name} compares with a number or a string, not {value!r}")
    if op == "exact" and kind in ("object", "array"):
        at = "__".join((field, *keys))
        raise QueryError(f"{name}: compare a whole object or array with {at}__contains={value!r} "
                         "(containment), or compare its keys one by one")
    return Lookup(field, op, value, "key", path)
