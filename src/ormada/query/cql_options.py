"""The QuerySet options only Cassandra honours, kept apart from the rest of the query
language: other backends refuse them (``NotSupported``) when the query runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ormada import _hydrate as hydrate
from ormada.errors import NotSupported
from ormada.query._part import QuerySetPart
from ormada.query.resolve import column_of

if TYPE_CHECKING:
    from collections.abc import Generator
    from typing import Self

    from ormada.backends.base import Statement
    from ormada.database import Database


class CqlOptions(QuerySetPart):
    """Mixed into :class:`ormada.QuerySet`."""

    def options(self, **options: Any) -> Self:
        raise NotImplementedError  # QuerySet's

    def allow_filtering(self) -> Self:
        """Cassandra: allow filters that scan (``ALLOW FILTERING``)."""
        return self.options(allow_filtering=True)

    def ttl(self, seconds: int) -> Self:
        """Cassandra: the time-to-live of the values this query writes."""
        return self.options(ttl=seconds)

    def consistency(self, level: Any) -> Self:
        """Cassandra: the consistency level of this query."""
        return self.options(consistency=level)

    def timeout(self, seconds: float) -> Self:
        """Cassandra: the client-side timeout of this query."""
        return self.options(timeout=seconds)

    def timestamp(self, microseconds: int) -> Self:
        """Cassandra: the write timestamp (``USING TIMESTAMP``)."""
        return self.options(timestamp=microseconds)

    def per_partition_limit(self, n: int) -> Self:
        """Cassandra: at most ``n`` rows from each partition."""
        return self.options(per_partition_limit=n)

    def fetch_size(self, n: int) -> Self:
        """Cassandra: rows per page."""
        return self.options(fetch_size=n)

    def paging_state(self, state: bytes | None) -> Self:
        """Cassandra: resume reading from a page's paging state."""
        return self.options(paging_state=state)

    def if_(self, **conditions: Any) -> Self:
        """Cassandra: make update()/delete() conditional (lightweight transaction);
        they then return 1 if applied, 0 if not."""
        return self.options(if_=conditions)

    def if_exists(self) -> Self:
        """Cassandra: update()/delete() only a row that exists (``IF EXISTS``)."""
        return self.options(if_exists=True)

    def token(self, *, gt: int | None = None, gte: int | None = None, lt: int | None = None,
              lte: int | None = None) -> Self:
        """Cassandra: rows whose partition token lies in the range given."""
        bounds = {"token_gt": gt, "token_gte": gte, "token_lt": lt, "token_lte": lte}
        return self.options(**{k: v for k, v in bounds.items() if v is not None})

    def scan(self, splits: int) -> list[Self]:
        """Cassandra: one QuerySet per token range; together they read every row once."""
        from ormada.backends.cassandra.paging import scan_states

        queryset: Any = type(self)
        return [queryset(self.model, state) for state in scan_states(self.state, splits)]

    def ann_of(self, field: str, vector: list[float]) -> Self:
        """Cassandra: nearest neighbours of ``vector`` on a vector field (``ORDER BY … ANN OF``)."""
        column_of(self._info.name, self._info.table, field)
        return self.options(ann_of=(field, list(vector)))

    def page(self, size: int, paging_state: bytes | None = None) -> Any:
        """Cassandra: one page of ``size`` rows and the paging state that resumes after it."""
        db = self._db
        return db.run(_page(db, self, size, paging_state))

    async def apage(self, size: int, paging_state: bytes | None = None) -> Any:
        """The async twin of :meth:`page`."""
        db = self._db
        return await db.arun(_page(db, self, size, paging_state))


def _page(db: Database, qs: CqlOptions, size: int, paging_state: bytes | None) -> Generator[Statement, Any, Any]:
    if not db.backend.supports.extra.get("paging_state"):
        raise NotSupported(f"{db.backend.name} has no paging state; use slicing (qs[a:b]) or iterator()")
    from ormada.backends.cassandra.paging import Page, page_state  # only a backend with paging states gets here

    state = page_state(qs.state, size, paging_state)
    compiled = db.backend.select(qs._info, state)
    rows = yield compiled.statement
    shaped = hydrate.shape_rows(db.backend, qs._info, state.shape, compiled.columns, rows)
    return Page(shaped, getattr(rows, "paging_state", None))
