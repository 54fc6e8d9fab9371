"""Common table expressions in SQL: ``WITH`` entries built through SQLAlchemy Core.

A statement's CTEs are flattened with it, before anything else (their parameters come
first), into its shape: each one's name and the shape of its query, so a query with a
CTE is compiled once per shape like any other. When the shape is built, every CTE is
built first into ``binds.ctes``, where the parts that read one (``FROM`` it, ``IN
(SELECT … FROM it)``, a join on its columns) find it by name.

A recursive CTE is ``base UNION ALL step``, the step joined to the CTE on columns of
theirs, and always carries two more columns: ``depth`` (steps from the base rows) and a
path of the keys visited (``,3,7,12,``). The step does not walk into a row whose key is
on the path of the row it comes from, so data with a cycle ends, each row listed once.
UNION instead of UNION ALL would not end such a walk (the depth differs on each round)
and would sort every round. The path has one type in both parts, as PostgreSQL wants:
``TEXT``, or where a recursive CTE's column types come from its base part (MySQL/MariaDB),
a ``VARCHAR`` of the length the backend gives (``supports.extra["recursive_path_length"]``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ormada.backends._sql.where import Binds, WhereCompiler
from ormada.backends.base import Compiled, Statement
from ormada.errors import NotSupported, QueryError
from ormada.query.cte import DEPTH, PATH, CteSpec, source_extras, source_spec
from ormada.query.resolve import column_of
from ormada.query.shape import QueryShape
from ormada.query.state import QueryState

if TYPE_CHECKING:
    from ormada._info import ModelInfo

# What a statement built from a query that has or reads CTEs may be; writes and
# aggregate() read the model's table directly.
REFUSED = {"update": "update()", "delete": "delete()", "aggregate": "aggregate()"}


class CteCompiler(WhereCompiler):
    """The ``WITH`` part of :class:`SqlCompiler`."""

    def _statement(self, key: QueryShape, build: Callable[[Binds], Any], values: Sequence[Any],
                   fetch: Any = "rows") -> Statement:
        raise NotImplementedError  # SqlCompiler's

    # -- flattening --------------------------------------------------------
    def flatten_ctes(self, kind: str, info: ModelInfo, state: QueryState, values: list[Any]) -> Hashable:
        """The shape of a statement's CTEs; their values are appended to ``values``, the
        base query's, then the recursive step's, then its depth limit.

        Raises:
            NotSupported: a write or ``aggregate()`` of such a query, or an annotated or
                ``select_related`` read of rows read from a CTE.
        """
        if kind in REFUSED:
            raise NotSupported(f"{info.name}.{REFUSED[kind]} of a QuerySet with a CTE (WITH), or reading or joining "
                               f"one: read the keys first and filter by them ({info.name}.filter(pk__in=list("
                               "qs.values_list('pk', flat=True)))); count() and exists() work as they are")
        if state.source is not None:
            if state.annotations:
                raise NotSupported(f"{info.name}.annotate() over rows read from the CTE {state.source!r}: "
                                   "read values() and aggregate them in Python, or annotate the CTE's own query")
            if kind == "select" and state.shape == "models" and any(join.select for join in state.joins):
                raise NotSupported(f"{info.name}.select_related() over rows read from the CTE {state.source!r}: "
                                   "use prefetch_related(), which reads the related rows by key")
        return tuple(self._cte_shape(spec, values) for spec in state.ctes) or None

    def _cte_shape(self, spec: CteSpec, values: list[Any]) -> Hashable:
        base = _without_needless_order(spec.state.evolve(columns=spec.columns))
        base_shape = self._read_shape("cte", spec.target, base, values)
        recursion = spec.recursion
        if recursion is None:
            return (spec.name, base_shape)
        step_state = recursion.state.evolve(columns=spec.columns)
        step_shape = self._read_shape("cte_step", recursion.target, step_state, values)
        if recursion.max_depth is not None:
            values.append(recursion.max_depth)
        return (spec.name, base_shape, step_shape, recursion.start_depth, recursion.max_depth is not None,
                recursion.cycle_key)

    # -- building ----------------------------------------------------------
    def build_ctes(self, shape: QueryShape, binds: Binds) -> list[Any]:
        """Builds the shape's CTEs, in order, into ``binds.ctes``; returns them."""
        built = []
        entries: tuple[Any, ...] = shape.ctes  # type: ignore[assignment]
        for entry in entries:
            name, base_shape = entry[0], entry[1]
            base = self._select_construct(base_shape.model, base_shape, binds)
            cte = base.cte(name) if len(entry) == 2 else self._recursive(name, base, entry[2:], binds)
            binds.ctes[name] = cte
            built.append(cte)
        return built

    def _recursive(self, name: str, base: sa.Select[Any], entry: tuple[Any, ...], binds: Binds) -> Any:
        step_shape, start_depth, bounded, key = entry
        length = self.backend.supports.extra.get("recursive_path_length")
        path_type = sa.Text() if length is None else sa.String(length)
        base = base.add_columns(sa.literal_column(str(int(start_depth))).label(DEPTH),
                                _path(sa.literal_column("','"), base.selected_columns[key], path_type).label(PATH))
        cte = base.cte(name, recursive=True)
        binds.ctes[name] = cte  # the step joins it
        step = self._select_construct(step_shape.model, step_shape, binds)
        own_key = step.selected_columns[key]
        step = step.add_columns(cte.c[DEPTH] + sa.literal_column("1"), _path(cte.c[PATH], own_key, path_type))
        # Not into a row already on the way here: a cycle in the data ends the walk.
        step = step.where(sa.not_(cte.c[PATH].contains(_path(sa.literal_column("','"), own_key, path_type))))
        if bounded:
            step = step.where(cte.c[DEPTH] < binds(sa.Integer()))
        return cte.union_all(step)

    def cte_source(self, info: ModelInfo, shape: QueryShape, binds: Binds) -> Any:
        """The CTE a shape reads its rows from, checked to hold every column it names.

        Raises:
            QueryError: the statement has no such CTE, or the CTE lacks a column.
        """
        name = shape.source
        assert name is not None
        cte = _attached(binds, info.name, name)
        named = [*(shape.columns or info.field_names), *(item.field for item in shape.order),
                 *_where_fields(shape.where)]
        for field in named:
            if "__" not in field and field not in cte.c:
                yields = ", ".join(column.key for column in cte.c if column.key != PATH)
                raise QueryError(f"{info.name} rows read from the CTE {name!r}: it has no column {field!r} "
                                 f"(it yields {yields}); add the field to the CTE's query")
        return cte

    def cte_join_condition(self, scope: Any, shape: QueryShape, binds: Binds) -> Any:
        """``model.field = cte.column AND …`` for the CTEs the shape joins."""
        parts = []
        model = getattr(shape.model, "name", "?")
        for join in shape.cte_joins:
            cte = _attached(binds, model, join.name)
            for field, column in join.on:
                parts.append(scope.c[field] == cte.c[column])
        return sa.and_(*parts)

    # -- reads -------------------------------------------------------------
    def cte_select(self, info: ModelInfo, state: QueryState) -> Compiled:
        """The read of rows from a CTE: the fields asked for that it yields, then the
        extra columns asked for (``depth``), which become attributes or keys."""
        spec = source_spec(state)
        if spec is None:
            raise QueryError(f"{info.name}: the query reads the CTE {state.source!r}, which it does not attach; "
                             "read it through cte.queryset() or attach it with with_cte()")
        extras = source_extras(state)
        if state.columns is None:
            plain = tuple(name for name in info.field_names if name in spec.columns)
            missing = [name for name in info.pk if name not in plain]
            if state.shape == "models" and (missing or not plain):
                raise QueryError(f"{info.name} instances need the primary key {', '.join(missing or info.pk)}, "
                                 f"which the CTE {spec.name!r} does not yield ({', '.join(spec.columns)}); "
                                 "read its rows with values()")
        else:
            plain = tuple(name for name in state.columns if name not in spec.extra)
        values: list[Any] = []
        shape = self._read_shape("select", info, state.evolve(columns=(*plain, *extras)), values)
        statement = self._statement(shape, lambda binds: self._select_construct(info, shape, binds), values)
        columns = tuple(column_of(info.name, info.table, name) for name in plain)
        return Compiled(statement, columns, tuple(int for _ in extras))


def _without_needless_order(state: QueryState) -> QueryState:
    """A CTE's rows come in no order: its ordering matters only with a window."""
    return state if state.limit is not None or state.offset else state.evolve(order_by=())


def _attached(binds: Binds, model: str, name: str) -> Any:
    cte = binds.ctes.get(name)
    if cte is None:
        raise QueryError(f"{model}: the query refers to the CTE {name!r}, which it does not attach; "
                         f"add .with_cte(cte) before using it")
    return cte


def _path(head: Any, key: Any, path_type: Any) -> Any:
    """``head || CAST(key AS VARCHAR) || ','``, as the path column's one type."""
    return sa.cast(head + sa.cast(key, sa.String()) + sa.literal_column("','"), path_type)


def _where_fields(shape: Any) -> Iterator[str]:
    """The fields of the queried table a flattened filter names (not those across joins)."""
    if shape is None:
        return
    if shape[0] == "J":
        for child in shape[3]:
            yield from _where_fields(child)
    elif isinstance(shape[1], str):
        yield shape[1]
