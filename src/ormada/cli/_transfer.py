"""Streaming a model's rows between files (CSV, JSON Lines) and its database.

Reading keeps one batch in memory at a time, whatever the file's size: each record is
decoded (:mod:`ormada.cli._values`), validated by the model, and handed on in batches;
a record the model refuses becomes a :class:`BadRow` naming its line, field and reason.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ormada.cli._state import UserError
from ormada.cli._values import csv_cell, decoder, to_json

if TYPE_CHECKING:
    from ormada.model import Model

FORMATS = ("csv", "jsonl")


@dataclass(frozen=True)
class BadRow:
    """A record the model refused: its line in the file, the field and the reason."""

    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


def file_format(path: Path, given: str | None) -> str:
    """The format asked for, or the one the file's suffix names."""
    fmt = (given or path.suffix.lstrip(".")).lower()
    if fmt == "ndjson":
        fmt = "jsonl"
    if fmt not in FORMATS:
        raise UserError(f"cannot tell the format of {str(path)!r}: name it .csv or .jsonl, or pass --format csv|jsonl")
    return fmt


def _records(handle: IO[str], fmt: str, model: type[Model]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """``(line, record)`` pairs; a record that cannot be parsed at all is its error text instead."""
    if fmt == "csv":
        reader = csv.DictReader(handle)
        _check_header(model, reader.fieldnames or [])
        for record in reader:
            if None in record:
                yield reader.line_num, f"{len(record[None])} more value(s) than the header has columns"
                continue
            yield reader.line_num, record
        return
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            yield number, f"not JSON: {exc}"
            continue
        if not isinstance(record, dict):
            yield number, f"expected a JSON object, not {type(record).__name__}"
            continue
        yield number, record


def _check_header(model: type[Model], header: Sequence[str]) -> None:
    import difflib

    known = model.__ormada__.table.by_name
    unknown = [name for name in header if name not in known]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, known, 1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise UserError(f"{model.__name__} has no field {', '.join(hints)} named in the CSV header "
                        f"(fields: {', '.join(known)})")


def read_instances(model: type[Model], handle: IO[str], fmt: str, bad: Callable[[BadRow], None],
                   ) -> Iterator[tuple[int, Model]]:
    """The file's records as ``(line, validated instance)``; each refused record goes to ``bad`` instead."""
    from pydantic import ValidationError

    table = model.__ormada__.table
    decoders: dict[str, Callable[[Any], Any] | None] = {}
    for line, record in _records(handle, fmt, model):
        if isinstance(record, str):
            bad(BadRow(line, "(record)", record))
            continue
        values: dict[str, Any] = {}
        failed = False
        for name, value in record.items():
            try:
                decode = decoders[name]
            except KeyError:
                column = table.by_name.get(name)
                decode = decoders[name] = decoder(column, fmt == "csv") if column is not None else None
            if decode is not None:
                try:
                    value = decode(value)
                except ValueError as exc:
                    bad(BadRow(line, f"{model.__name__}.{name}", str(exc)))
                    failed = True
                    break
            values[name] = value
        if failed:
            continue
        try:
            yield line, model(**values)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"]) or "(record)"
                value = error.get("input")
                shown = "" if isinstance(value, dict) else f" (value {value!r})"
                bad(BadRow(line, f"{model.__name__}.{where}", f"{error['msg']}{shown}"))


def batches(items: Iterable[tuple[int, Model]], size: int) -> Iterator[tuple[int, int, list[Model]]]:
    """``(first line, last line, instances)`` of at most ``size`` instances each."""
    batch: list[Model] = []
    first = last = 0
    for line, item in items:
        if not batch:
            first = line
        batch.append(item)
        last = line
        if len(batch) >= size:
            yield first, last, batch
            batch = []
    if batch:
        yield first, last, batch


def write_rows(handle: IO[str], fmt: str, fields: tuple[str, ...], rows: Iterable[tuple[Any, ...]],
               advance: Callable[[int], None], every: int = 1000) -> int:
    """Writes ``rows`` (tuples of ``fields``) as CSV with a header or as JSON Lines; returns how many."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(fields)
        for row in rows:
            writer.writerow([csv_cell(v) for v in row])
            count += 1
            if count % every == 0:
                advance(every)
    else:
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        for row in rows:
            handle.write(dumps({f: to_json(v) for f, v in zip(fields, row, strict=True)}) + "\n")
            count += 1
            if count % every == 0:
                advance(every)
    advance(count % every)
    return count
