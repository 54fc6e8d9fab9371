"""Cassandra results output: ``cassandra.json``, ``cassandra.md`` and the README summary lines.

Unlike the SQL tables (throughput ratios, higher is better), the Cassandra tables give the time per
operation and the **time ratio** to the raw driver: contender time ÷ raw time, so 1.00 is as fast
as cassandra-driver alone and 1.30 is 30 % slower.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.contenders import CONTENDERS
from benchmarks.cql_workload import (
    BATCH_ROWS,
    CQL_OPERATIONS,
    CQL_SIZES,
    FETCH_SIZE,
    PAGE_LIMIT,
    PAGED_ROWS,
    READ_PARTITIONS,
    ROWS_PER_PARTITION,
)

NOTES = (
    "Each cell: median time per operation (one statement, one batch of "
    f"{BATCH_ROWS} rows, or one paged read of {PAGED_ROWS:,} rows), then in brackets the time ratio to the "
    "raw driver in the same run and mode (contender time ÷ raw time: **lower is better**, 1.00x = as fast "
    "as cassandra-driver alone) and ± half the interquartile range as a share of the median (times are "
    "taken per chunk of 50 statements, so a pause that hits one chunk moves the range, not the median).",
    "Sync contenders are compared with sync `Session.execute`, async ones with `execute_async` futures "
    "bridged to asyncio; async contenders run with concurrency 1 (every request awaited in turn), so the "
    "figures measure per-call overhead, not throughput under load.",
    "Every contender runs in rounds of fresh processes, interleaved with the others; the repetitions of "
    "all rounds are pooled. Reads run on the same rows for everyone "
    f"({READ_PARTITIONS} partitions of {ROWS_PER_PARTITION} rows for get-by-key and the "
    f"limit-{PAGE_LIMIT} partition read, one partition of {PAGED_ROWS:,} rows for the paged read, "
    f"fetch_size {FETCH_SIZE:,}); writes go to partitions of each contender's own, and the harness "
    "counts what every write repetition left behind.",
    "One node on the same 2-core machine: the Cassandra JVM and the client share the CPUs, so absolute "
    "times are far above a production cluster's; the ratios are the figures to quote.",
)


def environment(version: str, sizes_name: str, seconds: float, load: dict[str, float]) -> dict[str, Any]:
    """What is needed to reproduce or compare a Cassandra run."""
    dists = sorted({d for c in CONTENDERS if "cassandra" in c.databases for d in c.packages} | {"pydantic"},
                   key=str.lower)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "memory": report._memory(),
        "cpu": report._cpu_model(),
        "python": sys.version.split()[0],
        "cassandra": version,
        "versions": {d: report._version(d) for d in dists},
        "sizes": {"name": sizes_name, **asdict(CQL_SIZES[sizes_name])},
        "fetch_size": FETCH_SIZE,
        "concurrency": 1,
        "seconds": round(seconds, 1),
        "load_average": load,
    }


def _fmt_time(seconds: float) -> str:
    if seconds >= 0.01:
        return f"{seconds * 1e3:,.1f} ms"
    return f"{seconds * 1e6:,.0f} µs"


def _cell(cell: Any) -> str:
    if not isinstance(cell, dict):
        return "-"
    if "median" in cell:
        spread = cell["iqr"] / 2 / cell["median"] * 100 if cell["median"] else 0.0
        ratio = f"{cell['time_ratio']:.2f}x" if "time_ratio" in cell else "-"
        return f"{_fmt_time(cell['median'])} ({ratio}, ±{spread:.0f}%)"
    if "na" in cell:
        return "n/a"
    return "error"


def _columns(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda e: (e["contender"] != "raw", e["contender"] != "ormada"))


def _table(entries: list[dict[str, Any]]) -> list[str]:
    cols = _columns(entries)
    head = ["op", *[c["label"] for c in cols]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for op in CQL_OPERATIONS:
        lines.append(f"| {op.title} | " + " | ".join(_cell(c.get("ops", {}).get(op.key)) for c in cols) + " |")
    return lines


def _problems(entries: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for e in entries:
        who = f"{e['label']} ({e['mode']})"
        if "error" in e:
            out.append(f"- {who}: {e['error']}")
        for op in CQL_OPERATIONS:
            cell = e.get("ops", {}).get(op.key, {})
            if "error" in cell:
                out.append(f"- {who}, {op.title}: {cell['error']}")
            elif "na" in cell:
                out.append(f"- {who}, {op.title}: n/a: {cell['na']}")
    return out


def _ratio(entry: dict[str, Any], op: str) -> float | None:
    cell = entry.get("ops", {}).get(op)
    return cell.get("time_ratio") if isinstance(cell, dict) else None


def summary_table(entries: list[dict[str, Any]]) -> list[str]:
    """ormada's time ratio per operation and mode, with the best other mapper's in brackets."""
    ops = list(CQL_OPERATIONS)
    head = ["", *[o.title for o in ops]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for mode in ("sync", "async"):
        mine = next((e for e in entries if (e["contender"], e["mode"]) == ("ormada", mode)), None)
        if mine is None:
            continue
        peers = [e for e in entries if e["mode"] == mode and e["contender"] not in ("ormada", "raw")]
        cells = []
        for op in ops:
            ratio = _ratio(mine, op.key)
            best = min((r for p in peers if (r := _ratio(p, op.key)) is not None), default=None)
            text = "-" if ratio is None else f"{ratio:.2f}"
            if best is not None:
                text += f" ({best:.2f})" + (" ⚠" if ratio is None or best < ratio else "")
            cells.append(text)
        lines.append(f"| cassandra {mode} | " + " | ".join(cells) + " |")
    return lines


def markdown(env: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    sizes, load = env["sizes"], env["load_average"]
    load_line = f"- Load average (1 min) before / after the run: {load['before']:.2f} / {load['after']:.2f}"
    if max(load.values()) > 1.5:
        load_line += " - **other work shared the CPUs during this run; expect noisy figures**"
    out = [
        "# ormada benchmarks: Cassandra",
        "",
        f"- Date: {env['date']} (run took {env['seconds']:.0f} s, sizes: {sizes['name']}, "
        f"{sizes['rounds']} rounds x {sizes['repetitions']} repetitions)",
        f"- Machine: {env['nproc']} CPUs ({env['cpu']}), {env['memory']} memory",
        load_line,
        f"- Python {env['python']}; Apache Cassandra {env['cassandra']} (one node, 127.0.0.1)",
        f"- Versions: {versions}",
        "",
        *[f"> {n}" for n in NOTES],
        "",
        "## ormada's time ratio to the raw driver",
        "",
        "In brackets the best of the other mappers in the same mode; ⚠ marks an operation where that mapper "
        "is faster than ormada.",
        "",
        *summary_table(entries),
        "",
    ]
    for mode in ("sync", "async"):
        group = [e for e in entries if e["mode"] == mode]
        if group:
            out += [f"## cassandra · {mode}", "", *_table(group), ""]
    problems = _problems(entries)
    if problems:
        out += ["## Not measured or failed", "", *problems, ""]
    return "\n".join(out)


def write(directory: Path, env: dict[str, Any], entries: list[dict[str, Any]]) -> list[Path]:
    """Write ``cassandra.json`` and ``cassandra.md`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / "cassandra.json", directory / "cassandra.md"
    json_path.write_text(json.dumps({"environment": env, "results": entries}, indent=1) + "\n")
    md_path.write_text(markdown(env, entries))
    return [json_path, md_path]
