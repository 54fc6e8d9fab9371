"""``ormada inspect``: typed models for the tables of an existing database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ormada.cli._state import UserError, handled, state


@handled
def inspect(
    ctx: typer.Context,
    tables: Annotated[list[str] | None, typer.Option(
        "--tables", "-t", help="Only these tables; repeat or separate with commas.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write the models to this .py file (default: print them).")] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out-dir", help="Write a package: a module per group of related tables, and __init__.py.")] = None,
    views: Annotated[bool, typer.Option(
        "--views", help="Also write a ModelView per model with its relations prefetched.")] = False,
    managers: Annotated[bool, typer.Option(
        "--managers", help="Also write a typed manager class per model (create, get, delete).")] = False,
    database: Annotated[str, typer.Option(
        "--database", "-d", help="The configured database to read (default: the --url one).")] = "default",
) -> None:
    """Write typed ormada models for the tables of an existing database (SQLite, PostgreSQL,
    MySQL/MariaDB through SQLAlchemy's reflection; DuckDB through its catalog; Cassandra
    through system_schema).

    Running it again rewrites only what changed: each table's block carries a checksum.
    """
    from ormada import introspect
    from ormada.cli._render import errors

    if out is not None and out_dir is not None:
        raise UserError("give --out FILE or --out-dir DIR, not both")
    if (views or managers) and out is None and out_dir is None:
        raise UserError("--views and --managers write files of their own: add --out models.py or --out-dir DIR")
    current = state(ctx)
    if not current.settings.databases.get(database):
        raise UserError(f"no database named {database!r} is configured: give --url (before the command) or set "
                        "url under [tool.ormada]")
    names = [t.strip() for item in tables or [] for t in item.split(",") if t.strip()] or None
    # The configured database, as every command connects it: the URL's ?password_file= and TLS options hold.
    info = introspect.describe(current.database(database), names)
    if not info.tables:
        raise UserError(f"{info.source} has no tables")
    if out is None and out_dir is None:
        typer.echo(introspect.generate(info), nl=False)
        return
    if out_dir is not None:
        report = introspect.write_package(info, out_dir, views=views, managers=managers)
    else:
        assert out is not None
        report = introspect.write_file(info, out, views=views, managers=managers)
    for table, status in report.tables.items():
        errors.print(f"{status:>9} {table}", highlight=False)
    for skipped in report.skipped:
        errors.print(f"  skipped {skipped} (no primary key)", highlight=False)
    files = len(report.written)
    errors.print(f"wrote {files} file(s), {len(report.kept)} unchanged"
                 + (f", removed {len(report.removed)}" if report.removed else ""), highlight=False)


def register(app: typer.Typer) -> None:
    """Adds the command to ``app``."""
    app.command()(inspect)
