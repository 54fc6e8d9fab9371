"""Latency on every backend: medians of a simple query, a 1,000-row bulk insert and a connection acquire.

Usage::

    benchmarks/.venv/bin/python -m benchmarks.latency [--db sqlite,postgresql,mysql,duckdb,cassandra]

Absolute times, unlike the harness's ratios, each in both modes and checked against ormada's stated
latencies: a get by primary key (``Model.get(id=…)``, one round trip) under 1 ms, building 1,000
small-model instances and ``bulk_create``-ing them under 100 ms, and taking a connection from a
warm pool and giving it back under 5 ms. SQLite and DuckDB use a fresh file (on tmpfs when there
is one), PostgreSQL and MySQL/MariaDB the harness's benchmark databases, Cassandra a keyspace of its
own (``ormada_latency``, dropped at the end) with a partition key and a clustering key in place of
the generated id (Cassandra has none). Beside ormada's get, the same query on the raw driver
(sqlite3, psycopg, PyMySQL, duckdb: the harness's raw contenders), which says how much of a missed
threshold is the database's own.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import shutil
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import ormada
from benchmarks.contenders._ormada_models import build_model
from benchmarks.databases import (
    CASSANDRA_HOST,
    CASSANDRA_PORT,
    DATABASES,
    FILE_DATABASES,
    Target,
    prepare_mysql,
    prepare_postgres,
    sqlite_dir,
)
from benchmarks.workload import SMALL, make_rows

GETS, BULKS, ACQUIRES = 500, 30, 2_000
BULK_ROWS = 1_000
#: ormada's stated latencies, in milliseconds.
LIMITS_MS = {"get": 1.0, "bulk": 100.0, "acquire": 5.0}
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB", "duckdb": "DuckDB",
         "cassandra": "Cassandra"}
CQL_KEYSPACE = "ormada_latency"


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def timed(fn: Callable[[], Any], times: int) -> list[float]:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


async def atimed(fn: Callable[[], Awaitable[Any]], times: int) -> list[float]:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - start)
    return samples


@dataclass(frozen=True)
class Result:
    """The three medians of one backend in one mode, in milliseconds."""

    db: str
    mode: str
    get: float
    bulk: float
    acquire: float

    raw_get: float | None = None

    def line(self) -> str:
        def cell(key: str, value: float, text: str) -> str:
            return f"{text} {'✓' if value < LIMITS_MS[key] else '✗'}"

        raw = "-" if self.raw_get is None else f"{self.raw_get:.3f} ms"
        return (f"| {NAMES[self.db]} | {self.mode} | {cell('get', self.get, f'{self.get:.3f} ms')} | {raw} "
                f"| {cell('bulk', self.bulk, f'{self.bulk:.1f} ms')} "
                f"| {cell('acquire', self.acquire, f'{self.acquire * 1e3:.1f} µs')} |")


def _result(db: str, mode: str, gets: list[float], bulks: list[float], acquires: list[float],
            raw_get: float | None = None) -> Result:
    return Result(db, mode, _median_ms(gets), _median_ms(bulks), _median_ms(acquires), raw_get)


#: The harness's sync raw contender of each SQL database.
RAW = {"sqlite": "raw_sqlite3", "postgresql": "raw_psycopg", "mysql": "raw_pymysql", "duckdb": "raw_duckdb"}


def _raw_get(target: Target) -> float:
    """The median get by primary key on the raw driver, on a table of its own making (dropped after)."""
    contender: Any = importlib.import_module(f"benchmarks.contenders.{RAW[target.db]}").Contender(target, SMALL)
    contender.setup()
    try:
        contender.bulk_insert(make_rows(SMALL, BULK_ROWS, seed=1))
        key = contender.fetch(list(range(1, 11)))[0][0]
        return _median_ms(timed(lambda: contender.get_by_pk([key]), GETS))
    finally:
        contender.close()


def _sql(target: Target) -> list[Result]:
    """A get, a bulk insert and an acquire, sync then async, on one SQL database."""
    db, url = target.db, target.url
    raw_get = _raw_get(target)
    model = build_model(SMALL)
    database = ormada.connect(url, name="default")
    database.drop_all([model])
    database.create_all([model])
    model.bulk_create([model(**row) for row in make_rows(SMALL, BULK_ROWS, seed=1)])
    key = model.filter().first().id
    # Rows for every timed bulk insert, made before the clock runs; each is inserted once.
    batches = iter([make_rows(SMALL, BULK_ROWS, seed=s) for s in range(2 * BULKS)])

    def bulk() -> None:
        model.bulk_create([model(**row) for row in next(batches)])

    pool = database.sync_pool()
    results = [_result(db, "sync", timed(lambda: model.get(id=key), GETS), timed(bulk, BULKS),
                       timed(lambda: pool.release(pool.acquire()), ACQUIRES), raw_get)]

    async def run_async() -> Result:
        async def abulk() -> None:
            await model.abulk_create([model(**row) for row in next(batches)])

        apool = database.async_pool()

        async def acquire() -> None:
            await apool.release(await apool.acquire())

        result = _result(db, "async", await atimed(lambda: model.aget(id=key), GETS), await atimed(abulk, BULKS),
                         await atimed(acquire, ACQUIRES))
        await database.aclose()
        return result

    results.append(asyncio.run(run_async()))
    database.drop_all([model])
    database.close()
    return results


def _cql_model() -> Any:
    """The small model's columns under a partition key and a clustering key (Cassandra generates no ids)."""
    namespace = {
        "__module__": __name__,
        "__qualname__": "LatencyRow",
        "__annotations__": {"part": Annotated[int, ormada.PartitionKey()],
                            "seq": Annotated[int, ormada.ClusteringKey()],
                            "level": int, "text": str, "timestamp": datetime},
        "Meta": type("Meta", (), {"table": "latency_rows", "__qualname__": "LatencyRow.Meta", "__module__": __name__}),
    }
    return type("LatencyRow", (ormada.Model,), namespace)


def _cassandra() -> list[Result]:
    """The same on Cassandra: a get by the full primary key, ``bulk_create`` of 1,000 rows of one
    partition (one INSERT each, sent concurrently), a session handle taken and given back."""
    from cassandra.cluster import Cluster

    cluster = Cluster([CASSANDRA_HOST], port=CASSANDRA_PORT)
    try:
        session = cluster.connect()
        session.execute(f"CREATE KEYSPACE IF NOT EXISTS {CQL_KEYSPACE} WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    finally:
        cluster.shutdown()
    model = _cql_model()
    database = ormada.connect(f"cassandra://{CASSANDRA_HOST}:{CASSANDRA_PORT}/{CQL_KEYSPACE}", name="default")
    database.create_all([model])
    counter = iter(range(1, 10**9))

    def rows(part: int) -> list[Any]:
        return [model(part=part, seq=next(counter), **row) for row in make_rows(SMALL, BULK_ROWS, seed=part)]

    model.bulk_create(rows(0))
    key = model.filter(part=0).first()
    assert key is not None
    parts = iter(range(1, 2 * BULKS + 1))

    def bulk() -> None:
        model.bulk_create(rows(next(parts)))

    pool = database.sync_pool()
    results = [_result("cassandra", "sync", timed(lambda: model.get(part=0, seq=key.seq), GETS), timed(bulk, BULKS),
                       timed(lambda: pool.release(pool.acquire()), ACQUIRES))]

    async def run_async() -> Result:
        async def abulk() -> None:
            await model.abulk_create(rows(next(parts)))

        apool = database.async_pool()

        async def acquire() -> None:
            await apool.release(await apool.acquire())

        result = _result("cassandra", "async", await atimed(lambda: model.aget(part=0, seq=key.seq), GETS),
                         await atimed(abulk, BULKS), await atimed(acquire, ACQUIRES))
        await database.aclose()
        return result

    results.append(asyncio.run(run_async()))
    database.drop_all([model])
    database.close()
    cluster = Cluster([CASSANDRA_HOST], port=CASSANDRA_PORT)
    try:
        cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {CQL_KEYSPACE}")
    finally:
        cluster.shutdown()
    return results


def measure(db: str) -> list[Result]:
    """Both modes on one backend."""
    if db == "cassandra":
        return _cassandra()
    if db in FILE_DATABASES:
        workdir = sqlite_dir()
        try:
            return _sql(Target(db, str(workdir / f"latency.{db}")))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    if db == "postgresql":
        prepare_postgres()
    else:
        prepare_mysql()
    return _sql(Target(db))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.latency", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=",".join(DATABASES), help="comma-separated: " + ", ".join(DATABASES))
    args = parser.parse_args(argv)
    dbs = [d.strip() for d in args.db.split(",") if d.strip()]
    unknown = [d for d in dbs if d not in DATABASES]
    if unknown:
        print(f"unknown database: {', '.join(unknown)}", file=sys.stderr)
        return 2
    print(f"Medians of {GETS} gets by primary key, {BULKS} bulk inserts of {BULK_ROWS:,} rows (instances built "
          f"inside the timing) and {ACQUIRES:,} pool acquire + release; ✓ = under ormada's stated latency "
          f"(get < {LIMITS_MS['get']:g} ms, bulk < {LIMITS_MS['bulk']:g} ms, acquire < {LIMITS_MS['acquire']:g} ms)")
    print()
    print("| database | mode | get by pk | raw driver's get | 1,000-row bulk insert | acquire + release |")
    print("|---|---|---|---|---|---|")
    failed = 0
    for db in dbs:
        try:
            results = measure(db)
        except Exception as exc:  # one backend down is reported; the others still run
            print(f"| {NAMES[db]} | - | not run: {type(exc).__name__}: {str(exc)[:200]} | | | |", flush=True)
            failed += 1
            continue
        for result in results:
            print(result.line(), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
