"""Profile one operation of one contender with cProfile (or py-spy) and print its hot spots.

Usage::

    benchmarks/.venv/bin/python -m benchmarks.profiling --db sqlite --mode sync --op F
    benchmarks/.venv/bin/python -m benchmarks.profiling --db postgresql --op D --contender sqlalchemy

The table is filled with ``--rows`` small-model rows first (untimed). Cumulative and own time
are shown as a share of the profiled operation's total time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import shutil
import sys
from typing import Any

from benchmarks.contenders import CONTENDERS
from benchmarks.contenders.base import Invoker
from benchmarks.databases import FILE_DATABASES, OutOfBand, Target, prepare_mysql, prepare_postgres, sqlite_dir
from benchmarks.runner import OPERATIONS
from benchmarks.workload import LEVEL_MIN, MODELS, make_rows


def _args(op: str, spec_key: str, ids: list[int], count: int) -> tuple[Any, ...]:
    spec = MODELS[spec_key]
    if op in ("A", "B", "C"):
        return (make_rows(spec, count, seed=11),)
    if op in ("D", "G", "H"):
        return (LEVEL_MIN,)
    if op == "E":
        return (LEVEL_MIN, [random.randint(0, len(ids) - 20) for _ in range(count)])
    if op == "F":
        return (random.sample(ids, min(count, len(ids))),)
    raise SystemExit(f"profiling op {op} is not supported (A-H are)")


def _top(stats: pstats.Stats, key: str, limit: int, total: float) -> list[str]:
    rows = []
    for (filename, line, func), (_cc, _nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if "benchmarks/" in filename and "contenders" not in filename:
            continue  # the profiler's own frames
        rows.append((ct if key == "cumulative" else tt, ct, tt, f"{filename}:{line}({func})"))
    rows.sort(reverse=True)
    out = [f"  {'cum %':>6} {'own %':>6}  function"]
    for _, ct, tt, where in rows[:limit]:
        out.append(f"  {100 * ct / total:6.1f} {100 * tt / total:6.1f}  {where}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contender", default="ormada")
    parser.add_argument("--mode", default="sync", choices=("sync", "async"))
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgresql", "mysql", "duckdb"))
    parser.add_argument("--model", default="small", choices=sorted(MODELS))
    parser.add_argument("--op", default="F", choices=[o.key for o in OPERATIONS if o.key <= "H"])
    parser.add_argument("--rows", type=int, default=20_000, help="rows in the table before profiling")
    parser.add_argument("--count", type=int, default=3_000, help="rows or calls per profiled repetition")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--limit", type=int, default=25)
    args = parser.parse_args(argv)

    spec = next(c for c in CONTENDERS if c.name == args.contender and c.mode == args.mode and args.db in c.databases)
    if args.db == "postgresql":
        prepare_postgres()
    if args.db == "mysql":
        prepare_mysql()
    workdir = sqlite_dir() if args.db in FILE_DATABASES else None
    try:
        return _profile(args, spec, Target(args.db, str(workdir / "profile.db") if workdir else ""))
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def _profile(args: argparse.Namespace, spec: Any, target: Target) -> int:
    model = MODELS[args.model]
    oob = OutOfBand(target)
    oob.drop(model.table)
    invoke = Invoker(args.mode)

    contender = spec.load()(target, model)
    invoke(contender.setup)
    invoke(contender.bulk_insert, make_rows(model, args.rows, seed=3))
    ids = oob.ids(model.table)
    method = getattr(contender, next(o.method for o in OPERATIONS if o.key == args.op))
    invoke(method, *_args(args.op, args.model, ids, args.count))  # warm-up: caches, prepared statements
    profiler = cProfile.Profile()
    for _ in range(args.reps):
        call_args = _args(args.op, args.model, ids, args.count)
        profiler.enable()
        invoke(method, *call_args)
        profiler.disable()
    invoke(contender.close)
    stats = pstats.Stats(profiler)
    total = max(ct for (_f, _l, _n), (_a, _b, _t, ct, _c) in stats.stats.items())  # type: ignore[attr-defined]
    size = f"{len(ids)} rows read" if args.op in ("D", "G", "H") else f"{args.count} rows or calls"
    print(f"{spec.label} {args.mode} on {args.db}, op {args.op}, {args.reps} x {size}: {total:.3f} s profiled")
    print("by cumulative time:")
    print("\n".join(_top(stats, "cumulative", args.limit, total)))
    print("by own time:")
    print("\n".join(_top(stats, "own", args.limit, total)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
