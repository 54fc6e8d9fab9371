"""Baseline for the relations workload: sqlite3, tuples straight from the driver.

R1, R2 and R5 are one JOIN; R3 and R4 read the parents, then the related rows with
``IN (?, ...)`` (2,000 keys a statement) and group them by owner in a dict of lists.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from benchmarks.contenders._rawsql import qmark
from benchmarks.contenders._relcheck import r7, r9
from benchmarks.contenders._relsql import attached, batches, build, ddl, from_cents, group, in_list
from benchmarks.databases import Target
from benchmarks.rel_workload import Check


class Contender:
    """Raw sqlite3 in autocommit mode."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.sql = build("sqlite", qmark)
        self.conn: sqlite3.Connection

    def setup(self) -> None:
        self.conn = sqlite3.connect(self.target.sqlite_path, isolation_level=None, cached_statements=256)
        for stmt in ddl("sqlite"):
            self.conn.execute(stmt)

    def close(self) -> None:
        self.conn.close()

    def _in(self, sql: str, keys: list[int]) -> list[Any]:
        rows: list[Any] = []
        for batch in batches(keys):
            rows += self.conn.execute(in_list(sql, len(batch)), batch).fetchall()
        return rows

    def select_one(self) -> Check:
        rows = self.conn.execute(self.sql.select_one).fetchall()
        return len(rows), sum(len(r[4]) for r in rows)

    def select_two(self) -> Check:
        rows = self.conn.execute(self.sql.select_two).fetchall()
        return len(rows), sum(len(r[7]) for r in rows)

    def prefetch_reverse(self) -> Check:
        authors = self.conn.execute(self.sql.authors).fetchall()
        books = group(self._in(self.sql.books_in, [a[0] for a in authors]), 2)
        return len(authors), attached(authors, books)

    def prefetch_m2m(self, max_book_id: int) -> Check:
        books = self.conn.execute(self.sql.books_upto, (max_book_id,)).fetchall()
        tags = group(self._in(self.sql.tags_in, [b[0] for b in books]), 0)
        return len(books), attached(books, tags)

    def filter_across(self, prefix: str) -> Check:
        rows = self.conn.execute(self.sql.filter_across, (prefix + "%",)).fetchall()
        return len(rows), sum(r[2] for r in rows)

    def aggregate_groups(self) -> Check:
        return r7(from_cents(self.conn.execute(self.sql.sales_by_region).fetchall()))

    def annotate_count(self) -> Check:
        rows = self.conn.execute(self.sql.authors_book_count).fetchall()
        return len(rows), sum(r[3] for r in rows)

    def window_rank(self) -> Check:
        return r9([tuple(r) for r in self.conn.execute(self.sql.best_sales).fetchall()])
