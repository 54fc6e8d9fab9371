"""Keyset pagination, written once: the filter for "the rows after this one" in an
ordering, and the page read through it.

The filter is the expansion of a row comparison over the ordering keys,
``a > x OR (a = x AND (b > y OR (b = y AND id > z)))``, with ``<`` for descending keys
and NULLs placed where the backend sorts them (``Capabilities.extra["nulls_high"]``:
NULL above every value, as PostgreSQL sorts; otherwise below, as SQLite and MySQL do).
It is built from ordinary lookups, so its values are bound parameters and its
statement text is compiled once per query shape. When the first key's value is not
NULL and NULLs sort before it, the filter also carries ``a >= x``, which an index on
``a`` reads as a range, so a deep page costs what the first one does. Where the backend
reads row comparisons as index ranges (``Capabilities.extra["row_range"]``: PostgreSQL)
and the keys share one direction and hold no NULL, it carries ``(a, b, id) > (x, y, z)``
too, so that a composite index starts at the boundary even inside a run of ties on ``a``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ormada.query.expressions import Lookup, Q


@dataclass(frozen=True, slots=True)
class Key:
    """One ordering key: the field, its direction, and whether it may hold NULL."""

    field: str
    descending: bool
    nullable: bool


def _nulls_after(key: Key, nulls_high: bool) -> bool:
    """Whether NULLs of this key come after every value in the read's order."""
    return key.nullable and nulls_high != key.descending


def after(keys: Sequence[Key], values: Sequence[Any], nulls_high: bool) -> Q:
    """The filter matching the rows that come after a row whose keys hold ``values``.

    The last key must be unique (the primary key), so no row ties with the boundary.
    """
    condition = _after_from(keys, values, nulls_high, 0)
    assert condition is not None, "the last ordering key is the primary key, which is never NULL"
    first, x = keys[0], values[0]
    if x is not None and not _nulls_after(first, nulls_high) and len(keys) > 1:
        # Redundant, but it gives the index on the first key a start to read from.
        bound = Q(**{f"{first.field}__{'lte' if first.descending else 'gte'}": x})
        return bound & condition
    return condition


def row_bound(keys: Sequence[Key], values: Sequence[Any]) -> Lookup | None:
    """``(a, b, …) > (x, y, …)`` (``<`` when descending), which a composite index reads as a
    range starting at the boundary, also inside a run of rows that tie on ``a``; None
    where it would not be equivalent (mixed directions, NULLs) or there is one key."""
    if len(keys) < 2 or any(k.nullable for k in keys) or len({k.descending for k in keys}) > 1:
        return None
    op = "row_lt" if keys[0].descending else "row_gt"
    return Lookup(keys[0].field, op, (tuple(k.field for k in keys), tuple(values)))


def _after_from(keys: Sequence[Key], values: Sequence[Any], nulls_high: bool, i: int) -> Q | None:
    """Rows after the boundary on keys ``i…``, given equality on the keys before; None matches nothing."""
    if i == len(keys):
        return None
    key, x = keys[i], values[i]
    nulls_after = _nulls_after(key, nulls_high)
    beyond: Q | None
    if x is None:
        beyond = None if nulls_after else Q(**{f"{key.field}__isnull": False})
        same = Q(**{f"{key.field}__isnull": True})
    else:
        beyond = Q(**{f"{key.field}__{'lt' if key.descending else 'gt'}": x})
        if nulls_after:
            beyond = beyond | Q(**{f"{key.field}__isnull": True})
        same = Q(**{key.field: x})
    rest = _after_from(keys, values, nulls_high, i + 1)
    tied = None if rest is None else same & rest
    if beyond is None:
        return tied
    return beyond if tied is None else beyond | tied


def flipped(keys: Sequence[Key]) -> tuple[Key, ...]:
    """The keys of the reverse order (for reading the page before a boundary)."""
    return tuple(Key(k.field, not k.descending, k.nullable) for k in keys)
