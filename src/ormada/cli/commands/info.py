"""``ormada info`` (the configuration and the drivers installed) and ``ormada check`` (connect to each database)."""

from __future__ import annotations

import platform
import time
from typing import Annotated

import typer

from ormada.cli._state import handled, state

# Each backend's drivers, by the distribution that installs them (sync first, then async).
DRIVERS: dict[str, tuple[str, ...]] = {
    "sqlite": ("aiosqlite",),
    "postgresql": ("psycopg", "asyncpg"),
    "mysql": ("PyMySQL", "asyncmy"),
    "cassandra": ("cassandra-driver",),
}
EXTRAS = {"postgresql": "postgresql", "mysql": "mysql", "cassandra": "cassandra"}


def _installed(distribution: str) -> str | None:
    from importlib import metadata  # not at import: it costs a tenth of ormada --help's start-up

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


@handled
def info(ctx: typer.Context) -> None:
    """Show ormada's version, the configuration (passwords masked) and which backends' drivers are installed."""
    import sqlite3

    from ormada import __version__, config
    from ormada.cli._render import output, table

    settings = state(ctx).settings
    output.print(f"ormada {__version__} on Python {platform.python_version()}")
    output.print(f"configuration: {settings.source or 'no pyproject.toml with [tool.ormada] found'}")
    rows = []
    for name, url in settings.databases.items():
        rows.append((name, config.masked(url), settings.origins.get(name, "")))
    if rows:
        output.print(table("databases", ("name", "url", "from"), rows))
    else:
        output.print("databases: none configured (set url under [tool.ormada], ORMADA_URL or --url)")
    models = ", ".join(settings.models) or "none configured"
    output.print(f"models: {models}" + (f" (from {settings.origins['models']})" if settings.models else ""))
    output.print(f"migrations: {settings.migrations or 'not configured'}")
    drivers = [("sqlite", f"sqlite3 (SQLite {sqlite3.sqlite_version})", "yes")]
    for backend, names in DRIVERS.items():
        for name in names:
            version = _installed(name)
            hint = f"no: pip install 'ormada[{EXTRAS[backend]}]'" if backend in EXTRAS else "no"
            drivers.append((backend, name + (f" {version}" if version else ""), "yes" if version else hint))
    output.print(table("drivers", ("backend", "driver", "installed"), drivers))


@handled
def check(
    ctx: typer.Context,
    database: Annotated[list[str] | None, typer.Option(
        "--database", "-d", help="Check only this database (by name); repeatable.")] = None,
) -> None:
    """Connect to each configured database; print its server version and round-trip time. Exit 1 if any fails."""
    from ormada import config
    from ormada.cli._render import errors, output, table
    from ormada.cli._state import UserError
    from ormada.errors import OrmadaError

    current = state(ctx)
    databases = current.databases()
    names = database or list(databases)
    unknown = [n for n in names if n not in databases]
    if unknown:
        raise UserError(f"no database named {', '.join(map(repr, unknown))} is configured "
                        f"(configured: {', '.join(databases)})")
    rows, failed = [], []
    for name in names:
        db = databases[name]
        url = config.masked(str(db.url))
        try:
            started = time.perf_counter()
            version = db.execute(db.backend.version_query)[0][0]
            connect_ms = (time.perf_counter() - started) * 1000
            round_trips = []
            for _ in range(3):
                started = time.perf_counter()
                db.execute(db.backend.version_query)
                round_trips.append((time.perf_counter() - started) * 1000)
        except OrmadaError as exc:
            failed.append(name)
            rows.append((name, db.backend.name, url, "-", "-", "-", f"failed: {exc.args[0]}"))
            continue
        rows.append((name, db.backend.name, url, str(version), f"{connect_ms:.1f}",
                     f"{min(round_trips):.2f}", "ok"))
    output.print(table("databases", ("name", "backend", "url", "server version", "first query ms",
                                     "round trip ms", "status"), rows))
    if failed:
        errors.print(f"[bold red]error:[/] cannot reach {', '.join(failed)}", highlight=False)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Adds the commands of this module to ``app``."""
    app.command()(info)
    app.command()(check)
