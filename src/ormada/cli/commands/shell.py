"""``ormada shell``: IPython when installed, else an asyncio REPL, with the models and ``db`` ready."""

from __future__ import annotations

import ast
import code
import sys
import types
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ormada.cli._state import handled, state

if TYPE_CHECKING:
    import asyncio


class AsyncConsole(code.InteractiveConsole):
    """The stdlib console with top-level ``await`` (as ``python -m asyncio``): coroutines run
    on an event loop in a thread of their own, plain code in the console's thread, so both
    the sync and the async API work at the prompt."""

    def __init__(self, namespace: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(namespace)
        self.compile.compiler.flags |= ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        self.loop = loop

    def runcode(self, code: types.CodeType) -> None:
        import asyncio
        import inspect

        try:
            result = types.FunctionType(code, self.locals)()
            if inspect.iscoroutine(result):
                asyncio.run_coroutine_threadsafe(result, self.loop).result()
        except SystemExit:
            raise
        except BaseException:
            self.showtraceback()


def namespace(ctx: typer.Context) -> dict[str, Any]:
    """What the shell starts with: ``ormada``, ``asyncio``, each model by name, ``db`` (the
    default database, if configured) and ``databases``."""
    import asyncio

    import ormada

    current = state(ctx)
    names: dict[str, Any] = {"ormada": ormada, "asyncio": asyncio}
    databases = current.databases()
    names["databases"] = databases
    if "default" in databases:
        names["db"] = databases["default"]
    if current.settings.models:
        for model in current.models():
            names[model.__name__] = model
    return names


@handled
def shell(
    ctx: typer.Context,
    plain: Annotated[bool, typer.Option("--plain", help="The stdlib asyncio REPL even if IPython is installed.")]
    = False,
) -> None:
    """An interactive shell with the models, db and top-level await (IPython when installed)."""
    names = namespace(ctx)
    models = sorted(k for k, v in names.items() if isinstance(v, type))
    banner = (f"ormada shell: {', '.join(models) or 'no models'}; db, databases, ormada and asyncio are ready; "
              "await works at the prompt.")
    if not plain:
        import importlib
        import importlib.util

        if importlib.util.find_spec("IPython") is not None:
            ipython: Any = importlib.import_module("IPython")
            sys.stdout.write(banner + "\n")
            ipython.start_ipython(argv=["--no-banner"], user_ns=names)
            return
    import asyncio
    import threading

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="ormada-shell-loop", daemon=True)
    thread.start()
    try:
        sys.stdout.write(banner + "\n")
        AsyncConsole(names, loop).interact(banner="", exitmsg="")
    finally:
        for database in names["databases"].values():
            asyncio.run_coroutine_threadsafe(database.aclose(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def register(app: typer.Typer) -> None:
    """Adds the commands of this module to ``app``."""
    app.command()(shell)
