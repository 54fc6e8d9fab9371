"""Common table expressions as plain data: ``WITH name AS (…)`` and recursive walks.

A :class:`CteSpec` is what a :class:`~ormada.query.state.QueryState` holds for each
``WITH`` entry: the query that defines it (as its own QueryState, compiled into the
outer statement's shape, never its values) and, for a recursive one, the step joined
back to it. Nothing here holds SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

DEPTH = "depth"  # the column a recursive CTE adds: how many steps from the base rows
PATH = "ormada_path"  # the keys visited on the way to a row, which stops a walk going round a cycle


@dataclass(frozen=True, slots=True)
class CteJoin:
    """``JOIN <cte> ON model.field = cte.column`` for each ``(field, column)`` in ``on``
    (compiled as a join condition in the WHERE, which recursive steps need)."""

    name: str
    on: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, eq=False)
class Recursion:
    """The recursive part of a CTE: ``base UNION ALL step``, where the step joins the CTE.

    Attributes:
        target: The step's model (its info); it yields the base's columns.
        state: The step query, holding a :class:`CteJoin` to the CTE being defined.
        start_depth: The ``depth`` of the base rows (0, or 1 where the base rows are
            already one step from the node asked about).
        max_depth: Rows deeper than this are not walked into (a bound value), or None.
        cycle_key: The column whose values the path of each row records; a row whose
            key is already on its path is not walked into again, so cyclic data ends.
    """

    target: Any
    state: Any  # a QueryState (which holds these, so it is not imported here)
    start_depth: int
    max_depth: int | None
    cycle_key: str


@dataclass(frozen=True, slots=True, eq=False)
class CteSpec:
    """One ``WITH`` entry.

    Attributes:
        name: The name the statement gives it.
        target: The info of the model its base query reads (its rows' columns are that
            model's fields).
        state: The base query.
        columns: The fields it yields, in order.
        database: The database its model is bound to.
        recursion: The recursive step, or None.
    """

    name: str
    target: Any
    state: Any  # a QueryState
    columns: tuple[str, ...]
    database: str
    recursion: Recursion | None = None

    @property
    def extra(self) -> tuple[str, ...]:
        """The columns it yields beyond model fields (a recursive CTE's ``depth``)."""
        return (DEPTH,) if self.recursion is not None else ()

    @property
    def model(self) -> str:
        return str(self.target.name)

    def __repr__(self) -> str:
        kind = "recursive CTE" if self.recursion is not None else "CTE"
        return f"<{kind} {self.name!r} of {self.model} ({', '.join((*self.columns, *self.extra))})>"


class ReadsCtes(Protocol):
    """The parts of a QueryState that say which CTEs it has and reads."""

    @property
    def ctes(self) -> tuple[CteSpec, ...]: ...

    @property
    def source(self) -> str | None: ...

    @property
    def shape(self) -> str: ...

    @property
    def columns(self) -> tuple[str, ...] | None: ...


def source_spec(state: ReadsCtes) -> CteSpec | None:
    """The CTE a query reads its rows from (``state.source``), or None."""
    if state.source is None:
        return None
    return next((spec for spec in state.ctes if spec.name == state.source), None)


def source_extras(state: ReadsCtes) -> tuple[str, ...]:
    """The extra columns (``depth``) a read of ``state`` returns after the fields: every
    one for instances and for ``values()`` with no fields, else the ones named."""
    spec = source_spec(state)
    if spec is None or not spec.extra:
        return ()
    if state.shape == "models" or state.columns is None:
        return spec.extra
    return tuple(name for name in state.columns if name in spec.extra)


def extra_names(state: ReadsCtes) -> frozenset[str]:
    """Names a query may select or order by that are columns of its source CTE, not fields."""
    spec = source_spec(state)
    return frozenset(spec.extra) if spec is not None else frozenset()
