"""Benchmark harness: runs every contender in its own process and writes the results.

Usage: ``python -m benchmarks.harness [--quick] [--only ormada,raw] [--db sqlite,cassandra] [--models small]
[--workload sql,relations,pagination,throughput,cassandra]``.
On SQL databases each contender runs twice per database in a fresh process: once for operations
A-K on every model (fresh tables, a warm-up, then the repetitions) and once for the streaming read,
so that its peak memory is measured in a process that did nothing else. The relations workload
(R1-R9, ``benchmarks.rel_suite``) follows on the same databases, and Cassandra has a workload of its
own (``benchmarks.cql_suite``). The pagination workload runs ``benchmarks/pagination.py`` (page 1 and
page 1,000 by OFFSET and by keyset, through ormada, the raw driver, SQLAlchemy, Django and Tortoise)
on SQLite and PostgreSQL, and the
throughput workload ``benchmarks/crud_throughput.py`` (CRUDRouter's list endpoint under load against
a hand-written FastAPI endpoint on asyncpg) on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import charts, cql_report, cql_suite, rel_report, rel_suite, report
from benchmarks.contenders import ContenderSpec, select, unsupported
from benchmarks.contenders.base import LOOPS
from benchmarks.databases import DATABASES, FILE_DATABASES, Target, prepare_mysql, prepare_postgres, sqlite_dir
from benchmarks.runner import OPERATIONS
from benchmarks.workload import MODELS, SIZES

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
README = ROOT.parent / "README.md"
TIMEOUT_S = {"full": 300, "quick": 120}
WORKLOADS = ("sql", "relations", "pagination", "throughput", "cassandra")
#: The databases benchmarks/pagination.py runs on, and its rows (page 1,000 of 50 needs 50,000).
PAGINATION_DATABASES = ("sqlite", "postgresql")
#: The databases the relations workload (R1-R9) has contenders for.
RELATIONS_DATABASES = ("sqlite", "postgresql")
PAGINATION_ROWS = {"full": 100_000, "quick": 60_000}
#: A 1-minute load average above this means something else was using the CPUs during the run.
BUSY_LOAD = 1.5


def summarize(rates: list[float]) -> dict[str, float]:
    """Median and spread of per-repetition rates."""
    ordered = sorted(rates)
    q = statistics.quantiles(ordered, n=4) if len(ordered) >= 2 else [ordered[0]] * 3
    return {
        "median": statistics.median(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "iqr": q[2] - q[0],
        "reps": len(ordered),
    }


def run_process(spec: ContenderSpec, target: Target, sizes: str, phase: str, models: list[str],
                loop: str = "asyncio") -> dict[str, Any]:
    """Run one contender process; a missing venv, crash or time-out becomes an ``error`` entry, never an abort."""
    python = spec.python()
    if python is None:
        return {"error": f"not run: {spec.missing()}"}
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = Path(tmp.name)
    cmd = [
        python,
        "-m",
        "benchmarks.runner",
        f"--contender={spec.module}",
        f"--db={target.db}",
        f"--sqlite-path={target.sqlite_path}",
        f"--sizes={sizes}",
        f"--phase={phase}",
        f"--models={','.join(models)}",
        f"--out={out}",
        f"--loop={loop}",
    ]
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT.parent, capture_output=True, text=True, timeout=TIMEOUT_S[sizes])
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {TIMEOUT_S[sizes]} s"}
    elapsed = time.perf_counter() - started
    if proc.returncode != 0 or "Traceback" in proc.stderr:
        sys.stderr.write(f"--- {spec.key} {target.db} {phase} stderr ---\n{proc.stderr[-4000:]}\n")
    if proc.returncode != 0 or not out.stat().st_size:
        return {"error": f"exit {proc.returncode}: {_last_exception(proc.stderr)}"}
    data: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    data["seconds"] = round(elapsed, 1)
    return data


def _last_exception(stderr: str) -> str:
    """The ``SomeError: message`` line of a traceback, else the last line."""
    lines = stderr.strip().splitlines() or ["no output"]
    found = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Exit)\b", line)]
    return (found or lines)[-1][:400]


def collect(spec: ContenderSpec, db: str, sizes: str, models: list[str], stream: bool,
            loop: str = "asyncio") -> dict[str, Any]:
    """Both processes of one contender on one database, summarized. On uvloop (an async contender's
    ``loop``) the entry's mode is ``async-uvloop``, compared with the raw async driver on uvloop."""
    workdir = sqlite_dir() if db in FILE_DATABASES else None
    sqlite_path = str(workdir / f"{spec.module}.db") if workdir else ""
    try:
        ops = run_process(spec, Target(db, sqlite_path), sizes, "ops", models, loop)
        stream_result = None
        if stream:
            stream_path = str(workdir / f"{spec.module}-stream.db") if workdir else ""
            stream_result = run_process(spec, Target(db, stream_path), sizes, "stream", models, loop)
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    mode = f"{spec.mode}-uvloop" if loop == "uvloop" else spec.mode
    entry: dict[str, Any] = {"contender": spec.name, "mode": mode, "label": spec.label, "db": db}
    if "error" in ops:
        entry["error"] = ops["error"]
    entry["seconds"] = ops.get("seconds")
    entry["models"] = {}
    for model, results in ops.get("models", {}).items():
        cells: dict[str, Any] = {}
        for op in OPERATIONS:
            r = results.get(op.key, {"error": "not run"})
            if "rates" in r:
                cells[op.key] = {**summarize(r["rates"]), "unit": op.unit, "seconds": round(r["seconds"], 2)}
            else:
                cells[op.key] = r
        if "check" in results:
            cells["check"] = results["check"]
        entry["models"][model] = cells
    if stream_result is not None:
        entry["stream"] = stream_result.get("stream", {"error": stream_result.get("error", "no result")})
    return entry


def add_ratios(entries: list[dict[str, Any]]) -> None:
    """ratio = contender median / raw median, same database, model, mode and operation."""
    raw = {(e["db"], e["mode"]): e for e in entries if e["contender"] == "raw"}
    for e in entries:
        base = raw.get((e["db"], e["mode"]))
        for model, cells in e.get("models", {}).items():
            base_cells = (base or {}).get("models", {}).get(model, {})
            for key, cell in cells.items():
                ref = base_cells.get(key)
                if isinstance(cell, dict) and "median" in cell and isinstance(ref, dict) and "median" in ref:
                    cell["ratio"] = cell["median"] / ref["median"]
        stream, ref_stream = e.get("stream", {}), (base or {}).get("stream", {})
        if "rate" in stream and "rate" in ref_stream:
            stream["ratio"] = stream["rate"] / ref_stream["rate"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run of a minute or two")
    parser.add_argument("--only", default="", help="comma-separated contender names (raw always runs)")
    parser.add_argument("--db", default=",".join(DATABASES),
                        help="comma-separated: sqlite, postgresql, mysql, duckdb, cassandra")
    parser.add_argument("--models", default=",".join(MODELS), help="small, wide or both")
    parser.add_argument("--no-stream", action="store_true", help="skip the streaming read")
    parser.add_argument("--loop", default="asyncio",
                        help="comma-separated event loops for the async contenders of A-K and the stream: asyncio "
                             "(the default), uvloop, or asyncio,uvloop for a second run on uvloop")
    parser.add_argument("--workload", default=",".join(WORKLOADS),
                        help="comma-separated: sql (A-K and the stream), relations (R1-R9), pagination "
                             "(keyset against offset at page 1,000), throughput (CRUDRouter under load against "
                             "raw asyncpg, PostgreSQL), cassandra")
    parser.add_argument("--timeout", type=float, default=0.0,
                        help=f"seconds a contender process may take before it is reported as timed out (default "
                             f"{TIMEOUT_S['full']} full, {TIMEOUT_S['quick']} with --quick); more on a loaded machine")
    parser.add_argument("--throughput-seconds", type=float, default=5.0,
                        help="timed load per application of the throughput workload (default 5)")
    parser.add_argument("--output", default=str(RESULTS),
                        help="directory for latest.json / latest.md (SQL), relations.json / relations.md, "
                             "pagination.md, throughput.md and cassandra.json / cassandra.md")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = "quick" if args.quick else "full"
    if args.timeout > 0:
        TIMEOUT_S[sizes] = args.timeout
    names = {n.strip() for n in args.only.split(",") if n.strip()} or None
    dbs = [d.strip() for d in args.db.split(",") if d.strip()]
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    workloads = [w.strip() for w in args.workload.split(",") if w.strip()]
    loops = [lp.strip() for lp in args.loop.split(",") if lp.strip()]
    unknown = ([d for d in dbs if d not in DATABASES] + [m for m in models if m not in MODELS]
               + [w for w in workloads if w not in WORKLOADS] + [lp for lp in loops if lp not in LOOPS])
    if unknown or not loops:
        print(f"unknown database, model, workload or event loop: {', '.join(unknown) or args.loop}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    sql_dbs = [d for d in dbs if d != "cassandra"]
    paths: list[Path] = []
    sql_summary, cql_lines = "", []
    if sql_dbs and "sql" in workloads:
        sql_paths, sql_summary = run_sql(args, sql_dbs, sizes, names, models, started, load_before)
        paths += sql_paths
    rel_lines: list[str] = []
    rel_dbs = [d for d in sql_dbs if d in RELATIONS_DATABASES]
    if rel_dbs and "relations" in workloads:
        rel_paths, rel_lines = run_relations(args, rel_dbs, sizes, names, started)
        paths += rel_paths
    pagination_dbs = [d for d in dbs if d in PAGINATION_DATABASES]
    if pagination_dbs and "pagination" in workloads:
        paths += run_pagination(Path(args.output), pagination_dbs, sizes)
    if "postgresql" in dbs and "throughput" in workloads:
        paths += run_throughput(Path(args.output), args.throughput_seconds)
    if "cassandra" in dbs and "cassandra" in workloads:
        cql_started, cql_load = time.perf_counter(), os.getloadavg()[0]
        cql_entries, version = cql_suite.run(names, sizes, started)
        load = {"before": cql_load, "after": os.getloadavg()[0]}
        cql_env = cql_report.environment(version, sizes, time.perf_counter() - cql_started, load)
        paths += cql_report.write(Path(args.output), cql_env, cql_entries)
        cql_lines = cql_report.summary_table(cql_entries)
    # Only a whole run of the full suite into the default place speaks for the README.
    complete = (sizes == "full" and names is None and not args.no_stream and set(dbs) == set(DATABASES)
                and set(models) == set(MODELS) and set(workloads) == set(WORKLOADS)
                and Path(args.output).resolve() == RESULTS)
    if complete:
        text = sql_summary
        if rel_lines:
            text += "\n\n**Relations** (" + rel_report.LEGEND + ")\n\n" + "\n".join(rel_lines)
        if cql_lines:
            text += "\n\n**Cassandra** (time ratio to cassandra-driver, lower is better; in brackets the best " \
                    "other mapper)\n\n" + "\n".join(cql_lines)
        if report.update_readme(README, text):
            paths.append(README)
    paths += charts.write(Path(args.output))
    print(f"wrote {', '.join(str(p) for p in paths)} in {time.perf_counter() - started:.0f} s")
    load_after = os.getloadavg()[0]
    if max(load_before, load_after) > BUSY_LOAD:
        print(f"note: load average {load_before:.2f} / {load_after:.2f}: other work shared the CPUs, expect noise",
              file=sys.stderr)
    return 0


def run_sql(args: argparse.Namespace, dbs: list[str], sizes: str, names: set[str] | None, models: list[str],
            started: float, load_before: float) -> tuple[list[Path], str]:
    """The SQL databases, every contender in its own processes: (latest.json / latest.md, README summary)."""
    pg_version = prepare_postgres() if "postgresql" in dbs else None
    mysql_version = prepare_mysql() if "mysql" in dbs else None
    loops = [lp.strip() for lp in args.loop.split(",") if lp.strip()]
    entries: list[dict[str, Any]] = []
    for db in dbs:
        for spec in select(names, db):
            for loop in loops if spec.mode == "async" else ["asyncio"]:
                key = spec.key + ("-uvloop" if loop == "uvloop" else "")
                print(f"[{time.perf_counter() - started:6.0f}s] {db:<10} {key:<18} ...", flush=True)
                entry = collect(spec, db, sizes, models, not args.no_stream and "small" in models, loop)
                print(f"{'':9}{'':>11}{'':<18} {entry.get('error', 'ok')} ({entry.get('seconds')} s)", flush=True)
                entries.append(entry)
        for spec in unsupported(names, db):
            for loop in loops if spec.mode == "async" else ["asyncio"]:
                mode = f"{spec.mode}-uvloop" if loop == "uvloop" else spec.mode
                entries.append({"contender": spec.name, "mode": mode, "label": spec.label, "db": db,
                                "unsupported": spec.unsupported_on(db), "models": {}})
    add_ratios(entries)
    env = report.environment(pg_version, SIZES[sizes], sizes, time.perf_counter() - started, mysql_version,
                             "duckdb" in dbs)
    env["load_average"] = {"before": load_before, "after": os.getloadavg()[0]}
    return report.write(Path(args.output), env, entries), report.summary(env, entries)


def run_relations(args: argparse.Namespace, dbs: list[str], sizes: str, names: set[str] | None,
                  started: float) -> tuple[list[Path], list[str]]:
    """The relations workload on the SQL databases: relations.json / relations.md, and the
    README's summary lines."""
    rel_started, rel_load = time.perf_counter(), os.getloadavg()[0]
    pg_version = prepare_postgres() if "postgresql" in dbs else None
    entries = rel_suite.run(dbs, names, sizes, started)
    load = {"before": rel_load, "after": os.getloadavg()[0]}
    env = rel_report.environment(entries, pg_version, sizes, time.perf_counter() - rel_started, load)
    return rel_report.write(Path(args.output), env, entries), rel_report.summary_table(entries)


def run_pagination(output: Path, dbs: list[str], sizes: str) -> list[Path]:
    """benchmarks/pagination.py in a process of its own; its output goes to pagination.md and its
    summary lines (page 1,000 by keyset against OFFSET) to the console."""
    args = ["--db", ",".join(dbs), "--rows", str(PAGINATION_ROWS[sizes])]
    return _script(output, "pagination", args, "keyset vs offset:", "Pagination: keyset against OFFSET at page 1,000",
                   TIMEOUT_S[sizes] * 4)  # ormada, the raw driver and three other mappers, two orderings each


def run_throughput(output: Path, seconds: float) -> list[Path]:
    """benchmarks/crud_throughput.py in a process of its own (it starts the servers and the load):
    throughput.md, and its summary line (ormada's requests/s ÷ raw asyncpg's) on the console."""
    return _script(output, "crud_throughput", ["--seconds", f"{seconds:g}"], "CRUDRouter vs raw asyncpg:",
                   "Throughput: CRUDRouter's list endpoint against a hand-written one on asyncpg", seconds * 2 + 300)


def _script(output: Path, name: str, args: list[str], prefix: str, title: str, timeout: float) -> list[Path]:
    """Runs benchmarks/<name>.py; its output goes to <name>.md and its lines starting with
    ``prefix`` (the summary) to the console."""
    cmd = [sys.executable, str(ROOT / f"{name}.py"), *args]
    print(f"{name}: benchmarks/{name}.py {' '.join(args)}", flush=True)
    try:
        proc = subprocess.run(cmd, cwd=ROOT.parent, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"{name}: timed out after {timeout:.0f} s", file=sys.stderr)
        return []
    if proc.returncode != 0:
        print(f"{name}: exit {proc.returncode}: {_last_exception(proc.stderr)}", file=sys.stderr)
        return []
    summary = [line for line in proc.stdout.splitlines() if line.startswith(prefix)]
    print("\n".join(summary), flush=True)
    output.mkdir(parents=True, exist_ok=True)
    path = output / f"{name.removeprefix('crud_')}.md"
    shown = " ".join([f"benchmarks/{name}.py", *args])
    path.write_text(f"# {title}\n\n`{shown}`\n\n" + "".join(f"- {line}\n" for line in summary)
                    + f"\n```\n{proc.stdout.strip()}\n```\n")
    return [path]


if __name__ == "__main__":
    sys.exit(main())
