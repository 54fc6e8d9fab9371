"""Latency on PostgreSQL: medians of a simple query, a 1,000-row bulk insert and a pooled acquire.

Usage::

    benchmarks/.venv/bin/python -m benchmarks.latency

Absolute times, unlike the harness's ratios: a get by primary key (``Model.get(id=…)``, one round
trip), building 1,000 small-model instances and ``bulk_create``-ing them, and taking a connection
from a warm pool and giving it back, each in both modes, on the benchmark database.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import ormada
from benchmarks.contenders._ormada_models import build_model
from benchmarks.databases import Target, prepare_postgres
from benchmarks.workload import SMALL, make_rows

GETS, BULKS, ACQUIRES = 500, 30, 2_000
BULK_ROWS = 1_000


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


def _report(mode: str, gets: list[float], bulks: list[float], acquires: list[float]) -> None:
    print(f"{mode:<5}  get by pk {_median_ms(gets):.3f} ms   {BULK_ROWS:,} rows built and bulk-inserted "
          f"{_median_ms(bulks):.1f} ms   pool acquire + release {_median_ms(acquires) * 1e3:.1f} µs")


def main() -> int:
    prepare_postgres()
    model = build_model(SMALL)
    db = ormada.connect(Target("postgresql").url, name="default")
    db.drop_all()
    db.create_all()
    model.bulk_create([model(**row) for row in make_rows(SMALL, BULK_ROWS, seed=1)])
    key = model.filter().first().id
    print(f"PostgreSQL over loopback, medians ({GETS} gets, {BULKS} bulk inserts, {ACQUIRES:,} acquires)")

    # Rows for every timed bulk insert, made before the clock runs; each is inserted once.
    batches = iter([make_rows(SMALL, BULK_ROWS, seed=s) for s in range(2 * BULKS)])

    def bulk() -> None:
        model.bulk_create([model(**row) for row in next(batches)])

    pool = db.sync_pool()
    _report("sync", timed(lambda: model.get(id=key), GETS), timed(bulk, BULKS),
            timed(lambda: pool.release(pool.acquire()), ACQUIRES))

    async def run_async() -> None:
        async def abulk() -> None:
            await model.abulk_create([model(**row) for row in next(batches)])

        apool = db.async_pool()

        async def acquire() -> None:
            await apool.release(await apool.acquire())

        _report("async", await atimed(lambda: model.aget(id=key), GETS), await atimed(abulk, BULKS),
                await atimed(acquire, ACQUIRES))
        await db.aclose()

    asyncio.run(run_async())
    db.drop_all()
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
