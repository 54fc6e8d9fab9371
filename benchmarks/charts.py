"""Bar charts of the benchmark results: one PNG per workload, database and mode.

Each chart has the operations along the bottom and one bar per mapper, its height the
throughput ratio to the raw driver measured in the same run (above 1.0 is faster than the
driver; Cassandra's time ratios are turned round to match), on a logarithmic axis with the
raw driver's line at 1.0. Cells that failed or that a mapper cannot do have no bar.

    python -m benchmarks.charts [RESULTS_DIR]     # charts from the stored JSON, into RESULTS_DIR/charts
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
#: Pixels: figure inches times DPI.
SIZE_INCHES, DPI = (11.0, 4.2), 100
#: Which results file holds which workload, and where its operations are in an entry.
WORKLOADS = {"sql": "latest.json", "relations": "relations.json", "cassandra": "cassandra.json"}
#: The model whose operations the SQL charts show (the wide model's would double the bars).
SQL_MODEL = "small"
ORMADA = "ormada"


def _ops(workload: str, entry: dict[str, Any]) -> dict[str, Any]:
    if workload == "sql":
        ops: dict[str, Any] = entry.get("models", {}).get(SQL_MODEL, {})
        return ops
    return dict(entry.get("ops", {}))


def _ratio(cell: Any) -> float | None:
    """The throughput ratio of one cell (higher is faster), or None without a figure."""
    if not isinstance(cell, dict):
        return None
    if isinstance(cell.get("ratio"), (int, float)):
        return float(cell["ratio"])
    time_ratio = cell.get("time_ratio")
    if isinstance(time_ratio, (int, float)) and time_ratio > 0:
        return 1.0 / float(time_ratio)
    return None


def series(workload: str, entries: Iterable[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (database, mode): the operations in order and each mapper's ratios by operation."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        group = out.setdefault((entry["db"], entry["mode"]), {"ops": [], "mappers": {}})
        ops = _ops(workload, entry)
        for key in ops:
            if key not in group["ops"]:
                group["ops"].append(key)
        if entry["contender"] == "raw":
            continue
        group["mappers"][entry.get("label") or entry["contender"]] = {key: _ratio(c) for key, c in ops.items()}
    return out


def _order(mappers: dict[str, Any]) -> list[str]:
    """ormada first (the colour a reader looks for), then the others by name."""
    return sorted(mappers, key=lambda name: (not name.lower().startswith(ORMADA), name.lower()))


def draw(title: str, ops: list[str], mappers: dict[str, dict[str, float | None]], path: Path) -> Path:
    """One chart, written to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = _order(mappers)
    ops = [op for op in ops if any(mappers[name].get(op) for name in names)]  # R6 has no sync figures
    fig, ax = plt.subplots(figsize=SIZE_INCHES, dpi=DPI)
    width = 0.8 / max(len(names), 1)
    colours = plt.get_cmap("tab10")
    values = [v for m in mappers.values() for v in m.values() if v]
    low = min([*values, 0.5]) * 0.9
    high = max([*values, 2.0]) * 1.1
    for i, name in enumerate(names):
        xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(ops))]
        heights = [mappers[name].get(op) or 0.0 for op in ops]
        ax.bar([x for x, h in zip(xs, heights, strict=True) if h],
               [h for h in heights if h], width, label=name, color=colours(i % 10),
               edgecolor="black" if name.lower().startswith(ORMADA) else "none", linewidth=0.8)
    ax.axhline(1.0, color="black", linewidth=1.0, linestyle="--", label="raw driver = 1.0")
    ax.set_yscale("log", base=2)
    ax.set_ylim(2 ** math.floor(math.log2(low)), 2 ** math.ceil(math.log2(high)))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xticks(range(len(ops)), ops)
    ax.set_ylabel("throughput ÷ raw driver")
    ax.set_title(title)
    ax.grid(axis="y", linewidth=0.3)
    ax.legend(fontsize=8, ncols=min(len(names) + 1, 5), loc="upper center", bbox_to_anchor=(0.5, -0.08),
              frameon=False)
    fig.subplots_adjust(left=0.07, right=0.99, top=0.92, bottom=0.2)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def write(results_dir: Path = RESULTS, out_dir: Path | None = None) -> list[Path]:
    """A chart per workload, database and mode from the JSON files in ``results_dir``
    (those that exist), into ``out_dir`` (default ``results_dir / "charts"``)."""
    out_dir = out_dir or results_dir / "charts"
    written: list[Path] = []
    for workload, filename in WORKLOADS.items():
        source = results_dir / filename
        if not source.exists():
            continue
        data = json.loads(source.read_text())
        for (db, mode), group in sorted(series(workload, data["results"]).items()):
            if not group["mappers"]:
                continue
            what = f"{workload} ({SQL_MODEL} model)" if workload == "sql" else workload
            title = f"{what} · {db} · {mode}"
            path = out_dir / f"{workload}-{db}-{mode}.png"
            written.append(draw(title, group["ops"], group["mappers"], path))
    return written


def markdown(paths: Iterable[Path], relative_to: Path) -> str:
    """Image links to ``paths`` for a Markdown file in ``relative_to``."""
    return "\n".join(f"![{p.stem}]({p.relative_to(relative_to).as_posix()})" for p in paths)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS
    for written_path in write(target):
        print(written_path)
