"""``ormada load`` (a CSV or JSON Lines file into a model's table) and ``ormada dump`` (the reverse)."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ormada.cli._state import UserError, handled, state

if TYPE_CHECKING:
    from ormada.cli._transfer import BadRow

SHOWN_BAD_ROWS = 20


@handled
def load(
    ctx: typer.Context,
    model_name: Annotated[str, typer.Argument(metavar="MODEL", help="The model whose table receives the rows.")],
    path: Annotated[Path, typer.Argument(
        metavar="FILE", help="A .csv file with a header, or .jsonl (one object a line).")],
    batch: Annotated[int, typer.Option("--batch", min=1, help="Rows per INSERT batch.")] = 1000,
    atomic: Annotated[bool, typer.Option(
        "--atomic", help="One transaction: if any row is bad, write nothing.")] = False,
    fmt: Annotated[str | None, typer.Option("--format", help="csv or jsonl (default: from the suffix).")] = None,
) -> None:
    """Validate every row of FILE through the model and insert them in batches; bad rows are reported by line."""
    from ormada.cli._render import errors, output, progress_bar
    from ormada.cli._transfer import file_format, read_batches
    from ormada.errors import IntegrityError

    current = state(ctx)
    model = current.model(model_name)
    db = current.database_of(model)
    fmt = file_format(path, fmt)
    total_bytes = path.stat().st_size
    bad_rows: list[BadRow] = []
    loaded = 0

    def bad(row: BadRow) -> None:
        bad_rows.append(row)
        if len(bad_rows) <= SHOWN_BAD_ROWS:
            errors.print(f"[red]bad row[/] {row}", highlight=False, markup=True, soft_wrap=True)

    class Abandon(Exception):
        """Rolls the --atomic transaction back after a bad row."""

    with path.open(encoding="utf-8", newline="") as handle, progress_bar(rows=False) as progress:
        task = progress.add_task(f"loading {path.name} into {model.__name__}", total=total_bytes)
        try:
            with db.transaction() if atomic else nullcontext():
                for first, last, group in read_batches(model, handle, fmt, bad, batch):
                    if atomic and bad_rows:
                        continue  # keep reading, to report every bad row; nothing will be written
                    try:
                        model.bulk_create(group)
                    except IntegrityError as exc:
                        raise UserError(f"{path.name} lines {first}-{last}: {exc.args[0]} ({loaded} rows "
                                        f"{'rolled back' if atomic else 'loaded before them'})") from exc
                    loaded += len(group)
                    progress.update(task, completed=min(_position(handle), total_bytes))
                if atomic and bad_rows:
                    raise Abandon
        except Abandon:
            loaded = 0
        progress.update(task, completed=total_bytes)
    if bad_rows:
        more = len(bad_rows) - SHOWN_BAD_ROWS
        if more > 0:
            errors.print(f"... and {more} more bad rows", highlight=False)
        what = "nothing was written (--atomic)" if atomic else f"loaded {loaded} rows"
        raise UserError(f"{len(bad_rows)} bad row(s) in {path.name}; {what}")
    output.print(f"loaded {loaded} rows into {model.__name__} ({model.__ormada__.table.name})")


def _position(handle: Any) -> int:
    """How far into the file reading has got (the buffer's position; 0 while iterating text blocks it)."""
    try:
        return int(handle.buffer.tell())
    except (OSError, AttributeError, ValueError):
        return 0


@handled
def dump(
    ctx: typer.Context,
    model_name: Annotated[str, typer.Argument(metavar="MODEL", help="The model whose rows to write.")],
    filters: Annotated[list[str] | None, typer.Option("--filter", "-f", help="As for ormada query.")] = None,
    order: Annotated[list[str] | None, typer.Option("--order", "-o", help="Fields to sort by.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "jsonl",
    out: Annotated[Path | None, typer.Option("--out", help="The file to write (default: stdout).")] = None,
    chunk: Annotated[int, typer.Option("--chunk", min=1, help="Rows read per round trip.")] = 2000,
) -> None:
    """Stream a model's rows to CSV or JSON Lines, in a form ormada load reads back exactly."""
    from ormada.cli._render import errors, progress_bar
    from ormada.cli._transfer import FORMATS, write_rows
    from ormada.cli.commands.query import parse_filters

    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(FORMATS)}", param_hint="--format")
    current = state(ctx)
    model = current.model(model_name)
    current.database_of(model)
    qs = model.filter(**parse_filters(model, filters or []))
    orders = tuple(p.strip() for item in order or () for p in item.split(",") if p.strip())
    if orders:
        qs = qs.order_by(*orders)
    fields = model.__ormada__.field_names
    total = qs.count()
    handle = out.open("w", encoding="utf-8", newline="") if out is not None else sys.stdout
    try:
        with progress_bar() as progress:
            task = progress.add_task(f"dumping {model.__name__}", total=total)
            count = write_rows(handle, fmt, fields, qs.values_list(*fields).iterator(chunk),
                               lambda n: progress.advance(task, n))
    finally:
        if out is not None:
            handle.close()
    if out is not None:
        errors.print(f"wrote {count} rows of {model.__name__} to {out}", highlight=False)


def register(app: typer.Typer) -> None:
    """Adds the commands of this module to ``app``."""
    app.command()(load)
    app.command()(dump)
