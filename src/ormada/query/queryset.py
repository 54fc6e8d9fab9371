"""``QuerySet``: a lazy, immutable query over one model, with sync and async terminals."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ormada import _aggregating as aggregating
from ormada import _hooks as hooks
from ormada import _operations as ops
from ormada._joins import lookup_paths, resolve_joins
from ormada._prefetch import plan as prefetch_plan
from ormada._prefetch import then_prefetch
from ormada._registry import info_of
from ormada.backends.base import Statement
from ormada.errors import QueryError
from ormada.query._expression_methods import ExpressionMethods
from ormada.query.aggregates import Aggregate
from ormada.query.combining import CombiningMixin
from ormada.query.cql_options import CqlOptions
from ormada.query.ctes import CteMethods
from ormada.query.expressions import Junction, Lookup, Node, Q, RawLookups, is_expression
from ormada.query.keyset import KeysetPagination
from ormada.query.resolve import (
    PK,
    check_aliases,
    check_assigned_expression,
    column_of,
    conjoin,
    key_field,
    keyed,
    resolve,
    validate_value,
)
from ormada.query.routing import Routing
from ormada.query.state import EVERY_ROW, Join, OrderBy, Prefetch, QueryState, Subquery
from ormada.query.vector_search import VectorSearch

if TYPE_CHECKING:
    from typing import Self

    from pydantic import BaseModel

    from ormada._info import ModelInfo
    from ormada.database import Database

M = TypeVar("M", bound="BaseModel")


class QuerySet(Routing, ExpressionMethods, CombiningMixin, CqlOptions, CteMethods, KeysetPagination, VectorSearch,
               Generic[M]):
    """A query over ``model``; every chained call returns a new QuerySet.

    Nothing is sent until a terminal runs: ``all()``, ``first()``, ``get()``,
    ``count()``, ``exists()``, ``update()``, ``delete()``, iteration, or their async
    twins (``aall()``, ``aget()``…). ``await qs`` gives a list; ``async for`` works too.
    """

    __slots__ = ("model", "state")

    def __init__(self, model: type[M], state: QueryState | None = None) -> None:
        self.model = model
        self.state = state or EVERY_ROW

    # -- plumbing ----------------------------------------------------------
    @property
    def _info(self) -> ModelInfo:
        return info_of(self.model)

    def _clone(self, **changes: Any) -> Self:
        return type(self)(self.model, self.state.evolve(**changes))

    def __repr__(self) -> str:
        return f"<QuerySet {self.model.__name__} {ops.describe(self.state.where)}>"

    # -- building ----------------------------------------------------------
    def _node(self, q: tuple[Q, ...], lookups: dict[str, Any]) -> Any:
        info = self._info
        scope = self._scope(q, lookups)
        parts = [self._part(item, scope) for item in q]
        if lookups:
            parts.append(resolve(info.name, info.table, RawLookups(tuple(lookups.items())), info.database, scope))
        node = None
        for part in parts:
            if part is not None:
                node = conjoin(node, part) if node is not None else part
        return node

    def filter(self, *q: Any, **lookups: Any) -> Self:
        """Rows matching every lookup (``year__gte=1960``, ``author__name__icontains="le"``)
        and Q object. A lookup across a reverse relation (``books__year=1969``) joins its
        rows, so an owner matching through several appears once per row: add ``distinct()``."""
        base, q, lookups = self._having_of(q, lookups, False)
        node = base._node(q, lookups)
        return base._clone() if node is None else base._narrowed(node)

    def exclude(self, *q: Any, **lookups: Any) -> Self:
        """Rows that do not match the lookups taken together."""
        base, q, lookups = self._having_of(q, lookups, True)
        node = base._node(q, lookups)
        if node is None:
            return base._clone()
        negated = Junction("and", (node,), negated=True) if not isinstance(node, Junction) else \
            Junction(node.connector, node.children, not node.negated)
        return base._narrowed(negated)

    def _having(self, lookups: dict[str, Any], negated: bool) -> tuple[Self, dict[str, Any]]:
        """Lookups on annotations (``n__gt=2``) filter groups (HAVING); the rest, rows."""
        having, rest = aggregating.split_having(self._info, self.state, lookups, negated)
        return (self if having is self.state.having else self._clone(having=having)), rest

    def _narrowed(self, new: Node) -> Self:
        """A copy filtering by ``new`` too, with the joins its lookups cross.

        A lookup under a negation (``exclude``, ``~Q``) that crosses a to-many relation
        becomes ``key NOT IN (SELECT …)``: "no related row matches", not "some joined
        row does not"."""
        if self._info.relations:
            new = self._negated_to_many(new)
        paths = lookup_paths(new)
        joins = resolve_joins(info_of, self._info, paths, self.state.joins, False) if paths else self.state.joins
        return self._clone(joins=joins, **self._filtered(new))

    def _negated_to_many(self, node: Node, negated: bool = False) -> Node:
        if isinstance(node, Junction):
            inside = negated ^ node.negated
            children = tuple(self._negated_to_many(child, inside) for child in node.children)
            return node if children == node.children else Junction(node.connector, children, node.negated)
        if not negated or "__" not in node.field:
            return node
        info, steps = self._info, node.field.split("__")
        for depth, name in enumerate(steps[:-1]):
            relation = info.relations.get(name)
            if relation is None:
                return node
            if relation.kind != "forward":
                # The rows of the relation that match, as a sub-select of their keys (for a
                # many-to-many relation, of the junction's links to rows that match).
                rest = "__".join(steps[depth + 1:])
                source, column = relation.target, relation.key
                if relation.through is not None:
                    source, column = relation.through, relation.through_source
                    rest = f"{relation.through_target.removesuffix('_id')}__{rest}"
                inner: QuerySet[Any] = QuerySet(source)
                inner = inner._narrowed(replace(node, field=rest))
                inner = inner._clone(columns=(column,), shape="flat")
                outer = "__".join([*steps[:depth], relation.target_key if relation.through is None else relation.key])
                return Lookup(outer, "in", inner.as_subquery(f"{self._info.name}.{node.field}"))
            info = info_of(relation.target)
        return node

    def _named(self, fields: tuple[str, ...]) -> tuple[str, ...]:
        """The field paths with ``pk`` (``"pk"``, ``"author__pk"``) replaced by the key field it stands for."""
        if not any(name == PK or name.endswith("__pk") for name in fields):
            return fields
        return tuple(self._key_named(name) for name in fields)

    def _key_named(self, name: str) -> str:
        path, _, last = name.rpartition("__")
        if last != PK:
            return name
        owner = self._info
        for step in path.split("__") if path else ():
            relation = owner.relations.get(step)
            if relation is None:
                return name  # not a relation path: the field check names the fault
            owner = info_of(relation.target)
        key = key_field(owner.name, owner.table)  # no field may be called "pk": the model reserves it
        return f"{path}__{key}" if path else key

    def order_by(self, *fields: str) -> Self:
        """Sorts by the fields given (``"-year"`` for descending, ``"pk"`` for the key); replaces
        earlier ordering."""
        names = self._named(tuple(name.lstrip("-+") for name in fields))
        order = tuple(OrderBy(name, given.startswith("-")) for name, given in zip(names, fields, strict=True))
        return self._clone(order_by=order, joins=self._joins_for(tuple(item.field for item in order)))

    def _default_order(self) -> tuple[OrderBy, ...]:
        """The key order ``first()``/``last()`` use when none is set; a backend with a
        natural order (Cassandra's clustering order) keeps its own."""
        if self._db.backend.supports.extra.get("natural_order"):
            return ()
        return tuple(OrderBy(pk) for pk in self._info.pk)

    def reverse(self) -> Self:
        """Reverses the ordering (primary key, descending, when none is set)."""
        order = self.state.order_by or self._default_order() or self._natural_order()
        return self._clone(order_by=tuple(OrderBy(o.field, not o.descending) for o in order))

    def _natural_order(self) -> tuple[OrderBy, ...]:
        """The order rows come in with none set, where a backend has one: the clustering
        columns in their declared directions. With no ordering to flip, reverse() would
        change nothing and last() would give the first row."""
        if not self._db.backend.supports.extra.get("natural_order"):
            return ()
        return tuple(OrderBy(c.name, c.clustering_order == "desc") for c in self._info.table.clustering_key)

    def limit(self, n: int | None) -> Self:
        """At most ``n`` rows."""
        if n is not None and (not isinstance(n, int) or n < 0):
            raise QueryError(f"limit takes a non-negative int, not {n!r}")
        return self._clone(limit=n)

    def offset(self, n: int) -> Self:
        """Skips the first ``n`` rows."""
        if not isinstance(n, int) or n < 0:
            raise QueryError(f"offset takes a non-negative int, not {n!r}")
        return self._clone(offset=n or None)

    def __getitem__(self, index: slice | int) -> Any:
        """``qs[10:20]`` is a QuerySet with offset 10 and limit 10; ``qs[3]`` fetches one row."""
        if isinstance(index, slice):
            if index.step not in (None, 1) or (index.start or 0) < 0 or (index.stop is not None and index.stop < 0):
                raise QueryError("QuerySet slices take non-negative start and stop and no step")
            start = (self.state.offset or 0) + (index.start or 0)
            stop = None if index.stop is None else (self.state.offset or 0) + index.stop
            if self.state.limit is not None:
                end = (self.state.offset or 0) + self.state.limit
                stop = end if stop is None else min(stop, end)
            return self._clone(offset=start or None, limit=None if stop is None else max(stop - start, 0))
        if isinstance(index, int) and not isinstance(index, bool):
            if index < 0:
                raise QueryError("QuerySet does not support negative indexing; use reverse()")
            found = self[index:index + 1].all()
            if not found:
                raise IndexError(f"{self.model.__name__} QuerySet index {index} out of range")
            return found[0]
        raise TypeError(f"QuerySet indices must be ints or slices, not {type(index).__name__}")

    def _columns(self, fields: tuple[str, ...]) -> tuple[str, ...]:
        info = self._info
        fields = self._named(fields)
        for name in fields:
            column_of(info.name, info.table, name)
        return fields

    def only(self, *fields: str) -> Self:
        """Loads only these fields (and the primary key); others are not read."""
        info = self._info
        wanted = self._columns(fields)
        return self._clone(columns=tuple(n for n in info.field_names if n in wanted or n in info.pk))

    def defer(self, *fields: str) -> Self:
        """Loads every field except these."""
        info = self._info
        skipped = self._columns(fields)
        for name in skipped:
            if name in info.pk:
                raise QueryError(f"{info.name}.defer(): the primary key {name!r} is always loaded")
        current = self.state.columns or info.field_names
        return self._clone(columns=tuple(n for n in current if n not in skipped))

    def values(self, *fields: str) -> QuerySet[Any]:
        """Rows as dicts of the fields given (all fields when none are); a field across a
        relation (``"author__name"``) is read by a JOIN and keyed by its path."""
        return self._read_values(fields, "dicts")

    def values_list(self, *fields: str, flat: bool = False) -> QuerySet[Any]:
        """Rows as tuples; with ``flat=True`` and one field, as single values."""
        if flat and len(fields) != 1:
            raise QueryError(f"values_list(flat=True) takes exactly one field, got {len(fields)}")
        return self._read_values(fields, "flat" if flat else "tuples")

    def _read_values(self, fields: tuple[str, ...], shape: str) -> QuerySet[Any]:
        fields = self._named(fields)
        return self._clone(columns=fields or None, shape=shape, joins=self._joins_for(fields))

    def _joins_for(self, fields: tuple[str, ...]) -> tuple[Join, ...]:
        """The query's joins with those that fields across relations (``author__name``)
        need; every field is checked, on its own model.

        Raises:
            QueryError: a field or a relation on a path does not exist.
        """
        info = self._info
        # Annotation, CTE depth and distance names are no fields.
        if self.state.annotations or self.state.source or self.state.nearest:
            fields = tuple(f for f in fields if f not in aggregating.annotation_names(self.state))
        paths = [f.rpartition("__")[0] for f in fields if f not in info.table.by_name and "__" in f]
        joins = resolve_joins(info_of, info, paths, self.state.joins, False) if paths else self.state.joins
        ends = {join.path: join.target for join in joins}
        for name in fields:
            path, _, last = name.rpartition("__")
            if name not in info.table.by_name and path in ends:
                column_of(ends[path].name, ends[path].table, last)
            else:
                column_of(info.name, info.table, name)
        return joins

    def distinct(self, *fields: str) -> Self:
        """Drops duplicate rows (of the selected columns); with ``fields``, keeps one row per
        distinct value of them (PostgreSQL's DISTINCT ON; order_by must start with them)."""
        return self._distinct_on(fields) if fields else self._clone(distinct=True)

    def select_related(self, *paths: str | None) -> Self:
        """Reads these forward relations in the same statement, by JOIN (LEFT JOIN where a
        key may be None): ``Book.select_related("author__country").get(id=1).author.country``.
        ``select_related(None)`` drops the ones set so far.

        Raises:
            QueryError: a path names no relation, or a reverse one (use ``prefetch_related``).
        """
        if paths == (None,):
            return self._clone(joins=())
        wanted = [p for p in paths if p is not None]
        return self._clone(joins=resolve_joins(info_of, self._info, wanted, self.state.joins))

    def view(self, view: Any) -> Any:
        """The rows as ``view``'s output (an ``ormada.ModelView``): iterable, awaitable,
        with ``all()`` / ``aall()``; the view's relations are prefetched."""
        return view.of(self)

    def prefetch_related(self, *lookups: str | Prefetch | None) -> Self:
        """Loads these relations of the rows read, one query per relation and level
        (``WHERE key IN (…)``), e.g. ``Author.filter(...).prefetch_related("books__tags")``
        or ``prefetch_related(Prefetch("books", Book.filter(year__gte=1970)))``.
        ``prefetch_related(None)`` drops the ones set so far.

        Raises:
            QueryError: a path names no relation (checked now, not when the query runs).
        """
        if lookups == (None,):
            return self._clone(prefetch=())
        wanted = tuple(x for x in lookups if x is not None)
        prefetch_plan(info_of, self._info, wanted)
        return self._clone(prefetch=self.state.prefetch + wanted)

    def cache(self, enabled: bool = True) -> Self:
        """Whether the reads of this query may be answered by the read cache
        (``ormada.cache``); ``cache(False)`` always reads the database."""
        return self._clone(cache=enabled)

    def options(self, **options: Any) -> Self:
        """Backend options for this query (``ttl``, ``consistency``, ``allow_filtering``,
        ``fetch_size``…); a backend refuses options it cannot honour."""
        return self._clone(options={**self.state.options, **options})

    def as_subquery(self, lookup: str) -> Subquery:
        """This query as the one column another query reads inside its own statement
        (``Book.filter(author_id__in=Author.filter(…))``); nothing is sent.

        It selects the field of ``values_list("f", flat=True)``, ``values("f")`` or
        ``only("f")``, or else the primary key.

        Args:
            lookup: The lookup it is given to, for errors (``"Book.author_id__in"``).

        Raises:
            QueryError: the query selects more or fewer than one column.
        """
        info = self._info
        columns = self.state.columns
        if columns is None:
            columns = info.pk if self.state.shape == "models" else info.field_names
        elif self.state.shape == "models":
            # only() always adds the key; the field asked for is the other one.
            columns = tuple(name for name in columns if name not in info.pk) or columns
        if len(columns) != 1:
            what = f"{len(columns)} columns ({', '.join(columns)})" if columns else "no column (it has no primary key)"
            raise QueryError(
                f"{lookup}: the QuerySet of {info.name} selects {what}, and a subquery reads one; "
                "pick it with values_list('field', flat=True)"
            )
        return Subquery(self, info.name, info.database, info, self.state, columns[0])

    # -- inspecting ----------------------------------------------------------
    def statement(self) -> Statement:
        """Exactly what the read will send: ``.text`` and ``.params``. Nothing is sent."""
        return ops.read(self._db.backend, self._info, self.state).statement

    def explain(self) -> str:
        """The database's plan for this query, as text."""
        db = self._db
        rows = db.run(_explain(db, self))
        return "\n".join(" ".join(str(v) for v in row) for row in rows)

    async def aexplain(self) -> str:
        """The async twin of :meth:`explain`."""
        db = self._db
        rows = await db.arun(_explain(db, self))
        return "\n".join(" ".join(str(v) for v in row) for row in rows)

    # -- terminals: sync -------------------------------------------------------
    def _fetch(self, db: Database, state: QueryState) -> ops.Operation:
        """The read of ``state``; with ``limit(0)`` the answer (no rows) is known without
        asking, and CQL refuses ``LIMIT 0``."""
        self._check_locking(db)
        if state.limit == 0:
            return ops.answered([])
        return then_prefetch(db.backend, info_of, self._info, state, ops.fetch(db.backend, self._info, state))

    def all(self) -> list[M]:
        """Every matching row."""
        db = self._db
        return db.run(self._fetch(db, self.state))

    def __iter__(self) -> Iterator[M]:
        return iter(self.all())

    # Truth and length would need a query, hidden inside an ``if`` or ``len()`` (and a
    # blocking one in async code); the explicit calls say what runs.
    def __bool__(self) -> bool:
        raise TypeError(f"the truth of a QuerySet of {self._info.name} would need a query; "
                        "use .exists() / await .aexists()")

    def __len__(self) -> int:
        raise TypeError(f"the length of a QuerySet of {self._info.name} would need a query; "
                        "use .count() / await .acount(), or len(qs.all())")

    def _first_state(self) -> QueryState:
        order = self.state.order_by or self._default_order()
        return self.state.evolve(order_by=order, limit=0 if self.state.limit == 0 else 1)

    def first(self) -> M | None:
        """The first row (by primary key unless ordered), or None."""
        db = self._db
        found = db.run(self._fetch(db, self._first_state()))
        return found[0] if found else None

    def last(self) -> M | None:
        """The last row (by primary key unless ordered), or None."""
        return self.reverse().first()

    def get(self, *q: Q, **lookups: Any) -> M:
        """The one matching row.

        Raises:
            Model.DoesNotExist: no row matches.
            Model.MultipleObjectsReturned: more than one row matches.
        """
        db = self._db
        return db.run(self._get(db, q, lookups, False))  # type: ignore[no-any-return]

    def get_or_none(self, *q: Q, **lookups: Any) -> M | None:
        """The one matching row, or None."""
        db = self._db
        return db.run(self._get(db, q, lookups, True))  # type: ignore[no-any-return]

    def _get(self, db: Database, q: tuple[Q, ...], lookups: dict[str, Any], missing_ok: bool) -> ops.Operation:
        """The operation of ``get``: ``Model.get(field=value, …)`` goes through the backend's
        cached plan (checking each value as ``filter()`` would); anything else, or a value
        that needs more than that (None, an expression), through the general path."""
        info = self._info
        if not q and lookups and self.state is EVERY_ROW:
            plan = db.backend.keyed_select(info, tuple(lookups))
            if plan is not None:
                by_name = info.table.by_name
                checked = {}
                for name, value in lookups.items():
                    if value is None or is_expression(value):
                        break
                    checked[name] = validate_value(info.name, by_name[name], value)
                else:
                    return ops.keyed_get(db.backend, info, plan, checked, missing_ok)
        qs = self.filter(*q, **lookups) if q or lookups else self
        self._check_locking(db)
        return then_prefetch(db.backend, info_of, info, qs.state, ops.get(db.backend, info, qs.state, missing_ok))

    def aggregate(self, *args: Aggregate, **named: Aggregate) -> dict[str, Any]:
        """The aggregates of the matching rows by name (``aggregate(total=Sum("amount"))``; a
        positional one is keyed ``amount__sum``); over no rows Count gives 0, the others None."""
        db = self._db
        return db.run(self._aggregate(db, args, named))

    def _aggregate(self, db: Database, args: tuple[Aggregate, ...], named: dict[str, Aggregate]) -> ops.Operation:
        check_aliases(self._info.name, "aggregate", named)
        return aggregating.planned(db.backend, info_of, self._info, self.state, args, named, self._filter_of,
                                   self._expression_of())

    def _filter_of(self, q: Q) -> Node | None:  # an aggregate's filter=Q(...), resolved as filter() does
        return self._node((q,), {})  # type: ignore[no-any-return]

    def count(self) -> int:
        """How many rows match."""
        db = self._db
        return db.run(self._count(db))  # type: ignore[no-any-return]

    def _count(self, db: Database) -> ops.Operation:
        return ops.answered(0) if self.state.limit == 0 else ops.count(db.backend, self._info, self.state)

    def _exists(self, db: Database) -> ops.Operation:
        return ops.answered(False) if self.state.limit == 0 else ops.exists(db.backend, self._info, self.state)

    def exists(self) -> bool:
        """Whether any row matches."""
        db = self._db
        return db.run(self._exists(db))  # type: ignore[no-any-return]

    def _assignments(self, values: dict[str, Any]) -> dict[str, Any]:
        info = self._info
        if not values:
            raise QueryError(f"{info.name}.update() needs at least one field=value")
        checked: dict[str, Any] = {}
        for key, value in values.items():
            name = key.partition("__")[0]
            column = column_of(info.name, info.table, name)
            if "__" in key:  # backend-specific mutations such as tags__add: the backend decides
                checked[key] = value
            elif value is None:
                if not column.nullable:
                    raise QueryError(f"{info.name}.{name} is not optional; it cannot be set to None")
                checked[key] = None
            elif (resolved := self._assigned(name, value)) is not None:
                checked[key] = resolved
            else:
                check_assigned_expression(info.name, info.table, key, value)
                checked[key] = keyed(info.name, info.table, validate_value(info.name, column, value))
        return checked

    def update(self, **values: Any) -> int:
        """Sets fields on every matching row (``F("year") + 1`` refers to the current value).

        Returns:
            The number of rows changed.
        """
        db = self._write_db
        values = self._assignments(values)
        operation, hooked = hooks.bulk(self.model, ops.update(db.backend, self._info, self.state, values), "update",
                                       fields=tuple(values), queryset=self)
        return db.run(operation, atomic=hooked)  # type: ignore[no-any-return]

    def delete(self, columns: tuple[str, ...] = ()) -> int:
        """Deletes every matching row and returns how many there were; on Cassandra,
        ``columns`` deletes just those columns of the rows."""
        db = self._write_db
        operation, hooked = hooks.bulk(self.model, ops.delete(db.backend, self._info, self._delete_state(columns)),
                                       "delete", fields=columns or None, queryset=self)
        return db.run(operation, atomic=hooked)  # type: ignore[no-any-return]

    def _delete_state(self, columns: tuple[str, ...]) -> QueryState:
        if not columns:
            return self.state
        for name in columns:
            column_of(self._info.name, self._info.table, name)
        return self.state.evolve(options={**self.state.options, "columns": tuple(columns)})

    def iterator(self, chunk_size: int = 2000) -> Iterator[M]:
        """Streams the rows ``chunk_size`` at a time (server-side cursor where there is one)."""
        if self.state.limit == 0:
            return
        db, info, state = self._db, self._info, self.state
        self._check_locking(db)
        compiled = ops.read(db.backend, info, state)
        for rows in db.stream(compiled.statement, chunk_size):
            chunk = ops.rows_as_asked(db.backend, info, state, compiled.columns, rows, compiled.annotations)
            # Relations are prefetched chunk by chunk, so memory stays bounded (Django's way).
            yield from db.run(then_prefetch(db.backend, info_of, info, state, ops.answered(chunk)))

    def get_or_create(self, defaults: dict[str, Any] | None = None, **lookups: Any) -> tuple[M, bool]:
        """The matching row, or a new one made from the lookups and ``defaults``;
        the flag says whether it was created. Safe against a concurrent creator."""
        qs = self.filter(**lookups)
        db = self._write_db
        return db.run(ops.get_or_create(db.backend, self._info, qs.state, lookups, defaults), atomic=True)  # type: ignore[no-any-return]

    def update_or_create(self, defaults: dict[str, Any] | None = None, **lookups: Any) -> tuple[M, bool]:
        """Updates the matching row with ``defaults``, or creates it; the flag says which."""
        qs = self.filter(**lookups)
        db = self._write_db
        return db.run(ops.update_or_create(db.backend, self._info, qs.state, lookups, defaults), atomic=True)  # type: ignore[no-any-return]

    # -- terminals: async --------------------------------------------------------
    async def aall(self) -> list[M]:
        """The async twin of :meth:`all`."""
        db = self._db
        return await db.arun(self._fetch(db, self.state))

    def __await__(self) -> Generator[Any, None, list[M]]:
        return self.aall().__await__()

    async def __aiter__(self) -> AsyncIterator[M]:
        for item in await self.aall():
            yield item

    async def afirst(self) -> M | None:
        """The async twin of :meth:`first`."""
        db = self._db
        found = await db.arun(self._fetch(db, self._first_state()))
        return found[0] if found else None

    async def alast(self) -> M | None:
        """The async twin of :meth:`last`."""
        return await self.reverse().afirst()

    async def aget(self, *q: Q, **lookups: Any) -> M:
        """The async twin of :meth:`get`."""
        db = self._db
        return await db.arun(self._get(db, q, lookups, False))

    async def aget_or_none(self, *q: Q, **lookups: Any) -> M | None:
        """The async twin of :meth:`get_or_none`."""
        db = self._db
        return await db.arun(self._get(db, q, lookups, True))

    async def acount(self) -> int:
        """The async twin of :meth:`count`."""
        db = self._db
        return await db.arun(self._count(db))

    async def aaggregate(self, *args: Aggregate, **named: Aggregate) -> dict[str, Any]:
        """The async twin of :meth:`aggregate`."""
        db = self._db
        return await db.arun(self._aggregate(db, args, named))

    async def aexists(self) -> bool:
        """The async twin of :meth:`exists`."""
        db = self._db
        return await db.arun(self._exists(db))

    async def aupdate(self, **values: Any) -> int:
        """The async twin of :meth:`update`."""
        db = self._write_db
        values = self._assignments(values)
        operation, hooked = hooks.bulk(self.model, ops.update(db.backend, self._info, self.state, values), "update",
                                       fields=tuple(values), queryset=self)
        return await db.arun(operation, atomic=hooked)

    async def adelete(self, columns: tuple[str, ...] = ()) -> int:
        """The async twin of :meth:`delete`."""
        db = self._write_db
        operation, hooked = hooks.bulk(self.model, ops.delete(db.backend, self._info, self._delete_state(columns)),
                                       "delete", fields=columns or None, queryset=self)
        return await db.arun(operation, atomic=hooked)

    async def aiterator(self, chunk_size: int = 2000) -> AsyncIterator[M]:
        """The async twin of :meth:`iterator`."""
        if self.state.limit == 0:
            return
        db, info, state = self._db, self._info, self.state
        self._check_locking(db)
        compiled = ops.read(db.backend, info, state)
        async for rows in db.astream(compiled.statement, chunk_size):
            chunk = ops.rows_as_asked(db.backend, info, state, compiled.columns, rows, compiled.annotations)
            for item in await db.arun(then_prefetch(db.backend, info_of, info, state, ops.answered(chunk))):
                yield item

    async def aget_or_create(self, defaults: dict[str, Any] | None = None, **lookups: Any) -> tuple[M, bool]:
        """The async twin of :meth:`get_or_create`."""
        qs = self.filter(**lookups)
        db = self._write_db
        return await db.arun(ops.get_or_create(db.backend, self._info, qs.state, lookups, defaults), atomic=True)

    async def aupdate_or_create(self, defaults: dict[str, Any] | None = None, **lookups: Any) -> tuple[M, bool]:
        """The async twin of :meth:`update_or_create`."""
        qs = self.filter(**lookups)
        db = self._write_db
        return await db.arun(ops.update_or_create(db.backend, self._info, qs.state, lookups, defaults), atomic=True)


def _explain(db: Database, qs: QuerySet[Any]) -> Generator[Statement, Any, Any]:
    statement = db.backend.explain(qs.statement())
    return (yield statement)
