"""Runs one contender in its own process: every operation on every model, or the streaming read.

Invoked by the harness as ``python -m benchmarks.runner --contender KEY --db DB ...``; writes one
JSON document to ``--out``. Async contenders run on one event loop with concurrency 1: each
operation is a single coroutine that awaits its statements one after another, on asyncio's default
event loop or, with ``--loop uvloop``, on uvloop's.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import time
import traceback
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.contenders import CONTENDERS, ContenderSpec
from benchmarks.contenders.base import LOOPS, Invoker, NotSupported
from benchmarks.databases import OutOfBand, Target
from benchmarks.workload import (
    LEVEL_MIN,
    MODELS,
    SIZES,
    SMALL,
    STREAM_CEILING_MIB,
    STREAM_CHUNK,
    STREAM_SEED_ROWS,
    ModelSpec,
    Sizes,
    make_levels,
    make_rows,
)


@dataclass(frozen=True)
class Operation:
    """One measured operation; ``unit`` is what its rate counts (rows or operations)."""

    key: str
    method: str
    title: str
    unit: str


OPERATIONS: tuple[Operation, ...] = (
    Operation("A", "insert_single", "insert single (autocommit)", "ops"),
    Operation("B", "insert_txn", "insert many, one transaction", "ops"),
    Operation("C", "bulk_insert", "bulk insert", "rows"),
    Operation("D", "filter_large", "filter, large result -> objects", "rows"),
    Operation("E", "filter_page", "filter, limit 20 at random offset", "ops"),
    Operation("F", "get_by_pk", "get by primary key", "ops"),
    Operation("G", "values_dicts", "large result as dicts", "rows"),
    Operation("H", "values_tuples", "large result as tuples", "rows"),
    Operation("I", "update_all", "update all fields + save", "ops"),
    Operation("J", "update_one", "update one field + save", "ops"),
    Operation("K", "delete", "delete", "ops"),
)
STREAM = Operation("S", "stream", "streaming read (small model)", "rows")

Invoke = Callable[..., Any]
#: E's offsets fall in the first rows of the ordered result: deep offsets would measure the
#: server's offset scan (and its plan choice between literal and prepared offsets), not the client.
PAGE_WINDOW = 1_000
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _seed(*parts: object) -> int:
    """A seed that is the same in every process (``hash()`` of a str is not)."""
    return zlib.crc32("-".join(map(str, parts)).encode())


def rss_bytes() -> int:
    """Current resident set size of this process."""
    with open("/proc/self/statm", "rb") as f:
        return int(f.read().split()[1]) * _PAGE


class ModelRun:
    """Runs operations A-K for one model against one freshly created table."""

    def __init__(self, contender: Any, spec: ModelSpec, sizes: Sizes, oob: OutOfBand, invoke: Invoke) -> None:
        self.c, self.spec, self.sizes, self.oob, self.invoke = contender, spec, sizes, oob, invoke
        self.results: dict[str, Any] = {}
        self.rng = random.Random(f"{spec.key}-plan")

    def reps(self) -> list[tuple[int, float]]:
        """(repetition index, size factor): index 0 is the untimed warm-up."""
        return [(0, self.sizes.warmup_fraction)] + [(i, 1.0) for i in range(1, self.sizes.repetitions + 1)]

    def measure(self, op: Operation, prepare: Callable[[int, float], tuple[tuple[Any, ...], int]]) -> None:
        """Run ``op`` for the warm-up and every repetition; ``prepare`` builds (args, count) untimed.

        ``count`` is what the rate counts; an ``int`` the method returns must equal it, except for E,
        whose rate counts queries and whose method returns rows (20 per query).
        """
        rates: list[float] = []
        started = time.perf_counter()
        try:
            method = getattr(self.c, op.method)
            for rep, factor in self.reps():
                args, count = prepare(rep, factor)
                gc.collect()
                t0 = time.perf_counter()
                returned = self.invoke(method, *args)
                elapsed = time.perf_counter() - t0
                expected = count * 20 if op.key == "E" else count
                if isinstance(returned, int) and returned != expected:
                    raise AssertionError(f"{op.method} returned {returned}, expected {expected}")
                if rep:
                    rates.append(count / elapsed)
            self.results[op.key] = {"rates": rates, "count": count, "seconds": time.perf_counter() - started}
        except NotSupported as exc:
            self.results[op.key] = {"na": str(exc) or "no API for this operation"}
        except Exception as exc:  # a broken operation is reported, and the others still run
            self.results[op.key] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            traceback.print_exc()

    def n(self, base: int, factor: float) -> int:
        return max(1, int(base * factor))

    def run(self) -> dict[str, Any]:
        s, spec, ops = self.sizes, self.spec, {o.key: o for o in OPERATIONS}

        def rows_of(base: int, tag: str) -> Callable[[int, float], tuple[tuple[Any, ...], int]]:
            def prepare(rep: int, factor: float) -> tuple[tuple[Any, ...], int]:
                count = self.n(base, factor)
                return (make_rows(spec, count, seed=_seed(spec.key, tag, rep)),), count

            return prepare

        self.measure(ops["A"], rows_of(s.insert_single, "A"))
        self.measure(ops["B"], rows_of(s.insert_txn, "B"))
        self.measure(ops["C"], rows_of(s.bulk_insert, "C"))
        self.oob.settle(spec.table)
        total = self.oob.count(spec.table)
        expected = sum(self.n(b, f) for b in (s.insert_single, s.insert_txn, s.bulk_insert) for _, f in self.reps())
        if total != expected:
            self.results["check"] = f"table holds {total} rows after A-C, expected {expected}"
        ids = self.oob.ids(spec.table)
        for key in ("D", "G", "H"):
            self.measure(ops[key], lambda rep, factor: ((LEVEL_MIN,), total))
        self.measure(
            ops["E"],
            lambda rep, f: (
                (LEVEL_MIN, [self.rng.randint(0, min(total, PAGE_WINDOW) - 20) for _ in range(self.n(s.pages, f))]),
                self.n(s.pages, f),
            ),
        )
        self.measure(ops["F"], lambda rep, f: ((self.rng.sample(ids, self.n(s.gets, f)),), self.n(s.gets, f)))
        self._mutations(ids)
        return self.results

    def _mutations(self, ids: list[int]) -> None:
        """I, J and K on disjoint id ranges: I from the front, J after it, K from the back."""
        s, spec, ops = self.sizes, self.spec, {o.key: o for o in OPERATIONS}
        cursor = {"I": 0, "J": sum(self.n(s.update_all, f) for _, f in self.reps()), "K": 0}

        def take(key: str, count: int) -> list[int]:
            if key == "K":
                chunk = ids[len(ids) - cursor["K"] - count : len(ids) - cursor["K"]]
            else:
                chunk = ids[cursor[key] : cursor[key] + count]
            cursor[key] += count
            return chunk

        def prepare(key: str, base: int) -> Callable[[int, float], tuple[tuple[Any, ...], int]]:
            def inner(rep: int, factor: float) -> tuple[tuple[Any, ...], int]:
                count = self.n(base, factor)
                objs = list(self.invoke(self.c.fetch, take(key, count)))
                if len(objs) != count:
                    raise AssertionError(f"fetch returned {len(objs)} objects, expected {count}")
                if key == "I":
                    return (objs, make_rows(spec, count, seed=_seed(spec.key, "I", rep))), count
                if key == "J":
                    return (objs, make_levels(count, seed=_seed(spec.key, "J", rep))), count
                return (objs,), count

            return inner

        self.measure(ops["I"], prepare("I", s.update_all))
        self.measure(ops["J"], prepare("J", s.update_one))
        before = self.oob.count(spec.table)
        self.measure(ops["K"], prepare("K", s.delete))
        deleted = sum(self.n(s.delete, f) for _, f in self.reps())
        if "error" not in self.results["K"] and self.oob.count(spec.table) != before - deleted:
            self.results["K"] = {"error": "rows were not deleted"}


def stream_run(cls: Any, target: Target, sizes: Sizes, invoke: Invoke, is_async: bool) -> dict[str, Any]:
    """Fill the small table to ``sizes.stream_rows`` rows, then stream it, sampling RSS as it goes."""
    oob = OutOfBand(target)
    oob.init_file()
    oob.drop(SMALL.table)
    c = cls(target, SMALL)
    invoke(c.setup)
    oob.quiet(SMALL.table)
    seed_rows = make_rows(SMALL, STREAM_SEED_ROWS, seed=7)
    for start in range(0, len(seed_rows), 1000):
        invoke(c.bulk_insert, seed_rows[start : start + 1000])
    while oob.count(SMALL.table) < sizes.stream_rows:
        oob.double(SMALL.table, SMALL.names)
    oob.settle(SMALL.table)
    expected = oob.count(SMALL.table)
    gc.collect()
    base = peak = rss_bytes()
    t0 = time.perf_counter()
    if is_async:

        async def consume() -> tuple[int, int]:
            n, top = 0, base
            async for _ in c.stream(STREAM_CHUNK):
                n += 1
                if not n % 1000:
                    top = max(top, rss_bytes())
            return n, top

        seen, peak = invoke(consume)
    else:
        seen = 0
        for _ in c.stream(STREAM_CHUNK):
            seen += 1
            if not seen % 1000:
                peak = max(peak, rss_bytes())
    elapsed = time.perf_counter() - t0
    invoke(c.close)
    growth = (peak - base) / 2**20
    return {
        "rows": seen,
        "expected": expected,
        "rate": seen / elapsed,
        "rss_growth_mib": round(growth, 2),
        "ceiling_mib": STREAM_CEILING_MIB,
        "ok": seen == expected and growth <= STREAM_CEILING_MIB,
        "method": getattr(c, "stream_method", "streaming API"),
    }


def run(spec: ContenderSpec, target: Target, sizes_name: str, phase: str, models: list[str],
        loop: str = "asyncio") -> dict[str, Any]:
    cls = spec.load()
    sizes = SIZES[sizes_name]
    invoke = Invoker(spec.mode, loop)

    out: dict[str, Any] = {"phase": phase}
    if phase == "stream":
        out["stream"] = stream_run(cls, target, sizes, invoke, invoke.loop is not None)
        return out
    out["models"] = {}
    for key in models:
        model = MODELS[key]
        oob = OutOfBand(target)
        oob.init_file()
        oob.drop(model.table)
        contender = cls(target, model)
        invoke(contender.setup)
        oob.quiet(model.table)
        try:
            out["models"][key] = ModelRun(contender, model, sizes.scaled(model), oob, invoke).run()
        finally:
            invoke(contender.close)
    invoke.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contender", required=True, help="module name, e.g. raw_sqlite3")
    parser.add_argument("--db", required=True)
    parser.add_argument("--sqlite-path", default="")
    parser.add_argument("--sizes", default="full", choices=sorted(SIZES))
    parser.add_argument("--phase", default="ops", choices=("ops", "stream"))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--out", required=True)
    parser.add_argument("--loop", default="asyncio", choices=LOOPS, help="the event loop of an async contender")
    args = parser.parse_args(argv)
    spec = next(c for c in CONTENDERS if c.module == args.contender)
    target = Target(db=args.db, sqlite_path=args.sqlite_path)
    result = run(spec, target, args.sizes, args.phase, args.models.split(","), args.loop)
    with open(args.out, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
