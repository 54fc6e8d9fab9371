"""The contenders: one module each, all implementing `benchmarks.contenders.base`.

``name`` groups a mapper's sync and async flavours (``--only`` selects by name); ``raw`` is the
baseline every ratio is computed against, per database and mode.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent.parent
#: matrx-orm needs Python 3.13; run.sh makes this venv when that interpreter exists.
VENV313 = ".venv313"


@dataclass(frozen=True)
class ContenderSpec:
    """One contender process: which module, which mode, which databases."""

    name: str
    mode: str  # "sync" | "async"
    module: str
    databases: tuple[str, ...]
    label: str  # shown in tables, e.g. "raw (psycopg)"
    packages: tuple[str, ...]  # distributions whose versions the report lists
    venv: str = ""  # a venv of its own under benchmarks/ ("" = the harness's own interpreter)
    #: (database, why not): databases the mapper cannot run on at all; the report shows the reason
    #: in its column instead of leaving the mapper out silently.
    unsupported: tuple[tuple[str, str], ...] = ()

    def unsupported_on(self, db: str) -> str | None:
        """Why this contender cannot run on ``db``, or None."""
        return dict(self.unsupported).get(db)

    @property
    def key(self) -> str:
        return f"{self.name}-{self.mode}"

    def python(self) -> str | None:
        """The interpreter its process runs on; None when its venv does not exist."""
        if not self.venv:
            return sys.executable
        path = BENCHMARKS / self.venv / "bin" / "python"
        return str(path) if path.exists() else None

    def missing(self) -> str:
        """Why ``python()`` is None, for the report."""
        return (f"benchmarks/{self.venv} does not exist (run.sh creates it with Python 3.13 from pyenv, "
                "/root/.pyenv/versions/3.13.0, when that interpreter is there)")

    def load(self) -> Any:
        """The module's ``Contender`` class (imported only inside the contender's own process)."""
        return importlib.import_module(f"benchmarks.contenders.{self.module}").Contender


SQLITE, PG, MYSQL, DUCKDB, CQL = "sqlite", "postgresql", "mysql", "duckdb", "cassandra"
BOTH = (SQLITE, PG)
#: ormada and the raw drivers run on every SQL database; SQLAlchemy's sync ORM too (DuckDB through
#: duckdb-engine), its async ORM, peewee, Django and Tortoise on SQLite, PostgreSQL and MySQL/MariaDB.
SQL = (SQLITE, PG, MYSQL, DUCKDB)
THREE = (SQLITE, PG, MYSQL)
_DRIVER = ("cassandra-driver",)
_NO_DUCKDB = "no DuckDB backend"

CONTENDERS: tuple[ContenderSpec, ...] = (
    ContenderSpec("raw", "sync", "raw_sqlite3", (SQLITE,), "raw (sqlite3)", ()),
    ContenderSpec("raw", "sync", "raw_psycopg", (PG,), "raw (psycopg)", ("psycopg", "psycopg-binary")),
    ContenderSpec("raw", "async", "raw_aiosqlite", (SQLITE,), "raw (aiosqlite)", ("aiosqlite",)),
    ContenderSpec("raw", "async", "raw_asyncpg", (PG,), "raw (asyncpg)", ("asyncpg",)),
    ContenderSpec("raw", "sync", "raw_pymysql", (MYSQL,), "raw (PyMySQL)", ("PyMySQL",)),
    ContenderSpec("raw", "async", "raw_asyncmy", (MYSQL,), "raw (asyncmy)", ("asyncmy",)),
    ContenderSpec("raw", "sync", "raw_duckdb", (DUCKDB,), "raw (duckdb)", ("duckdb",)),
    ContenderSpec("raw", "async", "raw_duckdb_async", (DUCKDB,), "raw (duckdb, worker thread)", ("duckdb",)),
    ContenderSpec("ormada", "sync", "ormada_sync", SQL, "ormada", ("ormada",)),
    ContenderSpec("ormada", "async", "ormada_async", SQL, "ormada", ("ormada",)),
    # SQLAlchemy on MySQL/MariaDB through the same drivers as the raw baselines (PyMySQL, asyncmy), on
    # DuckDB through duckdb-engine, which is sync only.
    ContenderSpec("sqlalchemy", "sync", "sqlalchemy_sync", SQL, "SQLAlchemy ORM", ("SQLAlchemy", "duckdb_engine")),
    ContenderSpec("sqlalchemy", "async", "sqlalchemy_async", THREE, "SQLAlchemy ORM", ("SQLAlchemy", "greenlet"),
                  unsupported=((DUCKDB, "duckdb-engine has no async dialect (SQLAlchemy's asyncio extension "
                                        "needs an async DBAPI; DuckDB has none)"),)),
    ContenderSpec("sqlmodel", "sync", "sqlmodel_sync", BOTH, "SQLModel", ("sqlmodel",)),
    ContenderSpec("peewee", "sync", "peewee_sync", THREE, "peewee", ("peewee",),
                  unsupported=((DUCKDB, f"{_NO_DUCKDB} in peewee"),)),
    ContenderSpec("django", "sync", "django_sync", THREE, "Django ORM", ("Django",),
                  unsupported=((DUCKDB, "Django ships no DuckDB backend"),)),
    ContenderSpec("tortoise", "async", "tortoise_async", THREE, "Tortoise ORM", ("tortoise-orm", "asyncmy"),
                  unsupported=((DUCKDB, f"{_NO_DUCKDB} in Tortoise"),)),
    ContenderSpec("piccolo", "async", "piccolo_async", BOTH, "Piccolo", ("piccolo",),
                  unsupported=((MYSQL, "Piccolo has no MySQL/MariaDB engine (PostgreSQL, CockroachDB and "
                                       "SQLite only)"),
                               (DUCKDB, f"{_NO_DUCKDB} in Piccolo"))),
    ContenderSpec("matrx", "async", "matrx_async", (PG,), "matrx-orm", ("matrx-orm",), venv=VENV313),
    # Cassandra: the operations of benchmarks.cql_workload, through benchmarks.cql_runner.
    ContenderSpec("raw", "sync", "cassandra_raw_sync", (CQL,), "raw (cassandra-driver)", _DRIVER),
    ContenderSpec("raw", "async", "cassandra_raw_async", (CQL,), "raw (cassandra-driver)", _DRIVER),
    ContenderSpec("ormada", "sync", "cassandra_ormada_sync", (CQL,), "ormada", ("ormada",)),
    ContenderSpec("ormada", "async", "cassandra_ormada_async", (CQL,), "ormada", ("ormada",)),
    ContenderSpec("cqlengine", "sync", "cassandra_cqlengine_sync", (CQL,), "cqlengine", _DRIVER),
    ContenderSpec("coodie", "sync", "cassandra_coodie_sync", (CQL,), "coodie", ("coodie",)),
    ContenderSpec("coodie", "async", "cassandra_coodie_async", (CQL,), "coodie", ("coodie",)),
    ContenderSpec("caspyorm", "sync", "cassandra_caspyorm_sync", (CQL,), "caspyorm", ("caspyorm",)),
    ContenderSpec("caspyorm", "async", "cassandra_caspyorm_async", (CQL,), "caspyorm", ("caspyorm",)),
)

#: The relations workload (``benchmarks.rel_workload``), through ``benchmarks.rel_runner``.
REL_CONTENDERS: tuple[ContenderSpec, ...] = (
    ContenderSpec("raw", "sync", "rel_raw_sqlite3", (SQLITE,), "raw (sqlite3)", ()),
    ContenderSpec("raw", "sync", "rel_raw_psycopg", (PG,), "raw (psycopg)", ("psycopg",)),
    ContenderSpec("raw", "async", "rel_raw_aiosqlite", (SQLITE,), "raw (aiosqlite)", ("aiosqlite",)),
    ContenderSpec("raw", "async", "rel_raw_asyncpg", (PG,), "raw (asyncpg)", ("asyncpg",)),
    ContenderSpec("ormada", "sync", "rel_ormada_sync", BOTH, "ormada", ("ormada",)),
    ContenderSpec("ormada", "async", "rel_ormada_async", BOTH, "ormada", ("ormada",)),
    ContenderSpec("sqlalchemy", "sync", "rel_sqlalchemy_sync", BOTH, "SQLAlchemy ORM", ("SQLAlchemy",)),
    ContenderSpec("sqlalchemy", "async", "rel_sqlalchemy_async", BOTH, "SQLAlchemy ORM", ("SQLAlchemy",)),
    ContenderSpec("peewee", "sync", "rel_peewee_sync", BOTH, "peewee", ("peewee",)),
    ContenderSpec("django", "sync", "rel_django_sync", BOTH, "Django ORM", ("Django",)),
    ContenderSpec("tortoise", "async", "rel_tortoise_async", BOTH, "Tortoise ORM", ("tortoise-orm",)),
    ContenderSpec("piccolo", "async", "rel_piccolo_async", BOTH, "Piccolo", ("piccolo",)),
    ContenderSpec("matrx", "async", "rel_matrx_async", (PG,), "matrx-orm", ("matrx-orm",), venv=VENV313),
)


def select(names: set[str] | None, db: str,
           registry: tuple[ContenderSpec, ...] = CONTENDERS) -> list[ContenderSpec]:
    """Contenders of ``registry`` for one database, optionally only those whose ``name`` is in ``names``.

    The raw baseline always runs, since every ratio needs it.
    """
    return [c for c in registry if db in c.databases and (names is None or c.name in names or c.name == "raw")]


def unsupported(names: set[str] | None, db: str,
                registry: tuple[ContenderSpec, ...] = CONTENDERS) -> list[ContenderSpec]:
    """Contenders of ``registry`` (optionally only those named) that cannot run on ``db`` at all."""
    return [c for c in registry if c.unsupported_on(db) and (names is None or c.name in names)]
