"""peewee (sync) on the relations workload: SqliteDatabase / PostgresqlExtDatabase (psycopg 3).

R1 ``Book.select(Book, Author).join(Author)``, R2 the same with ``.join(Country)``, R3
``prefetch(Author.select(), Book.select())``, R4 ``prefetch(books, BookTag.select(),
Tag.select())`` through an explicit junction model (peewee's ManyToManyField has no prefetch of
its own), R5 ``Book.select().join(Author).where(Author.name.startswith(p))``. peewee's prefetch
selects the related rows with a sub-select of the parents' query, not a key list. R7
``Sale.select(Sale.region, fn.SUM(...), fn.COUNT(...)).group_by(Sale.region)``, R8
``Author.select(Author, fn.COUNT(Book.id)).join(Book, LEFT_OUTER).group_by(Author)``.
"""

from __future__ import annotations

from typing import Any

import peewee as pw
from playhouse.postgres_ext import PostgresqlExtDatabase

from benchmarks.contenders._relcheck import r1, r2, r5, r7, r8, r9, related
from benchmarks.databases import Target
from benchmarks.rel_workload import Check


def _models(db: pw.Database) -> dict[str, Any]:
    def model(cls_name: str, table: str, /, **fields: Any) -> Any:
        meta = type("Meta", (), {"database": db, "table_name": table})
        return type(cls_name, (pw.Model,), {"Meta": meta, **fields})

    country = model("Country", "rel_country", id=pw.AutoField(), name=pw.CharField(max_length=255))
    author = model("Author", "rel_author", id=pw.AutoField(), name=pw.CharField(max_length=255),
                   country=pw.ForeignKeyField(country, backref="authors"))
    tag = model("Tag", "rel_tag", id=pw.AutoField(), name=pw.CharField(max_length=255))
    book = model("Book", "rel_book", id=pw.AutoField(), title=pw.CharField(max_length=255),
                 author=pw.ForeignKeyField(author, backref="books"))
    meta = type("Meta", (), {"database": db, "table_name": "rel_book_tag",
                             "primary_key": pw.CompositeKey("book", "tag")})
    book_tag = type("BookTag", (pw.Model,), {"Meta": meta, "book": pw.ForeignKeyField(book, backref="book_tags"),
                                              "tag": pw.ForeignKeyField(tag, backref="tag_books")})
    award = model("Award", "rel_award", id=pw.AutoField(), name=pw.CharField(max_length=255),
                  author=pw.ForeignKeyField(author, backref="awards"))
    address = model("Address", "rel_address", id=pw.AutoField(), city=pw.CharField(max_length=255),
                    author=pw.ForeignKeyField(author, backref="addresses"))
    sale = model("Sale", "rel_sale", id=pw.AutoField(), book=pw.ForeignKeyField(book, backref="sales"),
                 region=pw.IntegerField(), amount=pw.DecimalField(max_digits=12, decimal_places=2))
    return {"country": country, "author": author, "tag": tag, "book": book, "book_tag": book_tag,
            "award": award, "address": address, "sale": sale}


class Contender:
    """peewee, sync, autocommit."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.db: pw.Database = (pw.SqliteDatabase(target.sqlite_path) if target.db == "sqlite"
                                else PostgresqlExtDatabase(**target.pg))
        self.m = _models(self.db)

    def setup(self) -> None:
        self.db.connect()
        self.db.create_tables(list(self.m.values()))

    def close(self) -> None:
        self.db.close()

    def select_one(self) -> Check:
        book, author = self.m["book"], self.m["author"]
        return r1(list(book.select(book, author).join(author)))

    def select_two(self) -> Check:
        book, author, country = self.m["book"], self.m["author"], self.m["country"]
        return r2(list(book.select(book, author, country).join(author).join(country)))

    def prefetch_reverse(self) -> Check:
        return related(list(pw.prefetch(self.m["author"].select(), self.m["book"].select())), "books")

    def prefetch_m2m(self, max_book_id: int) -> Check:
        book, book_tag, tag = self.m["book"], self.m["book_tag"], self.m["tag"]
        books = list(pw.prefetch(book.select().where(book.id <= max_book_id), book_tag.select(), tag.select()))
        # Each link holds its tag: touch it as the tag list would be read.
        return len(books), sum(len([link.tag.name for link in b.book_tags]) for b in books)

    def filter_across(self, prefix: str) -> Check:
        book, author = self.m["book"], self.m["author"]
        return r5(list(book.select().join(author).where(author.name.startswith(prefix))))

    def aggregate_groups(self) -> Check:
        sale = self.m["sale"]
        query = sale.select(sale.region, pw.fn.SUM(sale.amount), pw.fn.COUNT(sale.id)).group_by(sale.region)
        return r7(list(query.tuples()))

    def annotate_count(self) -> Check:
        author, book = self.m["author"], self.m["book"]
        query = (author.select(author, pw.fn.COUNT(book.id).alias("n"))
                 .join(book, pw.JOIN.LEFT_OUTER).group_by(author.id, author.name, author.country))
        return r8(list(query))

    def window_rank(self) -> Check:
        sale = self.m["sale"]
        rank = pw.fn.ROW_NUMBER().over(partition_by=[sale.region], order_by=[sale.amount.desc(), sale.id])
        ranked = sale.select(sale.id, sale.book, sale.region, sale.amount, rank.alias("r")).alias("ranked")
        best = sale.select(ranked.c.id, ranked.c.book_id, ranked.c.region, ranked.c.amount).from_(ranked).where(
            ranked.c.r == 1)
        return r9(list(best.tuples()))
