"""Migration files for Cassandra: ``CqlMigrations``, the :class:`~ormada.migrations.Migrations` of a CQL keyspace.

Revisions are Python files in ``<directory>/versions/`` (see :mod:`.cql_files`) whose
``upgrade(op)``/``downgrade(op)`` run CQL statements. ``make`` writes the next one from
the difference between the models and the schema the existing revisions build (the
``schema`` each file records), so it needs no connection and never depends on what a
developer's keyspace happens to hold.

Applying them records the last fully applied revision in the keyspace's
``ormada_migrations`` table, under a lock row taken with a lightweight transaction
(``INSERT … IF NOT EXISTS USING TTL``), so two processes migrating at once apply each
revision once. Cassandra has no transactional DDL: when a statement fails, the
:class:`PartialMigrationError` lists which statements of the revision ran and which did
not, and the record still names the last revision that fully ran. The statements
generated use ``IF [NOT] EXISTS`` so that running ``migrate`` again after fixing the cause
skips what already ran.
"""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ormada.backends.cassandra import index_builds
from ormada.backends.cassandra.backend import CassandraBackend
from ormada.migrations import cql_diff, cql_files, cql_schema
from ormada.migrations.base import MigrationError, MigrationStatus, Revision
from ormada.migrations.cql_files import Operations, RevisionFile

if TYPE_CHECKING:
    from ormada.database import Database

__all__ = ["RECORD_TABLE", "CqlMigrations", "Operations", "PartialMigrationError"]

RECORD_TABLE = "ormada_migrations"
RECORD_DDL = (f"CREATE TABLE IF NOT EXISTS {RECORD_TABLE} (name text PRIMARY KEY, revision text, owner text, "
              "at timestamp, detail text)")
DDL_TIMEOUT = 120.0  # creating a table waits for the node to flush and agree: seconds on a loaded machine
SCHEMA_AGREEMENT_WAIT = 60.0
LOCK_POLL = 0.5
INDEX = re.compile(r"^\s*CREATE\s+(?:CUSTOM\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?(\"[^\"]+\"|\w+)", re.I)
DDL = re.compile(r"^\s*(CREATE|ALTER|DROP)\b", re.I)


class PartialMigrationError(MigrationError):
    """A statement of a revision failed after others had run (CQL schema changes are not transactional).

    Attributes:
        revision: The revision that failed.
        applied: The statements of it that ran, in order.
        failed: The statement that failed.
        not_applied: The statements after it, which did not run.
        recorded: The revision ``ormada_migrations`` names (the last fully applied; None at base).
    """

    def __init__(self, message: str, *, revision: str, applied: Sequence[str], failed: str,
                 not_applied: Sequence[str], recorded: str | None) -> None:
        super().__init__(message)
        self.revision = revision
        self.applied = tuple(applied)
        self.failed = failed
        self.not_applied = tuple(not_applied)
        self.recorded = recorded


class CqlMigrations:
    """The CQL migrations of one Cassandra database, kept in ``directory``.

    Args:
        db: The database (its URL names the keyspace the revisions migrate).
        directory: Where ``versions/`` lives.
        models: The models the revisions follow; by default every model bound to ``db``.
        lock_timeout: Seconds ``upgrade``/``downgrade`` wait for another process's lock
            before giving up (0 gives up at once).
        lock_ttl: Seconds after which a lock left by a process that died expires.

    Attributes:
        models: The models ``make`` and ``status`` compare with (None: the database's models).
    """

    def __init__(self, db: Database, directory: Path | str, *, models: Sequence[type[BaseModel]] | None = None,
                 lock_timeout: float = 60.0, lock_ttl: int = 600) -> None:
        backend = db.backend
        if not isinstance(backend, CassandraBackend) or not backend.keyspace:
            raise MigrationError(f"CqlMigrations needs a Cassandra database whose URL names a keyspace "
                                 f"(cassandra://host/keyspace), not {db.url}")
        self.db = db
        self.backend = backend
        self.keyspace: str = backend.keyspace
        self._directory = Path(directory)
        self.models = list(models) if models is not None else None
        self.lock_timeout = lock_timeout
        self.lock_ttl = lock_ttl

    @property
    def directory(self) -> Path:
        return self._directory

    # -- files ---------------------------------------------------------------------------
    def revisions(self) -> list[RevisionFile]:
        """The revision files, oldest first."""
        return cql_files.load(self._directory)

    def built_schema(self, files: Sequence[RevisionFile] | None = None) -> cql_schema.Snapshot:
        """The schema the revisions build: the snapshot of the latest one that records one."""
        for file in reversed(self.revisions() if files is None else files):
            if file.schema is not None:
                return cql_schema.normalised(file.schema)
        return cql_schema.empty()

    def model_schema(self) -> cql_schema.Snapshot:
        """The schema the models declare."""
        models = self.models if self.models is not None else self.db.models()
        return cql_schema.from_models(self.backend, models, self.keyspace)

    def diff(self) -> cql_diff.Diff:
        """What the models change against the schema the revisions build (nothing is refused here)."""
        return cql_diff.diff(self.built_schema(), self.model_schema())

    def make(self, message: str, *, empty: bool = False) -> Path | None:
        """Writes the next revision, from the models against the schema the revisions build.

        Raises:
            MigrationError: a change CQL cannot make (a key or a column type); the message
                gives the reason and what to do instead. Nothing is written then.
        """
        files = self.revisions()
        models = self.model_schema()
        result = cql_diff.diff(self.built_schema(files), models)
        if result.refusals:
            raise MigrationError("Cassandra cannot make these changes in place, so no revision was written:\n  "
                                 + "\n  ".join(result.refusals))
        # An empty revision (a data migration) changes no schema: the models' changes wait for the next one.
        changes = [] if empty else result.ordered()
        if not changes and not empty:
            return None
        rev = cql_files.new_id()
        parent = files[-1].revision.id if files else None
        schema = None if empty else models
        versions = self._directory / "versions"
        versions.mkdir(parents=True, exist_ok=True)
        path = versions / f"{len(files) + 1:04d}_{rev}_{cql_files.slug(message)}.py"
        path.write_text(cql_files.render(rev, parent, message, changes, schema), encoding="utf-8")
        return path

    def sql(self, revision: str, *, downgrade: bool = False) -> str:
        """The CQL ``revision``'s upgrade (or downgrade) runs, one statement a line, with no connection."""
        files = self.revisions()
        position = self._position(files, revision)
        if position == 0:
            raise MigrationError(f"{revision!r} names no revision file (there are {len(files)}); sql() takes a "
                                 "revision id, a prefix of one, or head")
        file = files[position - 1]
        statements, more = file.statements(downgrade)
        kind = "downgrade" if downgrade else "upgrade"
        lines = [f"-- {file.revision.id} ({kind}): {file.revision.message}"]
        lines += [cql_files.describe(s, ";") for s in statements]
        if more:
            lines.append(f"-- then Python code in {kind}() that reads or writes through the models (not shown)")
        return "\n".join(lines) + "\n"

    # -- where the database stands -------------------------------------------------------------
    def current(self) -> str | None:
        """The last fully applied revision, as ``ormada_migrations`` records it (None: none)."""
        session = self._session()
        try:
            return self._recorded(session)
        finally:
            session.shutdown()

    def history(self) -> list[Revision]:
        files = self.revisions()
        return _marked(files, self._applied_count(files, self.current()))

    def status(self) -> MigrationStatus:
        files = self.revisions()
        current = self.current()
        done = self._applied_count(files, current)
        return MigrationStatus(
            current=current,
            head=files[-1].revision.id if files else None,
            pending=tuple(f.revision for f in files[done:]),
            drift=tuple(cql_diff.diff(self.built_schema(files), self.model_schema()).lines()),
        )

    # -- applying --------------------------------------------------------------------------------
    def upgrade(self, target: str = "head") -> list[Revision]:
        return self._under_lock(target, downgrade=False)

    def downgrade(self, target: str) -> list[Revision]:
        return self._under_lock(target, downgrade=True)

    def _run(self, session: Any, files: list[RevisionFile], done: int, stop: int, *, downgrade: bool,
             renew: Callable[[], None]) -> list[Revision]:
        out: list[Revision] = []
        if downgrade:
            for index in range(done - 1, stop - 1, -1):
                self._apply(session, files[index], downgrade=True, recorded=files[index].revision.id)
                previous = files[index - 1].revision if index else None
                self._record(session, previous, f"reverted {files[index].revision.id}")
                out.append(_marked([files[index]], 0)[0])
                renew()
        else:
            for index in range(done, stop):
                recorded = files[index - 1].revision.id if index else None
                self._apply(session, files[index], downgrade=False, recorded=recorded)
                self._record(session, files[index].revision, files[index].revision.message)
                out.append(_marked([files[index]], 1)[0])
                renew()
        return out

    def _apply(self, session: Any, file: RevisionFile, *, downgrade: bool, recorded: str | None) -> None:
        """Runs one revision's upgrade or downgrade, statement by statement."""
        planned, _ = file.statements(downgrade)
        applied: list[cql_files.Statement] = []

        def run(cql: str, params: Sequence[Any]) -> None:
            self._execute(session, cql, params)
            applied.append((cql, tuple(params)))

        try:
            file.function(downgrade)(Operations(run, self.db, self.keyspace))
        except Exception as exc:
            raise self._failure(file, downgrade, planned, applied, exc, recorded) from exc
        self.backend.holder.forget_prepared()  # statements the database prepared may read old columns

    def _failure(self, file: RevisionFile, downgrade: bool, planned: list[cql_files.Statement],
                 ran: list[cql_files.Statement], exc: Exception, recorded: str | None) -> PartialMigrationError:
        rev = file.revision
        applied = [cql_files.describe(s) for s in ran]
        rest = [cql_files.describe(s) for s in planned[len(ran):]] if planned[:len(ran)] == ran else []
        failed = rest[0] if rest else "(Python code of the revision)"
        kind = "downgrade" if downgrade else "upgrade"
        lines = [f"revision {rev.id} ({rev.message}) failed in its {kind}: {type(exc).__name__}: {exc}",
                 f"  failed: {failed}"]
        lines.append("  applied before it (Cassandra schema changes are not transactional; these stay):")
        lines += [f"    {i}. {s}" for i, s in enumerate(applied, 1)] or ["    none"]
        lines.append("  not applied:")
        lines += [f"    {i}. {s}" for i, s in enumerate(rest[1:], len(applied) + 2)] or ["    none"]
        lines.append(f"  {RECORD_TABLE} records {recorded or 'no revision (base)'}, the last fully applied. Fix the "
                     f"cause and run it again (generated statements use IF [NOT] EXISTS, so those applied are "
                     "skipped), or undo the applied ones by hand.")
        return PartialMigrationError("\n".join(lines), revision=rev.id, applied=applied, failed=failed,
                                     not_applied=rest[1:], recorded=recorded)

    def _execute(self, session: Any, cql: str, params: Sequence[Any] = ()) -> Any:
        """Runs one statement; after DDL, makes sure every node agrees on the schema and that a
        new index is built before the next statement can use it."""
        from cassandra.query import SimpleStatement

        if params:  # ``?`` markers: bound by a prepared statement, never spliced into the text
            result = session.execute(session.prepare(cql).bind(tuple(params)), timeout=DDL_TIMEOUT)
        else:
            result = session.execute(SimpleStatement(cql), timeout=DDL_TIMEOUT)
        if DDL.match(cql):
            # The driver waits up to Cluster.max_schema_agreement_wait (10 s) after a schema change and
            # says whether the nodes agreed; on a busy cluster wait longer before giving up.
            if not result.response_future.is_schema_agreed and \
                    not session.cluster.control_connection.wait_for_schema_agreement(wait_time=SCHEMA_AGREEMENT_WAIT):
                raise MigrationError(f"the nodes did not agree on the schema within {SCHEMA_AGREEMENT_WAIT:g} s "
                                     f"after {cql!r}; check the cluster (nodetool describecluster)")
            index = INDEX.match(cql)
            if index is not None:
                holder = self.backend.holder
                index_builds.wait_built(session, (self.keyspace, index.group(1).strip('"')),
                                        holder.index_build_timeout, holder.describe)
        return result

    # -- the record table and the lock ------------------------------------------------------------
    def _session(self) -> Any:
        """A driver session bound to the keyspace (the files name no keyspace), on the
        database's cluster; the caller shuts it down."""
        from cassandra.query import dict_factory

        self.db.sync_pool()  # counts this use of the cluster, which db.close() then shuts down
        cluster = self.backend.holder.session().cluster
        try:
            session = cluster.connect(self.keyspace)
        except Exception as exc:
            raise MigrationError(f"cannot use keyspace {self.keyspace!r} on {self.db.url} ({exc}); create it first: "
                                 "db.execute_statement(db.backend.create_keyspace())") from exc
        session.row_factory = dict_factory
        return session

    def _recorded(self, session: Any) -> str | None:
        from cassandra import InvalidRequest

        try:
            rows = list(session.execute(_quorum(f"SELECT revision FROM {RECORD_TABLE} WHERE name = 'current'")))
        except InvalidRequest:  # no record table: nothing was ever applied
            return None
        return rows[0]["revision"] if rows else None

    def _record(self, session: Any, revision: Revision | None, detail: str) -> None:
        insert = f"INSERT INTO {RECORD_TABLE} (name, revision, at, detail) VALUES ('current', %s, %s, %s)"
        session.execute(_quorum(insert), (revision.id if revision else None, datetime.now(UTC), detail))

    def _under_lock(self, target: str, *, downgrade: bool) -> list[Revision]:
        session = self._session()
        try:
            self._execute(session, RECORD_DDL)
            owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
            self._lock(session, owner)
            try:
                files = self.revisions()
                current = self._recorded(session)  # read under the lock: another process may have moved it
                done = self._applied_count(files, current)
                stop = self._position(files, target, current=done)
                if (stop > done) if downgrade else (stop < done):
                    raise MigrationError(f"{target!r} is {'after' if downgrade else 'before'} the current revision "
                                         f"{current}; use {'upgrade' if downgrade else 'downgrade'} to go there")
                return self._run(session, files, done, stop, downgrade=downgrade,
                                 renew=lambda: self._renew(session, owner))
            finally:
                session.execute(f"DELETE FROM {RECORD_TABLE} WHERE name = 'lock' IF owner = %s", (owner,))
        finally:
            session.shutdown()

    def _renew(self, session: Any, owner: str) -> None:
        """Restarts the lock's TTL after each revision, so a long migration keeps it."""
        # Both cells rewritten: each keeps the TTL it was written with.
        result = session.execute(f"UPDATE {RECORD_TABLE} USING TTL {int(self.lock_ttl)} SET owner = %s, at = %s "
                                 "WHERE name = 'lock' IF owner = %s", (owner, datetime.now(UTC), owner))
        if not result.was_applied:
            raise MigrationError(f"the migration lock of {owner} on {self.keyspace!r} expired (lock_ttl="
                                 f"{self.lock_ttl} s) while it migrated; another process may be migrating too. "
                                 f"Check {RECORD_TABLE} and raise lock_ttl")

    def _lock(self, session: Any, owner: str) -> None:
        deadline = time.monotonic() + self.lock_timeout
        while True:
            result = session.execute(
                f"INSERT INTO {RECORD_TABLE} (name, owner, at) VALUES ('lock', %s, %s) IF NOT EXISTS "
                f"USING TTL {int(self.lock_ttl)}", (owner, datetime.now(UTC)))
            if result.was_applied:
                return
            if time.monotonic() >= deadline:
                held = result.one() or {}
                raise MigrationError(
                    f"another process is migrating keyspace {self.keyspace!r}: {RECORD_TABLE} holds the lock of "
                    f"{held.get('owner')} since {held.get('at')}; waited {self.lock_timeout:g} s. Try again when it "
                    f"ends; a lock left by a process that died expires {self.lock_ttl} s after it was taken, or "
                    f"remove it with DELETE FROM {self.keyspace}.{RECORD_TABLE} WHERE name = 'lock'")
            time.sleep(LOCK_POLL)

    # -- targets ---------------------------------------------------------------------------------
    def _applied_count(self, files: Sequence[RevisionFile], current: str | None) -> int:
        if current is None:
            return 0
        for index, file in enumerate(files, 1):
            if file.revision.id == current:
                return index
        raise MigrationError(f"{RECORD_TABLE} in {self.keyspace!r} records revision {current}, which is no file in "
                             f"{self._directory / 'versions'}")

    def _position(self, files: Sequence[RevisionFile], target: str, current: int | None = None) -> int:
        """How many revisions are applied once at ``target``: "head", "base", a revision id (or a
        unique prefix of one), or "+N" / "-N" (N after or before the current one)."""
        if target == "head":
            return len(files)
        if target == "base":
            return 0
        if re.fullmatch(r"[+-]\d+", target) and current is not None:
            return min(max(current + int(target), 0), len(files))
        found = [i for i, f in enumerate(files, 1) if f.revision.id.startswith(target)]
        if len(found) != 1:
            known = ", ".join(f.revision.id for f in files) or "none"
            why = "matches several revisions" if found else "is no revision"
            raise MigrationError(f"{target!r} {why} (revisions: {known}; or head, base)")
        return found[0]


def _quorum(cql: str) -> Any:
    """The record is read and written at QUORUM: the process that takes the lock next must
    see the revision the previous one recorded, whichever node answers."""
    from cassandra import ConsistencyLevel
    from cassandra.query import SimpleStatement

    return SimpleStatement(cql, consistency_level=ConsistencyLevel.QUORUM)


def _marked(files: Sequence[RevisionFile], applied: int) -> list[Revision]:
    """The revisions, the first ``applied`` of them marked applied."""
    out = []
    for index, file in enumerate(files):
        rev = file.revision
        out.append(Revision(rev.id, rev.parent, rev.message, rev.path, applied=index < applied))
    return out
