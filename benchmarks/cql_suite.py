"""The Cassandra part of the harness: keyspace set-up, interleaved contender rounds, time ratios.

Each contender runs ``rounds`` times in a fresh process (``benchmarks.cql_runner``), and the rounds
are interleaved: round 0 of every contender, then round 1 of every contender, and so on. On a
2-core machine that also runs the Cassandra node, a slow spell (a JVM collection, a memtable
flush, another process) then lands on every contender alike instead of on whichever ran then.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.contenders import ContenderSpec
from benchmarks.cql_runner import cql_specs
from benchmarks.cql_workload import CQL_OPERATIONS, CQL_SIZES
from benchmarks.databases import CqlOutOfBand

ROOT = Path(__file__).resolve().parent
TIMEOUT_S = {"full": 300, "quick": 180}


def select(names: set[str] | None) -> list[ContenderSpec]:
    """The Cassandra contenders to run; the raw baseline always runs, since every ratio needs it."""
    return [c for c in cql_specs() if names is None or c.name in names or c.name == "raw"]


def run_process(spec: ContenderSpec, sizes: str, round_index: int) -> dict[str, Any]:
    """One round of one contender in its own process; a crash or time-out becomes an ``error``."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = Path(tmp.name)
    cmd = [sys.executable, "-m", "benchmarks.cql_runner", f"--contender={spec.module}", f"--sizes={sizes}",
           f"--round={round_index}", f"--out={out}"]
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT.parent, capture_output=True, text=True, timeout=TIMEOUT_S[sizes])
    except subprocess.TimeoutExpired:
        out.unlink(missing_ok=True)
        return {"error": f"timed out after {TIMEOUT_S[sizes]} s"}
    if proc.returncode != 0 or "Traceback" in proc.stderr:
        sys.stderr.write(f"--- {spec.key} cassandra round {round_index} stderr ---\n{proc.stderr[-4000:]}\n")
    if proc.returncode != 0 or not out.stat().st_size:
        out.unlink(missing_ok=True)
        return {"error": f"exit {proc.returncode}: {_last_exception(proc.stderr)}"}
    data: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    data["seconds"] = time.perf_counter() - started
    return data


def _last_exception(stderr: str) -> str:
    lines = stderr.strip().splitlines() or ["no output"]
    found = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Exit)\b", line)]
    return (found or lines)[-1][:400]


def summarize(times: list[float]) -> dict[str, float]:
    """Median and spread of per-unit times (seconds)."""
    import statistics

    ordered = sorted(times)
    q = statistics.quantiles(ordered, n=4) if len(ordered) >= 2 else [ordered[0]] * 3
    return {"median": statistics.median(ordered), "min": ordered[0], "max": ordered[-1], "iqr": q[2] - q[0],
            "reps": len(ordered)}


def merge(spec: ContenderSpec, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One entry per contender: every round's repetitions pooled per operation."""
    entry: dict[str, Any] = {"contender": spec.name, "mode": spec.mode, "label": spec.label, "db": "cassandra",
                             "module": spec.module, "seconds": round(sum(r.get("seconds", 0.0) for r in rounds), 1)}
    errors = [f"round {i}: {r['error']}" for i, r in enumerate(rounds) if "error" in r]
    if errors:
        entry["error"] = "; ".join(errors)
    cells: dict[str, Any] = {}
    for op in CQL_OPERATIONS:
        results = [r["ops"][op.key] for r in rounds if op.key in r.get("ops", {})]
        times = [t for res in results for t in res.get("times", ())]
        failed = next((res for res in results if "error" in res or "na" in res), None)
        if failed is not None:
            cells[op.key] = failed
        elif times:
            cells[op.key] = {**summarize(times), "unit": op.unit}
        else:
            cells[op.key] = {"error": "not run"}
    entry["ops"] = cells
    return entry


def add_time_ratios(entries: list[dict[str, Any]]) -> None:
    """time_ratio = contender median time ÷ raw median time, same mode and operation (1.30 = 30 % slower)."""
    raw = {e["mode"]: e for e in entries if e["contender"] == "raw"}
    for e in entries:
        base = raw.get(e["mode"], {}).get("ops", {})
        for key, cell in e.get("ops", {}).items():
            ref = base.get(key)
            if "median" in cell and isinstance(ref, dict) and "median" in ref:
                cell["time_ratio"] = cell["median"] / ref["median"]


def run(names: set[str] | None, sizes: str, started: float) -> tuple[list[dict[str, Any]], str]:
    """Every selected contender, ``rounds`` interleaved rounds each; returns (entries, server version)."""
    specs = select(names)
    oob = CqlOutOfBand()
    version = oob.version()
    print(f"[{time.perf_counter() - started:6.0f}s] cassandra  creating the benchmark keyspace and read data",
          flush=True)
    oob.create()
    results: dict[str, list[dict[str, Any]]] = {s.key: [] for s in specs}
    try:
        for round_index in range(CQL_SIZES[sizes].rounds):
            for spec in specs:
                print(f"[{time.perf_counter() - started:6.0f}s] cassandra  {spec.key:<18} round {round_index} ...",
                      flush=True)
                result = run_process(spec, sizes, round_index)
                results[spec.key].append(result)
                print(f"{'':9}{'':>11}{'':<18} {result.get('error', 'ok')} ({result.get('seconds', 0):.1f} s)",
                      flush=True)
    finally:
        oob.drop()
        oob.close()
    entries = [merge(spec, results[spec.key]) for spec in specs]
    add_time_ratios(entries)
    return entries, version
