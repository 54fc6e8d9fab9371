"""The QuerySet over combined rows (``union()``, ``intersection()``, ``difference()``):
what it refuses (filters and the rest belong on the parts) and how it orders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from ormada._read_checks import METHODS
from ormada.errors import QueryError
from ormada.query.state import OrderBy, QueryState

if TYPE_CHECKING:
    from typing import Self

    from ormada._info import ModelInfo

T = TypeVar("T", bound=type)


class CombinedMethods:
    """What a QuerySet over the combined rows of several queries does differently (see
    :meth:`QuerySet.union`): :func:`combined_type` puts it in front of the QuerySet class,
    so this module needs neither that class nor the mixin that builds combinations."""

    __slots__ = ()

    if TYPE_CHECKING:  # QuerySet's, which comes after this class in the combined type's MRO
        state: QueryState

        @property
        def _info(self) -> ModelInfo: ...

        def _clone(self, **changes: Any) -> Self: ...

    def _refuse(self, what: str, instead: str = "") -> NoReturn:
        combination = self.state.combined
        method = METHODS[combination.operator] if combination is not None else "union"
        instead = instead or f"filter the parts before combining them: a.filter(…).{method}(b.filter(…))"
        raise QueryError(f"{self._info.name}: {what} on the result of {method}() is not supported; {instead}")

    def filter(self, *q: Any, **lookups: Any) -> Self:
        self._refuse("filter()")

    def exclude(self, *q: Any, **lookups: Any) -> Self:
        self._refuse("exclude()")

    def annotate(self, **named: Any) -> Self:
        self._refuse("annotate()", "annotate the parts' values() instead")

    def select_related(self, *paths: str | None) -> Self:
        self._refuse("select_related()", "use prefetch_related(), which works on combined rows")

    def only(self, *fields: str) -> Self:
        self._refuse("only()", "choose the fields of the parts")

    def defer(self, *fields: str) -> Self:
        self._refuse("defer()", "choose the fields of the parts")

    def values(self, *fields: str) -> Any:
        self._refuse("values()", "call values() on each part")

    def values_list(self, *fields: str, flat: bool = False) -> Any:
        self._refuse("values_list()", "call values_list() on each part")

    def distinct(self, *fields: str) -> Self:
        self._refuse("distinct()", "union() already drops duplicate rows (union(all=True) keeps them)")

    def select_for_update(self, nowait: bool = False, skip_locked: bool = False, of: Any = (),
                          no_key: bool = False) -> Self:
        self._refuse("select_for_update()", "lock the rows by key in a query of their own")

    def update(self, **values: Any) -> int:
        self._refuse("update()", "update each part, or the rows by key (filter(pk__in=…))")

    async def aupdate(self, **values: Any) -> int:
        self._refuse("aupdate()", "update each part, or the rows by key (filter(pk__in=…))")

    def delete(self, columns: tuple[str, ...] = ()) -> int:
        self._refuse("delete()", "delete through each part, or the rows by key (filter(pk__in=…))")

    async def adelete(self, columns: tuple[str, ...] = ()) -> int:
        self._refuse("adelete()", "delete through each part, or the rows by key (filter(pk__in=…))")

    def aggregate(self, *args: Any, **named: Any) -> dict[str, Any]:
        self._refuse("aggregate()", "aggregate each part, or read the combined rows and aggregate them in Python")

    async def aaggregate(self, *args: Any, **named: Any) -> dict[str, Any]:
        self._refuse("aaggregate()", "aggregate each part, or read the combined rows and aggregate them in Python")

    def as_subquery(self, lookup: str) -> Any:
        self._refuse("a subquery", "use the parts' keys")

    def order_by(self, *fields: str) -> Self:
        """Sorts the combined rows by their columns, named as in the first part."""
        names = self.state.columns or ()
        for name in fields:
            if name.lstrip("-+") not in names:
                self._refuse(f"order_by({name!r})", f"order by the combined rows' columns ({', '.join(names)})")
        return self._clone(order_by=tuple(OrderBy(name.lstrip("-+"), name.startswith("-")) for name in fields))

    def _default_order(self) -> tuple[OrderBy, ...]:
        return default_order_of(self._info, self.state.columns or ())


_COMBINED: dict[type, type] = {}


def combined_type(queryset: T) -> T:
    """``queryset`` (a QuerySet class) with :class:`CombinedMethods` in front, made once per class."""
    if issubclass(queryset, CombinedMethods):  # a combination of combinations
        return queryset
    made = _COMBINED.get(queryset)
    if made is None:
        made = _COMBINED[queryset] = type(f"Combined{queryset.__name__}", (CombinedMethods, queryset),
                                          {"__slots__": ()})
    return made  # type: ignore[return-value]


def default_order_of(info: ModelInfo, columns: tuple[str, ...]) -> tuple[OrderBy, ...]:
    """The order first()/last() use on combined rows: the primary key where the rows hold
    it, else their first column."""
    if info.pk and all(name in columns for name in info.pk):
        return tuple(OrderBy(name) for name in info.pk)
    return (OrderBy(columns[0]),)
