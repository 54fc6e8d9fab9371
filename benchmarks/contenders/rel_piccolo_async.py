"""Piccolo (async) on the relations workload: SQLiteEngine (aiosqlite) / PostgresEngine (asyncpg pool).

R1 ``Book.objects(Book.author)`` and R2 ``Book.objects(Book.author.country)`` (nested objects from
JOINs); R4 ``Book.select(..., Book.tags(Tag.id, Tag.name))``, Piccolo's many-to-many read, which
returns dicts with a list of tag dicts (its objects have no many-to-many prefetch, only
``get_m2m`` per instance); R5 ``Book.objects().where(Book.author.name.like(p + "%"))``. Piccolo
cannot load the reverse side of a foreign key (no ``author.books``), so R3 and R6 are n/a.
The key columns keep the workload's names through ``db_column_name``.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from piccolo.columns import M2M, ForeignKey, Integer, LazyTableReference, Numeric, Varchar
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.query.functions.aggregate import Count, Sum
from piccolo.table import Table

from benchmarks.contenders._relcheck import r1, r2, r7
from benchmarks.databases import Target
from benchmarks.rel_workload import Check

_MODULE = "benchmarks.contenders._piccolo_rel"
NO_REVERSE = "Piccolo has no reverse foreign-key loading (no author.books; only M2M and forward joins)"


def _tables(engine: Any) -> types.ModuleType:
    module = types.ModuleType(_MODULE)
    sys.modules[_MODULE] = module

    def table(cls_name: str, tablename: str, /, **members: Any) -> Any:
        cls = type(cls_name, (Table,), {"__module__": _MODULE, **members}, tablename=tablename, db=engine)
        setattr(module, cls_name, cls)
        return cls

    def fk(references: Any, column: str) -> ForeignKey[Any]:
        return ForeignKey(references=references, db_column_name=column)

    country = table("Country", "rel_country", name=Varchar(255))
    author = table("Author", "rel_author", name=Varchar(255), country=fk(country, "country_id"))
    tag = table("Tag", "rel_tag", name=Varchar(255))
    book = table("Book", "rel_book", title=Varchar(255), author=fk(author, "author_id"),
                 tags=M2M(LazyTableReference("BookTag", module_path=_MODULE)))
    table("BookTag", "rel_book_tag", book=fk(book, "book_id"), tag=fk(tag, "tag_id"))
    table("Award", "rel_award", name=Varchar(255), author=fk(author, "author_id"))
    table("Address", "rel_address", city=Varchar(255), author=fk(author, "author_id"))
    table("Sale", "rel_sale", book=fk(book, "book_id"), region=Integer(), amount=Numeric(digits=(12, 2)))
    return module


class Contender:
    """Piccolo, awaited one call at a time."""

    unsupported = {"R3": NO_REVERSE, "R6": NO_REVERSE, "R8": NO_REVERSE + "; a count per author would have "
                   "to group Book by author, which leaves out authors without books"}

    def __init__(self, target: Target) -> None:
        self.target = target
        if target.db == "sqlite":
            self.engine: Any = SQLiteEngine(path=target.sqlite_path)
        else:
            self.engine = PostgresEngine(config=target.pg)
        self.t: Any = _tables(self.engine)

    async def setup(self) -> None:
        if self.target.db == "postgresql":
            await self.engine.start_connection_pool()
        t = self.t
        for table in (t.Country, t.Author, t.Tag, t.Book, t.BookTag, t.Award, t.Address, t.Sale):
            await table.create_table()

    async def close(self) -> None:
        if self.target.db == "postgresql":
            await self.engine.close_connection_pool()

    async def select_one(self) -> Check:
        return r1(await self.t.Book.objects(self.t.Book.author))

    async def select_two(self) -> Check:
        return r2(await self.t.Book.objects(self.t.Book.author.country))

    async def prefetch_reverse(self) -> Check:
        raise NotImplementedError(NO_REVERSE)  # never called: listed in ``unsupported``

    async def prefetch_m2m(self, max_book_id: int) -> Check:
        book, tag = self.t.Book, self.t.Tag
        rows = await book.select(book.id, book.title, book.author, book.tags(tag.id, tag.name)).where(
            book.id <= max_book_id)
        return len(rows), sum(len(r["tags"]) for r in rows)

    async def filter_across(self, prefix: str) -> Check:
        book = self.t.Book
        books = await book.objects().where(book.author.name.like(prefix + "%"))
        # A Piccolo object holds the foreign key's value under the relation's name.
        return len(books), sum(b.author for b in books)

    async def aggregate_groups(self) -> Check:
        sale = self.t.Sale
        rows = await sale.select(sale.region, Sum(sale.amount, alias="total"), Count(sale.id, alias="n")
                                 ).group_by(sale.region)
        return r7([(r["region"], r["total"], r["n"]) for r in rows])
