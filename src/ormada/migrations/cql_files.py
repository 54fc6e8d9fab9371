"""CQL migration files: writing them, reading them, and putting them in order.

A file in ``versions/`` is a Python module::

    revision = "3f2a1c9e0b7d"
    down_revision = "9c1e4b2a7f00"      # None for the first
    message = "add email to users"

    def upgrade(op: Operations) -> None:
        op.execute("ALTER TABLE users ADD IF NOT EXISTS email text")

    def downgrade(op: Operations) -> None:
        op.execute("ALTER TABLE users DROP IF EXISTS email")

    schema = {...}   # the schema the models had: what the next makemigrations compares with

``upgrade``/``downgrade`` call ``op.execute(cql)`` for each statement; a data migration uses
``op.db`` (the :class:`~ormada.Database`) and the models as anywhere else. A revision with
``schema = None`` (a data migration) leaves the schema as its parent left it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import pprint
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ormada.migrations.base import MigrationError, Revision
from ormada.migrations.cql_diff import Change

if TYPE_CHECKING:
    from ormada.database import Database

Statement = tuple[str, tuple[Any, ...]]  # CQL and the values its ``?`` markers bind


class Offline(Exception):
    """Raised inside a revision read without a connection when its code asks for the database."""


class Operations:
    """What ``upgrade(op)`` and ``downgrade(op)`` get: CQL to run and the database it runs on.

    Attributes:
        keyspace: The keyspace the statements run in (unqualified names resolve to it).
    """

    def __init__(self, run: Callable[[str, Sequence[Any]], None], db: Database | None, keyspace: str | None) -> None:
        self._run = run
        self._db = db
        self.keyspace = keyspace
        self.ran_code = False  # set when offline code asked for the database (its work is not listed)

    def execute(self, cql: str, params: Sequence[Any] = ()) -> None:
        """Runs one CQL statement in the migrated keyspace; ``params`` bind its ``?`` markers."""
        self._run(cql, tuple(params))

    @property
    def db(self) -> Database:
        """The database, for data migrations through the models (``Model.filter(...)``, ``save()``)."""
        if self._db is None:
            self.ran_code = True
            raise Offline
        return self._db

    @property
    def offline(self) -> bool:
        """True while the statements are only listed (``sqlmigrate``), with nothing run: a data
        migration that uses the models directly returns early then (``if op.offline: return``)."""
        if self._db is None:
            self.ran_code = True
        return self._db is None


@dataclass(frozen=True)
class RevisionFile:
    """A loaded migration file."""

    revision: Revision
    module: ModuleType

    @property
    def schema(self) -> dict[str, Any] | None:
        """The snapshot it records, or None when it leaves the schema as its parent did."""
        schema = getattr(self.module, "schema", None)
        return schema if isinstance(schema, dict) else None

    def function(self, downgrade: bool) -> Callable[[Operations], None]:
        name = "downgrade" if downgrade else "upgrade"
        fn = getattr(self.module, name, None)
        if not callable(fn):
            raise MigrationError(f"{self.revision.path}: no {name}(op) function")
        return fn  # type: ignore[no-any-return]

    def statements(self, downgrade: bool = False) -> tuple[list[Statement], bool]:
        """The CQL statements ``upgrade`` (or ``downgrade``) runs with their values, listed without
        a connection, and whether it also runs Python code that needs the database (not listed)."""
        listed: list[Statement] = []
        op = Operations(lambda cql, params: listed.append((cql, tuple(params))), None, None)
        with contextlib.suppress(Offline):  # the code after it needs the database: not listed
            self.function(downgrade)(op)
        return listed, op.ran_code


def describe(statement: Statement, end: str = "") -> str:
    """A statement as one line: its CQL, then the values it binds in a comment."""
    cql, params = statement
    return f"{cql}{end}  -- with {params!r}" if params else f"{cql}{end}"


def load(directory: Path) -> list[RevisionFile]:
    """The revisions in ``directory/versions``, oldest first.

    Raises:
        MigrationError: a file lacks its ``revision``, two revisions share a parent (branches
            are not supported: merge them by hand into one chain), or a parent is missing.
    """
    files: dict[str, RevisionFile] = {}
    versions = directory / "versions"
    for path in sorted(versions.glob("*.py")) if versions.is_dir() else []:
        module = _import(path)
        rev = getattr(module, "revision", None)
        if not isinstance(rev, str):
            raise MigrationError(f"{path}: no revision = '...' in the file")
        if rev in files:
            raise MigrationError(f"{path} and {files[rev].revision.path} both define revision {rev}")
        parent = getattr(module, "down_revision", None)
        message = getattr(module, "message", None) or (module.__doc__ or "").strip().split("\n", 1)[0]
        files[rev] = RevisionFile(Revision(rev, parent if isinstance(parent, str) else None, str(message), path),
                                  module)
    children: dict[str | None, list[str]] = {}
    for rev, file in files.items():
        children.setdefault(file.revision.parent, []).append(rev)
        if file.revision.parent is not None and file.revision.parent not in files:
            raise MigrationError(f"{file.revision.path}: down_revision {file.revision.parent!r} is no file in "
                                 f"{versions}")
    ordered: list[RevisionFile] = []
    last: str | None = None
    while children.get(last):
        nexts = children[last]
        if len(nexts) > 1:
            raise MigrationError(f"revisions {', '.join(sorted(nexts))} all follow {last or 'base'}; CQL "
                                 "migrations form one chain: set one's down_revision to the other")
        last = nexts[0]
        ordered.append(files[last])
    if len(ordered) != len(files):
        loose = sorted(set(files) - {f.revision.id for f in ordered})
        raise MigrationError(f"revisions {', '.join(loose)} are not on the chain from the first revision (a cycle "
                             "in down_revision)")
    return ordered


def _import(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"ormada_cql_migration_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise MigrationError(f"{path} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise MigrationError(f"{path} failed to load: {type(exc).__name__}: {exc}") from exc
    return module


def new_id() -> str:
    """A revision identifier: 12 hex digits, as Alembic makes them."""
    return uuid.uuid4().hex[:12]


def slug(message: str) -> str:
    """The message as a file-name part."""
    return re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40] or "revision"


def render(rev: str, parent: str | None, message: str, changes: Sequence[Change],
           schema: dict[str, Any] | None) -> str:
    """The text of a migration file."""
    up: list[str] = []
    down: list[str] = []
    for change in changes:
        up.append(f"    # {change.describe}")
        up += [f"    # {note}" for note in change.notes]
        up += [f"    op.execute({cql!r})" for cql in change.upgrade]
    for change in reversed(changes):
        if change.downgrade or change.notes:
            down.append(f"    # undo: {change.describe}")
            down += [f"    # {note}" for note in change.notes]
            down += [f"    op.execute({cql!r})" for cql in change.downgrade]
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = message.replace('"""', "'''")
    schema_text = "None  # a data migration: the schema stays as the previous revision left it" \
        if schema is None else pprint.pformat(schema, width=110, sort_dicts=False)
    return "\n".join([
        f'"""{header}',
        "",
        f"Revision: {rev}",
        f"Follows: {parent or 'nothing (first revision)'}",
        f"Made: {when}",
        '"""',
        "",
        "from ormada.migrations.cql import Operations",
        "",
        f"revision = {rev!r}",
        f"down_revision = {parent!r}",
        f"message = {message!r}",
        "",
        "",
        "def upgrade(op: Operations) -> None:",
        *(up or ["    pass"]),
        "",
        "",
        "def downgrade(op: Operations) -> None:",
        *(down or ["    pass"]),
        "",
        "",
        "# The schema of the models when this file was made: the next makemigrations compares the models with it.",
        f"schema = {schema_text}",
        "",
    ])
