"""Baseline: the standard library's sqlite3, tuples straight from the driver.

sqlite3 caches prepared statements per connection (``cached_statements``), so repeated SQL text
is prepared once. Decimal and dict parameters use registered adapters, as an application would.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from benchmarks.contenders._rawsql import build, qmark
from benchmarks.databases import Target
from benchmarks.workload import ModelSpec, Row

sqlite3.register_adapter(Decimal, str)
sqlite3.register_adapter(dict, json.dumps)


class Contender:
    """Raw sqlite3 in autocommit mode (``isolation_level=None``); explicit BEGIN for B."""

    stream_method = "cursor.fetchmany(2000)"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        self.sql = build(spec, "sqlite", qmark)
        self.names = spec.names
        self.conn: sqlite3.Connection

    def setup(self) -> None:
        self.conn = sqlite3.connect(self.target.sqlite_path, isolation_level=None, cached_statements=256)
        for stmt in self.sql.ddl:
            self.conn.execute(stmt)

    def close(self) -> None:
        self.conn.close()

    def _params(self, row: Row) -> tuple[Any, ...]:
        return tuple([row[n] for n in self.names])

    def insert_single(self, rows: list[Row]) -> None:
        execute, sql = self.conn.execute, self.sql.insert
        for row in rows:
            execute(sql, self._params(row))

    def insert_txn(self, rows: list[Row]) -> None:
        conn, sql = self.conn, self.sql.insert
        conn.execute("BEGIN")
        for row in rows:
            conn.execute(sql, self._params(row))
        conn.execute("COMMIT")

    def bulk_insert(self, rows: list[Row]) -> None:
        self.conn.execute("BEGIN")
        self.conn.executemany(self.sql.insert, [self._params(r) for r in rows])
        self.conn.execute("COMMIT")

    def filter_large(self, min_level: int) -> int:
        return len(self.conn.execute(self.sql.select_all, (min_level,)).fetchall())

    def filter_page(self, min_level: int, offsets: list[int]) -> int:
        execute, sql = self.conn.execute, self.sql.select_page
        return sum(len(execute(sql, (min_level, off)).fetchall()) for off in offsets)

    def get_by_pk(self, ids: list[int]) -> int:
        execute, sql = self.conn.execute, self.sql.select_pk
        return sum(1 for i in ids if execute(sql, (i,)).fetchone() is not None)

    def values_dicts(self, min_level: int) -> int:
        # sqlite3.Row is the driver's own mapping row.
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        return len(cur.execute(self.sql.select_all, (min_level,)).fetchall())

    def values_tuples(self, min_level: int) -> int:
        return self.filter_large(min_level)

    def fetch(self, ids: list[int]) -> list[Any]:
        marks = ", ".join("?" * len(ids))
        return self.conn.execute(f"{self.sql.select_in_prefix}({marks})", ids).fetchall()

    def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        execute, sql = self.conn.execute, self.sql.update_all
        for obj, row in zip(objs, rows, strict=True):
            execute(sql, (*self._params(row), obj[0]))

    def update_one(self, objs: list[Any], levels: list[int]) -> None:
        execute, sql = self.conn.execute, self.sql.update_one
        for obj, level in zip(objs, levels, strict=True):
            execute(sql, (level, obj[0]))

    def delete(self, objs: list[Any]) -> None:
        execute, sql = self.conn.execute, self.sql.delete
        for obj in objs:
            execute(sql, (obj[0],))

    def stream(self, chunk_size: int) -> Iterator[Any]:
        cur = self.conn.execute(self.sql.stream)
        cur.arraysize = chunk_size
        while chunk := cur.fetchmany():
            yield from chunk
