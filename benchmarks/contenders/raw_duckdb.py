"""Baseline: the duckdb module (sync), tuples straight from the driver.

DuckDB binds a long parameter list slowly (``executemany`` inserts well under a thousand rows a
second), so C sends one list per column and unnests them: ``INSERT ... SELECT UNNEST(?), ...``, as
an application that cares would. JSON parameters go as text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import duckdb

from benchmarks.contenders._rawsql import RawSQL, build, qmark
from benchmarks.databases import Target
from benchmarks.workload import Kind, ModelSpec, Row


def duckdb_params(spec: ModelSpec) -> Callable[[Row], tuple[Any, ...]]:
    """A function from a row to its parameters: JSON as text."""
    names = spec.names
    json_names = {c.name for c in spec.columns if c.kind is Kind.JSON}

    def params(row: Row) -> tuple[Any, ...]:
        if json_names:
            return tuple([json.dumps(row[n]) if n in json_names else row[n] for n in names])
        return tuple([row[n] for n in names])

    return params


class Statements:
    """The operations on one DuckDB connection, blocking: the sync contender calls them, the async
    one runs each on its connection's worker thread."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, sql: RawSQL, spec: ModelSpec) -> None:
        self.conn, self.sql, self.names = conn, sql, spec.names
        self._params = duckdb_params(spec)

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
        columns = [list(col) for col in zip(*(self._params(r) for r in rows), strict=True)]
        self.conn.execute(self.sql.bulk_lists, columns)

    def filter_large(self, min_level: int) -> int:
        return len(self.conn.execute(self.sql.select_all, (min_level,)).fetchall())

    def filter_page(self, min_level: int, offsets: list[int]) -> int:
        execute, sql = self.conn.execute, self.sql.select_page
        return sum(len(execute(sql, (min_level, off)).fetchall()) for off in offsets)

    def get_by_pk(self, ids: list[int]) -> int:
        execute, sql = self.conn.execute, self.sql.select_pk
        return sum(1 for i in ids if execute(sql, (i,)).fetchone() is not None)

    def values_dicts(self, min_level: int) -> int:
        # The driver has no mapping rows: dicts built from the cursor's description, as users do.
        cur = self.conn.execute(self.sql.select_all, (min_level,))
        names = [d[0] for d in cur.description or ()]
        return len([dict(zip(names, row, strict=True)) for row in cur.fetchall()])

    def values_tuples(self, min_level: int) -> int:
        return self.filter_large(min_level)

    def fetch(self, ids: list[int]) -> list[Any]:
        return self.conn.execute(f"{self.sql.select_in_prefix}({', '.join('?' * len(ids))})", ids).fetchall()

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


class Contender(Statements):
    """Raw duckdb on one connection (autocommit); BEGIN/COMMIT for B."""

    stream_method = "cursor().fetchmany(2000)"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        self.sql = build(spec, "duckdb", qmark)

    def setup(self) -> None:
        super().__init__(duckdb.connect(self.target.sqlite_path), self.sql, self.spec)
        for stmt in self.sql.ddl:
            self.conn.execute(stmt)

    def close(self) -> None:
        self.conn.close()

    def stream(self, chunk_size: int) -> Iterator[Any]:
        cur = self.conn.cursor()
        cur.execute(self.sql.stream)
        while chunk := cur.fetchmany(chunk_size):
            yield from chunk
