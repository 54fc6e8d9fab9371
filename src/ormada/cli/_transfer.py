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
from ormada.cli._values import NULL, Decoder, converter, csv_cell, decoder, to_json

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


def read_batches(model: type[Model], handle: IO[str], fmt: str, bad: Callable[[BadRow], None], size: int,
                 ) -> Iterator[tuple[int, int, list[Model]]]:
    """The file's records validated into instances, as ``(first line, last line, instances)``
    of at most ``size`` instances; each refused record goes to ``bad`` instead."""
    from pydantic import ValidationError

    records = _csv_records(model, handle, bad) if fmt == "csv" else _jsonl_records(model, handle, bad)
    validate = _validator(model)
    batch: list[Model] = []
    first = line = 0
    for line, values in records:
        try:
            instance = validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"]) or "(record)"
                value = error.get("input")
                shown = "" if isinstance(value, dict) else f" (value {value!r})"
                bad(BadRow(line, f"{model.__name__}.{where}", f"{error['msg']}{shown}"))
            continue
        if not batch:
            first = line
        batch.append(instance)
        if len(batch) >= size:
            yield first, line, batch
            batch = []
    if batch:
        yield first, line, batch


def _validator(model: type[Model]) -> Callable[[dict[str, Any]], Model]:
    """What ``model(**values)`` does for a record of field values, without the keyword call:
    pydantic's validator filling a new instance, as ``Model.__init__`` itself calls it. A record
    naming a relation (``author=``), a model with an ``__init__`` of its own, and a record that
    fails (whose errors the constructor words) go through the constructor."""
    from pydantic import ValidationError

    from ormada import _registry
    from ormada.model import Model

    if not model.__pydantic_complete__:  # a key whose type waits for its model
        _registry.configure_before_use(model)
    if model.__init__ is not Model.__init__:
        return lambda values: model(**values)
    inputs = model.__ormada_relation_inputs__
    fill = model.__pydantic_validator__.validate_python
    new = model.__new__

    def validate(values: dict[str, Any]) -> Model:
        if inputs and not inputs.isdisjoint(values):
            return model(**values)
        instance = new(model)
        try:
            fill(values, self_instance=instance)
        except ValidationError:
            return model(**values)  # raises it again, worded as the constructor words it
        return instance

    return validate


def _csv_records(model: type[Model], handle: IO[str], bad: Callable[[BadRow], None],
                 ) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each CSV record as ``(line, values to validate)``.

    Most cells are plain text the model's types convert themselves, so a record goes through
    ``dict(zip(...))``; ``\\N`` and the empty cells of nullable columns that hold no text are
    found with list scans (C speed) and become None; then the few columns that need a
    conversion (bytes, JSON, enums) are converted. A record with an escaped text (a
    backslash run and an N, rare) takes each cell's own decoder.
    """
    reader = csv.reader(handle)
    header = next(reader, None) or []
    _check_header(model, header)
    columns = [model.__ormada__.table.by_name[name] for name in header]
    decoders = [decoder(column, from_csv=True) for column in columns]
    converters = [(name, convert) for name, column in zip(header, columns, strict=True)
                  if (convert := converter(column, column.type.kind.value, from_csv=True)) is not None]
    blank_is_null = [column.nullable and column.type.kind.value != "text" for column in columns]
    width = len(header)
    for row in reader:
        if len(row) != width:
            if row:  # csv gives an empty list for a blank line
                bad(BadRow(reader.line_num, "(record)", f"{len(row)} values where the header has {width} columns"))
            continue
        try:
            values: dict[str, Any] = dict(zip(header, row, strict=True))  # the length was checked above
            nulls = row.count(NULL)
            joined = "\x1f".join(row)
            if "\\" in joined and joined.count("\x1f\\") + (joined[:1] == "\\") > nulls:
                # An escaped text (rare): every cell its own decoder.
                values = {name: cell if decode is None else decode(cell)
                          for name, decode, cell in zip(header, decoders, row, strict=True)}
            else:
                start = 0
                for _ in range(nulls):
                    start = row.index(NULL, start) + 1
                    values[header[start - 1]] = None
                start = 0
                for _ in range(row.count("")):
                    start = row.index("", start) + 1
                    if blank_is_null[start - 1]:
                        values[header[start - 1]] = None
                for name, convert in converters:
                    value = values[name]
                    if value is not None:
                        values[name] = convert(value)
        except ValueError:
            _report_cell(model, reader.line_num, header, decoders, row, bad)
            continue
        yield reader.line_num, values


def _report_cell(model: type[Model], line: int, header: list[str], decoders: list[Decoder | None], row: list[str],
                 bad: Callable[[BadRow], None]) -> None:
    """Finds the cell a decoder refused, to name its field."""
    for name, decode, cell in zip(header, decoders, row, strict=True):
        try:
            if decode is not None:
                decode(cell)
        except ValueError as exc:
            bad(BadRow(line, f"{model.__name__}.{name}", str(exc)))
            return


def _jsonl_records(model: type[Model], handle: IO[str], bad: Callable[[BadRow], None],
                   ) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each JSON Lines record as ``(line, values to validate)``; blank lines are skipped."""
    table = model.__ormada__.table
    decoders: dict[str, Decoder | None] = {}
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            bad(BadRow(number, "(record)", f"not JSON: {exc}"))
            continue
        if not isinstance(record, dict):
            bad(BadRow(number, "(record)", f"expected a JSON object, not {type(record).__name__}"))
            continue
        try:
            for name, value in record.items():
                try:
                    decode = decoders[name]
                except KeyError:
                    column = table.by_name.get(name)
                    decode = decoders[name] = decoder(column, from_csv=False) if column is not None else None
                if decode is not None:
                    record[name] = decode(value)
        except ValueError as exc:
            bad(BadRow(number, f"{model.__name__}.{name}", str(exc)))
            continue
        yield number, record


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
