"""What the mixins of :class:`ormada.QuerySet` use of it, typed once for all of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Self

    from ormada._info import ModelInfo
    from ormada.database import Database
    from ormada.query.state import QueryState


class QuerySetPart:
    """The base of every QuerySet mixin: the attributes QuerySet itself provides."""

    __slots__ = ()
    model: Any
    state: QueryState

    @property
    def _info(self) -> ModelInfo:
        raise NotImplementedError  # QuerySet's

    @property
    def _db(self) -> Database:
        raise NotImplementedError  # QuerySet's (Routing's)

    def _clone(self, **changes: Any) -> Self:
        raise NotImplementedError  # QuerySet's
