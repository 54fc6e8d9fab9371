"""Relations results output: ``relations.json``, ``relations.md`` and its summary lines.

Figures are rows/s and the **throughput ratio** to the raw driver of the same database and mode
(contender rows/s ÷ raw rows/s, higher is better), as in the SQL workload. R6 also gets the
overlap ratio: the time of the three prefetches at once ÷ the time of the slowest one alone.
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
from benchmarks.databases import sqlite_version
from benchmarks.rel_workload import PREFIX, R6_RELATIONS, REL_OPERATIONS, REL_SIZES

NOTES = (
    "Each cell: median rows/s over the repetitions (after one untimed warm-up), then the throughput ratio "
    "to the raw driver in the same run, database and mode (above 1 is faster than the driver) and ± half the "
    "min-max range as a share of the median. Rows are parents: books for R1, R2, R4, R5, authors for R3, R6, R8; "
    "R7 and R9 count the groups they return (one per region, over every sale).",
    "The raw drivers run the same SQL: one JOIN for R1, R2 and R5; the parents, then `WHERE key IN (...)` "
    "(`= ANY($1)` on PostgreSQL) for R3, R4 and R6, grouped by owner into dicts of lists of tuples; "
    "`SELECT region, SUM(amount), COUNT(id) ... GROUP BY region` for R7 (on SQLite, whose SUM of NUMERIC adds "
    "binary floats, the exact total a careful user writes: `SUM(CAST(ROUND(amount * 100) AS INTEGER))`, whole "
    "cents made a `Decimal` once per group); a LEFT JOIN with `COUNT` grouped by author "
    "for R8; `ROW_NUMBER() OVER (PARTITION BY region ORDER BY amount DESC, id)` in a sub-select filtered on 1 "
    "for R9.",
    "Every call returns (rows, checksum): how many parents it read and, say, the total length of the attached "
    "authors' names; both are checked against the generated data on every call, so a mapper that attaches the "
    "wrong rows, or too few, is reported as failed instead of timed.",
    "Async contenders run with concurrency 1, except inside R6, whose point is whether a mapper reads three "
    "independent relations at the same time; the async raw drivers read them on three connections at once "
    "(`asyncio.gather`). The R6 overlap ratio (all three ÷ slowest alone) is 1.0 for loads that overlap "
    "completely and near the sum of the three shares for loads that run one after another.",
    "SQLite files live on tmpfs in WAL mode; the tables are filled by the harness (untimed) with the same rows "
    "for everyone and every key column is indexed, whatever the mapper's DDL made.",
)


def environment(entries: list[dict[str, Any]], pg_version: str | None, sizes_name: str, seconds: float,
                load: dict[str, float]) -> dict[str, Any]:
    """What is needed to reproduce or compare a relations run."""
    versions: dict[str, str] = {}
    for e in entries:
        versions.update(e.get("versions", {}))
    pythons = sorted({f"{e['label']}: {e['python']}" for e in entries
                      if e.get("python") and e["python"] != sys.version.split()[0]})
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "memory": report._memory(),
        "cpu": report._cpu_model(),
        "python": sys.version.split()[0],
        "other_pythons": pythons,
        "postgresql": pg_version,
        "sqlite": sqlite_version(),
        "versions": dict(sorted(versions.items(), key=lambda kv: kv[0].lower())),
        "sizes": {"name": sizes_name, **asdict(REL_SIZES[sizes_name])},
        "concurrency": 1,
        "seconds": round(seconds, 1),
        "load_average": load,
    }


def _fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms"


def _cell(cell: Any) -> str:
    if not isinstance(cell, dict):
        return "-"
    if "median" in cell:
        spread = (cell["max"] - cell["min"]) / 2 / cell["median"] * 100 if cell["median"] else 0.0
        ratio = f"{cell['ratio']:.2f}x" if "ratio" in cell else "-"
        return f"{report._fmt_rate(cell['median'])} ({ratio}, ±{spread:.0f}%)"
    return "n/a" if "na" in cell else "error"


def _columns(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda e: (e["contender"] != "raw", e["contender"] != "ormada"))


def _table(entries: list[dict[str, Any]]) -> list[str]:
    cols = _columns(entries)
    ops = [o for o in REL_OPERATIONS if not o.async_only or cols[0]["mode"] == "async"]
    head = ["op", *[c["label"] for c in cols]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for op in ops:
        lines.append(f"| {op.key} {op.title} | " + " | ".join(_cell(c["ops"].get(op.key)) for c in cols) + " |")
    return lines


def _overlap_table(entries: list[dict[str, Any]]) -> list[str]:
    head = ["contender", "all three at once", *[f"{n} alone" for n in R6_RELATIONS], "all three ÷ slowest alone"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in _columns(entries):
        c = e["ops"].get("R6", {})
        if "overlap_ratio" not in c:
            continue
        singles = [_fmt_ms(c["single_time"][n]) for n in R6_RELATIONS]
        lines.append(f"| {e['label']} | {_fmt_ms(c['time'])} | " + " | ".join(singles)
                     + f" | {c['overlap_ratio']:.2f} |")
    return lines


def _problems(entries: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for e in entries:
        who = f"{e['label']} ({e['mode']}, {e['db']})"
        if "error" in e:
            out.append(f"- {who}: {e['error']}")
            continue
        for op in REL_OPERATIONS:
            c = e["ops"].get(op.key, {})
            if "error" in c:
                out.append(f"- {who}, {op.key}: {c['error']}")
            elif "na" in c and not (op.async_only and e["mode"] == "sync"):
                out.append(f"- {who}, {op.key}: n/a: {c['na']}")
    return out


def _ratio(entry: dict[str, Any], op: str) -> float | None:
    cell = entry["ops"].get(op)
    return cell.get("ratio") if isinstance(cell, dict) else None


# What the summary's cells mean (the report and the README both print it).
LEGEND = ("throughput ratio to the raw driver running the same SQL, in brackets the best of the other mappers in "
          "the same database and mode; ⚠ marks an operation where that mapper is ahead of ormada. R6 overlap: "
          "ormada's all-three ÷ slowest-alone time (1.00 = the three loads overlap completely)")


def summary_table(entries: list[dict[str, Any]]) -> list[str]:
    """ormada's ratio to the raw driver per operation, the best other mapper's in brackets (⚠ when it
    is ahead), one line per database and mode; the R6 column adds ormada's overlap ratio."""
    head = ["", *[o.key for o in REL_OPERATIONS], "R6 overlap"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for db in dict.fromkeys(e["db"] for e in entries):
        for mode in ("sync", "async"):
            mine = next((e for e in entries if (e["contender"], e["db"], e["mode"]) == ("ormada", db, mode)), None)
            if mine is None:
                continue
            peers = [e for e in entries if e["db"] == db and e["mode"] == mode and e["contender"] not in
                     ("ormada", "raw")]
            cells = []
            for op in REL_OPERATIONS:
                if op.async_only and mode == "sync":
                    cells.append("")
                    continue
                ratio = _ratio(mine, op.key)
                best = max((r for p in peers if (r := _ratio(p, op.key)) is not None), default=None)
                text = "-" if ratio is None else f"{ratio:.2f}"
                if best is not None:
                    text += f" ({best:.2f})" + (" ⚠" if ratio is None or best > ratio else "")
                cells.append(text)
            overlap = mine["ops"].get("R6", {}).get("overlap_ratio")
            cells.append("" if overlap is None else f"{overlap:.2f}")
            lines.append(f"| relations {db} {mode} | " + " | ".join(cells) + " |")
    return lines


def markdown(env: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    sizes, load = env["sizes"], env["load_average"]
    load_line = f"- Load average (1 min) before / after the run: {load['before']:.2f} / {load['after']:.2f}"
    if max(load.values()) > 1.5:
        load_line += " - **other work shared the CPUs during this run; expect noisy figures**"
    others = f" ({'; '.join(env['other_pythons'])})" if env["other_pythons"] else ""
    out = [
        "# ormada benchmarks: relations",
        "",
        f"- Date: {env['date']} (run took {env['seconds']:.0f} s, sizes: {sizes['name']}, "
        f"{sizes['repetitions']} repetitions)",
        f"- Machine: {env['nproc']} CPUs ({env['cpu']}), {env['memory']} memory",
        load_line,
        f"- Python {env['python']}{others}; PostgreSQL {env['postgresql'] or 'not run'}; SQLite {env['sqlite']}",
        f"- Versions: {versions}",
        f"- Data: {sizes['authors']:,} authors in {sizes['countries']} countries, {sizes['books_per_author']} books "
        f"each ({sizes['authors'] * sizes['books_per_author']:,}), {sizes['awards_per_author']} awards and "
        f"{sizes['addresses_per_author']} addresses each; books 1-{sizes['tag_books']:,} have "
        f"{sizes['tags_per_book']} tags each out of {sizes['tags']}; R5 asks for authors whose name starts "
        f"with {PREFIX!r} (a tenth of them)",
        "",
        *[f"> {n}" for n in NOTES],
        "",
        "## Summary: ormada's throughput ratio to the raw driver",
        "",
        LEGEND[0].upper() + LEGEND[1:] + ". " + " ".join(f"{o.key}: {o.title}." for o in REL_OPERATIONS),
        "",
        *summary_table(entries),
        "",
    ]
    for db in dict.fromkeys(e["db"] for e in entries):
        for mode in ("sync", "async"):
            group = [e for e in entries if e["db"] == db and e["mode"] == mode]
            if not group:
                continue
            out += [f"## {db} · {mode}", "", *_table(group), ""]
            if mode == "async" and len(_overlap_table(group)) > 2:
                out += [f"### {db} · R6: three relations at once against each alone (median times)", "",
                        *_overlap_table(group), ""]
    problems = _problems(entries)
    if problems:
        out += ["## Not measured or failed", "", *problems, ""]
    return "\n".join(out)


def write(directory: Path, env: dict[str, Any], entries: list[dict[str, Any]]) -> list[Path]:
    """Write ``relations.json`` and ``relations.md`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / "relations.json", directory / "relations.md"
    json_path.write_text(json.dumps({"environment": env, "results": entries}, indent=1) + "\n")
    md_path.write_text(markdown(env, entries))
    return [json_path, md_path]
