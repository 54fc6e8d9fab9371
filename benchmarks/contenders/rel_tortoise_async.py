"""Tortoise ORM (async) on the relations workload: aiosqlite / asyncpg.

R1 ``Book.all().select_related("author")``, R2 ``select_related("author__country")``, R3
``Author.all().prefetch_related("books")``, R4 ``prefetch_related("tags")`` through a Tortoise
many-to-many on ``rel_book_tag``, R5 ``Book.filter(author__name__startswith=p)``, R6
``prefetch_related("books", "awards", "addresses")``, R7 ``Sale.annotate(total=Sum("amount"),
n=Count("id")).group_by("region").values_list(...)``, R8 ``Author.annotate(n=Count("books"))``, R9
``Sale.raw(...)`` (no window functions in Tortoise: the ROW_NUMBER() sub-select by hand).
The models live in a generated module, as in ``tortoise_async``.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from tortoise import Tortoise, fields
from tortoise.functions import Count, Sum
from tortoise.models import Model

from benchmarks.contenders._rawsql import qmark
from benchmarks.contenders._relcheck import r1, r2, r5, r7, r8, r9
from benchmarks.contenders._relsql import build
from benchmarks.databases import Target
from benchmarks.rel_workload import R6_RELATIONS, Check

_MODULE = "benchmarks.contenders._tortoise_rel"


def _module() -> types.ModuleType:
    module = types.ModuleType(_MODULE)

    def model(cls_name: str, table: str, /, **members: Any) -> Any:
        meta = type("Meta", (), {"table": table})
        namespace = {"__module__": _MODULE, "Meta": meta, "id": fields.IntField(primary_key=True), **members}
        cls = type(cls_name, (Model,), namespace)
        setattr(module, cls_name, cls)
        return cls

    def fk(to: str, related_name: str) -> Any:
        return fields.ForeignKeyField(f"models.{to}", related_name=related_name)

    model("Country", "rel_country", name=fields.CharField(max_length=255))
    model("Author", "rel_author", name=fields.CharField(max_length=255), country=fk("Country", "authors"))
    model("Tag", "rel_tag", name=fields.CharField(max_length=255))
    model("Book", "rel_book", title=fields.CharField(max_length=255), author=fk("Author", "books"),
          tags=fields.ManyToManyField("models.Tag", through="rel_book_tag", forward_key="tag_id",
                                      backward_key="book_id", related_name="books"))
    model("Award", "rel_award", name=fields.CharField(max_length=255), author=fk("Author", "awards"))
    model("Address", "rel_address", city=fields.CharField(max_length=255), author=fk("Author", "addresses"))
    model("Sale", "rel_sale", book=fk("Book", "sales"), region=fields.IntField(),
          amount=fields.DecimalField(max_digits=12, decimal_places=2))
    sys.modules[_MODULE] = module
    return module


def _attached(owners: list[Any], name: str) -> Check:
    # A prefetched relation is a ReverseRelation / ManyToManyRelation holding the rows; len() reads them.
    return len(owners), sum(len(getattr(o, name)) for o in owners)


class Contender:
    """Tortoise ORM, awaited one call at a time."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.m: Any = _module()

    async def setup(self) -> None:
        if self.target.db == "sqlite":
            db_url = f"sqlite://{self.target.sqlite_path}"
        else:
            db_url = self.target.url.replace("postgresql://", "asyncpg://", 1)
        await Tortoise.init(db_url=db_url, modules={"models": [_MODULE]})
        await Tortoise.generate_schemas()

    async def close(self) -> None:
        await Tortoise.close_connections()

    async def select_one(self) -> Check:
        return r1(await self.m.Book.all().select_related("author"))

    async def select_two(self) -> Check:
        return r2(await self.m.Book.all().select_related("author__country"))

    async def prefetch_reverse(self) -> Check:
        return _attached(await self.m.Author.all().prefetch_related("books"), "books")

    async def prefetch_m2m(self, max_book_id: int) -> Check:
        return _attached(await self.m.Book.filter(id__lte=max_book_id).prefetch_related("tags"), "tags")

    async def filter_across(self, prefix: str) -> Check:
        return r5(await self.m.Book.filter(author__name__startswith=prefix))

    async def prefetch_single(self, relation: str) -> Check:
        return _attached(await self.m.Author.all().prefetch_related(relation), relation)

    async def prefetch_three(self) -> Check:
        authors = await self.m.Author.all().prefetch_related(*R6_RELATIONS)
        return len(authors), sum(_attached(authors, name)[1] for name in R6_RELATIONS)

    async def aggregate_groups(self) -> Check:
        query = self.m.Sale.annotate(total=Sum("amount"), n=Count("id")).group_by("region")
        return r7(await query.values_list("region", "total", "n"))

    async def annotate_count(self) -> Check:
        return r8(await self.m.Author.annotate(n=Count("books")))

    async def window_rank(self) -> Check:
        # Tortoise has no window functions: its documented way is Model.raw(), objects from hand-written SQL.
        return r9(list(await self.m.Sale.raw(build(self.target.db, qmark).best_sales)))
