"""SQLAlchemy 2 ORM (sync) on the relations workload: Session on pysqlite / psycopg.

One Session per operation. R1 ``joinedload(Book.author)``, R2 ``joinedload(Book.author)
.joinedload(Author.country)``, R3 ``selectinload(Author.books)``, R4 ``selectinload(Book.tags)``
(a SELECT IN through the junction), R5 ``select(Book).join(Book.author).where(Author.name
.startswith(p))``, R7 ``select(Sale.region, func.sum(...), func.count(...)).group_by(Sale.region)``,
R8 ``select(Author, func.count(Book.id)).outerjoin(Author.books).group_by(...)``.
"""

from __future__ import annotations

from sqlalchemy import Select, create_engine, func, select
from sqlalchemy.orm import aliased, joinedload, selectinload, sessionmaker

from benchmarks.contenders._rel_sqlalchemy_models import Author, Base, Book, Sale
from benchmarks.contenders._relcheck import r1, r2, r5, r7, r9, related
from benchmarks.contenders._sqlalchemy_models import url
from benchmarks.databases import Target
from benchmarks.rel_workload import Check

R1 = select(Book).options(joinedload(Book.author))
R2 = select(Book).options(joinedload(Book.author).joinedload(Author.country))
R3 = select(Author).options(selectinload(Author.books))
R7 = select(Sale.region, func.sum(Sale.amount), func.count(Sale.id)).group_by(Sale.region)
R8 = (select(Author, func.count(Book.id)).outerjoin(Author.books)
      .group_by(Author.id, Author.name, Author.country_id))
_RANKED = select(Sale, func.row_number().over(partition_by=Sale.region, order_by=(Sale.amount.desc(), Sale.id))
                 .label("r")).subquery()
R9 = select(aliased(Sale, _RANKED)).where(_RANKED.c.r == 1)


def r4(max_book_id: int) -> Select[tuple[Book]]:
    return select(Book).where(Book.id <= max_book_id).options(selectinload(Book.tags))


def r5_query(prefix: str) -> Select[tuple[Book]]:
    return select(Book).join(Book.author).where(Author.name.startswith(prefix))


class Contender:
    """SQLAlchemy ORM, sync."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def setup(self) -> None:
        self.engine = create_engine(url(self.target, is_async=False))
        Base.metadata.drop_all(self.engine)
        Base.metadata.create_all(self.engine)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def _all(self, stmt: Select[tuple[Book]] | Select[tuple[Author]]) -> list[object]:
        with self.Session() as s:
            return list(s.scalars(stmt).all())

    def select_one(self) -> Check:
        return r1(self._all(R1))

    def select_two(self) -> Check:
        return r2(self._all(R2))

    def prefetch_reverse(self) -> Check:
        return related(self._all(R3), "books")

    def prefetch_m2m(self, max_book_id: int) -> Check:
        return related(self._all(r4(max_book_id)), "tags")

    def filter_across(self, prefix: str) -> Check:
        return r5(self._all(r5_query(prefix)))

    def aggregate_groups(self) -> Check:
        with self.Session() as s:
            return r7([tuple(row) for row in s.execute(R7)])

    def annotate_count(self) -> Check:
        with self.Session() as s:
            rows = s.execute(R8).all()
        return len(rows), sum(n for _, n in rows)

    def window_rank(self) -> Check:
        with self.Session() as s:
            return r9(list(s.scalars(R9).all()))
