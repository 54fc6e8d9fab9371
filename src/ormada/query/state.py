"""``QueryState``: everything a query says, as plain data, with no SQL or CQL in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ormada.query.aggregates import AggregateSpec
from ormada.query.cte import CteJoin, CteSpec
from ormada.query.expressions import Node
from ormada.query.typed import ExpressionSpec

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
        prefetch: Relations to load after the rows, by path (``"books__tags"``) or
            :class:`Prefetch`; never part of the statement.
        joins: The forward relations read in the same statement (``select_related``),
            parents before children.
        annotations: Aggregates (each row is then a group) and expressions computed per
            row (``annotate``), read after the row's columns.
        group_by: The fields rows are grouped by when ``values(...)`` came before
            ``annotate``; None groups by the queried model's columns (one group per row).
        having: The filter on annotations (``filter(n__gt=2)`` after ``annotate(n=...)``),
            lookups naming annotations; applied to groups.
        combined: The queries whose rows this one combines (``union``, ``intersection``,
            ``difference``); its own ordering and window then apply to the combined rows.
        lock: Row locks taken by the read (``select_for_update``), or None.
        distinct_on: PostgreSQL's ``DISTINCT ON`` fields (``distinct("author_id")``).
        ctes: The common table expressions of the statement (``WITH``), in order: a later
            one may read an earlier one.
        source: The name of the CTE the rows are read from instead of the model's table.
        cte_joins: CTEs joined to the model's rows on columns of theirs (``join_cte``).
        nearest: Rows ordered by their distance to a vector (``nearest()``), before any
            ``order_by`` keys, which then break ties.
        qualify: The filter on annotations computing window functions, which SQL evaluates
            after WHERE: applied around the query (a SELECT from it).
        cache: Whether the read may be answered from the read cache (``qs.cache(False)``
            reads the database); never part of the statement.
        using: The name of the database the query runs on (``using()``), instead of the
            model's; never part of the statement.
    """

    where: Node | None = None
    order_by: tuple[OrderBy, ...] = ()
    limit: int | None = None
    offset: int | None = None
    columns: tuple[str, ...] | None = None
    shape: ResultShape = "models"
    distinct: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    prefetch: tuple[str | Prefetch, ...] = ()
    joins: tuple[Join, ...] = ()
    annotations: tuple[AggregateSpec | ExpressionSpec, ...] = ()
    group_by: tuple[str, ...] | None = None
    having: Node | None = None
    combined: Combination | None = None
    lock: Lock | None = None
    distinct_on: tuple[str, ...] = ()
    ctes: tuple[CteSpec, ...] = ()
    source: str | None = None
    cte_joins: tuple[CteJoin, ...] = ()
    nearest: Nearest | None = None
    qualify: Node | None = None
    cache: bool = True
    using: str | None = None

    def evolve(self, **changes: Any) -> QueryState:
        """A copy with ``changes`` applied (``dataclasses.replace`` costs several times more)."""
        new = object.__new__(QueryState)
        for name in _FIELDS:
            _set(new, name, changes[name] if name in changes else getattr(self, name))
        return new


@dataclass(frozen=True, slots=True, eq=False)
class Combination:
    """A set operation over the rows of several queries: ``UNION [ALL]``, ``INTERSECT``
    or ``EXCEPT``, applied left to right.

    Compared by identity: the backend flattens the parts into the compile-cache key.

    Attributes:
        operator: ``"union"``, ``"intersect"`` or ``"except"``.
        all: ``UNION ALL``: keep duplicate rows.
        parts: The combined queries, in order, each as ``(model info, state)``; the
            first one's columns name the combined rows.
    """

    operator: Literal["union", "intersect", "except"]
    all: bool
    parts: tuple[tuple[Any, QueryState], ...]


@dataclass(frozen=True, slots=True)
class Lock:
    """Row locks of ``select_for_update()``.

    Attributes:
        nowait: Fail at once (``LockNotAvailable``) instead of waiting for a lock.
        skip_locked: Leave out rows another transaction holds locked.
        of: The tables locked, by ``"self"`` or a joined relation's path; () for all.
        no_key: PostgreSQL's ``FOR NO KEY UPDATE``, which leaves foreign keys to the row free.
    """

    nowait: bool = False
    skip_locked: bool = False
    of: tuple[str, ...] = ()
    no_key: bool = False


@dataclass(frozen=True, slots=True)
class Nearest:
    """Order by distance to ``vector`` on the vector field ``field`` (``QuerySet.nearest``).

    Attributes:
        field: The ``Vector(n)`` field.
        vector: The query vector, checked against the field's dimensions.
        metric: ``"cosine"`` (1 - cosine similarity), ``"l2"`` (Euclidean distance) or
            ``"inner"`` (the negative inner product, so the most similar come first).
        distance: The attribute (or ``values()`` key) the distance is read into, or None
            to leave it unread.
    """

    field: str
    vector: tuple[float, ...]
    metric: str
    distance: str | None = "distance"

    @property
    def key(self) -> tuple[str, str, bool]:
        """What the statement's text depends on (never the vector): field, metric, and
        whether the distance is read."""
        return (self.field, self.metric, self.distance is not None)


@dataclass(frozen=True, slots=True)
class Join:
    """A relation joined into a read: for ``select_related`` (its columns are read too) or
    for filters and ordering across it. Equal joins make equal compile-cache keys (a
    model's info compares by identity).

    Attributes:
        path: ``"author"``, ``"author__country"``, ``"books"``.
        parent: The index of the join it hangs from in ``QueryState.joins``, or -1 for the
            queried model itself.
        name: The relation's name on the parent model (where a loaded row goes).
        on_parent / on_target: The fields the JOIN matches: the parent's key and the
            target's primary key (forward), or the parent's key and the target's foreign
            key (reverse).
        target: The related model's info, which the backend reads its columns from.
        outer: A LEFT JOIN: the key may be None here or higher up, or the rows are a
            reverse relation's (an owner may have none).
        select: Its columns are read and hydrated (``select_related``).
        many: A reverse relation: an owner may match several rows.
    """

    path: str
    parent: int
    name: str
    on_parent: str
    on_target: str
    target: Any
    outer: bool
    select: bool = True
    many: bool = False


@dataclass(frozen=True, slots=True)
class Prefetch:
    """A relation to prefetch with a query of its own, to filter or order its rows:
    ``prefetch_related(Prefetch("books", Book.filter(year__gte=1970).order_by("year")))``.

    Attributes:
        path: The relation, as in ``prefetch_related`` (``"books"``, ``"books__tags"``).
        queryset: A QuerySet of the related model; its filters and ordering apply to
            the rows loaded (its limit would apply to all owners at once, so none is taken).
    """

    path: str
    queryset: Any = None

    @property
    def state(self) -> QueryState | None:
        return None if self.queryset is None else self.queryset.state


@dataclass(frozen=True, slots=True, eq=False)
class Subquery:
    """The value of ``field__in=<QuerySet>``: a query the database runs inside the outer
    one (``field IN (SELECT column …)``), so nothing is read when the filter is built.

    Attributes:
        source: The QuerySet given (immutable, so it stays the query it was).
        model: The inner model's name, for messages.
        database: The name of the database the inner model is bound to.
        target: The inner model's description, which backends compile against.
        state: The inner query: its filters, ordering and window.
        column: The one column it selects.
    """

    source: object
    model: str
    database: str
    target: Any
    state: QueryState
    column: str

    def __repr__(self) -> str:
        return f"{self.source!r} ({self.model}.{self.column})"


class SubquerySource(Protocol):
    """What a lookup such as ``field__in=`` accepts as a query to run inside its own."""

    def as_subquery(self, lookup: str) -> Subquery:
        """This query as one column read inside another; ``lookup`` names it in errors."""
        ...


_set = object.__setattr__
_FIELDS = ("where", "order_by", "limit", "offset", "columns", "shape", "distinct", "options", "prefetch", "joins",
           "annotations", "group_by", "having", "combined", "lock", "distinct_on", "ctes", "source", "cte_joins",
           "nearest", "qualify", "cache", "using")

# The state of ``Model.query()``; shared, so "no filter, nothing set" is an identity test.
EVERY_ROW = QueryState(options={})
