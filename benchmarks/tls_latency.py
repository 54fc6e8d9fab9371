"""TLS against plain TCP on PostgreSQL: a get by primary key on pooled connections, and pool start-up.

Usage::

    benchmarks/.venv/bin/python -m benchmarks.tls_latency [--ca /tmp/ormada-tls/ca.pem] [--rounds 5]

The same database twice: ``sslmode=disable`` and ``sslmode=verify-full`` with the CA of
``scripts/tls.sh`` (``make services`` sets PostgreSQL up with it; the certificate names
``localhost``). Medians of ``Model.get(id=…)`` in both modes on a warm pool, where TLS costs only
the encryption of each round trip, and the time a fresh pool takes to open ``POOL_SIZE``
connections (sync one after another, async all at once), where it costs the handshakes. Rounds
alternate plain and TLS so that load on the machine falls on both.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from typing import Any

import ormada
from benchmarks.contenders._ormada_models import build_model
from benchmarks.databases import PG_DATABASE, PG_PORT, PG_USER, prepare_postgres
from benchmarks.latency import atimed, timed
from benchmarks.workload import SMALL, make_rows

GETS, POOL_SIZE = 1_000, 10
TARGET = 1.2  # TLS within this ratio of plain TCP on pooled connections


def _url(tls: bool, ca: str) -> str:
    base = f"postgresql://{PG_USER}@localhost:{PG_PORT}/{PG_DATABASE}?pool_size={POOL_SIZE}"
    return f"{base}&sslmode=verify-full&sslrootcert={ca}" if tls else f"{base}&sslmode=disable"


def _gets(model: Any, key: int) -> tuple[float, float]:
    sync = statistics.median(timed(lambda: model.get(id=key), GETS))

    async def run() -> float:
        return statistics.median(await atimed(lambda: model.aget(id=key), GETS))

    return sync, asyncio.run(run())


def _raw_gets(tls: bool, ca: str, table: str, key: int) -> float:
    """The same get on a bare psycopg connection: the driver's own TLS cost, for comparison."""
    import psycopg

    options: dict[str, Any] = {"sslmode": "verify-full", "sslrootcert": ca} if tls else {"sslmode": "disable"}
    with psycopg.connect(host="localhost", port=PG_PORT, user=PG_USER, dbname=PG_DATABASE, autocommit=True,
                         **options) as connection:
        query = f'SELECT * FROM "{table}" WHERE id = %s'
        return statistics.median(timed(lambda: connection.execute(query, (key,), prepare=True).fetchall(), GETS))


def _raw_agets(tls: bool, ca: str, table: str, key: int) -> float:
    """The same get on a bare asyncpg connection (TLS through asyncio's SSL protocol)."""
    import ssl

    import asyncpg

    async def run() -> float:
        context: Any = ssl.create_default_context(cafile=ca) if tls else False
        connection = await asyncpg.connect(host="localhost", port=PG_PORT, user=PG_USER, database=PG_DATABASE,
                                           ssl=context)
        try:
            query = f'SELECT * FROM "{table}" WHERE id = $1'
            return statistics.median(await atimed(lambda: connection.fetch(query, key), GETS))
        finally:
            await connection.close()

    return asyncio.run(run())


def _startup(url: str) -> tuple[float, float]:
    db = ormada.Database(url, name="startup")
    pool = db.sync_pool()
    start = time.perf_counter()
    held = [pool.acquire() for _ in range(POOL_SIZE)]
    sync = time.perf_counter() - start
    for connection in held:
        pool.release(connection)
    db.close()

    async def run() -> float:
        adb = ormada.Database(url, name="startup")
        apool = adb.async_pool()
        began = time.perf_counter()
        connections = await asyncio.gather(*(apool.acquire() for _ in range(POOL_SIZE)))
        took = time.perf_counter() - began
        for connection in connections:
            await apool.release(connection)
        await adb.aclose()
        return took

    return sync, asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ca", default=os.path.join(os.environ.get("ORMADA_TLS_DIR", "/tmp/ormada-tls"), "ca.pem"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not os.path.isfile(args.ca):
        print(f"no CA at {args.ca}: run make services (scripts/tls.sh) first", file=sys.stderr)
        return 1
    prepare_postgres()
    model = build_model(SMALL)
    setup = ormada.connect(_url(False, args.ca), name="default")
    setup.drop_all()
    setup.create_all()
    model.bulk_create([model(**row) for row in make_rows(SMALL, 1_000, seed=1)])
    key = model.filter().first().id
    table = SMALL.table
    setup.close()

    results: dict[str, dict[str, list[float]]] = {"plain": {}, "tls": {}}
    for _ in range(args.rounds):
        for label in ("plain", "tls"):
            db = ormada.connect(_url(label == "tls", args.ca), name="default")
            figures = dict(zip(("get sync", "get async"), _gets(model, key), strict=True))
            db.close()
            figures["raw psycopg get"] = _raw_gets(label == "tls", args.ca, table, key)
            figures["raw asyncpg get"] = _raw_agets(label == "tls", args.ca, table, key)
            figures.update(zip(("start-up sync", "start-up async"), _startup(_url(label == "tls", args.ca)),
                               strict=True))
            for name, value in figures.items():
                results[label].setdefault(name, []).append(value)

    print(f"PostgreSQL on localhost, plain TCP against TLS (verify-full), medians of {args.rounds} rounds "
          f"({GETS} gets each; start-up: {POOL_SIZE} connections)")
    print(f"{'':<16}{'plain':>12}{'TLS':>12}{'TLS / plain':>14}")
    worst = 0.0
    for name in results["plain"]:
        plain, tls = statistics.median(results["plain"][name]), statistics.median(results["tls"][name])
        ratio = tls / plain
        if name.startswith("get"):
            worst = max(worst, ratio)
        unit, scale = ("µs", 1e6) if "get" in name else ("ms", 1e3)
        print(f"{name:<16}{plain * scale:>9.1f} {unit}{tls * scale:>9.1f} {unit}{ratio:>13.2f}x")
    print(f"ormada's get by pk over TLS: {worst:.2f}x plain at worst (target: within {TARGET}x); "
          "the raw drivers' ratios are their own TLS cost")
    db = ormada.connect(_url(False, args.ca), name="default")
    db.drop_all()
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
