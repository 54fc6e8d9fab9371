"""``ormada load`` of a large CSV against ``bulk_create`` of the same rows from Python.

    python -m benchmarks.cli_load [--rows 100000] [--repeat 3] [--pg postgresql://postgres@127.0.0.1:5432/test]

Each contender starts from an empty table and inserts every row in batches of 1,000 on
SQLite (a file) and PostgreSQL. ``bulk_create`` gets its instances built from Python values
(what an application does); ``ormada load`` reads the CSV, validates each row through the
model and calls the same ``bulk_create``. Both run in this process (the CLI through Typer's
runner), so the figures leave out the interpreter's start-up; the best of ``--repeat`` runs
is kept, in wall-clock and in this process's CPU seconds.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from typer.testing import CliRunner

import ormada
from ormada import Model, PrimaryKey
from ormada.cli import app


class LoadRow(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    year: int
    price: Decimal
    at: dt.datetime
    flag: bool
    note: str | None = None

    class Meta:
        table = "bench_load_row"


def values(n: int) -> list[dict[str, object]]:
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    return [{"title": f"title {i}", "year": 1900 + i % 120, "price": Decimal(i % 10_000) / 100,
             "at": start + dt.timedelta(seconds=i), "flag": i % 2 == 0, "note": None if i % 3 else f"note {i}"}
            for i in range(n)]


def write_csv(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        names = list(rows[0])
        writer.writerow(names)
        for row in rows:
            writer.writerow(["\\N" if row[n] is None else
                             row[n].isoformat() if isinstance(row[n], dt.datetime) else  # type: ignore[union-attr]
                             str(row[n]).lower() if isinstance(row[n], bool) else row[n] for n in names])


def timed(prepare: Callable[[], None], run: Callable[[], None], repeat: int) -> tuple[float, float]:
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        prepare()
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu


def bench(url: str, rows: list[dict[str, object]], path: Path, repeat: int) -> dict[str, tuple[float, float]]:
    db = ormada.connect(url)

    def fresh() -> None:
        db.drop_all([LoadRow])
        db.create_all([LoadRow])

    def python() -> None:
        instances = [LoadRow(**row) for row in rows]
        for i in range(0, len(instances), 1000):
            LoadRow.bulk_create(instances[i:i + 1000])

    def command() -> None:
        result = CliRunner().invoke(app, ["--url", url, "--models", __name__, "load", "LoadRow", str(path),
                                          "--batch", "1000"])
        assert result.exit_code == 0, result.output
        ormada.connect(url)  # the command closed its own; the next run reconnects

    figures = {"bulk_create": timed(fresh, python, repeat), "ormada load": timed(fresh, command, repeat)}
    assert LoadRow.count() == len(rows)
    db = ormada.get_database()
    db.drop_all([LoadRow])
    db.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    sys.modules.setdefault(__name__, sys.modules["__main__"])
    rows = values(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        write_csv(path, rows)
        print(f"{args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB of CSV; best of {args.repeat}")
        for name, url in (("sqlite", f"sqlite:///{tmp}/bench.db"), ("postgresql", args.pg)):
            figures = bench(url, rows, path, args.repeat)
            base_wall, base_cpu = figures["bulk_create"]
            for label, (wall, cpu) in figures.items():
                print(f"{name:<11} {label:<12} wall {wall:6.2f} s ({wall / base_wall:4.2f}x)   "
                      f"cpu {cpu:6.2f} s ({cpu / base_cpu:4.2f}x)")


if __name__ == "__main__":
    main()
