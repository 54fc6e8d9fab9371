"""``Repository[Book]``: a thin, typed layer over :class:`~ormada.QuerySet`, for code that
keeps its data access behind repositories.

>>> class BookRepository(Repository[Book]):
...     def classics(self) -> list[Book]:            # a custom query
...         return self.query().filter(year__lt=1970).order_by("year").all()
>>> books = BookRepository()
>>> book = books.add(Book(title="Kindred", year=1979))
>>> page = books.list({"year__gte": 1960}, order=["-year"], page=1, per_page=20)

It adds no behaviour of its own: each method is one call of the model or of a QuerySet,
with the same hooks, signals, routing and errors, sync and async (``get``/``aget``…).
Every method is typed with the repository's model, so a type checker sees ``Book`` come
out of ``BookRepository().get(id=1)``.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar, get_args, get_origin, overload

from ormada.errors import ConfigurationError
from ormada.model import Model
from ormada.pagination import CursorPage, NumberedPage, Paginator
from ormada.query.expressions import Q
from ormada.query.queryset import QuerySet

__all__ = ["Filters", "Repository"]

M = TypeVar("M", bound=Model)

#: What ``list``, ``count``, ``exists`` and ``paginate`` filter by: lookups by name
#: (``{"year__gte": 1960}``), a ``Q`` object, or None for every row.
Filters = Mapping[str, Any] | Q | None


class Repository(Generic[M]):
    """The rows of one model, behind a repository.

    ``Repository(Book)`` makes one; a subclass of ``Repository[Book]`` knows its model from
    that, and adds its own queries with :meth:`query`. A subclass may override :meth:`query`
    to narrow every read (say, to one tenant's rows, or with ``using("replica")``).

    Args:
        model: The model class; a subclass of ``Repository[Book]`` may leave it out.

    Raises:
        ConfigurationError: no model was given and the class names none.
    """

    model: type[M]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "model" in cls.__dict__:
            return
        for base in getattr(cls, "__orig_bases__", ()):
            origin, args = get_origin(base), get_args(base)
            if isinstance(origin, type) and issubclass(origin, Repository) and args and \
                    isinstance(args[0], type) and issubclass(args[0], Model):
                type.__setattr__(cls, "model", args[0])
                return

    def __init__(self, model: type[M] | None = None) -> None:
        if model is None:
            model = getattr(type(self), "model", None)
            if model is None:
                raise ConfigurationError(f"{type(self).__name__} has no model: give one (Repository(Book)) or "
                                         "subclass Repository[Book]")
        self.model = model

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.model.__name__}>"

    # -- queries -------------------------------------------------------------
    def query(self) -> QuerySet[M]:
        """A QuerySet of every row the repository covers: what custom queries start from."""
        return QuerySet(self.model)

    def _filtered(self, filters: Filters, order: Sequence[str] = ()) -> QuerySet[M]:
        queryset = self.query()
        if isinstance(filters, Q):
            queryset = queryset.filter(filters)
        elif filters:
            queryset = queryset.filter(**filters)
        return queryset.order_by(*order) if order else queryset

    # -- reads ----------------------------------------------------------------
    def get(self, *q: Q, **lookups: Any) -> M:
        """The one matching row.

        Raises:
            Model.DoesNotExist: no row matches.
            Model.MultipleObjectsReturned: more than one does.
        """
        return self.query().get(*q, **lookups)

    async def aget(self, *q: Q, **lookups: Any) -> M:
        """The async twin of :meth:`get`."""
        return await self.query().aget(*q, **lookups)

    def get_or_none(self, *q: Q, **lookups: Any) -> M | None:
        """The one matching row, or None."""
        return self.query().get_or_none(*q, **lookups)

    async def aget_or_none(self, *q: Q, **lookups: Any) -> M | None:
        """The async twin of :meth:`get_or_none`."""
        return await self.query().aget_or_none(*q, **lookups)

    @overload
    def list(self, filters: Filters = ..., order: Sequence[str] = ..., page: None = ...,
             per_page: int = ...) -> builtins.list[M]: ...

    @overload
    def list(self, filters: Filters, order: Sequence[str], page: int, per_page: int = ...) -> NumberedPage[M]: ...

    @overload
    def list(self, filters: Filters = ..., order: Sequence[str] = ..., *, page: int,
             per_page: int = ...) -> NumberedPage[M]: ...

    def list(self, filters: Filters = None, order: Sequence[str] = (), page: int | None = None,
             per_page: int = 20) -> builtins.list[M] | NumberedPage[M]:
        """The matching rows in ``order`` (``["-year", "title"]``): all of them, or with
        ``page``, that numbered page of ``per_page`` rows (:class:`ormada.Paginator`).

        Raises:
            EmptyPage: ``page`` is below 1 or past the last page.
        """
        queryset = self._filtered(filters, order)
        if page is None:
            return queryset.all()
        return Paginator(queryset, per_page).page(page)

    @overload
    async def alist(self, filters: Filters = ..., order: Sequence[str] = ..., page: None = ...,
                    per_page: int = ...) -> builtins.list[M]: ...

    @overload
    async def alist(self, filters: Filters, order: Sequence[str], page: int,
                    per_page: int = ...) -> NumberedPage[M]: ...

    @overload
    async def alist(self, filters: Filters = ..., order: Sequence[str] = ..., *, page: int,
                    per_page: int = ...) -> NumberedPage[M]: ...

    async def alist(self, filters: Filters = None, order: Sequence[str] = (), page: int | None = None,
                    per_page: int = 20) -> builtins.list[M] | NumberedPage[M]:
        """The async twin of :meth:`list`."""
        queryset = self._filtered(filters, order)
        if page is None:
            return await queryset.aall()
        return await Paginator(queryset, per_page).apage(page)

    def paginate(self, filters: Filters = None, order: Sequence[str] = (), size: int = 20, *,
                 after: str | None = None, before: str | None = None) -> CursorPage[M]:
        """A page of ``size`` matching rows by cursor (``QuerySet.paginate()``): the first, or
        the one after ``after`` / before ``before`` (a page's ``next_cursor`` /
        ``previous_cursor``). Its cost does not grow with depth."""
        page: CursorPage[M] = self._filtered(filters, order).paginate(size, after=after, before=before)
        return page

    async def apaginate(self, filters: Filters = None, order: Sequence[str] = (), size: int = 20, *,
                        after: str | None = None, before: str | None = None) -> CursorPage[M]:
        """The async twin of :meth:`paginate`."""
        page: CursorPage[M] = await self._filtered(filters, order).apaginate(size, after=after, before=before)
        return page

    def count(self, filters: Filters = None) -> int:
        """How many rows match."""
        return self._filtered(filters).count()

    async def acount(self, filters: Filters = None) -> int:
        """The async twin of :meth:`count`."""
        return await self._filtered(filters).acount()

    def exists(self, filters: Filters = None) -> bool:
        """Whether any row matches."""
        return self._filtered(filters).exists()

    async def aexists(self, filters: Filters = None) -> bool:
        """The async twin of :meth:`exists`."""
        return await self._filtered(filters).aexists()

    # -- writes ---------------------------------------------------------------
    def add(self, instance: M) -> M:
        """Stores a new instance (``instance.save()``) and returns it, its generated key filled in."""
        return instance.save()

    async def aadd(self, instance: M) -> M:
        """The async twin of :meth:`add`."""
        return await instance.asave()

    def add_many(self, instances: Sequence[M], batch_size: int | None = None) -> builtins.list[M]:
        """Stores many new instances at once, all or nothing (``Model.bulk_create``)."""
        return self.model.bulk_create(instances, batch_size)

    async def aadd_many(self, instances: Sequence[M], batch_size: int | None = None) -> builtins.list[M]:
        """The async twin of :meth:`add_many`."""
        return await self.model.abulk_create(instances, batch_size)

    def update(self, instance: M, **fields: Any) -> M:
        """Writes ``fields`` (validated) of a stored instance, or with none, whatever changed on it."""
        return instance.update(**fields) if fields else instance.save()

    async def aupdate(self, instance: M, **fields: Any) -> M:
        """The async twin of :meth:`update`."""
        return await (instance.aupdate(**fields) if fields else instance.asave())

    def delete(self, instance: M) -> int:
        """Deletes the instance's row; returns 1, or 0 if it was already gone."""
        return instance.delete()

    async def adelete(self, instance: M) -> int:
        """The async twin of :meth:`delete`."""
        return await instance.adelete()
