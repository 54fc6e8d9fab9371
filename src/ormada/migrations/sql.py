"""Migrations of the SQL databases (SQLite, PostgreSQL, MySQL/MariaDB), made and run by Alembic.

The revisions are Alembic's own files, in ``<directory>/versions``; ormada writes the
directory's ``env.py`` and revision template when it makes the first revision, and feeds
Alembic the database's connection and the models' metadata (``db.metadata``), so no
Alembic configuration file is needed.

>>> migrations = SqlMigrations(db, Path("migrations"))
>>> migrations.make("add books")          # autogenerate: models vs. database
>>> migrations.upgrade()                  # under the migration lock
>>> migrations.downgrade("base")
"""

from __future__ import annotations

import argparse
import io
import warnings
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError

from ormada.migrations._connection import dialect_of, engine_for, locked, sqlite_transactions
from ormada.migrations._describe import describe_diff
from ormada.migrations._environment import SETUP, RenameQuestion, Setup
from ormada.migrations._templates import ENV, README, SCRIPT
from ormada.migrations.base import MigrationError, MigrationStatus, Revision

if TYPE_CHECKING:
    from ormada._transactions import Transaction
    from ormada.database import Database

# Seconds a migration waits for another process's migration lock by default.
LOCK_TIMEOUT = 300.0
# The dialect names of offline SQL, by backend.
OFFLINE_DIALECTS = {"sqlite": "sqlite", "postgresql": "postgresql", "mysql": "mysql"}


class MigrationWarning(UserWarning):
    """Something in a revision just made that a person should look at (a possible rename,
    a NOT NULL column with no default)."""


class SqlMigrations:
    """The Alembic migrations of one SQL database, kept in ``directory``.

    Args:
        db: The database; its models' metadata (``db.metadata``) is what revisions
            bring the schema to.
        directory: Where ``env.py``, ``script.py.mako`` and ``versions/`` live (made on
            the first :meth:`make`).
        lock_timeout: Seconds :meth:`upgrade` and :meth:`downgrade` wait for another
            process's migration lock.

    Raises:
        NotSupported: the database is DuckDB, Cassandra or an in-memory SQLite database.
    """

    def __init__(self, db: Database, directory: str | Path, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.db = db
        self._directory = Path(directory)
        self.lock_timeout = lock_timeout
        self._dialect = dialect_of(db.url.backend)
        self._engine = engine_for(db, lock_timeout)

    def __repr__(self) -> str:
        return f"<SqlMigrations {self.db.name!r} {self._directory}>"

    @property
    def directory(self) -> Path:
        """The migrations directory."""
        return self._directory

    # -- making revisions ------------------------------------------------------
    def make(self, message: str, *, empty: bool = False, rename: RenameQuestion | None = None) -> Path | None:
        """Writes the revision that brings the database's schema to the models (Alembic's
        autogenerate, comparing types; batch operations on SQLite).

        Args:
            message: What the revision does; its file name is made from it.
            empty: Write a revision with empty ``upgrade()``/``downgrade()`` to fill in by
                hand (a data migration), comparing nothing.
            rename: Asked ``(table, old, new)`` for each column dropped and another added in
                one table; True writes a rename instead of drop + add. Without it the pair
                is written as drop + add, with a :class:`MigrationWarning`.

        Returns:
            The new revision's file; None when the models and the database agree.

        Raises:
            MigrationError: the database is behind the existing revisions (migrate first),
                or the directory's revisions cannot be read.

        Warns:
            MigrationWarning: a possible rename, a NOT NULL column added with no default.
        """
        self._create_directory()
        setup = self._setup(skip_empty=not empty, rename=rename)
        with self._connect() as connection:
            setup.connection = connection
            try:
                made = command.revision(self._config(setup), message=message or "migration",
                                        autogenerate=not empty)
            except CommandError as exc:
                if "not up to date" in str(exc):
                    raise MigrationError(f"{self._where()} is behind its revisions in {self._directory}: apply them "
                                         "(ormada migrate) before making a new one") from exc
                raise MigrationError(f"cannot make a revision in {self._directory}: {exc}") from exc
            finally:
                connection.rollback()
        for text in setup.warnings:
            warnings.warn(text, MigrationWarning, stacklevel=2)
        scripts = made if isinstance(made, list) else [made]
        return Path(scripts[0].path) if scripts and scripts[0] is not None else None

    # -- applying and reverting ------------------------------------------------
    def upgrade(self, target: str = "head") -> list[Revision]:
        """Applies the revisions up to ``target`` (an id, a unique prefix of one, or
        ``"head"``), each in a transaction of its own where DDL is transactional, all under
        the migration lock. A revision that fails is rolled back (on MySQL, whose DDL commits
        by itself, what it ran before the error stays) and the ones before it stay applied.
        While a revision runs, the sync calls of the database's models run on the migration's
        connection, inside its transaction (see :meth:`ormada.Database.borrowing`), so a
        data migration may use them.

        Returns:
            The revisions applied, oldest first; empty when the database was at ``target``
            (also when another process applied them meanwhile).

        Raises:
            MigrationError: a revision failed (naming it, those applied before it and where
                the database stands), ``target`` is unknown or below the database's
                revision, or another process held the lock past ``lock_timeout``.
        """
        script = self._scripts()
        if script is None:
            if target in ("head", "heads"):
                return []
            raise MigrationError(f"no revision {target!r}: {self._directory} holds no migrations yet")
        wanted = self._resolve(script, target)
        return self._run(script, "upgrade", wanted)

    def downgrade(self, target: str) -> list[Revision]:
        """Reverts the revisions after ``target`` (an id, a prefix, ``"base"`` for all, or
        ``"-N"`` for the last N), newest first, under the migration lock.

        Returns:
            The revisions reverted, newest first.

        Raises:
            MigrationError: a downgrade failed, or ``target`` is unknown or not applied.
        """
        script = self._scripts()
        if script is None:
            if target == "base":
                return []
            raise MigrationError(f"no revision {target!r}: {self._directory} holds no migrations yet")
        return self._run(script, "downgrade", target)

    def _run(self, script: ScriptDirectory, direction: str, target: str | None) -> list[Revision]:
        setup = self._setup()
        config = self._config(setup)
        done: list[Revision] = []
        with self._connect() as connection, self._lent(connection) as lent, \
                locked(connection, self.db.url, self.lock_timeout) as transaction:
            setup.connection = connection
            current = self._current(connection)  # read under the lock: another process may just have migrated
            if direction == "upgrade":
                steps = self._steps_up(script, current, target)
            else:
                steps = self._steps_down(script, current, target)
            for step in steps:
                try:
                    self._apply(connection, transaction, config, direction, step, lent)
                except Exception as exc:
                    raise self._failure(connection, transaction, direction, step, done, exc) from exc
                done.append(self._revision(step, applied=direction == "upgrade"))
        return done

    def _lent(self, connection: sa.Connection) -> AbstractContextManager[Transaction]:
        """Lends the migration's connection to the database's ormada calls for the whole run,
        so that a data migration may use the models: on connections of their own they would
        wait for the migration's lock, or not see its schema changes. Entered before the lock
        and left after its commit, so the read cache forgets what the revisions wrote through
        the models only once it is committed."""
        return self.db.borrowing(connection.connection.driver_connection, purpose=f"a migration of {self._where()}")

    def _apply(self, connection: sa.Connection, transaction: sa.RootTransaction | None, config: Config,
               direction: str, step: Script, lent: Transaction) -> None:
        lent.purpose = f"the {direction} of revision {step.revision} ({step.doc})"  # named in errors
        if transaction is None:  # each revision commits on its own (Alembic's transaction per migration)
            self._revise(config, direction, step)
            connection.commit()
            return
        savepoint = connection.begin_nested()
        try:
            self._revise(config, direction, step)
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()

    def _revise(self, config: Config, direction: str, step: Script) -> None:
        if direction == "upgrade":
            command.upgrade(config, step.revision)
        else:
            command.downgrade(config, _parent(step) or "base")

    def _failure(self, connection: sa.Connection, transaction: sa.RootTransaction | None, direction: str,
                 step: Script, done: list[Revision], exc: Exception) -> MigrationError:
        verb = "applied" if direction == "upgrade" else "reverted"
        before = ", ".join(r.id for r in done) or "none"
        if transaction is not None:
            transaction.commit()  # keeps the revisions done before the failure
            outcome = f"it was rolled back; {verb} before it: {before}"
        else:
            connection.rollback()
            outcome = (f"{verb} before it: {before}; {self.db.url.backend} commits DDL statement by statement, so "
                       f"what {step.revision} ran before the error stays: check the schema, fix the revision, and "
                       "finish by hand what it left half done")
        now = self._current(connection)
        connection.commit()
        reason = getattr(exc, "orig", None) or exc
        return MigrationError(f"{direction} of revision {step.revision} ({step.doc}) failed: "
                              f"{type(reason).__name__}: {str(reason).strip()}; {outcome}; "
                              f"the database is at {now or 'base'}")

    # -- looking --------------------------------------------------------------
    def history(self) -> list[Revision]:
        """Every revision, oldest first, each saying whether the database has it applied."""
        script = self._scripts()
        if script is None:
            return []
        with self._connect() as connection:
            current = self._current(connection)
        applied = self._applied(script, current)
        return [self._revision(s, s.revision in applied) for s in reversed(list(script.walk_revisions()))]

    def status(self) -> MigrationStatus:
        """The database's revision, the latest one, those pending, and the differences
        between the models and the database (compared only when it is at the latest
        revision: what ``make`` would write)."""
        script = self._scripts()
        with self._connect() as connection:
            current = self._current(connection)
            head = self._head(script) if script is not None else None
            pending = self._steps_up(script, current, head) if script is not None and head else []
            if current != head:
                return MigrationStatus(current, head, tuple(self._revision(s, False) for s in pending), (),
                                       compared=False)
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "target_metadata": self.db.metadata})
            diffs = compare_metadata(context, self.db.metadata)
            connection.rollback()
        return MigrationStatus(current, head, (), tuple(line for diff in diffs for line in describe_diff(diff)))

    def sql(self, revision: str, *, downgrade: bool = False) -> str:
        """The SQL ``revision`` runs (or, with ``downgrade``, its downgrade runs), made
        offline (Alembic's ``--sql`` mode), including the update of the version table.

        Raises:
            MigrationError: the revision is unknown, or cannot be rendered offline (on
                SQLite, a batch operation that copies a table needs the live table).
        """
        script = self._scripts()
        if script is None:
            raise MigrationError(f"no revision {revision!r}: {self._directory} holds no migrations yet")
        found = self._script(script, revision)
        setup = self._setup()
        output = io.StringIO()
        config = self._config(setup, output)
        parent = _parent(found) or "base"
        try:
            if downgrade:
                command.downgrade(config, f"{found.revision}:{parent}", sql=True)
            else:
                command.upgrade(config, f"{parent}:{found.revision}", sql=True)
        except CommandError as exc:
            if not self._dialect.batch or "live database connection" not in str(exc):
                raise MigrationError(f"cannot write the SQL of revision {found.revision} offline: {exc}") from exc
            # SQLite's batch operations copy a table, which offline SQL cannot do without the
            # table: apply the revisions to a scratch in-memory database and record what runs.
            return self._recorded_sql(found, downgrade)
        return output.getvalue()

    def _recorded_sql(self, found: Script, downgrade: bool) -> str:
        scratch = sa.create_engine("sqlite+pysqlite://", poolclass=sa.pool.StaticPool)
        sqlite_transactions(scratch)
        setup = self._setup()
        config = self._config(setup)
        statements: list[str] = []

        def record(connection: sa.Connection, clause: Any, *args: Any) -> None:
            if isinstance(clause, sa.sql.Select):
                return  # Alembic reading the version table, not a step of the revision
            compiled = clause.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
            statements.append(str(compiled).strip() + ";")

        with scratch.connect() as connection:
            setup.connection = connection
            command.upgrade(config, found.revision if downgrade else _parent(found) or "base")
            connection.commit()
            sa.event.listen(connection, "before_execute", record)
            if downgrade:
                command.downgrade(config, _parent(found) or "base")
            else:
                command.upgrade(config, found.revision)
            connection.commit()
        scratch.dispose()
        return "\n".join(statements) + "\n"

    # -- the pieces ------------------------------------------------------------
    def _where(self) -> str:
        return f"{self.db.name!r} ({self.db.url})"

    @contextmanager
    def _connect(self) -> Iterator[sa.Connection]:
        try:
            connection = self._engine.connect()
        except sa.exc.DBAPIError as exc:
            raise MigrationError(f"cannot connect to {self._where()}: {exc.orig}") from exc
        with connection:
            yield connection

    def _setup(self, skip_empty: bool = True, rename: RenameQuestion | None = None) -> Setup:
        models = [model.__ormada__ for model in self.db.models()]  # type: ignore[attr-defined]
        return Setup(self.db.metadata, self._dialect, OFFLINE_DIALECTS[self.db.url.backend], None, models,
                     skip_empty, rename)

    def _config(self, setup: Setup, output: io.StringIO | None = None) -> Config:
        # Quiet: Alembic would print "Generating …" (a library prints nothing).
        config = Config(output_buffer=output, cmd_opts=argparse.Namespace(quiet=True))
        config.set_main_option("script_location", str(self._directory))
        config.attributes[SETUP] = setup
        return config

    def _create_directory(self) -> None:
        """Writes env.py and the revision template into a new (or empty) directory."""
        (self._directory / "versions").mkdir(parents=True, exist_ok=True)
        for name, text in (("env.py", ENV), ("script.py.mako", SCRIPT), ("README", README)):
            path = self._directory / name
            if not path.exists():
                path.write_text(text, encoding="utf-8")

    def _scripts(self) -> ScriptDirectory | None:
        """The directory's revisions; None before the first revision was made."""
        if not (self._directory / "env.py").is_file():
            return None
        try:
            return ScriptDirectory.from_config(self._config(self._setup()))
        except CommandError as exc:
            raise MigrationError(f"cannot read the migrations in {self._directory}: {exc}") from exc

    def _script(self, script: ScriptDirectory, revision: str) -> Script:
        try:
            found = script.get_revision(revision)
        except CommandError as exc:
            raise MigrationError(f"no revision {revision!r} in {self._directory}: {exc}") from exc
        if found is None:
            raise MigrationError(f"no revision {revision!r} in {self._directory}")
        return found

    def _head(self, script: ScriptDirectory) -> str | None:
        try:
            return script.get_current_head()
        except CommandError as exc:
            raise MigrationError(f"{self._directory} has several heads (two revisions follow one): make one follow "
                                 f"the other by editing its down_revision ({exc})") from exc

    def _resolve(self, script: ScriptDirectory, target: str) -> str | None:
        if target in ("head", "heads"):
            return self._head(script)
        return self._script(script, target).revision

    def _current(self, connection: sa.Connection) -> str | None:
        heads = MigrationContext.configure(connection).get_current_heads()
        if len(heads) > 1:
            raise MigrationError(f"{self._where()} is at several revisions at once ({', '.join(heads)})")
        return heads[0] if heads else None

    def _applied(self, script: ScriptDirectory, current: str | None) -> set[str]:
        if current is None:
            return set()
        try:
            return {s.revision for s in script.iterate_revisions(current, "base")}
        except CommandError as exc:
            raise MigrationError(f"{self._where()} is at revision {current}, which is not in {self._directory} "
                                 f"({exc})") from exc

    def _steps_up(self, script: ScriptDirectory, current: str | None, target: str | None) -> list[Script]:
        if target is None or target == current:
            return []
        if target in self._applied(script, current):
            raise MigrationError(f"revision {target} is already applied ({self._where()} is at {current}): "
                                 f"use downgrade {target} to go back to it")
        try:
            steps = list(script.iterate_revisions(target, current or "base"))
        except CommandError as exc:
            raise MigrationError(f"cannot go from {current or 'base'} up to {target}: {exc}") from exc
        return list(reversed(steps))

    def _steps_down(self, script: ScriptDirectory, current: str | None, target: str | None) -> list[Script]:
        applied = self._applied(script, current)
        if target is not None and target.startswith("-") and target[1:].isdigit():
            steps = list(script.iterate_revisions(current, "base")) if current else []
            return steps[:int(target[1:])]
        wanted = None if target in (None, "base") else self._script(script, str(target)).revision
        if wanted is not None and wanted not in applied:
            raise MigrationError(f"revision {wanted} is not applied ({self._where()} is at {current or 'base'}): "
                                 "use migrate to go up to it")
        if current is None or wanted == current:
            return []
        return list(script.iterate_revisions(current, wanted or "base"))

    def _revision(self, script: Script, applied: bool) -> Revision:
        return Revision(script.revision, _parent(script), script.doc, Path(script.path), applied)


def _parent(script: Script) -> str | None:
    parent: str | Sequence[str] | None = script.down_revision
    if parent is None or isinstance(parent, str):
        return parent
    return ",".join(parent)

