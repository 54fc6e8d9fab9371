"""Runs one Cassandra contender for one round in its own process and writes its timings as JSON.

Invoked by the harness as ``python -m benchmarks.cql_runner --contender MODULE --round N ...``.
The keyspace, tables and read data already exist (``databases.CqlOutOfBand.create``). Each
operation runs once as an untimed warm-up, then ``repetitions`` timed times; after each write
repetition the harness's own session counts what it left behind (untimed).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
import traceback
import zlib
from collections.abc import Callable
from typing import Any

from benchmarks.contenders import CONTENDERS, ContenderSpec
from benchmarks.contenders.base import Invoker, NotSupported
from benchmarks.cql_workload import (
    BATCH_ROWS,
    COUNTER_KEYS,
    CQL_OPERATIONS,
    CQL_SIZES,
    FETCH_SIZE,
    PAGE_LIMIT,
    PAGED_PARTITION,
    PAGED_ROWS,
    READ_PARTITIONS,
    ROWS_PER_PARTITION,
    CqlOperation,
    CqlSizes,
    make_rows,
    write_base,
)
from benchmarks.databases import CqlOutOfBand, Target

Invoke = Callable[..., Any]
#: (args, units, expected return) of one repetition, built before the clock starts.
Prepared = tuple[tuple[Any, ...], int, int | None]
#: Statements per timed chunk.
CHUNK = 50


def cql_specs() -> list[ContenderSpec]:
    """The Cassandra contenders in registry order."""
    return [c for c in CONTENDERS if "cassandra" in c.databases]


def slot_of(spec: ContenderSpec) -> int:
    """A number of the contender's own, which keeps its writes in partitions nobody else uses."""
    return [c.module for c in cql_specs()].index(spec.module)


def chunked(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _seed(*parts: object) -> int:
    return zlib.crc32("-".join(map(str, parts)).encode())


class CqlRun:
    """Every operation of one contender in one round."""

    def __init__(self, contender: Any, spec: ContenderSpec, sizes: CqlSizes, round_index: int,
                 oob: CqlOutOfBand, invoke: Invoke) -> None:
        self.c, self.sizes, self.round, self.oob, self.invoke = contender, sizes, round_index, oob, invoke
        self.base = write_base(slot_of(spec), round_index)
        self.rng = random.Random(_seed("plan", round_index))
        self.results: dict[str, Any] = {}

    def reps(self) -> list[tuple[int, float]]:
        """(repetition, size factor); repetition 0 is the untimed warm-up."""
        return [(0, self.sizes.warmup_fraction)] + [(i, 1.0) for i in range(1, self.sizes.repetitions + 1)]

    def n(self, base: int, factor: float) -> int:
        return max(1, int(base * factor))

    def measure(self, op: CqlOperation, prepare: Callable[[int, float], list[Prepared]],
                check: Callable[[int, int], str | None] | None = None) -> None:
        """Run ``op`` for the warm-up and every repetition; record seconds per unit of each chunk.

        A repetition is timed in chunks (``CHUNK`` units each): the median over many short chunks
        shrugs off a collection pause or a burst of other work that a whole-repetition time would
        absorb. ``check(rep, units)`` runs after each repetition, untimed, and returns an error or None.
        """
        times: list[float] = []
        started = time.perf_counter()
        units = 0
        try:
            method = getattr(self.c, op.method)
            for rep, factor in self.reps():
                chunks = prepare(rep, factor)
                units = sum(c[1] for c in chunks)
                gc.collect()
                for args, chunk_units, expected in chunks:
                    t0 = time.perf_counter()
                    returned = self.invoke(method, *args)
                    elapsed = time.perf_counter() - t0
                    if expected is not None and returned != expected:
                        raise AssertionError(f"{op.method} returned {returned}, expected {expected}")
                    if rep:
                        times.append(elapsed / chunk_units)
                problem = check(rep, units) if check else None
                if problem:
                    raise AssertionError(problem)
            self.results[op.key] = {"times": times, "units": units, "seconds": time.perf_counter() - started}
        except NotSupported as exc:
            self.results[op.key] = {"na": str(exc) or "no API for this operation"}
        except Exception as exc:  # a broken operation is reported, and the others still run
            self.results[op.key] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            traceback.print_exc()

    def run(self) -> dict[str, Any]:
        s, ops = self.sizes, {o.key: o for o in CQL_OPERATIONS}
        inserts = self.base  # one partition per repetition: base + rep
        batches = self.base + 100  # likewise: base + 100 + rep

        def insert(rep: int, f: float) -> list[Prepared]:
            rows = make_rows(inserts + rep, self.n(s.inserts, f), seed=_seed("insert", self.round, rep))
            return [((part,), len(part), None) for part in chunked(rows, CHUNK)]

        self.measure(ops["insert"], insert, lambda rep, n: self._count(inserts + rep, n))

        def get(rep: int, f: float) -> list[Prepared]:
            n = self.n(s.gets, f)
            keys = [(self.rng.randrange(READ_PARTITIONS), self.rng.randrange(ROWS_PER_PARTITION)) for _ in range(n)]
            return [((part,), len(part), len(part)) for part in chunked(keys, CHUNK)]

        self.measure(ops["get"], get)

        def partition(rep: int, f: float) -> list[Prepared]:
            parts = [self.rng.randrange(READ_PARTITIONS) for _ in range(self.n(s.partitions, f))]
            return [((chunk, PAGE_LIMIT), len(chunk), len(chunk) * PAGE_LIMIT) for chunk in chunked(parts, CHUNK // 2)]

        self.measure(ops["partition"], partition)

        def batch(rep: int, f: float) -> list[Prepared]:
            part, seed = batches + rep, _seed("batch", self.round, rep)
            groups = [make_rows(part, BATCH_ROWS, seed=seed + b, first_seq=b * BATCH_ROWS)
                      for b in range(self.n(s.batches, f))]
            return [((chunk,), len(chunk), None) for chunk in chunked(groups, 2)]

        self.measure(ops["batch"], batch, lambda rep, n: self._count(batches + rep, n * BATCH_ROWS))

        counted = {"total": 0}

        def counter(rep: int, f: float) -> list[Prepared]:
            n = self.n(s.increments, f)
            counted["total"] += n
            ids = [self.base + i % COUNTER_KEYS for i in range(n)]
            return [((chunk,), len(chunk), None) for chunk in chunked(ids, CHUNK)]

        def counter_check(rep: int, n: int) -> str | None:
            hits = self.oob.hits([self.base + i for i in range(COUNTER_KEYS)])
            return None if hits == counted["total"] else f"counters hold {hits}, expected {counted['total']}"

        self.measure(ops["counter"], counter, counter_check)
        self.measure(ops["paged"], lambda rep, f: [((PAGED_PARTITION, FETCH_SIZE), 1, PAGED_ROWS)])
        return self.results

    def _count(self, part: int, expected: int) -> str | None:
        found = self.oob.count(part)
        return None if found == expected else f"partition {part} holds {found} rows, expected {expected}"


def run(spec: ContenderSpec, sizes_name: str, round_index: int) -> dict[str, Any]:
    cls = spec.load()
    sizes = CQL_SIZES[sizes_name]
    invoke = Invoker(spec.mode)

    oob = CqlOutOfBand()
    contender = cls(Target("cassandra"))
    try:
        invoke(contender.setup)
        try:
            return {"round": round_index, "ops": CqlRun(contender, spec, sizes, round_index, oob, invoke).run()}
        finally:
            invoke(contender.close)
    finally:
        oob.close()
        invoke.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contender", required=True, help="module name, e.g. cassandra_raw_sync")
    parser.add_argument("--sizes", default="full", choices=sorted(CQL_SIZES))
    parser.add_argument("--round", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    spec = next(c for c in CONTENDERS if c.module == args.contender)
    result = run(spec, args.sizes, args.round)
    with open(args.out, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
