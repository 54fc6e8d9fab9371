"""What a command works on: the settings, the imported models and the connected databases.

Each is made on first use, so a command that needs no database opens none.
"""

from __future__ import annotations

import difflib
import functools
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer

if TYPE_CHECKING:
    from ormada.config import Settings
    from ormada.database import Database
    from ormada.model import Model

P = ParamSpec("P")
R = TypeVar("R")


class UserError(Exception):
    """A mistake in what the user asked for; shown as one line, exit code 1."""


class State:
    """The options given before the command (``--url``, ``--models``, ``--debug``) and what
    they lead to."""

    def __init__(self, url: str | None = None, models: list[str] | None = None, debug: bool = False) -> None:
        self.url = url
        self.model_names = models
        self.debug = debug
        self._settings: Settings | None = None
        self._models: list[type[Model]] | None = None
        self._databases: dict[str, Database] | None = None

    @property
    def settings(self) -> Settings:
        """``[tool.ormada]``, the environment and the command line, merged."""
        if self._settings is None:
            from ormada import config

            self._settings = config.load(url=self.url, models=self.model_names)
        return self._settings

    def models(self) -> list[type[Model]]:
        """The models the configured modules define (importing them on first use)."""
        if self._models is None:
            from ormada import config

            settings = self.settings
            if not settings.models:
                raise UserError("no model modules configured: set models = [\"app.models\"] under [tool.ormada] "
                                 "in pyproject.toml, or ORMADA_MODELS, or --models")
            self._models = config.models_of(config.import_models(settings))
            if not self._models:
                raise UserError(f"the modules {', '.join(settings.models)} imported, but define no ormada models")
        return self._models

    def model(self, name: str) -> type[Model]:
        """The discovered model called ``name`` (its class name, or ``module.Class``)."""
        models = self.models()
        found = [m for m in models if name in (m.__name__, f"{m.__module__}.{m.__qualname__}")]
        if len(found) == 1:
            return found[0]
        if found:
            paths = ", ".join(f"{m.__module__}.{m.__qualname__}" for m in found)
            raise UserError(f"model name {name!r} is ambiguous ({paths}); name it with its module")
        names = [m.__name__ for m in models]
        hint = difflib.get_close_matches(name, names, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        raise UserError(f"no model named {name!r}{suggestion} (models: {', '.join(names)})")

    def databases(self) -> dict[str, Database]:
        """Every configured database, connected (lazily) under its name."""
        if self._databases is None:
            from ormada import config

            self._databases = config.connect(self.settings)
        return self._databases

    def database(self, name: str = "default") -> Database:
        """One configured database."""
        databases = self.databases()
        if name not in databases:
            raise UserError(f"no database named {name!r} is configured (configured: {', '.join(databases)})")
        return databases[name]

    def database_of(self, model: type[Model]) -> Database:
        """The database ``model`` is bound to, which must be configured."""
        wanted = model.__ormada__.database
        databases = self.databases()
        if wanted not in databases:
            raise UserError(f"{model.__name__} is bound to the database {wanted!r} (Meta.database), which is not "
                            f"configured: add {wanted} = \"<url>\" under [tool.ormada.databases]")
        return databases[wanted]

    def close(self) -> None:
        """Closes the pools of the databases that were connected."""
        for database in (self._databases or {}).values():
            database.close()


def state(ctx: typer.Context) -> State:
    """The state of the command being run."""
    root = ctx.find_root()
    if not isinstance(root.obj, State):  # a command invoked without the app's callback (never from the CLI)
        root.obj = State()
    return root.obj


def handled(command: Callable[P, R]) -> Callable[P, R]:
    """Runs a command, turning ormada's errors and the user's mistakes into one line on
    stderr and exit code 1 (with ``--debug``, the traceback too); closes the databases."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        ctx: Any = kwargs.get("ctx")  # Typer passes its click context, of which typer.Context is a subclass
        assert hasattr(ctx, "find_root"), f"{command.__name__} must take ctx: typer.Context"
        current = state(ctx)
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            message = user_message(exc)
            if message is None:
                raise
            details = getattr(exc, "details", None)  # a model module's own traceback
            if current.debug:
                traceback.print_exc(file=sys.stderr)
            elif isinstance(details, str):
                sys.stderr.write(details)
            from ormada.cli._render import errors

            errors.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        finally:
            current.close()

    return run


def user_message(exc: BaseException) -> str | None:
    """The one-line message of an error that is the user's to fix, or None for a bug."""
    from ormada.errors import OrmadaError

    if isinstance(exc, OrmadaError):
        return str(exc.args[0]) if exc.args else type(exc).__name__
    if isinstance(exc, UserError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
    if "pydantic_core" in sys.modules:
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            return describe_validation(exc)
    return None


def describe_validation(exc: Any) -> str:
    """A pydantic ``ValidationError`` as one line: ``Model.field: reason (value 'x')``."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "(row)"
        value = error.get("input")
        shown = "" if isinstance(value, dict) else f" (value {value!r})"
        parts.append(f"{exc.title}.{where}: {error['msg']}{shown}")
    return "; ".join(parts)
