"""Baseline for the relations workload: psycopg 3 (sync), tuples straight from the driver.

R1, R2 and R5 are one JOIN; R3 and R4 read the parents, then the related rows with
``= ANY(%s)`` (one array parameter) and group them by owner in a dict of lists.
"""

from __future__ import annotations

from typing import Any

import psycopg

from benchmarks.contenders._rawsql import pyformat
from benchmarks.contenders._relcheck import r7, r9
from benchmarks.contenders._relsql import attached, build, ddl, group
from benchmarks.databases import Target
from benchmarks.rel_workload import Check


class Contender:
    """Raw psycopg in autocommit mode."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.sql = build("postgresql", pyformat)
        self.conn: psycopg.Connection[Any]

    def setup(self) -> None:
        self.conn = psycopg.connect(self.target.url, autocommit=True)
        for stmt in ddl("postgresql"):
            self.conn.execute(stmt.encode())

    def close(self) -> None:
        self.conn.close()

    def select_one(self) -> Check:
        rows = self.conn.execute(self.sql.select_one).fetchall()
        return len(rows), sum(len(r[4]) for r in rows)

    def select_two(self) -> Check:
        rows = self.conn.execute(self.sql.select_two).fetchall()
        return len(rows), sum(len(r[7]) for r in rows)

    def prefetch_reverse(self) -> Check:
        authors = self.conn.execute(self.sql.authors).fetchall()
        books = group(self.conn.execute(self.sql.books_in, ([a[0] for a in authors],)).fetchall(), 2)
        return len(authors), attached(authors, books)

    def prefetch_m2m(self, max_book_id: int) -> Check:
        books = self.conn.execute(self.sql.books_upto, (max_book_id,)).fetchall()
        tags = group(self.conn.execute(self.sql.tags_in, ([b[0] for b in books],)).fetchall(), 0)
        return len(books), attached(books, tags)

    def filter_across(self, prefix: str) -> Check:
        rows = self.conn.execute(self.sql.filter_across, (prefix + "%",)).fetchall()
        return len(rows), sum(r[2] for r in rows)

    def aggregate_groups(self) -> Check:
        return r7(self.conn.execute(self.sql.sales_by_region).fetchall())

    def annotate_count(self) -> Check:
        rows = self.conn.execute(self.sql.authors_book_count).fetchall()
        return len(rows), sum(r[3] for r in rows)

    def window_rank(self) -> Check:
        return r9([tuple(r) for r in self.conn.execute(self.sql.best_sales).fetchall()])
