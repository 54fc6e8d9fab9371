"""The QuerySet methods that combine queries (``union``, ``intersection``, ``difference``),
lock rows (``select_for_update``), keep one row per group (``distinct(*fields)``), read
rows by key into a dict (``in_bulk``) and read instances from raw SQL (``raw``);
:class:`~ormada.query.queryset.QuerySet` inherits them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ormada import _operations as ops
from ormada._read_checks import METHODS
from ormada.errors import QueryError, TransactionError
from ormada.query.combined import combined_type
from ormada.query.raw import RawQuerySet
from ormada.query.resolve import column_of
from ormada.query.state import EVERY_ROW, Combination, Lock, QueryState

if TYPE_CHECKING:
    from typing import Self

    from ormada._info import ModelInfo
    from ormada.database import Database

Operation = ops.Operation


class CombiningMixin:
    """Set operations, row locks, ``DISTINCT ON`` and ``in_bulk`` for QuerySet."""

    __slots__ = ()

    if TYPE_CHECKING:
        model: Any
        state: QueryState

        @property
        def _info(self) -> ModelInfo: ...

        @property
        def _db(self) -> Database: ...

        def _clone(self, **changes: Any) -> Self: ...

        def _named(self, fields: tuple[str, ...]) -> tuple[str, ...]: ...

        def _fetch(self, db: Database, state: QueryState) -> ops.Operation: ...

        def filter(self, *q: Any, **lookups: Any) -> Self: ...

    # -- set operations ------------------------------------------------------
    def union(self, *others: Any, all: bool = False) -> Self:
        """The rows of this query and of ``others`` (``UNION``; with ``all=True``,
        ``UNION ALL``, which keeps duplicates). The parts read the same model, or the
        same number of ``values()``/``values_list()`` columns; the result can be ordered
        (by the first part's field names), sliced, counted and read, not filtered."""
        return self._combine("union", others, all)

    def intersection(self, *others: Any) -> Self:
        """The rows found by this query and by every one of ``others`` (``INTERSECT``)."""
        return self._combine("intersect", others, False)

    def difference(self, *others: Any) -> Self:
        """The rows of this query found by none of ``others`` (``EXCEPT``)."""
        return self._combine("except", others, False)

    def _combine(self, operator: str, others: tuple[Any, ...], keep_all: bool) -> Self:

        info = self._info
        method = f"{info.name}.{METHODS[operator]}()"
        if not others:
            raise QueryError(f"{method} needs at least one other QuerySet to combine with")
        names = _part_columns(self, method)
        parts = [(info, self.state)]
        for other in others:
            if not isinstance(other, CombiningMixin):
                raise QueryError(f"{method} combines QuerySets, not {other!r}")
            other_names = _part_columns(other, method)
            shape, other_shape = self.state.shape, other.state.shape
            if (shape == "models") != (other_shape == "models"):
                raise QueryError(f"{method}: {other!r} gives rows as {other_shape}, this query as {shape}; "
                                 "combine model queries with model queries, values() with values()")
            if shape == "models" and (other.model is not self.model or other_names != names):
                what = other.model.__name__ if other.model is not self.model else f"the fields {other_names}"
                raise QueryError(f"{method}: this query reads {info.name} ({', '.join(names)}), the other {what}; "
                                 "model rows combine with rows of the same model and fields; for other models, "
                                 "combine values_list() of the same number of fields")
            if len(other_names) != len(names):
                raise QueryError(f"{method}: this query reads {len(names)} columns ({', '.join(names)}), "
                                 f"{other!r} reads {len(other_names)} ({', '.join(other_names)}); "
                                 "the combined queries must read as many columns, in the same order")
            parts.append((other._info, other.state))
        combination = Combination(operator, keep_all, tuple(parts))  # type: ignore[arg-type]
        state = QueryState(columns=names, shape=self.state.shape, combined=combination, options={})
        combined: Any = combined_type(type(self))  # a QuerySet class: the mixin's own __init__ takes nothing
        made: Self = combined(self.model, state)
        return made

    # -- row locks -----------------------------------------------------------
    def select_for_update(self, nowait: bool = False, skip_locked: bool = False, of: Iterable[str] = (),
                          no_key: bool = False) -> Self:
        """Locks the rows read until the transaction ends (``SELECT … FOR UPDATE``), so no
        other transaction changes or locks them meanwhile; only inside a transaction.

        Args:
            nowait: Raise ``LockNotAvailable`` at once where a row is locked, instead of waiting.
            skip_locked: Leave out the rows another transaction has locked.
            of: Lock only these tables: ``"self"`` and the paths of joined relations
                (``select_related("author")`` then ``of=("self", "author")``); PostgreSQL.
            no_key: ``FOR NO KEY UPDATE`` (PostgreSQL): rows of other tables may still
                refer to the locked rows meanwhile.

        Raises:
            QueryError: ``nowait`` and ``skip_locked`` together.
        """
        info = self._info
        if nowait and skip_locked:
            raise QueryError(f"{info.name}.select_for_update(): nowait=True and skip_locked=True exclude each "
                             "other (fail on a locked row, or leave it out); pick one")
        tables = (of,) if isinstance(of, str) else tuple(of)
        for name in tables:
            if not isinstance(name, str):
                raise QueryError(f"{info.name}.select_for_update(of=…) takes 'self' and relation paths, not {name!r}")
        return self._clone(lock=Lock(bool(nowait), bool(skip_locked), tables, bool(no_key)))

    def _check_locking(self, db: Database) -> None:
        """A lock taken outside a transaction is released as the statement ends: refuse.

        Raises:
            TransactionError: the query locks rows and no transaction is open.
        """
        if self.state.lock is not None and db.backend.supports.row_locks and not db.in_transaction():
            name = self._info.name
            raise TransactionError(
                f"{name}.select_for_update() outside a transaction: the lock would be released as soon as the "
                "read ends, protecting nothing; read inside `with db.transaction():` (or `async with "
                "db.atransaction():`) and write the rows before the block ends")

    # -- DISTINCT ON -----------------------------------------------------------
    def _distinct_on(self, fields: tuple[str, ...]) -> Self:
        """One row per distinct value of ``fields`` (PostgreSQL's ``DISTINCT ON``): the
        first of each group by the ordering, which must start with those fields."""
        info = self._info
        for name in fields:
            if not isinstance(name, str):
                raise QueryError(f"{info.name}.distinct() takes field names, not {name!r}")
        fields = self._named(fields)
        for name in fields:
            column_of(info.name, info.table, name)
        return self._clone(distinct_on=tuple(dict.fromkeys(fields)))

    # -- raw SQL -------------------------------------------------------------------
    def raw(self, sql: str, params: dict[str, Any] | None = None) -> RawQuerySet[Any]:
        """Instances from a SELECT of your own (``Book.objects.raw(sql, params)``): its
        ``:name`` parameters are bound from ``params``, never spliced in; each column fills
        the field of its name or column name (``Column("…")``), other columns become
        attributes, and fields with a default that no column fills are not loaded.

        Raises:
            QueryError: the QuerySet was narrowed first (the SQL alone says what is read),
                or ``params`` is not a dict.
        """
        if self.state != EVERY_ROW:
            raise QueryError(f"{self._info.name}.raw() runs its own SQL, so filters, ordering and the rest of a "
                             f"QuerySet do not apply; call it on {self._info.name}.objects")
        return RawQuerySet(self.model, sql, params)

    # -- in_bulk -----------------------------------------------------------------
    def in_bulk(self, ids: Iterable[Any] | None = None, field_name: str = "pk") -> dict[Any, Any]:
        """The rows whose ``field_name`` is one of ``ids`` (every row when None), as a dict
        from that value to the instance; keys found in no row are left out. A long list is
        read in batches below the backend's bound-parameter limit.

        Raises:
            QueryError: the field is not unique (the primary key or a ``Unique()`` field).
        """
        db = self._db
        return db.run(self._in_bulk(db, ids, field_name))

    async def ain_bulk(self, ids: Iterable[Any] | None = None, field_name: str = "pk") -> dict[Any, Any]:
        """The async twin of :meth:`in_bulk`."""
        db = self._db
        return await db.arun(self._in_bulk(db, ids, field_name))

    def _in_bulk(self, db: Database, ids: Iterable[Any] | None, field_name: str) -> Operation:
        info = self._info
        state = self.state
        if state.shape != "models" or state.limit is not None or state.offset or state.combined is not None:
            raise QueryError(f"{info.name}.in_bulk() reads model instances by key: call it on a QuerySet "
                             "without values()/values_list(), a slice or a set operation")
        name = _unique_field(info, field_name)
        if ids is None:
            return _keyed((yield from self._fetch(db, state)), name)
        if isinstance(ids, (str, bytes)):
            raise QueryError(f"{info.name}.in_bulk() takes a list of {name} values, not the single value {ids!r}")
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        # Every batch is built, and every value checked, before the first is sent.
        size = _batch_size(db, info, state)
        reads = [self.filter(**{f"{name}__in": wanted[i:i + size]}).state for i in range(0, len(wanted), size)]
        found: dict[Any, Any] = {}
        for read in reads:
            found.update(_keyed((yield from self._fetch(db, read)), name))
        return found


def _part_columns(qs: Any, method: str) -> tuple[str, ...]:
    """The columns a part of a set operation reads, after checking it can be one."""
    info: ModelInfo = qs._info
    state: QueryState = qs.state
    for present, what, instead in (
        (bool(state.annotations), "annotate()", "combine queries without annotations"),
        (state.shape == "models" and any(join.select for join in state.joins), "select_related()",
         "call prefetch_related() on the combined query instead"),
        (bool(state.prefetch), "prefetch_related()", "call it on the combined query instead"),
        (state.lock is not None, "select_for_update()", "lock the rows by key in a query of their own"),
    ):
        if present:
            raise QueryError(f"{method}: a combined query cannot have {what} ({info.name}); {instead}")
    return state.columns or info.field_names


def _unique_field(info: ModelInfo, field_name: str) -> str:
    if field_name == "pk":
        if len(info.pk) != 1:
            raise QueryError(f"{info.name}.in_bulk(): 'pk' needs a primary key of one field; {info.name} has "
                             f"{len(info.pk)} ({', '.join(info.pk)}); pass field_name= of a unique field")
        return info.pk[0]
    column = column_of(info.name, info.table, field_name)
    if not column.unique and info.pk != (field_name,):
        raise QueryError(f"{info.name}.in_bulk(field_name={field_name!r}): {field_name} is not unique, so one key "
                         "could stand for several rows; use the primary key or a field declared Unique()")
    return field_name


def _batch_size(db: Database, info: ModelInfo, state: QueryState) -> int:
    """The most keys one read may hold: a power of two (IN lists are padded to one) that
    leaves room for the query's own parameters below the backend's limit."""
    own = len(ops.read(db.backend, info, state).statement.params)
    room = max(db.backend.supports.max_params - own - 2, 1)
    return 1 << (room.bit_length() - 1)


def _keyed(instances: list[Any], name: str) -> dict[Any, Any]:
    return {instance.__dict__[name]: instance for instance in instances}

