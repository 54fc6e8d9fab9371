"""Baseline: PyMySQL (sync), tuples straight from the driver.

PyMySQL interpolates parameters on the client and sends text statements (MySQL's binary protocol is
not in it), so nothing is prepared; ``executemany`` of an INSERT sends one multi-row INSERT per
batch, PyMySQL's bulk path. JSON parameters go as text, datetimes as UTC wall time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pymysql
import pymysql.cursors

from benchmarks.contenders._rawsql import build, pyformat
from benchmarks.databases import Target
from benchmarks.workload import Kind, ModelSpec, Row


def mysql_params(spec: ModelSpec) -> Any:
    """A function from a row to its parameters: JSON as text, aware datetimes as naive UTC."""
    names = spec.names
    converters = {c.name: (json.dumps if c.kind is Kind.JSON else utc_naive) for c in spec.columns
                  if c.kind in (Kind.JSON, Kind.DATETIME)}

    def params(row: Row) -> tuple[Any, ...]:
        return tuple([converters[n](row[n]) if n in converters else row[n] for n in names])

    return params


def utc_naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


class Contender:
    """Raw PyMySQL in autocommit mode; BEGIN/COMMIT for B and C."""

    stream_method = "SSCursor (unbuffered), fetchmany(2000)"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        self.sql = build(spec, "mysql", pyformat)
        self._params = mysql_params(spec)
        self.conn: pymysql.connections.Connection[Any]

    def setup(self) -> None:
        self.conn = pymysql.connect(**self.target.mysql, autocommit=True, init_command="SET time_zone = '+00:00'")
        with self.conn.cursor() as cur:
            for stmt in self.sql.ddl:
                cur.execute(stmt)

    def close(self) -> None:
        self.conn.close()

    def insert_single(self, rows: list[Row]) -> None:
        with self.conn.cursor() as cur:
            for row in rows:
                cur.execute(self.sql.insert, self._params(row))

    def insert_txn(self, rows: list[Row]) -> None:
        self.conn.begin()
        with self.conn.cursor() as cur:
            for row in rows:
                cur.execute(self.sql.insert, self._params(row))
        self.conn.commit()

    def bulk_insert(self, rows: list[Row]) -> None:
        self.conn.begin()
        with self.conn.cursor() as cur:
            cur.executemany(self.sql.insert, [self._params(r) for r in rows])
        self.conn.commit()

    def filter_large(self, min_level: int) -> int:
        with self.conn.cursor() as cur:
            cur.execute(self.sql.select_all, (min_level,))
            return len(cur.fetchall())

    def filter_page(self, min_level: int, offsets: list[int]) -> int:
        total = 0
        with self.conn.cursor() as cur:
            for off in offsets:
                cur.execute(self.sql.select_page, (min_level, off))
                total += len(cur.fetchall())
        return total

    def get_by_pk(self, ids: list[int]) -> int:
        found = 0
        with self.conn.cursor() as cur:
            for i in ids:
                cur.execute(self.sql.select_pk, (i,))
                found += cur.fetchone() is not None
        return found

    def values_dicts(self, min_level: int) -> int:
        with self.conn.cursor(pymysql.cursors.DictCursor) as cur:
            cur.execute(self.sql.select_all, (min_level,))
            return len(cur.fetchall())

    def values_tuples(self, min_level: int) -> int:
        return self.filter_large(min_level)

    def fetch(self, ids: list[int]) -> list[Any]:
        with self.conn.cursor() as cur:
            cur.execute(f"{self.sql.select_in_prefix}({', '.join(['%s'] * len(ids))})", ids)
            return list(cur.fetchall())

    def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        with self.conn.cursor() as cur:
            for obj, row in zip(objs, rows, strict=True):
                cur.execute(self.sql.update_all, (*self._params(row), obj[0]))

    def update_one(self, objs: list[Any], levels: list[int]) -> None:
        with self.conn.cursor() as cur:
            for obj, level in zip(objs, levels, strict=True):
                cur.execute(self.sql.update_one, (level, obj[0]))

    def delete(self, objs: list[Any]) -> None:
        with self.conn.cursor() as cur:
            for obj in objs:
                cur.execute(self.sql.delete, (obj[0],))

    def stream(self, chunk_size: int) -> Iterator[Any]:
        with self.conn.cursor(pymysql.cursors.SSCursor) as cur:
            cur.execute(self.sql.stream)
            while chunk := cur.fetchmany(chunk_size):
                yield from chunk
