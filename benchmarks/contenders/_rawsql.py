"""SQL text for the raw-driver baselines: DDL and the statements of operations A-K.

Written once with a placeholder function, so sqlite3/aiosqlite and duckdb (``?``), psycopg and
PyMySQL/asyncmy (``%s``) and asyncpg (``$1``) run the same statements; MySQL quotes names with
backticks, DuckDB's key takes its values from a sequence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.workload import Kind, ModelSpec

_TYPES: dict[str, dict[Kind, str]] = {
    "sqlite": {
        Kind.INT: "INTEGER",
        Kind.SMALLINT: "SMALLINT",
        Kind.BIGINT: "BIGINT",
        Kind.FLOAT: "REAL",
        Kind.VARCHAR: "VARCHAR(255)",
        Kind.TEXT: "TEXT",
        Kind.DECIMAL: "NUMERIC(10, 2)",
        Kind.DATETIME: "TIMESTAMP",
        Kind.JSON: "JSON",
    },
    "postgresql": {
        Kind.INT: "INTEGER",
        Kind.SMALLINT: "SMALLINT",
        Kind.BIGINT: "BIGINT",
        Kind.FLOAT: "DOUBLE PRECISION",
        Kind.VARCHAR: "VARCHAR(255)",
        Kind.TEXT: "TEXT",
        Kind.DECIMAL: "NUMERIC(10, 2)",
        Kind.DATETIME: "TIMESTAMP WITH TIME ZONE",
        Kind.JSON: "JSONB",
    },
    "mysql": {
        Kind.INT: "INTEGER",
        Kind.SMALLINT: "SMALLINT",
        Kind.BIGINT: "BIGINT",
        Kind.FLOAT: "DOUBLE",
        Kind.VARCHAR: "VARCHAR(255)",
        Kind.TEXT: "TEXT",
        Kind.DECIMAL: "NUMERIC(10, 2)",
        Kind.DATETIME: "DATETIME(6)",  # UTC, as ormada stores aware values there
        Kind.JSON: "JSON",
    },
    "duckdb": {
        Kind.INT: "INTEGER",
        Kind.SMALLINT: "SMALLINT",
        Kind.BIGINT: "BIGINT",
        Kind.FLOAT: "DOUBLE",
        Kind.VARCHAR: "VARCHAR(255)",
        Kind.TEXT: "TEXT",
        Kind.DECIMAL: "NUMERIC(10, 2)",
        Kind.DATETIME: "TIMESTAMPTZ",
        Kind.JSON: "JSON",
    },
}
_PK = {"sqlite": "INTEGER PRIMARY KEY", "postgresql": "SERIAL PRIMARY KEY",
       "mysql": "INTEGER AUTO_INCREMENT PRIMARY KEY", "duckdb": "INTEGER PRIMARY KEY DEFAULT nextval('{table}_id_seq')"}
#: Databases whose statements list the ids of a fetch as ``IN (p1, p2, ...)`` rather than ``= ANY(p1)``.
_IN_LIST = ("sqlite", "mysql", "duckdb")


def qmark(_: int) -> str:
    return "?"


def pyformat(_: int) -> str:
    return "%s"


def dollar(i: int) -> str:
    return f"${i}"


@dataclass(frozen=True)
class RawSQL:
    """Every statement the raw contenders run for one model on one database."""

    ddl: tuple[str, ...]
    insert: str
    select_all: str  # WHERE level >= p1
    select_page: str  # WHERE level >= p1 ORDER BY id LIMIT 20 OFFSET p2
    select_pk: str
    update_all: str  # all columns, then id
    update_one: str  # level, then id
    delete: str
    select_in_prefix: str  # "SELECT ... FROM t WHERE id IN " (sqlite, mysql, duckdb) or "= ANY($1)" (postgres)
    stream: str  # every row
    bulk_lists: str = ""  # duckdb: INSERT ... SELECT UNNEST(?), ... from one list per column


def build(spec: ModelSpec, db: str, ph: Callable[[int], str]) -> RawSQL:
    """Statements for ``spec`` on ``db`` with the driver's placeholder style ``ph``."""
    names = spec.names
    q = "`" if db == "mysql" else '"'
    quoted = [f"{q}{n}{q}" for n in names]
    cols = ", ".join(quoted)
    select_cols = f"id, {cols}"
    t = spec.table
    level = f"{q}level{q}"
    ddl_cols = [f"id {_PK[db].format(table=t)}"] + [f"{q}{c.name}{q} {_TYPES[db][c.kind]} NOT NULL"
                                                     for c in spec.columns]
    ddl = [f"DROP TABLE IF EXISTS {t}"]
    if db == "duckdb":
        ddl += [f"DROP SEQUENCE IF EXISTS {t}_id_seq", f"CREATE SEQUENCE {t}_id_seq"]
    ddl += [f"CREATE TABLE {t} ({', '.join(ddl_cols)})"]
    ddl += [f"CREATE INDEX ix_{t}_{c.name} ON {t} ({q}{c.name}{q})" for c in spec.columns if c.indexed]
    n = len(names)
    sets = ", ".join(f"{q} = {ph(i + 1)}" for i, q in enumerate(quoted))
    any_ids = f"SELECT {select_cols} FROM {t} WHERE id = ANY({ph(1)})"
    return RawSQL(
        ddl=tuple(ddl),
        insert=f"INSERT INTO {t} ({cols}) VALUES ({', '.join(ph(i + 1) for i in range(n))})",
        select_all=f"SELECT {select_cols} FROM {t} WHERE {level} >= {ph(1)}",
        select_page=f"SELECT {select_cols} FROM {t} WHERE {level} >= {ph(1)} ORDER BY id LIMIT 20 OFFSET {ph(2)}",
        select_pk=f"SELECT {select_cols} FROM {t} WHERE id = {ph(1)}",
        update_all=f"UPDATE {t} SET {sets} WHERE id = {ph(n + 1)}",
        update_one=f"UPDATE {t} SET {level} = {ph(1)} WHERE id = {ph(2)}",
        delete=f"DELETE FROM {t} WHERE id = {ph(1)}",
        select_in_prefix=f"SELECT {select_cols} FROM {t} WHERE id IN " if db in _IN_LIST else any_ids,
        stream=f"SELECT {select_cols} FROM {t}",
        bulk_lists=f"INSERT INTO {t} ({cols}) SELECT {', '.join(f'UNNEST({ph(i + 1)})' for i in range(n))}",
    )
