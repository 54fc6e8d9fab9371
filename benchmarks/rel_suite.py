"""The relations part of the harness: one process per contender and database, medians, ratios.

Each contender runs in a fresh process (``benchmarks.rel_runner``) on its own interpreter: the
harness's, or its own venv's for a mapper that needs another Python (matrx-orm, 3.13). A contender
whose venv is missing is reported as not run, with the reason.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.contenders import REL_CONTENDERS, ContenderSpec, select
from benchmarks.databases import Target, sqlite_dir
from benchmarks.rel_workload import R6_RELATIONS, REL_OPERATIONS

ROOT = Path(__file__).resolve().parent
TIMEOUT_S = {"full": 400, "quick": 120}


def summarize(values: list[float]) -> dict[str, float]:
    """Median and spread of per-repetition values."""
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=4) if len(ordered) >= 2 else [ordered[0]] * 3
    return {"median": statistics.median(ordered), "min": ordered[0], "max": ordered[-1], "iqr": q[2] - q[0],
            "reps": len(ordered)}


def run_process(spec: ContenderSpec, target: Target, sizes: str) -> dict[str, Any]:
    """One contender process; a missing venv, crash or time-out becomes an ``error`` entry, never an abort."""
    python = spec.python()
    if python is None:
        return {"error": f"not run: {spec.missing()}"}
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = Path(tmp.name)
    cmd = [python, "-m", "benchmarks.rel_runner", f"--contender={spec.module}", f"--db={target.db}",
           f"--sqlite-path={target.sqlite_path}", f"--sizes={sizes}", f"--out={out}"]
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT.parent, capture_output=True, text=True, timeout=TIMEOUT_S[sizes])
    except subprocess.TimeoutExpired:
        out.unlink(missing_ok=True)
        return {"error": f"timed out after {TIMEOUT_S[sizes]} s"}
    if proc.returncode != 0 or "Traceback" in proc.stderr:
        sys.stderr.write(f"--- {spec.key} {target.db} relations stderr ---\n{proc.stderr[-4000:]}\n")
    if proc.returncode != 0 or not out.stat().st_size:
        out.unlink(missing_ok=True)
        return {"error": f"exit {proc.returncode}: {_last_exception(proc.stderr)}"}
    data: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    data["seconds"] = round(time.perf_counter() - started, 1)
    return data


def _last_exception(stderr: str) -> str:
    lines = stderr.strip().splitlines() or ["no output"]
    found = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Exit)\b", line)]
    return (found or lines)[-1][:400]


def cell(result: dict[str, Any]) -> dict[str, Any]:
    """One operation's summary; R6 also gets its single prefetches and the overlap ratio."""
    if "rates" not in result:
        return result
    out: dict[str, Any] = {**summarize(result["rates"]), "unit": "rows", "rows": result["rows"],
                           "seconds": round(result["seconds"], 2), "time": statistics.median(result["times"])}
    singles = result.get("single_times")
    if singles:
        out["single_time"] = {name: statistics.median(singles[name]) for name in R6_RELATIONS}
        slowest = max(out["single_time"], key=out["single_time"].__getitem__)
        out["slowest_single"] = slowest
        # all three at once ÷ the slowest alone: 1.0 when the three loads overlap completely,
        # near the sum of the three shares when they run one after another.
        out["overlap_ratio"] = out["time"] / out["single_time"][slowest]
    return out


def collect(spec: ContenderSpec, db: str, sizes: str) -> dict[str, Any]:
    workdir = sqlite_dir() if db == "sqlite" else None
    try:
        sqlite_path = str(workdir / f"{spec.module}.db") if workdir else ""
        result = run_process(spec, Target(db, sqlite_path), sizes)
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    entry: dict[str, Any] = {"contender": spec.name, "mode": spec.mode, "label": spec.label, "db": db,
                             "module": spec.module, "seconds": result.get("seconds"),
                             "versions": result.get("versions", {}), "python": result.get("python")}
    if "error" in result:
        entry["error"] = result["error"]
    ops = result.get("ops", {})
    entry["ops"] = {op.key: cell(ops[op.key]) if op.key in ops else {"error": "not run"} for op in REL_OPERATIONS}
    return entry


def add_ratios(entries: list[dict[str, Any]]) -> None:
    """ratio = contender rows/s ÷ raw rows/s, same database, mode and operation (higher is better)."""
    raw = {(e["db"], e["mode"]): e for e in entries if e["contender"] == "raw"}
    for e in entries:
        base = raw.get((e["db"], e["mode"]), {}).get("ops", {})
        for key, c in e["ops"].items():
            ref = base.get(key)
            if "median" in c and isinstance(ref, dict) and "median" in ref:
                c["ratio"] = c["median"] / ref["median"]


def run(dbs: list[str], names: set[str] | None, sizes: str, started: float) -> list[dict[str, Any]]:
    """Every selected contender on every selected SQL database."""
    entries: list[dict[str, Any]] = []
    for db in dbs:
        for spec in select(names, db, REL_CONTENDERS):
            print(f"[{time.perf_counter() - started:6.0f}s] {db:<10} {spec.key:<18} relations ...", flush=True)
            entry = collect(spec, db, sizes)
            print(f"{'':9}{'':>11}{'':<18} {entry.get('error', 'ok')} ({entry.get('seconds')} s)", flush=True)
            entries.append(entry)
    add_ratios(entries)
    return entries
