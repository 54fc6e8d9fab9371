"""``QuerySet.paginate()``: cursor pages that cost the same at any depth.

On SQL backends a cursor holds the ordering keys of a page's boundary row, and the next
page is read with a filter for the rows after it (:mod:`ormada._keyset`). On Cassandra
it holds the server's paging state. Either way it is signed (:mod:`ormada._cursor`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ormada import _cursor as cursors
from ormada import _keyset as keyset
from ormada.errors import CursorError, NotSupported, QueryError
from ormada.pagination import CursorPage
from ormada.query._part import QuerySetPart
from ormada.query.state import OrderBy

if TYPE_CHECKING:
    from typing import Self

    from ormada._info import ModelInfo
    from ormada._operations import Operation
    from ormada.database import Database
    from ormada.query.expressions import Node, Q
    from ormada.query.state import QueryState


class KeysetPagination(QuerySetPart):
    """Mixed into :class:`ormada.QuerySet`."""

    def filter(self, *q: Q, **lookups: Any) -> Self:
        raise NotImplementedError  # QuerySet's

    def _fetch(self, db: Database, state: QueryState) -> Operation:
        raise NotImplementedError  # QuerySet's

    def _narrowed(self, new: Node) -> Self:
        raise NotImplementedError  # QuerySet's

    def paginate(self, size: int, *, after: str | None = None, before: str | None = None) -> CursorPage[Any]:
        """A page of at most ``size`` rows: the first, or those right after the row
        ``after`` marks, or right before the row ``before`` marks.

        Pages follow the QuerySet's ordering with the primary key added as a tie-breaker
        (the primary key alone with no ordering); on Cassandra they follow the table's
        natural order, resumed from the server's paging state. ``page.next_cursor`` and
        ``page.previous_cursor`` are signed text tokens for the next call.

        Raises:
            QueryError: ``size`` is not a positive int; the query is sliced, annotated,
                or ordered by a field across a relation.
            CursorError: a cursor was altered, signed with another secret, or belongs to
                another model or ordering.
            NotSupported: ``before=`` on Cassandra, whose paging state only goes forward.
        """
        db = self._db
        return db.run(self._paginate(db, size, after, before))

    async def apaginate(self, size: int, *, after: str | None = None,
                        before: str | None = None) -> CursorPage[Any]:
        """The async twin of :meth:`paginate`."""
        db = self._db
        return await db.arun(self._paginate(db, size, after, before))

    # -- planning -----------------------------------------------------------------
    def _paginate(self, db: Database, size: int, after: str | None, before: str | None) -> Operation:
        info, state = self._info, self.state
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise QueryError(f"{info.name}.paginate(): size takes an int of 1 or more, not {size!r}")
        if after is not None and before is not None:
            raise QueryError(f"{info.name}.paginate(): pass after= or before=, not both")
        if state.limit is not None or state.offset:
            raise QueryError(f"{info.name}.paginate(): the QuerySet is sliced or limited; cursor pages set "
                             "their own window, so paginate the whole QuerySet")
        if state.annotations:
            raise QueryError(f"{info.name}.paginate(): cursor pages of annotated rows are not supported; "
                             "use ormada.Paginator for numbered pages of them")
        secret = cursors.cursor_secret(db.cursor_secret)
        if db.backend.supports.extra.get("paging_state"):
            return self._paged(db, secret, size, after, before)
        return self._keyset_page(db, secret, size, after, before)

    def _keys(self) -> tuple[keyset.Key, ...]:
        """The ordering the pages follow, the primary key last, each key checked to be
        one of the model's own fields that the rows read carry."""
        info, state = self._info, self.state
        order = state.order_by or tuple(OrderBy(name) for name in info.pk)
        named = {item.field for item in order}
        order += tuple(OrderBy(name) for name in info.pk if name not in named)
        keys = []
        for item in order:
            column = info.table.by_name.get(item.field)
            if column is None:
                raise QueryError(f"{info.name}.paginate(): pages can follow only {info.name}'s own fields, not "
                                 f"{item.field!r}; order by a field of this model")
            if state.shape == "models" and state.columns is not None and item.field not in state.columns:
                raise QueryError(f"{info.name}.paginate(): only()/defer() leave out {item.field!r}, which the "
                                 "pages are ordered by; load it too")
            # A key field's type may allow None (generated on insert), but its column never holds NULL.
            keys.append(keyset.Key(item.field, item.descending, column.nullable and item.field not in info.pk))
        if state.distinct and state.shape != "models" and state.columns is not None and \
                not all(k.field in state.columns for k in keys):
            raise QueryError(f"{info.name}.paginate(): distinct() rows leave out the ordering keys "
                             f"({', '.join(k.field for k in keys)}) that cursors are made of; read them too")
        return tuple(keys)

    def _keyset_page(self, db: Database, secret: bytes, size: int, after: str | None,
                     before: str | None) -> Operation:
        info = self._info
        keys = self._keys()
        print_ = cursors.fingerprint(info.name, info.table.name, [(k.field, k.descending) for k in keys])
        token = after if after is not None else before
        backward = before is not None
        read_keys = keyset.flipped(keys) if backward else keys
        qs: Any = self
        if token is not None:
            encoded = cursors.verify(secret, token, print_, "k", info.name)
            if not isinstance(encoded, list) or len(encoded) != len(keys):  # pragma: no cover - signed by us
                raise CursorError(f"{info.name}: cursor {token!r} does not fit this ordering")
            values = [cursors.decode_value(v) for v in encoded]
            qs = qs.filter(keyset.after(read_keys, values, bool(db.backend.supports.extra.get("nulls_high"))))
            bound = keyset.row_bound(read_keys, values) if db.backend.supports.extra.get("row_range") else None
            if bound is not None:
                qs = qs._narrowed(bound)
        qs = qs._clone(order_by=tuple(OrderBy(k.field, k.descending) for k in read_keys))
        return _read_page(db, qs, keys, size, backward, token is not None,
                          lambda values: cursors.sign(secret, print_, "k", values))

    def _paged(self, db: Database, secret: bytes, size: int, after: str | None, before: str | None) -> Operation:
        """A page read by the server's paging state (Cassandra), which the cursor carries."""
        from ormada.backends.cassandra.paging import page_state, unseal  # only such backends get here

        info = self._info
        if before is not None:
            raise NotSupported(f"{info.name}.paginate(before=...): {db.backend.name}'s paging state only goes "
                               "forward; keep the cursors of the pages read so far to go back")
        order = self.state.order_by or tuple(OrderBy(c.name, c.clustering_order == "desc")
                                             for c in info.table.clustering_key)
        print_ = cursors.fingerprint(info.name, info.table.name, [(o.field, o.descending) for o in order])
        resume = None
        if after is not None:
            body = cursors.verify(secret, after, print_, "p", info.name)
            resume = bytes.fromhex(body)
            statement = db.backend.select(info, page_state(self.state, size)).statement
            try:
                unseal(info.name, statement.text, statement.params, resume)
            except QueryError:
                raise CursorError(f"{info.name}: cursor {after[:20]!r}… was handed out for other filter values "
                                  "of this query; pass a cursor of a page of this same query") from None
        return _read_paged(db, self, size, resume, lambda state: cursors.sign(secret, print_, "p", state.hex()))


def _read_paged(db: Database, queryset: Any, size: int, resume: bytes | None,
                sign: Callable[[bytes], str]) -> Operation:
    """The reads of one page by paging state, and the cursor that resumes after it."""
    from ormada.query.cql_options import _page

    rows: list[Any] = []
    state = resume
    while len(rows) < size:  # a page may come back short (filtering scans) with more to follow
        page = yield from _page(db, queryset, size - len(rows), state)
        rows += page.rows
        state = page.paging_state
        if state is None:
            break
    # The server hands out a state after a full page even when no row follows; one row
    # read past it tells, so that the last page has no next_cursor.
    following = state
    while following is not None:
        peek = yield from _page(db, queryset, 1, following)
        if peek.rows:
            break
        following = state = peek.paging_state
    return CursorPage(rows, None if state is None else sign(state), None)


def _read_page(db: Database, qs: Any, keys: tuple[keyset.Key, ...], size: int, backward: bool, resumed: bool,
               sign: Callable[[list[Any]], str]) -> Operation:
    """The read of one cursor page (``size`` + 1 rows tell whether more follow) and its cursors."""
    info: ModelInfo = qs._info
    state, asked = qs.state, qs.state
    names = tuple(k.field for k in keys)
    if state.shape != "models":
        columns = state.columns or info.field_names
        extra = tuple(name for name in names if name not in columns)
        state = state.evolve(columns=columns + extra, shape="tuples")
    rows = yield from qs._fetch(db, state.evolve(limit=size + 1))
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
    boundary = _boundary_reader(info.name, asked, names, state.columns or ())
    items = rows if asked.shape == "models" else _as_asked(asked.shape, asked.columns or info.field_names, rows)
    if backward:
        next_cursor = sign(boundary(rows[-1])) if rows else None
        previous = sign(boundary(rows[0])) if rows and more else None
    else:
        next_cursor = sign(boundary(rows[-1])) if more else None
        previous = sign(boundary(rows[0])) if rows and resumed else None
    return CursorPage(items, next_cursor, previous)


def _boundary_reader(model: str, asked: QueryState, names: tuple[str, ...],
                     columns: tuple[str, ...]) -> Any:
    """A function giving a fetched row's ordering values, encoded for a cursor."""
    if asked.shape == "models":
        def of_instance(row: Any) -> list[Any]:
            return [cursors.encode_value(model, name, row.__dict__[name]) for name in names]

        return of_instance
    positions = [columns.index(name) for name in names]

    def of_tuple(row: Any) -> list[Any]:
        return [cursors.encode_value(model, name, row[i]) for name, i in zip(names, positions, strict=True)]

    return of_tuple


def _as_asked(shape: str, columns: tuple[str, ...], rows: list[Any]) -> list[Any]:
    """Rows read as tuples of the asked ``columns`` (then the ordering keys left out of
    them) in the shape asked: dicts, tuples or single values."""
    if shape == "tuples":
        width = len(columns)
        return [tuple(row[:width]) for row in rows]
    if shape == "flat":
        return [row[0] for row in rows]
    return [dict(zip(columns, row, strict=False)) for row in rows]
