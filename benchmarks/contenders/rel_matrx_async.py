"""matrx-orm (async, PostgreSQL) on the relations workload, in its own Python 3.13 venv.

R1 ``Book.filter().select_related("author_id").all()`` (one LEFT JOIN; the author is read with
``get_related``); R5 ``Book.filter().join(Author, on=ColumnComparison(...)).filter(Like(...))``,
its typed JOIN (keyword lookups across a relation, ``author_id__name__startswith``, are refused
as unknown fields). What it cannot do, found by running it:

- ``select_related`` follows the queried model's own foreign keys only: a path such as
  ``author_id__country_id`` is silently dropped (the books come back without authors), so R2 is n/a;
- ``prefetch_related()`` is recorded on the QueryBuilder but nothing executes it, and the relation
  loaders (``fetch_ifk``, ``fetch_m2m``, ``fetch_one_relation``, ModelView ``prefetch``) run one
  query per parent instance: no batched prefetch, so R3, R4 and R6 are n/a.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from benchmarks.contenders import _matrx
from benchmarks.contenders._relcheck import r7
from benchmarks.contenders._relsql import ddl
from benchmarks.databases import Target
from benchmarks.rel_workload import Check

NO_NESTED = "select_related() follows only the queried model's own foreign keys; author_id__country_id is ignored"
NO_PREFETCH = ("prefetch_related() is recorded but never executed; relations load per instance "
               "(fetch_ifk / fetch_m2m: one query per parent), no batched prefetch")


def _models() -> dict[str, Any]:
    from matrx_orm import Model
    from matrx_orm.core.fields import CharField, DecimalField, ForeignKey, IntegerField

    def model(cls_name: str, table: str, /, **members: Any) -> Any:
        namespace = {"__module__": __name__, "_table_name": table, "_database": _matrx.DATABASE,
                     "id": IntegerField(primary_key=True), **members}
        return type(cls_name, (Model,), namespace)

    country = model("Country", "rel_country", name=CharField(max_length=255))
    author = model("Author", "rel_author", name=CharField(max_length=255),
                   country_id=ForeignKey(country, "id", related_name="authors"))
    book = model("Book", "rel_book", title=CharField(max_length=255),
                 author_id=ForeignKey(author, "id", related_name="books"))
    sale = model("Sale", "rel_sale", book_id=ForeignKey(book, "id", related_name="sales"), region=IntegerField(),
                 amount=DecimalField(max_digits=12, decimal_places=2))
    return {"country": country, "author": author, "book": book, "sale": sale}


class Contender:
    """matrx-orm, awaited one call at a time."""

    unsupported = {"R2": NO_NESTED, "R3": NO_PREFETCH, "R4": NO_PREFETCH, "R6": NO_PREFETCH}

    def __init__(self, target: Target) -> None:
        self.target = target
        _matrx.register(target)
        self.m = _models()

    async def setup(self) -> None:
        conn = await asyncpg.connect(self.target.url)
        try:
            for stmt in ddl("postgresql"):
                await conn.execute(stmt)
        finally:
            await conn.close()

    async def close(self) -> None:
        await _matrx.close()

    async def select_one(self) -> Check:
        books = await self.m["book"].filter().select_related("author_id").all()
        return len(books), sum(len(b.get_related("author_id").name) for b in books)

    async def select_two(self) -> Check:
        raise NotImplementedError(NO_NESTED)  # never called: listed in ``unsupported``

    async def prefetch_reverse(self) -> Check:
        raise NotImplementedError(NO_PREFETCH)

    async def prefetch_m2m(self, max_book_id: int) -> Check:
        raise NotImplementedError(NO_PREFETCH)

    async def filter_across(self, prefix: str) -> Check:
        from matrx_orm.core.expressions import ColumnComparison, F, Like

        book, author = self.m["book"], self.m["author"]
        on = ColumnComparison(F("rel_author.id"), "=", F("rel_book.author_id"))
        books = await book.filter().join(author, on=on).filter(Like(F("rel_author.name"), prefix + "%")).all()
        return len(books), sum(b.author_id for b in books)

    async def aggregate_groups(self) -> Check:
        from matrx_orm.core.expressions import Count, Sum

        query = self.m["sale"].filter().annotate(total=Sum("amount"), n=Count("id")).group_by("region")
        groups = await query.values("region", "total", "n")
        return r7([(g["region"], g["total"], g["n"]) for g in groups])
