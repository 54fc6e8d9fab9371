"""ormada (async) on the relations workload: aiosqlite / asyncpg.

The same queries as the sync contender, awaited (``await qs``); R6 is
``await Author.prefetch_related("books", "awards", "addresses")`` against each of the three alone.
"""

from __future__ import annotations

from typing import Any

import ormada
from benchmarks.contenders._rel_ormada_models import (
    UNSUPPORTED,
    Author,
    Book,
    Sale,
)
from benchmarks.contenders._relcheck import r1, r2, r5, r7, r8, r9, related
from benchmarks.databases import Target
from benchmarks.rel_workload import R6_RELATIONS, Check
from ormada import Count, RowNumber, Sum, Window


class Contender:
    """ormada, async, awaited one call at a time."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.db: Any = None
        self.unsupported = UNSUPPORTED

    async def setup(self) -> None:
        self.db = ormada.connect(self.target.url)
        # No model list: every model bound to the database, the junction ormada defines for
        # Book.tags too (this process defines no others).
        await self.db.adrop_all()
        await self.db.acreate_all()

    async def close(self) -> None:
        await self.db.aclose()

    async def select_one(self) -> Check:
        return r1(await Book.select_related("author"))

    async def select_two(self) -> Check:
        return r2(await Book.select_related("author__country"))

    async def prefetch_reverse(self) -> Check:
        return related(await Author.prefetch_related("books"), "books")

    async def prefetch_m2m(self, max_book_id: int) -> Check:
        return related(await Book.filter(id__lte=max_book_id).prefetch_related("tags"), "tags")

    async def filter_across(self, prefix: str) -> Check:
        return r5(await Book.filter(author__name__startswith=prefix))

    async def prefetch_single(self, relation: str) -> Check:
        return related(await Author.prefetch_related(relation), relation)

    async def prefetch_three(self) -> Check:
        authors = await Author.prefetch_related(*R6_RELATIONS)
        return len(authors), sum(related(authors, name)[1] for name in R6_RELATIONS)

    async def aggregate_groups(self) -> Check:
        groups = await Sale.values("region").annotate(total=Sum("amount"), n=Count("id"))
        return r7([(g["region"], g["total"], g["n"]) for g in groups])

    async def annotate_count(self) -> Check:
        return r8(await Author.annotate(n=Count("books")))

    async def window_rank(self) -> Check:
        ranked = Sale.query().annotate(r=Window(RowNumber(), partition_by="region", order_by=["-amount", "id"]))
        return r9(await ranked.filter(r=1))
