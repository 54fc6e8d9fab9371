"""Database targets and the out-of-band SQL the harness runs around a contender (never timed)."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.cql_workload import COUNTERS_TABLE, KEYSPACE, ROWS_TABLE, read_rows

PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
PG_DATABASE = os.environ.get("BENCH_PG_DATABASE", "ormada_bench")
MYSQL_HOST = os.environ.get("BENCH_MYSQL_HOST", "127.0.0.1")
MYSQL_PORT = int(os.environ.get("BENCH_MYSQL_PORT", "3306"))
MYSQL_USER = os.environ.get("BENCH_MYSQL_USER", "root")
MYSQL_DATABASE = os.environ.get("BENCH_MYSQL_DATABASE", "ormada_bench")
CASSANDRA_HOST = os.environ.get("BENCH_CASSANDRA_HOST", "127.0.0.1")
CASSANDRA_PORT = int(os.environ.get("BENCH_CASSANDRA_PORT", "9042"))
DATABASES = ("sqlite", "postgresql", "mysql", "duckdb", "cassandra")
#: The embedded databases: a file of their own per contender process, in a fresh temp dir.
FILE_DATABASES = ("sqlite", "duckdb")
#: The configuration the out-of-band DuckDB connections open a file with. DuckDB refuses a second
#: connection to a file that this process holds open with another configuration, so a contender
#: whose driver sets options of its own (duckdb-engine sets ``custom_user_agent``) puts them here.
DUCKDB_CONFIG: dict[str, Any] = {}


@dataclass(frozen=True)
class Target:
    """Where one contender process runs: the database kind and how to reach it."""

    db: str  # "sqlite" | "postgresql" | "mysql" | "duckdb" | "cassandra"
    sqlite_path: str = ""  # the database file of SQLite and DuckDB

    @property
    def url(self) -> str:
        """A plain URL (``sqlite:///path``, ``duckdb:///path``, ``postgresql://user@host:port/db``,
        ``mysql://user@host:port/db``, ``cassandra://host:port/ks``)."""
        if self.db in FILE_DATABASES:
            return f"{self.db}:///{self.sqlite_path}"
        if self.db == "cassandra":
            return f"cassandra://{CASSANDRA_HOST}:{CASSANDRA_PORT}/{KEYSPACE}"
        if self.db == "mysql":
            return f"mysql://{MYSQL_USER}@{MYSQL_HOST}:{MYSQL_PORT}/{MYSQL_DATABASE}"
        return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}"

    @property
    def pg(self) -> dict[str, Any]:
        return {"host": PG_HOST, "port": PG_PORT, "user": PG_USER, "database": PG_DATABASE}

    @property
    def mysql(self) -> dict[str, Any]:
        """PyMySQL's and asyncmy's connection arguments."""
        return {"host": MYSQL_HOST, "port": MYSQL_PORT, "user": MYSQL_USER, "database": MYSQL_DATABASE}

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def sqlite_dir() -> Path:
    """A fresh temp dir for SQLite files, on tmpfs when there is one.

    On tmpfs an fsync costs nothing, so an autocommit insert measures the mapper, not the disk;
    every contender gets the same treatment.
    """
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="ormada-bench-", dir=base))


def prepare_postgres() -> str:
    """Create the benchmark database if needed; return the server version string.

    ``synchronous_commit = off`` for that database only: commits still go through the WAL but do
    not wait for the disk flush, so single-row autocommit writes measure client overhead.
    """
    import psycopg

    admin = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
        conn.execute(f'ALTER DATABASE "{PG_DATABASE}" SET synchronous_commit = off')
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def prepare_mysql() -> str:
    """Create the MySQL/MariaDB benchmark database if needed; return the server version string."""
    import pymysql

    conn = pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{MYSQL_DATABASE}`")
            cur.execute("SELECT VERSION()")
            row = cur.fetchone()
    finally:
        conn.close()
    return str(row[0]) if row else "unknown"


def duckdb_version() -> str:
    import duckdb

    return str(duckdb.__version__)


class OutOfBand:
    """A plain driver connection used by the harness to reset, count and fill tables."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def _run(self, sql: str, fetch: bool = False) -> list[tuple[Any, ...]]:
        if self.target.db == "sqlite":
            conn = sqlite3.connect(self.target.sqlite_path, isolation_level=None)
            try:
                cur = conn.execute(sql)
                return cur.fetchall() if fetch else []
            finally:
                conn.close()
        if self.target.db == "duckdb":
            return _duckdb_run(self.target.sqlite_path, sql, fetch)
        if self.target.db == "mysql":
            import pymysql

            mconn = pymysql.connect(**self.target.mysql, autocommit=True)
            try:
                with mconn.cursor() as mcur:
                    mcur.execute(sql)
                    return list(mcur.fetchall()) if fetch else []
            finally:
                mconn.close()
        import psycopg

        with psycopg.connect(self.target.url, autocommit=True) as pconn:
            pcur = pconn.execute(sql.encode())  # bytes: the statement text is ours, never user input
            return pcur.fetchall() if fetch else []

    def drop(self, table: str) -> None:
        self._run(f"DROP TABLE IF EXISTS {table}")

    def count(self, table: str) -> int:
        return int(self._run(f"SELECT count(*) FROM {table}", fetch=True)[0][0])

    def ids(self, table: str) -> list[int]:
        return [int(r[0]) for r in self._run(f"SELECT id FROM {table} ORDER BY id", fetch=True)]

    def init_file(self) -> None:
        """Put a new SQLite file in WAL mode, which the file keeps for every later connection.

        ormada switches its connections to WAL; doing it for the file gives every contender the
        same journal (on tmpfs the synchronous level no longer matters, since syncs are free).
        """
        if self.target.db == "sqlite":
            self._run("PRAGMA journal_mode = WAL")

    def quiet(self, table: str) -> None:
        """Keep autovacuum off a benchmark table, so it never runs in the middle of a timing."""
        if self.target.db == "postgresql":
            self._run(f"ALTER TABLE {table} SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)")

    def settle(self, table: str) -> None:
        """Vacuum and analyze after the writes: every contender's reads start from the same state."""
        statement = {"postgresql": f"VACUUM ANALYZE {table}", "mysql": f"ANALYZE TABLE {table}",
                     "duckdb": f"ANALYZE {table}"}
        self._run(statement.get(self.target.db, f"ANALYZE {table}"), fetch=self.target.db == "mysql")

    def double(self, table: str, columns: tuple[str, ...]) -> None:
        """Copy every row of ``table`` once more, in the contender's own storage format."""
        cols = ", ".join(_quote(c, self.target.db) for c in columns)
        self._run(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {table}")


def _quote(name: str, db: str) -> str:
    return f"`{name}`" if db == "mysql" else f'"{name}"'


def _duckdb_run(path: str, sql: str, fetch: bool) -> list[tuple[Any, ...]]:
    """One statement on a DuckDB file. DuckDB lets one process at a time open a file, so inside
    the contender's process this shares the database instance its connections opened (DuckDB
    keeps one per file and process); the harness's own process only reaches files no contender
    holds."""
    import duckdb

    conn = duckdb.connect(path, config=DUCKDB_CONFIG)
    try:
        cur = conn.execute(sql)
        return cur.fetchall() if fetch else []
    finally:
        conn.close()


def sqlite_version() -> str:
    return sqlite3.sqlite_version


class CqlOutOfBand:
    """A plain cassandra-driver session for the harness: keyspace, tables, read data, counts.

    Nothing here is timed. The tables are created once per run with the same CQL every
    contender's own schema call would produce, so each mapper's create-if-missing finds them.
    """

    def __init__(self) -> None:
        from cassandra.cluster import Cluster
        from cassandra.query import tuple_factory

        self.cluster = Cluster([CASSANDRA_HOST], port=CASSANDRA_PORT)
        self.session = self.cluster.connect()
        self.session.row_factory = tuple_factory
        self.session.default_timeout = 60.0

    def close(self) -> None:
        self.cluster.shutdown()

    def version(self) -> str:
        row = self.session.execute("SELECT release_version FROM system.local").one()
        return str(row[0]) if row else "unknown"

    def create(self) -> None:
        """A fresh benchmark keyspace with both tables, and the rows every read runs on."""
        from cassandra.concurrent import execute_concurrent_with_args

        self.drop()
        self.session.execute(
            f"CREATE KEYSPACE {KEYSPACE} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}"
        )
        self.session.execute(
            f"CREATE TABLE {KEYSPACE}.{ROWS_TABLE} (part int, seq int, level int, note text, created timestamp, "
            "PRIMARY KEY ((part), seq)) WITH CLUSTERING ORDER BY (seq ASC)"
        )
        self.session.execute(f"CREATE TABLE {KEYSPACE}.{COUNTERS_TABLE} (id int PRIMARY KEY, hits counter)")
        insert = self.session.prepare(
            f"INSERT INTO {KEYSPACE}.{ROWS_TABLE} (part, seq, level, note, created) VALUES (?, ?, ?, ?, ?)"
        )
        params = [(r["part"], r["seq"], r["level"], r["note"], r["created"]) for r in read_rows()]
        for ok, result in execute_concurrent_with_args(self.session, insert, params, concurrency=64):
            if not ok:
                raise RuntimeError(f"filling {ROWS_TABLE} failed: {result}")

    def drop(self) -> None:
        self.session.execute(f"DROP KEYSPACE IF EXISTS {KEYSPACE}")

    def count(self, part: int) -> int:
        """Rows in one partition of the rows table."""
        row = self.session.execute(f"SELECT count(*) FROM {KEYSPACE}.{ROWS_TABLE} WHERE part = %s", (part,)).one()
        return int(row[0]) if row else 0

    def hits(self, ids: list[int]) -> int:
        """The sum of the counters with these ids."""
        select = self.session.prepare(f"SELECT hits FROM {KEYSPACE}.{COUNTERS_TABLE} WHERE id IN ?")
        rows = self.session.execute(select, (list(ids),))
        return sum(int(r[0]) for r in rows)


class RelOutOfBand(OutOfBand):
    """Fills the relations workload's tables once the contender has created them (never timed)."""

    def tables(self) -> set[str]:
        """The tables that exist now."""
        if self.target.db == "sqlite":
            rows = self._run("SELECT name FROM sqlite_master WHERE type = 'table'", fetch=True)
        else:
            rows = self._run("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()", fetch=True)
        return {str(r[0]) for r in rows}

    def drop_all(self, tables: tuple[str, ...]) -> None:
        """Drop the workload's tables, children first (a previous contender's, on PostgreSQL)."""
        cascade = " CASCADE" if self.target.db == "postgresql" else ""
        for table in reversed(tables):
            self._run(f"DROP TABLE IF EXISTS {table}{cascade}")

    def fill(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` with their ids as given: executemany on SQLite, COPY on PostgreSQL."""
        cols = ", ".join(columns)
        if self.target.db == "sqlite":
            conn = sqlite3.connect(self.target.sqlite_path, isolation_level=None)
            try:
                conn.execute("BEGIN")
                conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(columns))})", rows)
                conn.execute("COMMIT")
            finally:
                conn.close()
            return
        import psycopg

        copy_sql = f"COPY {table} ({cols}) FROM STDIN".encode()
        with (psycopg.connect(self.target.url, autocommit=True) as pconn, pconn.transaction(),
              pconn.cursor().copy(copy_sql) as copy):
            for row in rows:
                copy.write_row(row)

    def index(self, table: str, column: str) -> None:
        """An index on a key column, unless the contender's DDL made one already (a second one is harmless)."""
        self._run(f"CREATE INDEX IF NOT EXISTS rel_oob_{table}_{column} ON {table} ({column})")

    def columns(self, table: str) -> set[str]:
        if self.target.db == "sqlite":
            return {str(r[1]) for r in self._run(f"PRAGMA table_info({table})", fetch=True)}
        rows = self._run(f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}'",
                         fetch=True)
        return {str(r[0]) for r in rows}
