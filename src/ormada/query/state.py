"""``QueryState``: everything a query says, as plain data, with no SQL or CQL in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ormada.query.expressions import Node

ResultShape = Literal["models", "dicts", "tuples", "flat"]


@dataclass(frozen=True, slots=True)
class OrderBy:
    """Sort by ``field``, descending when ``descending``."""

    field: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class QueryState:
    """The immutable description a QuerySet holds and a backend compiles.

    Attributes:
        where: The filter tree (AND of everything passed to filter/exclude), or None.
        order_by: Sort keys in priority order.
        limit / offset: Row window; ``None`` for no limit or no offset.
        columns: The columns to read (``only``/``defer``/``values``); ``None`` is all.
        shape: What rows become: model instances, dicts, tuples or single values.
        distinct: SELECT DISTINCT.
        options: Backend options such as ``ttl``, ``consistency``, ``allow_filtering``,
            ``fetch_size``; backends ignore what they do not know and refuse what they cannot do.
    """

    where: Node | None = None
    order_by: tuple[OrderBy, ...] = ()
    limit: int | None = None
    offset: int | None = None
    columns: tuple[str, ...] | None = None
    shape: ResultShape = "models"
    distinct: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    def evolve(self, **changes: Any) -> QueryState:
        """A copy with ``changes`` applied (``dataclasses.replace`` costs several times more)."""
        new = object.__new__(QueryState)
        for name in _FIELDS:
            _set(new, name, changes[name] if name in changes else getattr(self, name))
        return new


_set = object.__setattr__
_FIELDS = ("where", "order_by", "limit", "offset", "columns", "shape", "distinct", "options")

# The state of ``Model.query()``; shared, so "no filter, nothing set" is an identity test.
EVERY_ROW = QueryState(options={})
