"""Pagination: numbered pages (:class:`Paginator`, by OFFSET) and cursor pages
(``QuerySet.paginate()``, by keyset or, on Cassandra, by the server's paging state).

Numbered pages suit a page picker ("page 3 of 12"); their cost grows with the page
number, since the database reads and skips the rows before the page. Cursor pages cost
the same at any depth and stay correct while rows are inserted, but only go to the next
or the previous page.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ormada.errors import EmptyPage, NotSupported, PageNotAnInteger, QueryError
from ormada.query.state import OrderBy

T = TypeVar("T")

__all__ = ["CursorPage", "NumberedPage", "Paginator", "UnorderedPaginationWarning"]


class UnorderedPaginationWarning(UserWarning):
    """Numbered pages of a QuerySet with no ``order_by()``: the paginator orders them by
    primary key, which may not be the order meant."""


@dataclass(frozen=True)
class NumberedPage(Generic[T]):
    """One page of a :class:`Paginator`.

    Attributes:
        items: The rows of the page (instances, dicts, tuples… as the QuerySet reads them).
        number: Its number, from 1.
        count: How many rows all the pages hold together.
        num_pages: How many pages there are.
        page_size: The paginator's rows per page.
    """

    items: list[T]
    number: int
    count: int
    num_pages: int
    page_size: int
    orphans: int = 0

    @property
    def has_next(self) -> bool:
        """Whether a page follows this one."""
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        """Whether a page comes before this one."""
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        """Whether there is more than this page."""
        return self.has_next or self.has_previous

    @property
    def next_page_number(self) -> int | None:
        """The number of the next page, or None on the last one."""
        return self.number + 1 if self.has_next else None

    @property
    def previous_page_number(self) -> int | None:
        """The number of the previous page, or None on the first one."""
        return self.number - 1 if self.has_previous else None

    @property
    def start_index(self) -> int:
        """The 1-based position of the page's first row among all rows (0 when there are none)."""
        return 0 if self.count == 0 else (self.number - 1) * self.page_size + 1

    @property
    def end_index(self) -> int:
        """The 1-based position of the page's last row among all rows (0 when there are none)."""
        return 0 if self.count == 0 else self.start_index + len(self.items) - 1

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"<Page {self.number} of {self.num_pages}>"


@dataclass(frozen=True)
class CursorPage(Generic[T]):
    """One page of ``QuerySet.paginate()``.

    Attributes:
        items: The rows of the page.
        next_cursor: Pass it as ``after=`` for the next page; None on the last page.
        previous_cursor: Pass it as ``before=`` for the previous page; None on the first
            page (and always on Cassandra, whose paging state only goes forward).
    """

    items: list[T]
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def has_next(self) -> bool:
        """Whether a page follows this one."""
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        """Whether a page comes before this one."""
        return self.previous_cursor is not None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class Paginator(Generic[T]):
    """Numbered pages of a QuerySet: ``Paginator(Book.order_by("-year"), 20).page(3)``.

    The QuerySet's ordering decides what each page holds; the primary key is added to it
    as a tie-breaker, so rows that tie (two books of one year) never move from one page
    to another between requests. A QuerySet with no ordering at all is paged by primary
    key, with an :class:`ormada.UnorderedPaginationWarning`.

    The row count is read once, on the first ``page()``, ``count()`` or ``num_pages()``
    (or their async twins), and kept: make a paginator per request.

    Args:
        queryset: The rows to page through; it may be filtered, sliced, or read as values.
        page_size: Rows per page (at least 1).
        orphans: When the last page would hold this many rows or fewer, they join the page before.
        allow_empty_first_page: Whether page 1 of no rows is a page (True) or an ``EmptyPage``.

    Raises:
        QueryError: ``page_size`` or ``orphans`` is not a whole number in range.
        NotSupported: the backend has no OFFSET (Cassandra): use ``QuerySet.paginate()``.
    """

    def __init__(self, queryset: Any, page_size: int, *, orphans: int = 0,
                 allow_empty_first_page: bool = True) -> None:
        name = queryset.model.__name__
        if not _whole(page_size) or page_size < 1:
            raise QueryError(f"Paginator of {name}: page_size takes a whole number of 1 or more, not {page_size!r}")
        if not _whole(orphans) or not 0 <= orphans < page_size:
            raise QueryError(f"Paginator of {name}: orphans takes a whole number from 0 to page_size - 1 "
                             f"({page_size - 1}), not {orphans!r}")
        backend = queryset._db.backend
        if backend.supports.extra.get("offset") is False:
            raise NotSupported(f"Paginator of {name}: {backend.name} has no OFFSET, so pages cannot be numbered; "
                               "page with cursors instead: qs.paginate(size, after=page.next_cursor)")
        self.queryset = _stable(queryset)
        self.page_size = page_size
        self.orphans = orphans
        self.allow_empty_first_page = allow_empty_first_page
        self._count: int | None = None

    # -- the count ---------------------------------------------------------------
    def count(self) -> int:
        """How many rows all the pages hold (read once, then kept)."""
        if self._count is None:
            self._count = int(self.queryset.count())
        return self._count

    async def acount(self) -> int:
        """The async twin of :meth:`count`."""
        if self._count is None:
            self._count = int(await self.queryset.acount())
        return self._count

    def num_pages(self) -> int:
        """How many pages there are (reads the count the first time)."""
        return self._pages(self.count())

    async def anum_pages(self) -> int:
        """The async twin of :meth:`num_pages`."""
        return self._pages(await self.acount())

    def _pages(self, count: int) -> int:
        if count == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, math.ceil(max(1, count - self.orphans) / self.page_size))

    # -- pages -------------------------------------------------------------------
    def page(self, number: int) -> NumberedPage[Any]:
        """Page ``number`` (from 1).

        Raises:
            PageNotAnInteger: ``number`` is not an int.
            EmptyPage: ``number`` is below 1 or past the last page.
        """
        self._check_number(number)
        window = self._window(number, self.count())
        return self._page(number, window.all())

    async def apage(self, number: int) -> NumberedPage[Any]:
        """The async twin of :meth:`page`."""
        self._check_number(number)
        window = self._window(number, await self.acount())
        return self._page(number, await window.aall())

    def _check_number(self, number: object) -> None:
        name = self.queryset.model.__name__
        if not _whole(number):
            raise PageNotAnInteger(f"Paginator of {name}: a page number is an int, not {number!r}"
                                   + ("; convert it with int()" if isinstance(number, str) else ""))
        if number < 1:  # type: ignore[operator]
            raise EmptyPage(f"Paginator of {name}: page numbers start at 1, not {number!r}")

    def _window(self, number: int, count: int) -> Any:
        pages = self._pages(count)
        if number > pages and not (number == 1 and self.allow_empty_first_page):
            name = self.queryset.model.__name__
            what = "there are no rows" if count == 0 else f"the last page is {pages} ({count} rows)"
            raise EmptyPage(f"Paginator of {name}: page {number} does not exist; {what}")
        bottom = (number - 1) * self.page_size
        top = bottom + self.page_size
        if top + self.orphans >= count:
            top = count
        return self.queryset[bottom:max(top, bottom)]

    def _page(self, number: int, items: list[Any]) -> NumberedPage[Any]:
        assert self._count is not None
        return NumberedPage(items, number, self._count, self._pages(self._count), self.page_size, self.orphans)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _stable(queryset: Any) -> Any:
    """The QuerySet ordered so that its pages never share or lose a row: its own ordering
    with the primary key after it (where the read allows: not inside groups, nor after
    DISTINCT on columns that leave the key out)."""
    state, info = queryset.state, queryset._info
    pk = info.pk
    if not state.order_by:
        if state.group_by is not None:
            raise QueryError(f"Paginator of {info.name}: grouped rows (values(...).annotate(...)) need an "
                             "order_by() to be paged; with none, a group may show on two pages or on none")
        warnings.warn(f"Paginator of {info.name}: the QuerySet has no order_by(), so its pages are ordered by "
                      f"primary key ({', '.join(pk)}); call order_by() to choose the order",
                      UnorderedPaginationWarning, stacklevel=3)
        return queryset._clone(order_by=tuple(OrderBy(name) for name in pk))
    columns = state.columns
    reads_key = columns is None or state.shape == "models" or all(name in columns for name in pk)
    if state.group_by is not None or (state.distinct and not reads_key):
        return queryset
    named = {item.field for item in state.order_by}
    missing = tuple(OrderBy(name) for name in pk if name not in named)
    return queryset._clone(order_by=state.order_by + missing) if missing else queryset
