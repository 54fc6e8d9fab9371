"""ormada (sync) on the relations workload: sqlite3 / psycopg.

R1 ``Book.select_related("author")``, R2 ``select_related("author__country")``, R3
``Author.prefetch_related("books")``, R4 ``Book.filter(id__lte=n).prefetch_related("tags")``, R5
``Book.filter(author__name__startswith=p)``; every read is ``.all()``.
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
from benchmarks.rel_workload import Check
from ormada import Count, RowNumber, Sum, Window


class Contender:
    """ormada, sync."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.db: Any = None
        self.unsupported = UNSUPPORTED

    def setup(self) -> None:
        self.db = ormada.connect(self.target.url)
        # No model list: every model bound to the database, the junction ormada defines for
        # Book.tags too (this process defines no others).
        self.db.drop_all()
        self.db.create_all()

    def close(self) -> None:
        self.db.close()

    def select_one(self) -> Check:
        return r1(Book.select_related("author").all())

    def select_two(self) -> Check:
        return r2(Book.select_related("author__country").all())

    def prefetch_reverse(self) -> Check:
        return related(Author.prefetch_related("books").all(), "books")

    def prefetch_m2m(self, max_book_id: int) -> Check:
        return related(Book.filter(id__lte=max_book_id).prefetch_related("tags").all(), "tags")

    def filter_across(self, prefix: str) -> Check:
        return r5(Book.filter(author__name__startswith=prefix).all())

    def aggregate_groups(self) -> Check:
        groups = Sale.values("region").annotate(total=Sum("amount"), n=Count("id")).all()
        return r7([(g["region"], g["total"], g["n"]) for g in groups])

    def annotate_count(self) -> Check:
        return r8(Author.annotate(n=Count("books")).all())

    def window_rank(self) -> Check:
        ranked = Sale.query().annotate(r=Window(RowNumber(), partition_by="region", order_by=["-amount", "id"]))
        return r9(ranked.filter(r=1).all())
