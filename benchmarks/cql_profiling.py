"""Where ormada's time goes on Cassandra's operations, next to the raw driver in one process.

Usage::

    benchmarks/.venv/bin/python -m benchmarks.cql_profiling                 # every op, sync + async
    benchmarks/.venv/bin/python -m benchmarks.cql_profiling --op counter --limit 0   # A/B figures only
    benchmarks/.venv/bin/python -m benchmarks.cql_profiling --op batch --mode sync   # calls are batches of 100
    benchmarks/.venv/bin/python -m benchmarks.cql_profiling --op get --mode async --limit 30
    benchmarks/.venv/bin/python -m benchmarks.cql_profiling --contender cqlengine --op insert

Two measurements per operation and mode:

1. **A/B timing**: blocks of ``--block`` calls of the raw driver and of the contender, alternated
   ``--blocks`` times in one process, so that a slow spell of the node or the machine hits both
   alike. It prints the median wall time per call of each, their ratio, and the main thread's CPU
   time per call (``time.thread_time``): the driver's I/O thread and the server's work are the same
   for both, so the CPU difference is the mapper's own cost.
2. **cProfile** of ``--calls`` contender calls: the functions with the most own time, with call
   counts and microseconds per call and per operation.

It creates the benchmark keyspace (as the harness does) and drops it at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks.contenders import CONTENDERS, ContenderSpec
from benchmarks.contenders.base import Invoker
from benchmarks.cql_workload import BATCH_ROWS, COUNTER_KEYS, PAGE_LIMIT, READ_PARTITIONS, ROWS_PER_PARTITION, make_rows
from benchmarks.databases import CqlOutOfBand, Target

OPS = {"insert": "insert_one", "get": "get_by_pk", "partition": "filter_partition", "counter": "increment",
       "batch": "batch_insert"}


def _spec(name: str, mode: str) -> ContenderSpec:
    return next(c for c in CONTENDERS if c.name == name and c.mode == mode and "cassandra" in c.databases)


class Driver:
    """One contender object and the means to call it in its mode."""

    def __init__(self, spec: ContenderSpec) -> None:
        self.spec = spec
        self.invoke = Invoker(spec.mode)
        self.c = spec.load()(Target("cassandra"))
        self.invoke(self.c.setup)

    def close(self) -> None:
        self.invoke(self.c.close)
        self.invoke.close()


class Workload:
    """Fresh arguments for each block: new rows to insert (own partitions), random keys to get."""

    def __init__(self, slot: int) -> None:
        self.next_part = 5_000_000 + slot * 100_000
        self.rng = random.Random(slot)

    def args(self, op: str, n: int) -> tuple[Any, ...]:
        if op == "insert":
            self.next_part += 1
            return (make_rows(self.next_part, n, seed=self.next_part),)
        if op == "batch":  # n batches of BATCH_ROWS rows, each batch in a partition of its own
            self.next_part += n
            return ([make_rows(self.next_part - i, BATCH_ROWS, seed=i) for i in range(n)],)
        if op == "partition":
            return ([self.rng.randrange(READ_PARTITIONS) for _ in range(n)], PAGE_LIMIT)
        if op == "counter":
            return ([self.rng.randrange(COUNTER_KEYS) for _ in range(n)],)
        keys = [(self.rng.randrange(READ_PARTITIONS), self.rng.randrange(ROWS_PER_PARTITION)) for _ in range(n)]
        return (keys,)


def ab(raw: Driver, other: Driver, op: str, block: int, blocks: int) -> dict[str, Any]:
    """Alternating blocks of raw and contender calls; medians of per-call wall and CPU time."""
    method = OPS[op]
    loads = {id(raw): Workload(0), id(other): Workload(1)}
    wall: dict[int, list[float]] = {id(raw): [], id(other): []}
    cpu: dict[int, list[float]] = {id(raw): [], id(other): []}
    for d in (raw, other):  # warm-up: prepared statements, compile caches
        d.invoke(getattr(d.c, method), *loads[id(d)].args(op, block))
    for i in range(blocks):
        order = (raw, other) if i % 2 == 0 else (other, raw)
        for d in order:
            args = loads[id(d)].args(op, block)
            fn = getattr(d.c, method)
            gc.collect()
            c0, t0 = time.thread_time(), time.perf_counter()
            d.invoke(fn, *args)
            t1, c1 = time.perf_counter(), time.thread_time()
            wall[id(d)].append((t1 - t0) / block)
            cpu[id(d)].append((c1 - c0) / block)
    med = {k: statistics.median(v) for k, v in wall.items()}
    cmed = {k: statistics.median(v) for k, v in cpu.items()}
    return {
        "raw_us": med[id(raw)] * 1e6, "other_us": med[id(other)] * 1e6, "ratio": med[id(other)] / med[id(raw)],
        "raw_cpu_us": cmed[id(raw)] * 1e6, "other_cpu_us": cmed[id(other)] * 1e6,
    }


def profile(d: Driver, op: str, calls: int, limit: int) -> list[str]:
    """cProfile ``calls`` calls; the functions with the most own time."""
    load = Workload(7)
    method = getattr(d.c, OPS[op])
    d.invoke(method, *load.args(op, 50))
    args = load.args(op, calls)
    profiler = cProfile.Profile()
    profiler.enable()
    d.invoke(method, *args)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    total = 0.0
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        total += tt
        if "benchmarks/" in filename and "contenders" not in filename:
            continue
        short = filename.split("site-packages/")[-1].split("/src/")[-1]
        rows.append((tt, nc, ct, f"{short}:{line}({func})"))
    rows.sort(reverse=True)
    out = [f"  profiled total {total / calls * 1e6:.1f} µs/op (cProfile adds its own overhead)",
           f"  {'own µs/op':>9} {'cum µs/op':>9} {'calls/op':>8} {'µs/call':>8}  function"]
    for tt, nc, ct, where in rows[:limit]:
        out.append(f"  {tt / calls * 1e6:9.2f} {ct / calls * 1e6:9.2f} {nc / calls:8.2f} {tt / nc * 1e6:8.2f}  {where}")
    return out


def _per_call(fn: Callable[[], Any], n: int) -> float:
    """Median over 5 runs of ``n`` calls of the main thread's CPU time per call, in µs."""
    samples = []
    for _ in range(5):
        t0 = time.thread_time()
        for _ in range(n):
            fn()
        samples.append((time.thread_time() - t0) / n * 1e6)
    return statistics.median(samples)


def steps(n: int) -> list[str]:
    """ormada's client-side pieces of ``create`` and ``get``, each timed alone (no request sent,
    except for the driver's own ``execute`` and the executor's, timed against each other)."""
    import ormada
    from benchmarks.contenders import _cql
    from benchmarks.contenders._ormada_cql_models import BenchRow
    from benchmarks.cql_workload import make_row
    from ormada import _operations as ops
    from ormada.backends.cassandra import executor

    db = ormada.connect(Target("cassandra").url)
    backend, info = db.backend, BenchRow._info()
    row = make_row(random.Random(1), 1, 1)
    instance = BenchRow(**row)
    lookups = {"part": 1, "seq": 1}
    driver_row = [(1, 1, row["level"], row["note"], row["created"].replace(tzinfo=None))]
    BenchRow.get(**lookups)  # connects, prepares, fills every cache
    pool = db.sync_pool()
    conn = pool.acquire()
    get_stmt = BenchRow.query()._get(db, (), lookups, False).send(None)
    holder = conn.holder  # type: ignore[attr-defined]
    cluster, raw_session = _cql.connect()
    prepared = _cql.prepare(raw_session)

    def plan_get() -> Any:
        return BenchRow.query()._get(db, (), lookups, False).send(None)

    def plan_and_hydrate_get() -> Any:
        op = BenchRow.query()._get(db, (), lookups, False)
        op.send(None)
        try:
            op.send(driver_row)
        except StopIteration as stop:
            return stop.value

    def plan_insert() -> Any:
        return ops.insert(backend, info, instance).send(None)

    def insert_all_but_io() -> Any:
        op = ops.insert(backend, info, BenchRow(**row))
        op.send(None)
        try:
            op.send(1)
        except StopIteration as stop:
            return stop.value

    def run_machinery() -> Any:  # Database.run + pool + _drive around a plan that yields nothing
        def nothing() -> Any:
            return None
            yield  # a generator that ends at once

        return db.run(nothing())

    def executor_extra() -> Any:  # what execute() does besides the driver call
        c = executor.as_cql(get_stmt)
        executor.active_batch()
        s = holder.session()
        bound = conn._driver_statements(s, c)  # type: ignore[attr-defined]
        return executor.shape(c, [driver_row], None), bound

    def driver_bind() -> Any:  # the bind the raw driver does inside Session.execute
        return prepared.get.bind((1, 1))

    pieces = [
        ("get: QuerySet + lookups + compile + bind (one plan step)", plan_get),
        ("get: the above + hydrate + one()", plan_and_hydrate_get),
        ("create: BenchRow(**row) (pydantic validation)", lambda: BenchRow(**row)),
        ("create: compile + bind the INSERT (one plan step)", plan_insert),
        ("create: BenchRow(**row) + plan + mark_saved", insert_all_but_io),
        ("Database.run + pool acquire/release + _drive, empty plan", run_machinery),
        ("executor.execute minus the request: as_cql, batch check, prepared LRU, bind, configure, shape",
         executor_extra),
        ("raw driver: PreparedStatement.bind (done inside Session.execute)", driver_bind),
        ("hydrate one row (cached hydrator)",
         lambda: ops.hydrate.hydrator(backend, info, info.table.columns)(driver_row)),
    ]
    out = [f"  {'CPU µs/call':>11}  piece (main thread, median of 5 x {n} calls)"]
    for title, fn in pieces:
        out.append(f"  {_per_call(fn, n):11.1f}  {title}")
    pool.release(conn)
    cluster.shutdown()
    db.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contender", default="ormada")
    parser.add_argument("--op", choices=(*OPS, "all"), default="all")
    parser.add_argument("--mode", choices=("sync", "async", "both"), default="both")
    parser.add_argument("--block", type=int, default=50, help="calls per timed block")
    parser.add_argument("--blocks", type=int, default=40, help="timed blocks per contender")
    parser.add_argument("--calls", type=int, default=2_000, help="calls under cProfile")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--steps", action="store_true", help="time ormada's client-side pieces alone and stop")
    parser.add_argument("--keep-keyspace", action="store_true", help="reuse the keyspace and leave it in place")
    args = parser.parse_args(argv)
    ops = list(OPS) if args.op == "all" else [args.op]
    modes = ["sync", "async"] if args.mode == "both" else [args.mode]
    oob = CqlOutOfBand()
    if not args.keep_keyspace or not oob.session.cluster.metadata.keyspaces.get("ormada_bench"):
        oob.create()
    try:
        if args.steps:
            print("\n".join(steps(args.calls)))
            return 0
        for mode in modes:
            raw, other = Driver(_spec("raw", mode)), Driver(_spec(args.contender, mode))
            try:
                for op in ops:
                    # A call of the batch op writes BATCH_ROWS rows: as many rows per block as the others.
                    scale = BATCH_ROWS if op == "batch" else 1
                    block, calls = max(1, args.block // scale), max(1, args.calls // scale)
                    r = ab(raw, other, op, block, args.blocks)
                    print(f"{args.contender} {mode} {op}: raw {r['raw_us']:.0f} µs, {args.contender} "
                          f"{r['other_us']:.0f} µs per call, ratio {r['ratio']:.2f}; main-thread CPU raw "
                          f"{r['raw_cpu_us']:.0f} µs, {args.contender} {r['other_cpu_us']:.0f} µs "
                          f"(+{r['other_cpu_us'] - r['raw_cpu_us']:.0f} µs)", flush=True)
                    if not args.no_profile:
                        print("\n".join(profile(other, op, calls, args.limit)), flush=True)
            finally:
                raw.close()
                other.close()
    finally:
        if not args.keep_keyspace:
            oob.drop()
        oob.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
