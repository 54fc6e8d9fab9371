"""Compiling set operations (``UNION``, ``INTERSECT``, ``EXCEPT``), row locks and
``DISTINCT ON`` for :class:`~ormada.backends._sql.compiler.SqlCompiler`.

A combined query is built as ``SELECT … FROM (<member> UNION <member> …) AS combined``
with its ordering and window outside. Each member is a plain ``SELECT c0, c1 … FROM
(<the part's own SELECT>)``: SQLite refuses parentheses around the members of a compound
SELECT and an ORDER BY or LIMIT inside one, so a part's own window stays inside a
sub-select of its own, on every database alike. The result's columns are named by
position (``c0``, ``c1``…), so two parts reading ``name`` through different joins
cannot collide, and the combined rows are ordered by a field's position among the
first part's columns.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on as pg_distinct_on

from ormada.backends._sql.where import Binds, column_key
from ormada.backends.base import Statement
from ormada.errors import QueryError
from ormada.query.shape import QueryShape, read_shape

if TYPE_CHECKING:
    from ormada._info import ModelInfo
    from ormada.query.state import Lock, QueryState

COMPOUND: dict[tuple[str, bool], Callable[..., Any]] = {
    ("union", False): sa.union, ("union", True): sa.union_all,
    ("intersect", False): sa.intersect, ("intersect", True): sa.intersect_all,
    ("except", False): sa.except_, ("except", True): sa.except_all,
}


def first_part(info: ModelInfo, state: QueryState) -> tuple[ModelInfo, QueryState]:
    """The plain query whose columns name a combined query's rows (its first part's, or
    that part's first part's…)."""
    while state.combined is not None:
        info, state = state.combined.parts[0]
    return info, state


class CombiningCompiler:
    """Set operations, row locks and ``DISTINCT ON``: the part of :class:`SqlCompiler`
    that builds them."""

    def _read_shape(self, kind: str, info: ModelInfo, state: QueryState, values: list[Any],
                    write: Hashable = None) -> QueryShape:
        raise NotImplementedError  # WhereCompiler's

    def _select_construct(self, info: ModelInfo, shape: QueryShape, binds: Binds) -> sa.Select[Any]:
        raise NotImplementedError  # SqlCompiler's

    def _statement(self, key: QueryShape, build: Callable[[Binds], Any], values: list[Any],
                   fetch: Any = "rows") -> Statement:
        raise NotImplementedError  # SqlCompiler's

    # -- flattening ----------------------------------------------------------
    def combined_shape(self, kind: str, info: ModelInfo, state: QueryState, values: list[Any]) -> QueryShape:
        """The shape of a combined query: each part's shape (its values appended in turn),
        then the combined rows' window."""
        combination = state.combined
        assert combination is not None
        parts = tuple(self._part_shape(part_info, part_state, values) for part_info, part_state in combination.parts)
        if state.limit is not None:
            values.append(state.limit)
        if state.offset:
            values.append(state.offset)
        return read_shape(kind, info, state, None, combined=(combination.operator, combination.all, parts))

    def _part_shape(self, info: ModelInfo, state: QueryState, values: list[Any]) -> QueryShape:
        if state.limit is None and not state.offset:
            state = state.evolve(order_by=())  # without a window, a part's order changes nothing
        if state.combined is not None:
            return self.combined_shape("select", info, state, values)
        return self._read_shape("select", info, state, values)

    # -- building --------------------------------------------------------------
    def combined_construct(self, shape: QueryShape, binds: Binds) -> sa.Select[Any]:
        """``SELECT … FROM (<parts combined>) AS combined [ORDER BY …] [LIMIT …]``."""
        operator: str
        keep_all: bool
        parts: tuple[QueryShape, ...]
        operator, keep_all, parts = shape.combined  # type: ignore[misc]
        members = [self._member(part, binds) for part in parts]
        rows = COMPOUND[operator, keep_all](*members).subquery("combined")
        query = sa.select(*rows.c)
        names = shape.columns or ()
        for item in shape.order:
            column = rows.c[f"c{names.index(item.field)}"]
            query = query.order_by(column.desc() if item.descending else column.asc())
        if shape.limited:
            query = query.limit(binds(sa.Integer()))
        if shape.offset:
            query = query.offset(binds(sa.Integer()))
        return query

    def _member(self, shape: QueryShape, binds: Binds) -> sa.Select[Any]:
        info: ModelInfo = shape.model  # type: ignore[assignment]
        inner = self.combined_construct(shape, binds) if shape.combined is not None else \
            self._select_construct(info, shape, binds)
        rows = inner.subquery()
        return sa.select(*(column.label(f"c{i}") for i, column in enumerate(rows.c)))

    def combined_select(self, info: ModelInfo, state: QueryState) -> tuple[Statement, tuple[str, ...]]:
        """The read of a combined query, and the names of its first part's columns."""
        values: list[Any] = []
        shape = self.combined_shape("select", info, state, values)
        leaf_info, leaf = first_part(info, state)
        names = leaf.columns or leaf_info.field_names
        return self._statement(shape, lambda binds: self.combined_construct(shape, binds), values), names

    def combined_count(self, info: ModelInfo, state: QueryState) -> Statement:
        values: list[Any] = []
        shape = self.combined_shape("count", info, state, values)

        def build(binds: Binds) -> Any:
            rows = self.combined_construct(shape._replace(order=()), binds).subquery()
            return sa.select(sa.func.count()).select_from(rows)

        return self._statement(shape, build, values)

    def combined_exists(self, info: ModelInfo, state: QueryState) -> Statement:
        values: list[Any] = []
        shape = self.combined_shape("exists", info, state, values)

        def build(binds: Binds) -> Any:
            one: Any = sa.literal_column("1")
            rows = self.combined_construct(shape._replace(order=()), binds).subquery()
            return sa.select(one).select_from(rows).limit(one)

        return self._statement(shape, build, values)

    # -- DISTINCT ON and row locks ------------------------------------------------
    @staticmethod
    def distinct_on(query: sa.Select[Any], scope: Any, shape: QueryShape) -> sa.Select[Any]:
        """``SELECT DISTINCT ON (…)`` (PostgreSQL; other backends refused it before)."""
        return query.ext(pg_distinct_on(*(scope.c[column_key(shape.joins, name)] for name in shape.distinct_on)))

    @staticmethod
    def locked(query: sa.Select[Any], scope: Any, shape: QueryShape, model: str) -> sa.Select[Any]:
        """``query … FOR [NO KEY] UPDATE [OF …] [NOWAIT | SKIP LOCKED]``.

        Raises:
            QueryError: ``of`` names a relation the query does not join.
        """
        lock: Lock = shape.lock  # type: ignore[assignment]
        of = None
        if lock.of:
            paths = [join.path for join in shape.joins]
            of = []
            for name in lock.of:
                if name == "self":
                    of.append(scope if isinstance(scope, sa.Table) else scope.table)
                elif name in paths:
                    of.append(scope.aliases[paths.index(name)])
                else:
                    joined = ", ".join(repr(p) for p in paths) or "none"
                    raise QueryError(f"{model}.select_for_update(of=…): {name!r} is neither 'self' nor a relation "
                                     f"the query joins (joined: {joined}); add select_related({name!r})")
        return query.with_for_update(nowait=lock.nowait, skip_locked=lock.skip_locked, of=of, key_share=lock.no_key)
