"""``QueryShape``: what a statement's text depends on, and the one key of every compile cache.

Two queries with one shape compile to one statement text and differ only in the values
bound to it, so a backend compiles a shape once and afterwards only binds values. A new
query feature adds a field here (and to :func:`read_shape`), not a tuple to each compile
method; ``tests/unit/test_query_shape.py`` fails when a field of :class:`QueryState` is
neither part of the shape nor declared to stay out of the statement.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace
from typing import NamedTuple

from ormada.query.cte import CteJoin
from ormada.query.state import Join, Lock, OrderBy, QueryState


class QueryShape(NamedTuple):
    """The hashable description of a statement, never holding a value.

    A named tuple rather than a frozen dataclass: one is built for every statement sent,
    and a tuple builds and hashes in a fraction of the time.

    Attributes:
        kind: What is built: ``select``, ``count``, ``exists``, ``update``, ``delete``,
            ``subquery``, ``insert``, ``upsert``, ``update_rows``…
        model: The model (or the backend's table of it) the statement is about, compared by identity.
        where: The filter tree as the backend flattened it: field paths, lookups and the
            arity of each value (how many an ``__in`` holds), never a value.
        joins: The relations joined in: ``select_related`` ones (whose columns are read
            when rows become instances) and those that filters and ordering cross.
        columns: The columns read (or written, or deleted); None for all.
        order: The sort keys.
        distinct: SELECT DISTINCT.
        limited / offset: Whether the statement carries a LIMIT / an OFFSET (their values are bound).
        options: The backend options that change the text (CQL's ``ALLOW FILTERING``,
            ``USING TTL``, ``IF`` conditions…), as the backend reduces them.
        write: What a write sets: the shapes of ``update()``'s assignments, or an
            insert's row count, RETURNING columns and conflict handling.
        annotations: The aggregates computed per group, as the backend flattened them
            (function, column, filter shape), or None.
        group_by: The fields grouped by (``values(...).annotate(...)``); None for the model's.
        having: The filter on annotations, flattened as ``where`` is.
        combined: The shapes of the queries a set operation combines, with the
            operator, as the backend flattened them; None for a plain read.
        lock: The row locks taken (``select_for_update``), or None.
        distinct_on: The ``DISTINCT ON`` fields.
        ctes: The ``WITH`` entries as the backend flattened them: each one's name and
            the shape of its query (and of its recursive step), never a value.
        source: The CTE the rows are read from, or None for the model's table.
        cte_joins: The CTEs joined on columns of theirs.
        nearest: For a nearest-neighbour read, the vector field, the metric and whether the
            distance is read (:attr:`Nearest.key`); the vector itself is a bound value.
        qualify: The filter on window annotations, applied around the query, flattened as ``where`` is.
    """

    kind: str
    model: Hashable
    where: Hashable = None
    joins: tuple[Join, ...] = ()
    columns: tuple[str, ...] | None = None
    order: tuple[OrderBy, ...] = ()
    distinct: bool = False
    limited: bool = False
    offset: bool = False
    options: Hashable = None
    write: Hashable = None
    annotations: Hashable = None
    group_by: tuple[str, ...] | None = None
    having: Hashable = None
    combined: Hashable = None
    lock: Lock | None = None
    distinct_on: tuple[str, ...] = ()
    ctes: Hashable = None
    source: str | None = None
    cte_joins: tuple[CteJoin, ...] = ()
    nearest: tuple[str, str, bool] | None = None
    qualify: Hashable = None


# The fields of QueryState that never reach a statement's text, and why.
NOT_IN_STATEMENT = {
    "prefetch": "related rows are read by statements of their own, after the main read",
    "shape": "what rows become changes the text only through the joined columns read, which `joins` holds",
    "cache": "whether the read cache may answer is decided around the statement, which it never changes",
    "using": "the database a query runs on chooses the backend (and its compile cache), not the text",
}


def read_shape(kind: str, model: Hashable, state: QueryState, where: Hashable, *,
               options: Hashable = None, write: Hashable = None, annotations: Hashable = None,
               having: Hashable = None, combined: Hashable = None, ctes: Hashable = None,
               qualify: Hashable = None) -> QueryShape:
    """The shape of a statement built from ``state`` (a read, or an update/delete filtered by it).

    Args:
        kind: What is built from the state (``select``, ``count``, ``update``…).
        model: The model's description (or the backend's table of it).
        state: The query.
        where: The backend's flattening of ``state.where`` (it collects the values in the same walk).
        options: The backend's reduction of ``state.options`` to what changes its text.
        write: For an update, the shapes of its assignments.
        annotations / having / qualify: The backend's flattening of ``state.annotations``,
            ``state.having`` and ``state.qualify``; without them, the state's own.
        combined: The backend's flattening of ``state.combined``; without it, the
            combination itself (hashed by identity).
        ctes: The backend's flattening of ``state.ctes``; without it, their names.
    """
    joins = state.joins
    if joins and (state.shape != "models" or kind != "select"):
        joins = filtering_only(joins)
    # tuple.__new__ skips the named tuple's own __new__, a Python frame on every statement sent.
    return _new(QueryShape, (kind, model, where, joins, state.columns, state.order_by, state.distinct,
                             state.limit is not None, bool(state.offset), options, write,
                             annotations if annotations is not None else (state.annotations or None),
                             state.group_by, having if having is not None else state.having,
                             combined if combined is not None else state.combined, state.lock,
                             state.distinct_on,
                             ctes if ctes is not None else (tuple(spec.name for spec in state.ctes) or None),
                             state.source, state.cte_joins,
                             None if state.nearest is None else state.nearest.key,
                             qualify if qualify is not None else state.qualify))


_new = tuple.__new__


def filtering_only(joins: tuple[Join, ...]) -> tuple[Join, ...]:
    """The joins of a statement that reads no joined columns (values(), counts, key
    sub-selects): they only filter, whatever ``select_related`` asked for."""
    return tuple(replace(join, select=False) if join.select else join for join in joins)
