"""The read cache (``ormada.cache``): medians of a cached ``Model.get(id=…)``.

Usage::

    benchmarks/.venv/bin/python -m benchmarks.cache [--gets N]

On the benchmark's small model in a SQLite file, in both modes: ``get`` reading the
database (no cache), ``get`` answered by the in-memory store, and ``get`` answered by
Redis on 127.0.0.1:6379 next to one bare Redis round trip (a ``GET`` through the same
client library), since a Redis hit is meant to cost one round trip plus decoding.
Absolute times, as ``benchmarks.latency`` reports them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import redis
import redis.asyncio

import ormada
import ormada.cache
from benchmarks.contenders._ormada_models import build_model
from benchmarks.latency import atimed, timed
from benchmarks.workload import SMALL, make_rows
from ormada.cache import Cache, MemoryCache, RedisCache

REDIS_URL = "redis://127.0.0.1:6379/0"


def _median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def _row(label: str, samples: list[float]) -> None:
    print(f"  {label:<42} {_median_us(samples):8.2f} µs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gets", type=int, default=20_000, help="timed gets per measurement")
    gets = parser.parse_args().gets

    model = build_model(SMALL, cache=Cache(ttl=300))
    folder = tempfile.TemporaryDirectory()
    db = ormada.connect(f"sqlite:///{Path(folder.name) / 'cache.db'}")
    db.create_all()
    model.bulk_create([model(**row) for row in make_rows(SMALL, 1_000, seed=1)])
    key = model.filter().first().id
    get: Callable[[], Any] = lambda: model.get(id=key)  # noqa: E731
    redis_store = RedisCache(REDIS_URL, prefix=f"ormada-bench-{uuid.uuid4().hex}")
    client = redis.Redis.from_url(REDIS_URL)
    client.set("ormada-bench-probe", b"x" * 200)

    print(f"cached Model.get(id=...) on a SQLite file, medians of {gets:,} gets")
    print("sync")
    timed(get, 1_000)
    _row("no cache (the database)", timed(get, gets))
    ormada.cache.configure(MemoryCache())
    timed(get, 1_000)
    _row("MemoryCache hit", timed(get, gets))
    ormada.cache.configure(redis_store)
    timed(get, 1_000)
    _row("RedisCache hit", timed(get, gets))
    print(f"  (RedisCache: {redis_store.hits:,} hits, {redis_store.misses:,} misses)")
    _row("one Redis round trip (redis-py GET)", timed(lambda: client.get("ormada-bench-probe"), gets))
    ormada.cache.configure(None)

    async def run_async() -> None:
        aget: Callable[[], Awaitable[Any]] = lambda: model.aget(id=key)  # noqa: E731
        aclient = redis.asyncio.Redis.from_url(REDIS_URL)
        print("async")
        await atimed(aget, 1_000)
        _row("no cache (the database)", await atimed(aget, gets))
        ormada.cache.configure(MemoryCache())
        await atimed(aget, 1_000)
        _row("MemoryCache hit", await atimed(aget, gets))
        ormada.cache.configure(redis_store)
        await atimed(aget, 1_000)
        _row("RedisCache hit", await atimed(aget, gets))
        print(f"  (RedisCache: {redis_store.hits:,} hits, {redis_store.misses:,} misses)")
        _row("one Redis round trip (redis.asyncio GET)",
             await atimed(lambda: aclient.get("ormada-bench-probe"), gets))
        ormada.cache.configure(None)
        await aclient.aclose()
        await db.aclose()

    asyncio.run(run_async())
    redis_store.clear()
    client.delete("ormada-bench-probe")
    db.close()
    folder.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
