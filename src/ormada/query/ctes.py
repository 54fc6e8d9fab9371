"""Common table expressions on the QuerySet: :class:`CTE`, ``with_cte()``, ``join_cte()``,
recursive CTEs, and the tree walks ``descendants()`` / ``ancestors()`` built on them.

A :class:`CTE` names a query (``WITH name AS (…)``); a QuerySet that attaches it
(``with_cte``) may filter by it (``filter(id__in=cte)``, ``filter(id__in=cte.col("f"))``),
join it (``join_cte(cte, id="author_id")``), or read its rows (``cte.queryset()``).
Nothing is sent until a terminal runs; the CTE's values are bound parameters of the one
statement, in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ormada._registry import configured
from ormada.errors import QueryError
from ormada.query._part import QuerySetPart
from ormada.query.cte import DEPTH, PATH, CteJoin, CteSpec, Recursion
from ormada.query.resolve import closest, column_of, validate_value
from ormada.query.state import EVERY_ROW, QueryState, Subquery

if TYPE_CHECKING:
    from typing import Self

    from ormada._info import ModelInfo

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class CTE:
    """A named query that a statement computes once and reads by name: ``WITH name AS (…)``.

    >>> recent = CTE("recent", Book.filter(year__gte=1970))
    >>> Author.query().with_cte(recent).filter(id__in=recent.col("author_id"))
    >>> recent.queryset().order_by("year")   # its rows, as Book instances

    Args:
        name: The name the statement gives it (letters, digits and ``_``); it must not be
            the table of a model of the same database.
        queryset: The query it stands for; its filters' values are bound parameters.

    Raises:
        QueryError: a bad name, or a query a CTE cannot hold (prefetch, annotations,
            fields across relations).
    """

    __slots__ = ("_chain", "_queryset_type", "name", "spec")

    def __init__(self, name: str, queryset: Any) -> None:
        spec, earlier = _base_spec(name, queryset)
        self._set(spec, (*earlier, spec), type(queryset))

    def _set(self, spec: CteSpec | None, chain: tuple[CteSpec, ...], queryset_type: Any) -> None:
        self.name = spec.name if spec is not None else ""
        self.spec = spec
        self._chain = chain  # every CTE it needs, earlier ones first, itself last
        self._queryset_type = queryset_type

    @classmethod
    def recursive(cls, name: str, base: Any, step: Callable[[CTE], Any], *, max_depth: int | None = None,
                  cycle_key: str | None = None, start_depth: int = 0) -> CTE:
        """A recursive CTE: the rows of ``base``, then again and again the rows ``step``
        joins to the rows found so far (``WITH RECURSIVE name AS (base UNION ALL step)``).

        Each row carries ``depth``: ``start_depth`` for the base rows, one more per step.
        The keys visited on the way to a row are tracked, and a row whose key is already
        among them is not walked into again, so cyclic data ends (each row once).

        >>> tree = CTE.recursive("tree", Category.filter(parent_id=None),
        ...                      lambda tree: Category.query().join_cte(tree, parent_id="id"))

        Args:
            base: The rows to start from.
            step: Given the CTE, the query of the next rows: a QuerySet yielding the same
                columns that joins the CTE with ``join_cte(cte, field="cte column")``.
            max_depth: Walk no deeper than this depth.
            cycle_key: The column whose values are tracked; the primary key by default.
            start_depth: The depth of the base rows.

        Raises:
            QueryError: the step yields other columns than the base, does not join the
                CTE, or has a window or ordering; ``max_depth`` below ``start_depth``;
                the model has a field named ``depth``.
        """
        spec, earlier = _base_spec(name, base)
        info = spec.target
        for taken in (DEPTH, PATH):
            if taken in spec.columns:
                raise QueryError(f"recursive CTE {name!r}: {info.name} has a field {taken!r}, the name of the column "
                                 "a recursive CTE adds; leave it out of the base query (values()/only())")
        _refuse_window(name, "base", base.state)
        if max_depth is not None and (type(max_depth) is not int or max_depth < start_depth):
            raise QueryError(f"recursive CTE {name!r}: max_depth takes an int of at least {start_depth} "
                             f"(the depth of the base rows), not {max_depth!r}")
        key = cycle_key or (info.pk[0] if len(info.pk) == 1 else "")
        if key not in spec.columns:
            raise QueryError(f"recursive CTE {name!r}: the rows' key {key or '(none)'!r} is not among the columns it "
                             f"yields ({', '.join(spec.columns)}); it is what stops a walk going round a cycle: "
                             "select it, or name another with cycle_key=")
        reference = cls.__new__(cls)
        reference._set(None, (), type(base))
        reference.name = name
        reference.spec = CteSpec(name, info, spec.state, spec.columns, spec.database)  # for its columns only
        nxt = step(reference)
        if not hasattr(nxt, "state") or not hasattr(nxt, "model"):
            raise QueryError(f"recursive CTE {name!r}: step must return a QuerySet, not {nxt!r}")
        step_info, step_state = nxt._info, nxt.state
        if not any(join.name == name for join in step_state.cte_joins):
            raise QueryError(f"recursive CTE {name!r}: the step must join the CTE, e.g. step=lambda {name}: "
                             f"{step_info.name}.query().join_cte({name}, parent_id='id')")
        _refuse_window(name, "step", step_state)
        step_columns = _yielded(step_info, step_state, name)
        if step_columns != spec.columns:
            raise QueryError(f"recursive CTE {name!r}: the step yields {', '.join(step_columns)} ({step_info.name}) "
                             f"and the base {', '.join(spec.columns)} ({info.name}); both parts must yield the "
                             "same columns in the same order: pick them with values() or only()")
        step_earlier = tuple(c for c in step_state.ctes if c.name != name)
        recursion = Recursion(step_info, step_state.evolve(ctes=(), prefetch=()), start_depth, max_depth, key)
        full = CteSpec(name, info, spec.state, spec.columns, spec.database, recursion)
        cte = cls.__new__(cls)
        cte._set(full, (*_merged(name, earlier, step_earlier), full), type(base))
        return cte

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns it yields: fields, then ``depth`` for a recursive one."""
        assert self.spec is not None
        return (*self.spec.columns, *self.spec.extra)

    def queryset(self) -> Any:
        """A QuerySet of its rows (as instances of its query's model, or dicts with
        ``values()``), which may be filtered, ordered and sliced further."""
        spec = self._attachable()
        return self._queryset_type(spec.target.model, EVERY_ROW.evolve(ctes=self._chain, source=spec.name))

    def col(self, column: str) -> CteColumn:
        """One column of it, for ``filter(field__in=cte.col("column"))``."""
        if column not in self.columns:
            raise QueryError(f"the CTE {self.name!r} has no column {column!r}{closest(column, self.columns)} "
                             f"(it yields {', '.join(self.columns)})")
        return CteColumn(self, column)

    def as_subquery(self, lookup: str) -> Subquery:
        """Its one column, or its model's primary key, read inside another query
        (``filter(id__in=cte)``)."""
        spec = self._attachable()
        pk = spec.target.pk
        if len(spec.columns) == 1:
            return CteColumn(self, spec.columns[0]).as_subquery(lookup)
        if len(pk) == 1 and pk[0] in spec.columns:
            return CteColumn(self, pk[0]).as_subquery(lookup)
        raise QueryError(f"{lookup}: the CTE {self.name!r} yields {', '.join(self.columns)}; say which column "
                         f"to read: {lookup.rpartition('.')[2]}=cte.col('…')")

    def _attachable(self) -> CteSpec:
        if self.spec is None or not self._chain:
            raise QueryError(f"the CTE {self.name!r} is being defined: inside its own step, join it with "
                             "join_cte(); it can be attached or read once CTE.recursive() returns it")
        return self.spec

    def __repr__(self) -> str:
        return repr(self.spec) if self.spec is not None else f"<CTE {self.name!r}>"


class CteColumn:
    """One column of a CTE, as the value of ``field__in=``."""

    __slots__ = ("column", "cte")

    def __init__(self, cte: CTE, column: str) -> None:
        self.cte, self.column = cte, column

    def as_subquery(self, lookup: str) -> Subquery:
        spec = self.cte._attachable()  # SQL refuses a recursive CTE read in a subquery of its own step
        state = EVERY_ROW.evolve(source=spec.name, columns=(self.column,))
        return Subquery(self, f"{spec.model} (CTE {spec.name})", spec.database, spec.target, state, self.column)

    def __repr__(self) -> str:
        return f"<CTE {self.cte.name!r} column {self.column!r}>"


class CteMethods(QuerySetPart):
    """Mixed into :class:`ormada.QuerySet`."""

    def with_cte(self, cte: str | CTE, queryset: Any = None) -> Self:
        """Attaches a CTE to the statement (``WITH name AS (…)``): ``with_cte(cte)``, or
        ``with_cte("name", queryset)`` (then ``qs.cte("name")`` gives it back). A CTE read
        by another one is attached before it.

        Raises:
            QueryError: the name is taken by another CTE of the query, or the CTE reads
                another database.
        """
        if isinstance(cte, str):
            if queryset is None:
                raise QueryError(f"{self._info.name}.with_cte({cte!r}): give the query too: with_cte(name, queryset)")
            cte = CTE(cte, queryset)
        elif not isinstance(cte, CTE) or queryset is not None:
            raise QueryError(f"{self._info.name}.with_cte() takes a CTE, or a name and a QuerySet, not {cte!r}")
        return self._clone(ctes=_attached(self._info, self.state.ctes, cte))

    def with_recursive(self, name: str, base: Any, step: Callable[[CTE], Any], *, max_depth: int | None = None,
                       cycle_key: str | None = None) -> Self:
        """Attaches ``CTE.recursive(name, base, step, …)``; ``qs.cte(name)`` gives it back."""
        return self.with_cte(CTE.recursive(name, base, step, max_depth=max_depth, cycle_key=cycle_key))

    def cte(self, name: str) -> CTE:
        """The CTE attached under ``name``.

        Raises:
            QueryError: none is.
        """
        for position, spec in enumerate(self.state.ctes):
            if spec.name == name:
                found = CTE.__new__(CTE)
                found._set(spec, self.state.ctes[:position + 1], type(self))
                return found
        names = [spec.name for spec in self.state.ctes]
        raise QueryError(f"{self._info.name}: no CTE {name!r} is attached{closest(name, names)} "
                         f"(attached: {', '.join(names) or 'none'})")

    def join_cte(self, cte: CTE, **on: str) -> Self:
        """Joins a CTE's rows: ``join_cte(cte, id="author_id")`` keeps the rows whose ``id``
        equals some row's ``author_id`` (once per such row, as a JOIN does). Attaches the
        CTE if it is not yet.

        Raises:
            QueryError: no condition, a field or column that does not exist.
        """
        info = self._info
        if not isinstance(cte, CTE):
            raise QueryError(f"{info.name}.join_cte() takes a CTE, not {cte!r}")
        if not on:
            raise QueryError(f"{info.name}.join_cte({cte.name!r}): say what to join on, e.g. id='author_id'")
        for field, column in on.items():
            column_of(info.name, info.table, field)
            if column not in cte.columns:
                raise QueryError(f"{info.name}.join_cte({cte.name!r}, {field}={column!r}): the CTE has no column "
                                 f"{column!r}{closest(column, cte.columns)} (it yields {', '.join(cte.columns)})")
        changes: dict[str, Any] = {"cte_joins": (*self.state.cte_joins, CteJoin(cte.name, tuple(on.items())))}
        if cte._chain:  # not a recursive CTE's reference to itself
            changes["ctes"] = _attached(info, self.state.ctes, cte)
        return self._clone(**changes)

    def descendants(self, node: Any, via: str = "parent", *, include_self: bool = False,
                    max_depth: int | None = None) -> Self:
        """The rows below ``node`` in the tree a ForeignKey of the model to itself makes:
        its children, their children, and so on; each with ``depth`` (1 for a child, as an
        attribute, or in ``values("depth")``). This query's filters and ordering apply to
        them. Cyclic data ends: each row comes once.

        Args:
            node: An instance or a key.
            via: The self-referencing ForeignKey (its name, or its key field's).
            include_self: Start with ``node`` itself, at depth 0.
            max_depth: No deeper than this.

        Raises:
            QueryError: ``via`` is not a ForeignKey of the model to itself, ``node`` is not
                a saved instance or a valid key, ``max_depth`` is negative.
        """
        return self._tree_walk("descendants", node, via, include_self, max_depth)

    def ancestors(self, node: Any, via: str = "parent", *, include_self: bool = False,
                  max_depth: int | None = None) -> Self:
        """The rows above ``node``: its parent (depth 1), the parent's parent, and so on up
        to a root; arguments as for :meth:`descendants`."""
        return self._tree_walk("ancestors", node, via, include_self, max_depth)

    def _tree_walk(self, direction: str, node: Any, via: str, include_self: bool, max_depth: int | None) -> Self:
        info = self._info
        key_field, target_key = _self_reference(info, via, direction)
        key = _node_key(info, direction, node, target_key)
        start = 0 if include_self else 1
        if max_depth is not None and (type(max_depth) is not int or max_depth < start):
            raise QueryError(f"{info.name}.{direction}(max_depth={max_depth!r}): takes an int of at least {start}"
                             + ("" if include_self else " (0 with include_self=True)"))
        if self.state.source is not None:
            raise QueryError(f"{info.name}.{direction}(): this query already reads from the CTE {self.state.source!r}")
        every: Any = type(self)(self.model)  # type: ignore[call-arg]
        step = every
        if include_self:
            base = every.filter(**{target_key: key})
        else:
            # The node is on no row's path, so a cycle back to it must not walk into it:
            # it would list it below (or above) itself and walk its rows again.
            step = every.exclude(**{target_key: key})
            if direction == "descendants":
                base = step.filter(**{key_field: key})
            else:
                parent = every.filter(**{target_key: key}).values_list(key_field, flat=True)
                base = step.filter(**{f"{target_key}__in": parent})
        on = {key_field: target_key} if direction == "descendants" else {target_key: key_field}
        tree = CTE.recursive(f"{info.table.name}_{direction}", base, lambda cte: step.join_cte(cte, **on),
                             max_depth=max_depth, cycle_key=target_key, start_depth=start)
        return self._clone(ctes=_attached(info, self.state.ctes, tree), source=tree.name)


def _base_spec(name: str, queryset: Any) -> tuple[CteSpec, tuple[CteSpec, ...]]:
    """The spec of a CTE of ``queryset``, and the CTEs its query has (attached before it)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise QueryError(f"a CTE's name is letters, digits and _ (not starting with a digit), not {name!r}")
    if not hasattr(queryset, "state") or not hasattr(queryset, "model"):
        raise QueryError(f"CTE {name!r} takes a QuerySet, not {queryset!r}")
    info: ModelInfo = queryset._info
    state: QueryState = queryset.state
    for other in configured(info.database):
        if other.table.name.lower() == name.lower():
            raise QueryError(f"CTE {name!r}: {name!r} is the table of {other.name}; in the statement the CTE would "
                             "hide it: pick another name")
    if state.annotations:
        raise QueryError(f"CTE {name!r}: annotate() inside a CTE is not supported; read it into values() first")
    columns = _yielded(info, state, name)
    earlier = tuple(spec for spec in state.ctes)
    return CteSpec(name, info, state.evolve(ctes=(), prefetch=()), columns, info.database), earlier


def _yielded(info: ModelInfo, state: QueryState, name: str) -> tuple[str, ...]:
    columns = state.columns or info.field_names
    for column in columns:
        if "__" in column:
            raise QueryError(f"CTE {name!r}: {info.name} field {column!r} crosses a relation; a CTE yields "
                             "columns of its own model's table")
    return columns


def _refuse_window(name: str, part: str, state: QueryState) -> None:
    if state.limit is not None or state.offset or state.order_by or state.distinct:
        raise QueryError(f"recursive CTE {name!r}: its {part} query takes no ordering, slice or distinct() "
                         "(SQL allows none inside WITH RECURSIVE); order and slice the query that reads it")


def _merged(name: str, first: tuple[CteSpec, ...], second: tuple[CteSpec, ...]) -> tuple[CteSpec, ...]:
    merged = list(first)
    for spec in second:
        same = next((known for known in merged if known.name == spec.name), None)
        if same is None:
            merged.append(spec)
        elif same is not spec:
            raise QueryError(f"two different CTEs are named {spec.name!r} (in {name!r}); give them names of their own")
    return tuple(merged)


def _attached(info: ModelInfo, existing: tuple[CteSpec, ...], cte: CTE) -> tuple[CteSpec, ...]:
    """``existing`` with ``cte`` and the CTEs it reads, each once and in order."""
    spec = cte._attachable()
    if spec.database != info.database:
        raise QueryError(f"{info.name}: the CTE {cte.name!r} reads database {spec.database!r} and this query "
                         f"reads {info.database!r}; one statement cannot read both")
    for known in existing:
        if known.name == spec.name and known is not spec:
            raise QueryError(f"{info.name}: a CTE named {spec.name!r} is attached already; give this one "
                             "another name")
    return _merged(spec.name, existing, cte._chain)


def _self_reference(info: ModelInfo, via: str, direction: str) -> tuple[str, str]:
    """The key field and the field it refers to of the ForeignKey ``via`` of a model to itself."""
    relation = info.relations.get(via)
    if relation is None:
        relation = next((r for r in info.relations.values() if r.kind == "forward" and r.key == via), None)
    own = [name for name, r in info.relations.items() if r.kind == "forward" and r.target is info.model]
    where = f"{info.name}.{direction}(via={via!r})"
    if relation is None or relation.kind != "forward":
        raise QueryError(f"{where}: {info.name} has no ForeignKey {via!r}{closest(via, own)}; a tree walk follows "
                         f"a ForeignKey of the model to itself (here: {', '.join(own) or 'none'})")
    if relation.target is not info.model:
        raise QueryError(f"{where}: {via!r} is a ForeignKey to {relation.target.__name__}, not to {info.name} "
                         f"itself; a tree walk follows a ForeignKey of the model to itself "
                         f"(here: {', '.join(own) or 'none'})")
    return relation.key, relation.target_key


def _node_key(info: ModelInfo, direction: str, node: Any, target_key: str) -> Any:
    """The key of the node a walk starts from: an instance's, or the key given, checked."""
    where = f"{info.name}.{direction}()"
    if isinstance(node, BaseModel):
        if not isinstance(node, info.model):
            raise QueryError(f"{where} takes a {info.name} or its key, not a {type(node).__name__}")
        key = node.__dict__.get(target_key)
        if key is None:
            raise QueryError(f"{where}: the {info.name} given has no {target_key} (it is not saved)")
        return key
    if node is None:
        raise QueryError(f"{where} takes a {info.name} or its key, not None")
    return validate_value(info.name, info.table.by_name[target_key], node)
