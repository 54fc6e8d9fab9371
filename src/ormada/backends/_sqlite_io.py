"""Running statements on SQLite: sqlite3 for sync, and for async a connection that
runs short statements inline on the event loop and hands the rest to aiosqlite's
worker thread.

Why inline: a point read on SQLite takes a few microseconds, while handing it to a
thread and back costs tens (aiosqlite's hop made an async get about 30 times slower
than sqlite3). So an async statement first runs on the loop's own thread with a
budget of SQLite VM steps (a progress handler); if it would run longer, SQLite
interrupts it and it runs again on the worker thread, where a long query cannot
stall other tasks. The connection is never busy-waited on inline: a locked
database sends the statement to the worker, which waits for the lock there.

Inline statements never suspend the task, so by themselves they would starve every
other task and leave no point at which a cancellation could arrive. Before an inline
statement the task therefore yields to the loop (``asyncio.sleep(0)``) when the loop
has not had control for a few milliseconds, or when the task has been asked to
cancel; a cancellation then surfaces before the statement runs, so a transaction
cancelled before its COMMIT is rolled back instead of committed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from time import perf_counter
from typing import Any

import aiosqlite

from ormada.backends.base import AsyncConnection, RawRows, Statement, SyncConnection, several_statements
from ormada.errors import DatabaseError, IntegrityError, OrmadaError

# VM instructions between progress checks, and checks allowed before an inline run
# gives up: about 20,000 instructions, tens of microseconds of work.
PROGRESS_STEP = 1000
INLINE_CHECKS = 20

# Seconds of inline work (statements and the mapper's own work between them) after
# which the loop gets a turn: what other tasks on the loop may wait at most.
YIELD_BUDGET = 0.002


def map_error(exc: sqlite3.Error, statement: Statement) -> OrmadaError:
    """The ormada error for a sqlite3 error raised by ``statement``."""
    if isinstance(exc, sqlite3.IntegrityError):
        return IntegrityError(f"{exc} (in: {statement.text})")
    if isinstance(exc, sqlite3.ProgrammingError) and "one statement at a time" in str(exc):
        return several_statements(statement)
    return DatabaseError(f"{exc} (in: {statement.text})")


def split_script(script: str) -> list[str]:
    """The statements of a script, cut where SQLite itself would end each one (a ``;``
    inside a string, a comment or a trigger's body does not end it)."""
    statements, current = [], ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \t\r\n;"):
                statements.append(current)
            current = ""
    if current[:-1].strip():
        statements.append(current[:-1])
    return statements


def run_script(connection: sqlite3.Connection, script: str) -> None:
    """Runs a script's statements in order, as one transaction unless inside one already.

    Not ``executescript()``: it commits the caller's open transaction first.
    """
    own = not connection.in_transaction
    if own:
        connection.execute("BEGIN")
    try:
        for text in split_script(script):
            connection.execute(text)
    except BaseException:
        if own and connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    if own:
        connection.execute("COMMIT")


def run_statement(connection: sqlite3.Connection, statement: Statement) -> Any:
    """Runs one statement and returns what ``statement.fetch`` asks for."""
    if statement.fetch == "script":
        return run_script(connection, statement.text)
    if statement.many:
        return connection.executemany(statement.text, statement.params).rowcount
    cursor = connection.execute(statement.text, statement.params)
    fetch = statement.fetch
    if fetch == "rows":
        return cursor.fetchall()
    if fetch == "auto":
        description = cursor.description
        return cursor.rowcount if description is None else RawRows(cursor.fetchall(), (d[0] for d in description))
    if fetch == "rowcount":
        return cursor.rowcount
    if fetch == "lastrowid":
        return cursor.lastrowid
    return None


class SqliteConnection(SyncConnection):
    """A sqlite3 connection in autocommit mode; ormada issues BEGIN/COMMIT itself."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def execute(self, statement: Statement) -> Any:
        try:
            return run_statement(self.connection, statement)
        except sqlite3.Error as exc:
            raise map_error(exc, statement) from exc

    def stream(self, statement: Statement, chunk_size: int) -> Iterator[Sequence[Sequence[Any]]]:
        try:
            cursor = self.connection.execute(statement.text, statement.params)
            while rows := cursor.fetchmany(chunk_size):
                yield rows
        except sqlite3.Error as exc:
            raise map_error(exc, statement) from exc

    def close(self) -> None:
        self.connection.close()


class BorrowedSqliteConnection(SqliteConnection):
    """A sqlite3 connection that other code opened and closes (see ``Backend.borrowed``)."""

    def close(self) -> None:
        pass  # its owner's


class _LoopTurn:
    """When the event loop last had control, as far as inline statements can tell.

    ``pending`` marks a callback queued on the loop: it runs, and clears the flag, as
    soon as the loop gets control through any task's suspension, not only ours, so a
    task that resumes after a real wait starts a fresh budget without yielding again.
    It holds no reference to its loop: the loop is the key of a weak mapping to it.
    """

    __slots__ = ("pending", "since")

    def __init__(self) -> None:
        self.pending = False
        self.since = 0.0

    def passed(self) -> None:
        self.pending = False

    def overdue(self, loop: asyncio.AbstractEventLoop) -> bool:
        if not self.pending:
            self.pending = True
            self.since = perf_counter()
            loop.call_soon(self.passed)
            return False
        return perf_counter() - self.since > YIELD_BUDGET


# One turn per loop, shared by its connections: the budget is the loop's, not a pool
# member's. Weak keys, so a closed loop's entry goes with it.
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopTurn] = weakref.WeakKeyDictionary()


class _Quiet:
    """A call handed to aiosqlite's worker thread, shown without the statement's values.

    aiosqlite logs every call it runs at DEBUG ("executing <call>"), and the call's repr
    would show the bound values, which are users' data; ormada's own log shows them only
    when asked (``log_params``).
    """

    __slots__ = ("args", "function", "statement")

    def __init__(self, function: Callable[..., Any], statement: Statement, *args: Any) -> None:
        self.function = function
        self.statement = statement
        self.args = args

    def __call__(self) -> Any:
        return self.function(*self.args)

    def __repr__(self) -> str:
        return f"<ormada statement: {self.statement.text}>"


class _Handoff(Exception):
    """Internal: the inline attempt stopped without effect; run on the worker thread."""


class AsyncSqliteConnection(AsyncConnection):
    """An aiosqlite connection whose short statements run inline (see the module doc)."""

    def __init__(self, connection: aiosqlite.Connection, busy_timeout: float) -> None:
        self.connection = connection
        self.raw: sqlite3.Connection = connection._conn  # the sqlite3 connection aiosqlite's thread uses
        self.busy_timeout_ms = int(busy_timeout * 1000)
        self._checks = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._turn = _LoopTurn()
        # Hand-offs queued (written on the loop) and finished (written by the worker):
        # a task cancelled while awaiting the worker does not stop the worker, and a
        # statement run inline meanwhile (the ROLLBACK, say) would overtake it.
        self._handed_off = 0
        self._worker_done = 0

    def _progress(self) -> int:
        self._checks += 1
        return 1 if self._checks > INLINE_CHECKS else 0

    def _inline(self, statement: Statement) -> Any:
        """Runs the statement on this thread, or raises _Handoff when it must not or
        did not finish here.

        A budget-interrupted statement has had no effect only if it is a read, or a
        write outside a transaction (it was its own transaction); writes inside a
        transaction run inline only when marked ``quick`` (one row by key), unbounded.
        """
        if self._worker_done != self._handed_off:
            raise _Handoff
        raw = self.raw
        # Only a SELECT is a read: an INSERT … RETURNING also fetches rows, and
        # interrupting it inside a transaction would roll the whole transaction back.
        is_read = statement.text.startswith(("SELECT", "select"))
        bounded = is_read or not raw.in_transaction
        if statement.many or statement.fetch == "script" or not (bounded or statement.quick):
            raise _Handoff
        if bounded:
            self._checks = 0
            raw.set_progress_handler(self._progress, PROGRESS_STEP)
        try:
            return run_statement(raw, statement)
        except sqlite3.OperationalError as exc:
            message = str(exc)
            if message == "interrupted" or "locked" in message or "busy" in message:
                raise _Handoff from None
            raise
        finally:
            if bounded:
                raw.set_progress_handler(None, 0)

    def _on_worker(self, statement: Statement, ticket: int) -> Any:
        """Runs on aiosqlite's thread, where waiting for a lock is allowed."""
        raw = self.raw
        try:
            raw.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
            try:
                return run_statement(raw, statement)
            finally:
                raw.execute("PRAGMA busy_timeout = 0")
        finally:
            self._worker_done = ticket

    def _loop_turn(self) -> asyncio.AbstractEventLoop:
        loop = self._loop = asyncio.get_running_loop()
        self._turn = _turns.setdefault(loop, self._turn)
        return loop

    async def execute(self, statement: Statement) -> Any:
        loop = self._loop or self._loop_turn()
        turn = self._turn
        task = asyncio.current_task(loop)  # with the loop: no second look-up of it
        # A cancel requested while the task runs (by itself, or by a callback it calls)
        # would otherwise find no suspension to arrive at before the transaction ends.
        if turn.overdue(loop) or (task is not None and task.cancelling() > 0):
            # Before the statement, never after: a cancellation arriving here means the
            # statement did not run, so the caller's rollback undoes all it did.
            await asyncio.sleep(0)
            turn.overdue(loop)
        try:
            try:
                return self._inline(statement)
            except _Handoff:
                self._handed_off += 1
                call = _Quiet(self._on_worker, statement, statement, self._handed_off)
                return await self.connection._execute(call)  # type: ignore[no-untyped-call]
        except sqlite3.Error as exc:
            raise map_error(exc, statement) from exc

    async def stream(self, statement: Statement, chunk_size: int) -> AsyncIterator[Sequence[Sequence[Any]]]:
        run = self.connection._execute
        try:
            cursor: sqlite3.Cursor = await run(_Quiet(self.raw.execute, statement, statement.text, statement.params))  # type: ignore[no-untyped-call]
            try:
                while rows := await run(cursor.fetchmany, chunk_size):  # type: ignore[no-untyped-call]
                    yield list(rows)
            finally:
                await run(cursor.close)  # type: ignore[no-untyped-call]
        except sqlite3.Error as exc:
            raise map_error(exc, statement) from exc

    async def close(self) -> None:
        await self.connection.close()

    def terminate(self) -> None:
        self.connection.stop()
