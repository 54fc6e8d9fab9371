"""``RawQuerySet``: model instances from a user's own SELECT (``Model.raw(sql, params)``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ormada._raw import raw_read
from ormada._registry import info_of
from ormada.database import get_database
from ormada.errors import QueryError

if TYPE_CHECKING:
    from pydantic import BaseModel

M = TypeVar("M", bound="BaseModel")


class RawQuerySet(Generic[M]):
    """The instances a raw SELECT reads, mapped to fields by column name; nothing is sent
    until it is iterated, awaited or read with ``all()`` / ``aall()``. Each read runs the
    statement again (inside the current transaction, if any).

    >>> Book.raw("SELECT * FROM books WHERE year > :year ORDER BY year", {"year": 1970}).all()
    """

    __slots__ = ("model", "params", "sql")

    def __init__(self, model: type[M], sql: str, params: dict[str, Any] | None = None) -> None:
        info = info_of(model)
        if not isinstance(sql, str):
            raise QueryError(f"{info.name}.raw() takes the SQL text first, not {sql!r}")
        if params is not None and not isinstance(params, dict):
            raise QueryError(f"{info.name}.raw() takes named parameters as a dict: "
                             f"raw('... WHERE id = :id', {{'id': 1}}), not {params!r}")
        self.model = model
        self.sql = sql
        self.params = params

    def __repr__(self) -> str:
        return f"<RawQuerySet {self.model.__name__} {self.sql!r}>"

    def all(self) -> list[M]:
        """Runs the statement; every row as an instance."""
        info = info_of(self.model)
        db = get_database(info.options.database)
        return db.run(raw_read(db.backend, info, self.sql, self.params))

    async def aall(self) -> list[M]:
        """The async twin of :meth:`all`."""
        info = info_of(self.model)
        db = get_database(info.options.database)
        return await db.arun(raw_read(db.backend, info, self.sql, self.params))

    def __iter__(self) -> Iterator[M]:
        return iter(self.all())

    async def __aiter__(self) -> AsyncIterator[M]:
        for item in await self.aall():
            yield item

    def __await__(self) -> Generator[Any, None, list[M]]:
        return self.aall().__await__()
