"""Running statements on DuckDB, in-process through the ``duckdb`` module.

DuckDB has no async driver, so the async connection runs each call on a worker
thread of its own: one single-thread executor per connection, so a DuckDB connection
is never used by two threads at once and its statements run in the order they were
sent (a ROLLBACK sent after a cancelled statement waits for that statement to end).
DuckDB releases the GIL while a query runs, so the event loop keeps running meanwhile.

Every pooled connection is a cursor of one root connection (see the backend), so
they share one database instance, in memory or in a file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import duckdb

from ormada.backends.base import AsyncConnection, RawRows, Statement, SyncConnection, several_statements
from ormada.errors import DatabaseError, DataError, IntegrityError, OrmadaError, TransactionError

T = TypeVar("T")

_WRITES = (duckdb.StatementType.INSERT, duckdb.StatementType.UPDATE, duckdb.StatementType.DELETE)


def first_line(exc: BaseException) -> str:
    """The first line of a DuckDB error (the rest is a hint or a stack)."""
    return (str(exc).strip() or type(exc).__name__).splitlines()[0]


def map_error(exc: duckdb.Error, statement: Statement) -> OrmadaError:
    """The ormada error for a ``duckdb`` error raised by ``statement``."""
    message = f"{first_line(exc)} (in: {statement.text})"
    if isinstance(exc, duckdb.IntegrityError):
        verb = statement.text.lstrip()[:6].upper()
        if "foreign key" in message.lower() and verb == "DELETE":
            message += ("; DuckDB has no ON DELETE actions, so rows that refer to this one are never deleted "
                        "or set to NULL with it: delete or change them first")
        elif "still referenced" in message and verb == "UPDATE":
            message += ("; DuckDB writes a change to a foreign-key or unique column as a delete and an insert, "
                        "so it refuses one on a row that other rows refer to: point those rows elsewhere (or set "
                        "them to NULL) first, change this row, then point them back")
        return IntegrityError(message)
    if isinstance(exc, duckdb.DataError):
        return DataError(message)
    if isinstance(exc, duckdb.InvalidInputException) and "Python Conversion Failure" in message:
        return DataError(message)  # a value DuckDB cannot take, such as text holding a lone surrogate
    if isinstance(exc, duckdb.TransactionException):
        if "aborted" in message:
            return TransactionError(
                "this transaction was aborted by an earlier error inside it, so DuckDB refuses every further "
                "statement until the block ends, and it has no savepoints to contain the error; let the error "
                f"leave the transaction() block and run the transaction again (in: {statement.text})")
        if "conflict" in message.lower():
            return TransactionError(f"{first_line(exc)}: another transaction changed the same rows first, and "
                                    f"DuckDB does not wait for it; run the transaction again (in: {statement.text})")
    return DatabaseError(message)


class _Session:
    """Runs statements on one DuckDB connection, from whichever one thread uses it."""

    __slots__ = ("in_transaction", "raw")

    def __init__(self, raw: duckdb.DuckDBPyConnection) -> None:
        self.raw = raw
        self.in_transaction = False

    def run(self, statement: Statement) -> Any:
        try:
            return self._run(statement)
        except duckdb.Error as exc:
            raise map_error(exc, statement) from exc

    def _run(self, statement: Statement) -> Any:
        raw, fetch = self.raw, statement.fetch
        if fetch == "script":
            return self._script(statement.text)
        if statement.many:
            # executemany reports the last execution's count only: one call per row, summed.
            total, rows = 0, []
            for params in statement.params:
                result = raw.execute(statement.text, params)
                if fetch == "rows":
                    rows.extend(result.fetchall())
                else:
                    total += _count(result)
            return rows if fetch == "rows" else total
        if fetch == "auto":
            return self._auto(statement)
        result = raw.execute(statement.text, statement.params)
        if fetch == "rows":
            return result.fetchall()
        if fetch == "rowcount":
            return _count(result)
        if fetch == "none":
            text = statement.text
            if text in ("BEGIN", "BEGIN TRANSACTION"):
                self.in_transaction = True
            elif text in ("COMMIT", "ROLLBACK"):
                self.in_transaction = False
            return None
        raise AssertionError(f"DuckDB statements fetch no {fetch!r}")  # pragma: no cover

    def _auto(self, statement: Statement) -> Any:
        """A user's raw statement: its rows, or for a write without RETURNING its row count."""
        parsed = duckdb.extract_statements(statement.text)
        if len(parsed) > 1:
            raise several_statements(statement)
        result = self.raw.execute(statement.text, statement.params)
        if parsed and parsed[0].type in _WRITES and "RETURNING" not in statement.text.upper():
            return _count(result)
        description = result.description
        if description is None:
            return 0
        return RawRows(result.fetchall(), (column[0] for column in description))

    def _script(self, text: str) -> None:
        """Several statements, as one transaction unless inside one already."""
        own = not self.in_transaction
        if own:
            self.raw.execute("BEGIN")
        try:
            for each in duckdb.extract_statements(text):
                self.raw.execute(each)
        except BaseException:
            if own:
                self.raw.execute("ROLLBACK")
            raise
        if own:
            self.raw.execute("COMMIT")

    def open_stream(self, statement: Statement) -> Callable[[int], list[Any]]:
        """Runs a read and returns a function that fetches its next rows.

        Inside a transaction the result is read whole first: other statements of the
        transaction (a prefetch between chunks) run on this connection and would end
        the pending result. Outside one the connection is the stream's alone.
        """
        try:
            result = self.raw.execute(statement.text, statement.params)
            if not self.in_transaction:
                return result.fetchmany
            rows = result.fetchall()
        except duckdb.Error as exc:
            raise map_error(exc, statement) from exc
        position = 0

        def next_rows(size: int) -> list[Any]:
            nonlocal position
            chunk = rows[position:position + size]
            position += size
            return chunk

        return next_rows


def _count(result: duckdb.DuckDBPyConnection) -> int:
    row = result.fetchone()
    return int(row[0]) if row else 0


class DuckdbConnection(SyncConnection):
    """A DuckDB connection in autocommit mode; ormada issues BEGIN/COMMIT itself."""

    def __init__(self, raw: duckdb.DuckDBPyConnection) -> None:
        self.session = _Session(raw)

    def execute(self, statement: Statement) -> Any:
        return self.session.run(statement)

    def stream(self, statement: Statement, chunk_size: int) -> Iterator[Sequence[Sequence[Any]]]:
        fetch = self.session.open_stream(statement)
        try:
            while rows := fetch(chunk_size):
                yield rows
        except duckdb.Error as exc:
            raise map_error(exc, statement) from exc

    def close(self) -> None:
        self.session.raw.close()


class AsyncDuckdbConnection(AsyncConnection):
    """A DuckDB connection driven from asyncio through a worker thread of its own."""

    def __init__(self, raw: duckdb.DuckDBPyConnection) -> None:
        self.session = _Session(raw)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ormada-duckdb")

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._worker, function, *args)

    async def execute(self, statement: Statement) -> Any:
        return await self._call(self.session.run, statement)

    async def stream(self, statement: Statement, chunk_size: int) -> AsyncIterator[Sequence[Sequence[Any]]]:
        fetch = await self._call(self.session.open_stream, statement)
        try:
            while rows := await self._call(fetch, chunk_size):
                yield rows
        except duckdb.Error as exc:
            raise map_error(exc, statement) from exc

    async def close(self) -> None:
        try:
            await self._call(self.session.raw.close)
        finally:
            self._worker.shutdown(wait=False)

    def terminate(self) -> None:
        # Queued behind whatever the worker is running; no event loop needed.
        try:
            self._worker.submit(self.session.raw.close)
        except RuntimeError:  # the worker was shut down: closed already
            return
        self._worker.shutdown(wait=False)
