"""Checks of a read that asks for set operations, row locks or ``DISTINCT ON``, made
against the backend's capabilities before anything is sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ormada.errors import NotSupported, QueryError
from ormada.query.state import QueryState

if TYPE_CHECKING:
    from ormada._info import ModelInfo
    from ormada.backends.base import Backend

METHODS = {"union": "union", "intersect": "intersection", "except": "difference"}
NO_ROW_LOCKS = ("lock the rows another way: inside a transaction, update them first (an UPDATE locks "
                "the rows it changes), or make the write conditional")


def operators(state: QueryState) -> set[str]:
    """The set operators a combined query uses, nested ones included."""
    found: set[str] = set()
    if state.combined is not None:
        found.add(state.combined.operator)
        for _, part in state.combined.parts:
            found |= operators(part)
    return found


def check_read(backend: Backend, info: ModelInfo, state: QueryState) -> None:
    """Refuses what ``backend`` cannot do of ``state``'s set operations, locks and
    ``DISTINCT ON``, and a ``DISTINCT ON`` the ordering contradicts.

    Raises:
        NotSupported: the backend lacks the feature; the message says what to use instead.
        QueryError: the query asks for something no database can do.
    """
    supports = backend.supports
    if state.combined is not None:
        missing = sorted(operators(state) - supports.set_operations)
        if missing:
            names = ", ".join(f"{METHODS[op]}() ({op.upper()})" for op in missing)
            raise NotSupported(
                f"{info.name}: {names} is not available on {backend.name}"
                f"{supports.extra.get('set_operations_reason', '')}; read the queries apart and combine "
                "their keys in Python (set(a) | set(b), &, -), then read the rows with in_bulk()")
    if state.lock is not None:
        _check_lock(backend, info, state)
    if state.distinct_on:
        _check_distinct_on(backend, info, state)


def _check_lock(backend: Backend, info: ModelInfo, state: QueryState) -> None:
    lock = state.lock
    assert lock is not None
    supports = backend.supports
    if not supports.row_locks:
        raise NotSupported(f"{info.name}.select_for_update(): {backend.name} has no row locks; "
                           f"{supports.extra.get('row_locks_instead', NO_ROW_LOCKS)}")
    if (lock.of or lock.no_key) and not supports.lock_of:
        what = "of=" if lock.of else "no_key=True"
        raise NotSupported(f"{info.name}.select_for_update({what}…): {backend.name} has no "
                           f"{'FOR UPDATE OF' if lock.of else 'FOR NO KEY UPDATE'}; leave it out to lock "
                           "the rows of every table the query reads")
    outer = [join.path for join in state.joins if join.outer]
    locked_outer = [path for path in outer if not lock.of or path in lock.of]
    if locked_outer and supports.extra.get("no_locks_on_outer_joins"):
        paths = ", ".join(repr(path) for path in locked_outer)
        inner = ", ".join(repr(p) for p in ("self", *(j.path for j in state.joins if not j.outer)))
        raise QueryError(f"{info.name}.select_for_update(): {backend.name} cannot lock the rows of {paths}, joined "
                         f"with LEFT JOIN (the key may be None); lock the others only: of=({inner},)")
    for present, what in ((state.distinct or bool(state.distinct_on), "distinct()"),
                          (bool(state.annotations), "annotate()"), (state.combined is not None, "a set operation")):
        if present:
            raise QueryError(f"{info.name}.select_for_update() cannot lock the rows of a query with {what}: "
                             "its rows are not the table's rows; lock them by key, "
                             f"{info.name}.filter(pk__in=[…]).select_for_update()")


def _check_distinct_on(backend: Backend, info: ModelInfo, state: QueryState) -> None:
    fields = ", ".join(repr(name) for name in state.distinct_on)
    if not backend.supports.distinct_on:
        raise NotSupported(
            f"{info.name}.distinct({fields}): DISTINCT ON is PostgreSQL's; {backend.name} has none. Pick one row "
            f"per group by key instead: {info.name}.filter(pk__in=<values({fields}).annotate(Max('pk'))>), or "
            "read the rows ordered by those fields and keep the first of each group in Python")
    leading = {item.field for item in state.order_by[:len(state.distinct_on)]}
    if state.order_by and leading != set(state.distinct_on):
        order = ", ".join(repr(("-" if o.descending else "") + o.field) for o in state.order_by)
        raise QueryError(
            f"{info.name}.distinct({fields}) with order_by({order}): the ordering must start with the "
            f"DISTINCT ON fields ({fields}), which decide which row of each group is kept; "
            f"e.g. order_by({fields}, …)")
