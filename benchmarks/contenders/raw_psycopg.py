"""Baseline: psycopg 3 (sync), tuples straight from the driver.

psycopg prepares a statement server-side after it has run a few times (``prepare_threshold``),
so the repeated statements below are prepared without asking. Bulk insert uses COPY.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import JsonbDumper

from benchmarks.contenders._rawsql import build, pyformat
from benchmarks.databases import Target
from benchmarks.workload import ModelSpec, Row


class Contender:
    """Raw psycopg in autocommit mode; ``conn.transaction()`` for B."""

    stream_method = "named server-side cursor, itersize 2000"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        self.sql = build(spec, "postgresql", pyformat)
        self.names = spec.names
        columns = ", ".join(f'"{n}"' for n in self.names)
        self.copy_sql = f"COPY {spec.table} ({columns}) FROM STDIN"
        self.conn: psycopg.Connection[Any]

    def setup(self) -> None:
        # Session time zone UTC: timestamptz values then load with the fixed UTC tzinfo, psycopg's
        # fast path (the server default here is a named zone, Etc/UTC, which loads slower).
        self.conn = psycopg.connect(self.target.url, autocommit=True, options="-c timezone=UTC")
        self.conn.adapters.register_dumper(dict, JsonbDumper)
        for stmt in self.sql.ddl:
            self.conn.execute(stmt.encode())

    def close(self) -> None:
        self.conn.close()

    def _params(self, row: Row) -> tuple[Any, ...]:
        return tuple([row[n] for n in self.names])

    def insert_single(self, rows: list[Row]) -> None:
        cur, sql = self.conn.cursor(), self.sql.insert
        for row in rows:
            cur.execute(sql, self._params(row))

    def insert_txn(self, rows: list[Row]) -> None:
        with self.conn.transaction():
            cur, sql = self.conn.cursor(), self.sql.insert
            for row in rows:
                cur.execute(sql, self._params(row))

    def bulk_insert(self, rows: list[Row]) -> None:
        with self.conn.transaction(), self.conn.cursor().copy(self.copy_sql.encode()) as copy:
            for row in rows:
                copy.write_row(self._params(row))

    def filter_large(self, min_level: int) -> int:
        return len(self.conn.execute(self.sql.select_all, (min_level,)).fetchall())

    def filter_page(self, min_level: int, offsets: list[int]) -> int:
        cur, sql = self.conn.cursor(), self.sql.select_page
        return sum(len(cur.execute(sql, (min_level, off)).fetchall()) for off in offsets)

    def get_by_pk(self, ids: list[int]) -> int:
        cur, sql = self.conn.cursor(), self.sql.select_pk
        return sum(1 for i in ids if cur.execute(sql, (i,)).fetchone() is not None)

    def values_dicts(self, min_level: int) -> int:
        cur = self.conn.cursor(row_factory=dict_row)
        return len(cur.execute(self.sql.select_all, (min_level,)).fetchall())

    def values_tuples(self, min_level: int) -> int:
        return self.filter_large(min_level)

    def fetch(self, ids: list[int]) -> list[Any]:
        return self.conn.execute(self.sql.select_in_prefix, (ids,)).fetchall()

    def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        cur, sql = self.conn.cursor(), self.sql.update_all
        for obj, row in zip(objs, rows, strict=True):
            cur.execute(sql, (*self._params(row), obj[0]))

    def update_one(self, objs: list[Any], levels: list[int]) -> None:
        cur, sql = self.conn.cursor(), self.sql.update_one
        for obj, level in zip(objs, levels, strict=True):
            cur.execute(sql, (level, obj[0]))

    def delete(self, objs: list[Any]) -> None:
        cur, sql = self.conn.cursor(), self.sql.delete
        for obj in objs:
            cur.execute(sql, (obj[0],))

    def stream(self, chunk_size: int) -> Iterator[Any]:
        # A named (server-side) cursor streams only inside a transaction.
        with self.conn.transaction(), self.conn.cursor(name="bench_stream") as cur:
            cur.itersize = chunk_size
            cur.execute(self.sql.stream)
            yield from cur
