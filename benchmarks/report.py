"""Results output: the machine description, ``latest.json``, ``latest.md`` and the README summary."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.contenders import CONTENDERS, ContenderSpec
from benchmarks.databases import duckdb_version, sqlite_version
from benchmarks.runner import OPERATIONS, STREAM
from benchmarks.workload import MODELS, STREAM_CEILING_MIB, Sizes

NOTES = (
    "Rates are medians over the repetitions (after one untimed warm-up); ± is half the min-max range "
    "as a share of the median. ratio = contender ops/s ÷ raw driver ops/s, same database, model, mode "
    "and run: above 1 is faster than the raw driver.",
    "Async contenders run with concurrency 1: one event loop, every statement awaited in turn.",
    "Sync contenders are compared with sqlite3 / psycopg / PyMySQL / duckdb, async ones with aiosqlite / asyncpg / "
    "asyncmy / duckdb on a worker thread (DuckDB has no async driver; ormada's async DuckDB path hops to a "
    "thread too). 'async-uvloop' is the async run again on uvloop's event loop (--loop uvloop), against the "
    "raw async driver on uvloop.",
    "SQLite files live on tmpfs (/dev/shm) in WAL mode and the PostgreSQL benchmark database has "
    "synchronous_commit = off, so single-row commits measure the client, not the disk.",
    "ormada's async SQLite path runs short statements inline on the event loop (no hop to "
    "aiosqlite's thread), which is why it can beat raw aiosqlite there.",
    "matrx-orm (PostgreSQL, async only) needs Python 3.13 and runs in a venv of its own (benchmarks/.venv313); "
    "its F reads with get(use_cache=False), since its row cache would otherwise answer without the database.",
    "A, B, I, J, K: one statement per row (A, I, J, K each in its own autocommit transaction; B all in "
    "one transaction). C: the contender's bulk API. D, G, H read the whole table "
    "(WHERE level >= 0); E and F are point reads; rates in rows/s for C, D, G, H, S, else ops/s.",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _version(dist: str, python: str | None = None) -> str:
    """A distribution's version here, or in another interpreter's environment (a contender's own venv)."""
    if python is not None and python != sys.executable:
        code = f"import importlib.metadata as m; print(m.version({dist!r}))"
        proc = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
        return proc.stdout.strip() if proc.returncode == 0 else "not installed"
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _venv_version(dist: str, spec: ContenderSpec) -> str:
    python = spec.python()
    return _version(dist, python) if python is not None else f"not installed (no benchmarks/{spec.venv})"


#: The modes of the tables, in order: the async contenders run again on uvloop with --loop uvloop.
MODES = ("sync", "async", "async-uvloop")


def environment(pg_version: str | None, sizes: Sizes, sizes_name: str, seconds: float,
                mysql_version: str | None = None, duckdb: bool = False) -> dict[str, Any]:
    """Everything needed to reproduce or compare a run."""
    sql = [c for c in CONTENDERS if "cassandra" not in c.databases]
    own_venv = {d: c for c in sql if c.venv for d in c.packages}
    dists = sorted({d for c in sql for d in c.packages} | {"pydantic", "aiosqlite"}, key=str.lower)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "memory": _memory(),
        "cpu": _cpu_model(),
        "python": sys.version.split()[0],
        "postgresql": pg_version,
        "mysql": mysql_version,
        "duckdb": duckdb_version() if duckdb else None,
        "sqlite": sqlite_version(),
        "versions": {d: _venv_version(d, own_venv[d]) if d in own_venv else _version(d) for d in dists},
        "sizes": {"name": sizes_name, **asdict(sizes)},
        "stream_ceiling_mib": STREAM_CEILING_MIB,
        "concurrency": 1,
        "seconds": round(seconds, 1),
    }


def _fmt_rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _cell(cell: Any) -> str:
    if not isinstance(cell, dict):
        return "-"
    if "median" in cell:
        spread = (cell["max"] - cell["min"]) / 2 / cell["median"] * 100 if cell["median"] else 0.0
        ratio = f"{cell['ratio']:.2f}x" if "ratio" in cell else "-"
        return f"{_fmt_rate(cell['median'])} ({ratio}, ±{spread:.0f}%)"
    if "na" in cell:
        return "n/a"
    return "error"


def _columns(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Raw first, then the others in registry order."""
    return sorted(entries, key=lambda e: (e["contender"] != "raw", e["contender"] != "ormada"))


def _table(entries: list[dict[str, Any]], model: str) -> list[str]:
    cols = _columns(entries)
    head = ["op", *[c["label"] for c in cols]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for op in OPERATIONS:
        cells = ["not supported" if "unsupported" in c else _cell(c.get("models", {}).get(model, {}).get(op.key))
                 for c in cols]
        lines.append(f"| {op.key} {op.title} | " + " | ".join(cells) + " |")
    return lines


def _problems(entries: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for e in entries:
        who = f"{e['label']} ({e['mode']}, {e['db']})"
        if "unsupported" in e:
            out.append(f"- {who}: not supported: {e['unsupported']}")
        if "error" in e:
            out.append(f"- {who}: {e['error']}")
        for model, cells in e.get("models", {}).items():
            for key, cell in cells.items():
                if key == "check":
                    out.append(f"- {who}, {model}: {cell}")
                elif isinstance(cell, dict) and ("error" in cell or "na" in cell):
                    out.append(f"- {who}, {model}, {key}: {cell.get('error') or 'n/a: ' + cell['na']}")
        if "error" in e.get("stream", {}):
            out.append(f"- {who}, streaming: {e['stream']['error']}")
    return out


def _stream_table(entries: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| contender | rows/s | ratio | peak RSS growth (MiB) | ceiling | within ceiling | method |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in _columns(entries):
        s = e.get("stream")
        if not s or "rate" not in s:
            continue
        ratio = f"{s['ratio']:.2f}x" if "ratio" in s else "-"
        ok = "yes" if s["ok"] else "**no**"
        lines.append(
            f"| {e['label']} | {_fmt_rate(s['rate'])} | {ratio} | {s['rss_growth_mib']:.1f} "
            f"| {s['ceiling_mib']:.0f} | {ok} | {s['method']} |"
        )
    return lines


def _load_line(env: dict[str, Any]) -> list[str]:
    load = env.get("load_average")
    if not load:
        return []
    line = f"- Load average (1 min) before / after the run: {load['before']:.2f} / {load['after']:.2f}"
    if max(load.values()) > 1.5:
        line += " - **other work shared the CPUs during this run; expect noisy figures**"
    return [line]


def markdown(env: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    """The human-readable report."""
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    sizes = env["sizes"]
    out = [
        "# ormada benchmarks",
        "",
        f"- Date: {env['date']} (run took {env['seconds']:.0f} s, sizes: {sizes['name']}, "
        f"{sizes['repetitions']} repetitions)",
        f"- Machine: {env['nproc']} CPUs ({env['cpu']}), {env['memory']} memory",
        *_load_line(env),
        f"- Python {env['python']}; PostgreSQL {env['postgresql'] or 'not run'}; SQLite {env['sqlite']}; "
        f"MySQL/MariaDB {env.get('mysql') or 'not run'}; DuckDB {env.get('duckdb') or 'not run'}",
        f"- Versions: {versions}",
        "",
        *[f"> {n}" for n in NOTES],
        "",
    ]
    dbs = list(dict.fromkeys(e["db"] for e in entries))
    for db in dbs:
        for mode in MODES:
            group = [e for e in entries if e["db"] == db and e["mode"] == mode]
            if not group:
                continue
            for model in MODELS:
                if not any(model in e.get("models", {}) for e in group if "unsupported" not in e):
                    continue
                out += [f"## {db} · {model} model · {mode}", "", *_table(group, model), ""]
            if any("rate" in e.get("stream", {}) for e in group):
                out += [f"### {db} · {mode} · {STREAM.title}, {STREAM_CEILING_MIB:.0f} MiB ceiling", ""]
                out += [*_stream_table(group), ""]
    problems = _problems(entries)
    if problems:
        out += ["## Not measured or failed", "", *problems, ""]
    return "\n".join(out)


README_START = "<!-- benchmark summary: written by make bench -->"
README_END = "<!-- end of benchmark summary -->"


def _ratio(entry: dict[str, Any], model: str, op: str) -> float | None:
    cell = entry.get("models", {}).get(model, {}).get(op)
    return cell.get("ratio") if isinstance(cell, dict) else None


def summary(env: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    """ormada's ratio to the raw driver per operation, with the best other mapper's beside it,
    one table per model: the part of the report the README shows."""
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    out = [
        f"Run of {env['date']} on {env['nproc']} CPUs ({env['cpu']}, {env['memory']}); Python {env['python']}, "
        f"PostgreSQL {env['postgresql'] or 'not run'}, SQLite {env['sqlite']}; {versions}.",
        "",
        "Each cell is ormada's throughput as a share of the raw driver's in the same run (1.00 = as fast "
        "as the driver alone), and in brackets the best of the other mappers in the same mode; ⚠ marks a "
        "cell where that mapper is ahead. " + " ".join(f"{o.key}: {o.title}." for o in OPERATIONS),
    ]
    for model in MODELS:
        ops = [o.key for o in OPERATIONS]
        stream = model == next(iter(MODELS))
        head = ["", *ops, *(["stream"] if stream else [])]
        out += ["", f"**{model} model**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for db in dict.fromkeys(e["db"] for e in entries):
            for mode in MODES:
                mine = next((e for e in entries if (e["contender"], e["db"], e["mode"]) == ("ormada", db, mode)), None)
                if mine is None or model not in mine.get("models", {}):
                    continue
                peers = [e for e in entries if e["db"] == db and e["mode"] == mode
                         and e["contender"] not in ("ormada", "raw")]
                cells = []
                for op in ops:
                    ratio = _ratio(mine, model, op)
                    best = max((r for p in peers if (r := _ratio(p, model, op)) is not None), default=None)
                    text = "-" if ratio is None else f"{ratio:.2f}"
                    if best is not None:
                        text += f" ({best:.2f})" + (" ⚠" if ratio is None or best > ratio else "")
                    cells.append(text)
                if stream:
                    ratios = [p.get("stream", {}).get("ratio") for p in peers]
                    best = max((r for r in ratios if r is not None), default=None)
                    own = mine.get("stream", {}).get("ratio")
                    cells.append("-" if own is None else f"{own:.2f}" + ("" if best is None else f" ({best:.2f})"))
                out.append(f"| {db} {mode} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def update_readme(readme: Path, text: str) -> bool:
    """Replaces the text between the README's benchmark markers; False when it has none."""
    content = readme.read_text()
    start, end = content.find(README_START), content.find(README_END)
    if start < 0 or end < start:
        return False
    readme.write_text(content[: start + len(README_START)] + "\n" + text + "\n" + content[end:])
    return True


def write(directory: Path, env: dict[str, Any], entries: list[dict[str, Any]]) -> list[Path]:
    """Write ``latest.json`` and ``latest.md`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / "latest.json", directory / "latest.md"
    json_path.write_text(json.dumps({"environment": env, "results": entries}, indent=1) + "\n")
    md_path.write_text(markdown(env, entries))
    return [json_path, md_path]
