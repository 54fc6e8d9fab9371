"""``ormada makemigrations``, ``migrate``, ``downgrade``, ``history``, ``status`` and ``sqlmigrate``.

The default database's migrations live in ``[tool.ormada] migrations`` (default
``migrations``), every other database's in a subdirectory named after it; Alembic is
imported only when one of these commands runs.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ormada.cli._state import State, UserError, handled, state

if TYPE_CHECKING:
    from ormada.migrations import Migrations, Revision

DatabaseOption = Annotated[str, typer.Option(
    "--database", "-d", help="The configured database (by name) whose migrations to use.")]


def migrations_of(current: State, name: str, *, models: bool) -> Migrations:
    """The migrations of the database called ``name``, its models imported first (always
    when ``models``; else only if some are configured, for revisions that use them)."""
    from ormada.migrations import directory_for, migrations_for

    settings = current.settings
    if models or settings.models:
        current.models()
    db = current.database(name)
    return migrations_for(db, directory_for(name, settings.migrations, settings.root))


def _shown(path: Path) -> Path:
    """``path`` relative to the current directory when it is below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _line(revision: Revision) -> str:
    from rich.markup import escape

    return f"[bold]{revision.id}[/] {escape(revision.message)}"


@handled
def makemigrations(
    ctx: typer.Context,
    message: Annotated[str, typer.Option("--message", "-m", help="What the revision does (names its file).")] = "",
    empty: Annotated[bool, typer.Option(
        "--empty", help="Write a revision with empty upgrade() and downgrade(), for a data migration.")] = False,
    interactive: Annotated[bool, typer.Option(
        "--interactive", "-i", help="Ask, for each column dropped and another added in one table, whether it "
                                    "was renamed.")] = False,
    database: DatabaseOption = "default",
) -> None:
    """Write the revision that brings the database's schema to the models (Alembic's autogenerate)."""
    from rich.markup import escape

    from ormada.cli._render import errors, output

    migrations = migrations_of(state(ctx), database, models=True)

    def ask(table: str, old: str, new: str) -> bool:
        return typer.confirm(f"{table}: was column {old!r} renamed to {new!r}?", default=False, err=True)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if interactive:
            from ormada.migrations.sql import SqlMigrations

            if not isinstance(migrations, SqlMigrations):
                raise UserError(f"--interactive asks about renamed columns, which only SQL migrations write; "
                                f"{database!r} has {type(migrations).__name__}")
            path = migrations.make(message, empty=empty, rename=ask)
        else:
            path = migrations.make(message, empty=empty)
    for warning in caught:
        errors.print(f"[bold yellow]warning:[/] {escape(str(warning.message))}", soft_wrap=True)
    if path is None:
        output.print(f"no changes: the models of {database!r} match its database")
        return
    output.print(f"wrote {escape(str(_shown(path)))}")


@handled
def migrate(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="The revision to go up to (an id or a unique prefix of one).")] = "head",
    database: DatabaseOption = "default",
) -> None:
    """Apply the pending revisions (up to TARGET) under the migration lock."""
    from ormada.cli._render import output

    migrations = migrations_of(state(ctx), database, models=False)
    applied = migrations.upgrade(target)
    for revision in applied:
        output.print(f"applied {_line(revision)}")
    if applied:
        output.print(f"{database!r} is at {applied[-1].id}")
    elif not migrations.history():
        output.print(f"nothing to apply: no migrations in {_shown(migrations.directory)} (run ormada makemigrations)")
    else:
        output.print(f"nothing to apply: {database!r} is up to date")


@handled
def downgrade(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(
        help="The revision to go down to: an id, 'base' to revert all, or -N to revert the last N.")],
    database: DatabaseOption = "default",
) -> None:
    """Revert the revisions applied after TARGET, newest first, under the migration lock."""
    from ormada.cli._render import output

    migrations = migrations_of(state(ctx), database, models=False)
    reverted = migrations.downgrade(target)
    for revision in reverted:
        output.print(f"reverted {_line(revision)}")
    if not reverted:
        output.print(f"nothing to revert: {database!r} is at {target}")
    else:
        output.print(f"{database!r} is at {reverted[-1].parent or 'base'}")


@handled
def history(
    ctx: typer.Context,
    database: DatabaseOption = "default",
) -> None:
    """List the revisions, oldest first, and which are applied."""
    from ormada.cli._render import output, table

    migrations = migrations_of(state(ctx), database, models=False)
    revisions = migrations.history()
    if not revisions:
        output.print(f"no migrations in {_shown(migrations.directory)}: run ormada makemigrations")
        return
    rows = [(r.id, r.parent or "-", r.message, "yes" if r.applied else "no", r.path.name) for r in revisions]
    output.print(table(f"migrations of {database!r} ({_shown(migrations.directory)})",
                       ("revision", "follows", "message", "applied", "file"), rows))


@handled
def status(
    ctx: typer.Context,
    database: DatabaseOption = "default",
    check: Annotated[bool, typer.Option(
        "--check", help="Exit with 1 when revisions are pending or the models drifted (for CI).")] = False,
) -> None:
    """Show the database's revision, the pending revisions, and how the models differ from it."""
    from rich.markup import escape

    from ormada.cli._render import errors, output

    report = migrations_of(state(ctx), database, models=True).status()
    output.print(f"database: {database!r}")
    output.print(f"current: {report.current or 'base (no revision applied)'}")
    output.print(f"head: {report.head or 'none (no migrations yet)'}")
    if report.pending:
        output.print(f"pending: {len(report.pending)}")
        for revision in report.pending:
            output.print(f"  {_line(revision)}")
    else:
        output.print("pending: none")
    if not report.compared:
        output.print("drift: not checked (the database is behind its revisions: run ormada migrate)")
    elif report.drift:
        output.print("drift: the models differ from the database (run ormada makemigrations):")
        for line in report.drift:
            output.print(f"  {escape(line)}")
    else:
        output.print("drift: none")
    if check and (report.pending or report.drift):
        errors.print("[bold red]error:[/] migrations are pending or the models drifted", highlight=False)
        raise typer.Exit(1)


@handled
def sqlmigrate(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="The revision (an id or a unique prefix of one).")],
    backwards: Annotated[bool, typer.Option("--downgrade", help="The SQL of its downgrade instead.")] = False,
    database: DatabaseOption = "default",
) -> None:
    """Print the SQL a revision runs (or its downgrade runs), without applying it."""
    import sys

    migrations = migrations_of(state(ctx), database, models=False)
    text = migrations.sql(revision, downgrade=backwards)
    if not text.strip():
        raise UserError(f"revision {revision} runs no SQL")
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def register(app: typer.Typer) -> None:
    """Adds the commands of this module to ``app``."""
    for command in (makemigrations, migrate, history, status, sqlmigrate):
        app.command()(command)
    # ``downgrade -1``: a negative number is the target, not an unknown option.
    app.command(context_settings={"ignore_unknown_options": True})(downgrade)
