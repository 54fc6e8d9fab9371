"""The ``ormada`` command (Typer + Rich): configuration, models, queries, raw SQL, a shell,
loading and dumping data.

Only Typer is imported to build the command; ormada's models, backends and drivers load
when a command runs, so ``ormada --help`` starts fast.
"""

from ormada.cli.app import app, main

__all__ = ["app", "main"]
