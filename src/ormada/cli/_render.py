"""Everything the command line prints: Rich tables, JSON, CSV, and the two consoles.

Values leave as text a program can read back: bytes as base64, decimals and datetimes
as their exact text (see :mod:`ormada.cli._values`).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ormada.cli._values import to_json, to_text

output = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A Rich table of ``rows`` under ``columns``; ``None`` shows dimmed."""
    shown = Table(title=title, title_justify="left", show_lines=False)
    for name in columns:
        shown.add_column(name, overflow="fold")
    for row in rows:
        shown.add_row(*("[dim]null[/]" if v is None else _escape(to_text(v)) for v in row))
    return shown


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def emit(columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str, title: str | None = None) -> int:
    """Prints ``rows`` as a table, JSON (a list of objects) or CSV with a header; returns how many."""
    if fmt == "json":
        items = [{c: to_json(v) for c, v in zip(columns, row, strict=True)} for row in rows]
        sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
        return len(items)
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        count = 0
        for row in rows:
            writer.writerow(["" if v is None else to_text(v) for v in row])
            count += 1
        return count
    materialised = list(rows)
    output.print(table(title, columns, materialised))
    return len(materialised)


def progress_bar(rows: bool = True) -> Progress:
    """A progress bar on stderr (stdout may be the data): rows done of the total, or a percentage."""
    counter = MofNCompleteColumn() if rows else TaskProgressColumn()
    return Progress(TextColumn("{task.description}"), BarColumn(), counter, TimeElapsedColumn(), console=errors)


def emit_value(value: Any, fmt: str) -> None:
    """Prints one value (a count, a flag) in the format asked for."""
    if fmt == "json":
        sys.stdout.write(json.dumps(to_json(value)) + "\n")
    else:
        output.print(to_text(value))
