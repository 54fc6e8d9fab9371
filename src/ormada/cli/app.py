"""The ``ormada`` Typer app: the options every command shares, and the commands.

Exit codes: 0 done, 1 a mistake or failure the message explains (one line; the traceback
too with ``--debug``), 2 a usage error (an unknown option, a missing argument).
"""

from __future__ import annotations

from typing import Annotated

import typer

from ormada import __version__
from ormada.cli._state import State

app = typer.Typer(
    name="ormada",
    help="ormada: models, queries and data of the databases configured under [tool.ormada] in pyproject.toml.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ormada {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Option(
        "--url", help="URL of the default database (overrides ORMADA_URL and [tool.ormada] url).")] = None,
    models: Annotated[list[str] | None, typer.Option(
        "--models", "-m", help="Module (or .py file) defining models; repeat or separate with commas "
                               "(overrides ORMADA_MODELS and [tool.ormada] models).")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")] = False,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show ormada's version and exit.")] = False,
) -> None:
    """ormada's command line."""
    ctx.obj = State(url, models, debug)


def _register() -> None:
    from ormada.cli.commands import data, diagram, info, inspect, migrations, models, query, shell

    for module in (info, models, query, shell, data, diagram, inspect, migrations):
        module.register(app)


_register()


def main() -> None:
    """The console script's entry point."""
    app()
