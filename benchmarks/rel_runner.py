"""Runs one contender of the relations workload in its own process and writes its results as JSON.

Invoked by the harness as ``python -m benchmarks.rel_runner --contender MODULE --db DB ...``. The
contender creates its tables, the harness fills them (untimed, plain driver) and indexes the key
columns; then each operation runs once as an untimed warm-up and ``repetitions`` timed times. Every
call's ``(rows, checksum)`` is compared with what the generated data says, warm-up included: a
wrong answer is reported as an error, never as a rate.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from typing import Any

from benchmarks.contenders import REL_CONTENDERS, ContenderSpec
from benchmarks.contenders.base import Invoker, NotSupported
from benchmarks.databases import RelOutOfBand, Target
from benchmarks.rel_workload import (
    COLUMNS,
    KEY_INDEXES,
    PREFIX,
    R6_RELATIONS,
    REL_OPERATIONS,
    REL_SIZES,
    TABLES,
    Check,
    RelData,
    RelOperation,
    make_data,
)

Invoke = Callable[..., Any]


def seed(oob: RelOutOfBand, data: RelData, before: set[str]) -> None:
    """Fill every workload table the contender created, index the key columns, vacuum and analyze.

    ``before`` are the tables that existed before its ``setup`` (on PostgreSQL, other workloads' too).
    """
    existing = oob.tables()
    for table in TABLES:
        if table in existing:
            oob.fill(table, COLUMNS[table], data.rows(table))
    for table, column in KEY_INDEXES:
        if table in existing and column in oob.columns(table):
            oob.index(table, column)
    for table in sorted(t for t in existing if t.startswith("rel_") or t not in before):
        oob.quiet(table)
        oob.settle(table)


class RelRun:
    """Every operation of one contender on one database."""

    def __init__(self, contender: Any, mode: str, data: RelData, invoke: Invoke) -> None:
        self.c, self.mode, self.data, self.invoke = contender, mode, data, invoke
        self.reps = data.sizes.repetitions
        self.results: dict[str, Any] = {}

    def call(self, method: Callable[..., Any], args: tuple[Any, ...], expected: Check) -> float:
        """One call, timed and checked; returns its seconds."""
        gc.collect()
        t0 = time.perf_counter()
        returned = self.invoke(method, *args)
        elapsed = time.perf_counter() - t0
        if tuple(returned) != expected:
            raise AssertionError(f"{method.__name__}{args} returned (rows, checksum) {tuple(returned)}, "
                                 f"expected {expected}")
        return elapsed

    def measure(self, op: RelOperation, args: tuple[Any, ...]) -> None:
        started = time.perf_counter()
        try:
            if op.async_only and self.mode != "async":
                raise NotSupported("async only: it measures whether the three loads overlap")
            # What a contender knows it cannot do before it is asked (ormada without ManyToMany).
            reason = getattr(self.c, "unsupported", {}).get(op.key)
            if reason:
                raise NotSupported(reason)
            if op.key == "R6":
                self.results[op.key] = self._three(started)
                return
            method = getattr(self.c, op.method, None)
            if method is None:
                raise NotSupported(f"{op.method}() is not written for this contender")
            expected = self.data.expected[op.key]
            times = [self.call(method, args, expected) for _ in range(self.reps + 1)][1:]
            self.results[op.key] = {"rates": [expected[0] / t for t in times], "times": times,
                                    "rows": expected[0], "seconds": time.perf_counter() - started}
        except NotSupported as exc:
            self.results[op.key] = {"na": str(exc) or "no API for this operation"}
        except Exception as exc:  # a broken operation is reported, and the others still run
            self.results[op.key] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            traceback.print_exc()

    def _three(self, started: float) -> dict[str, Any]:
        """R6: each repetition times the three single prefetches, then all three at once."""
        expected = self.data.expected
        single: dict[str, list[float]] = {name: [] for name in R6_RELATIONS}
        three: list[float] = []
        for rep in range(self.reps + 1):
            for name in R6_RELATIONS:
                t = self.call(self.c.prefetch_single, (name,), expected[f"R6.{name}"])
                if rep:
                    single[name].append(t)
            t = self.call(self.c.prefetch_three, (), expected["R6"])
            if rep:
                three.append(t)
        rows = expected["R6"][0]
        return {"rates": [rows / t for t in three], "times": three, "single_times": single, "rows": rows,
                "seconds": time.perf_counter() - started}

    def run(self) -> dict[str, Any]:
        args: dict[str, tuple[Any, ...]] = {"R4": (self.data.sizes.tag_books,), "R5": (PREFIX,)}
        for op in REL_OPERATIONS:
            self.measure(op, args.get(op.key, ()))
        return self.results


def versions(spec: ContenderSpec) -> dict[str, str]:
    """The versions of the contender's packages as this interpreter sees them."""
    out = {}
    for dist in spec.packages:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def run(spec: ContenderSpec, target: Target, sizes_name: str) -> dict[str, Any]:
    data = make_data(REL_SIZES[sizes_name])
    invoke = Invoker(spec.mode)
    oob = RelOutOfBand(target)
    oob.init_file()
    oob.drop_all(TABLES)
    out: dict[str, Any] = {"versions": versions(spec), "python": sys.version.split()[0]}
    before = oob.tables()
    contender = spec.load()(target)
    invoke(contender.setup)
    try:
        seed(oob, data, before)
        out["ops"] = RelRun(contender, spec.mode, data, invoke).run()
    finally:
        invoke(contender.close)
        invoke.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contender", required=True, help="module name, e.g. rel_raw_sqlite3")
    parser.add_argument("--db", required=True)
    parser.add_argument("--sqlite-path", default="")
    parser.add_argument("--sizes", default="full", choices=sorted(REL_SIZES))
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    spec = next(c for c in REL_CONTENDERS if c.module == args.contender)
    result = run(spec, Target(db=args.db, sqlite_path=args.sqlite_path), args.sizes)
    with open(args.out, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
