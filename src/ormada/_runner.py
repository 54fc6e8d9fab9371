"""The async runner: drives sans-I/O operations on async connections, and the
transactions they run in.

This file is the source of the sync runner, ``_runner_sync.py``, which
``scripts/async_to_sync.py`` writes from it (``make lint`` fails when that file is
stale). A line ending in ``# sync: <code>`` becomes ``<code>`` there (``# sync: -``
drops it), the lines between ``# async only {`` and ``# }`` are left out, and the
script's renames apply to code only, never to strings or comments.
"""

from __future__ import annotations

import asyncio  # sync: -
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from time import perf_counter
from typing import Any

from ormada import _caching as caching
from ormada._caching import Cached, Track
from ormada._transactions import Operation, T, Transaction, log_statement, logger, not_utf8, savepoint_statements
from ormada.backends.base import AsyncConnection, AsyncPool, Backend, Callback, Concurrent, Statement
from ormada.errors import NotSupported, OrmadaError


class AsyncRunner:
    """What :class:`ormada.Database` does with async connections."""  # sync: """What :class:`ormada.Database` does with sync connections."""

    name: str
    log_params: bool
    backend: Backend
    _begin: Statement
    _commit: Statement
    _rollback: Statement
    _transaction: ContextVar[Transaction | None]
    # What the read cache keys this database's entries and table versions by (Database's).
    _cache_scope: str

    def current_transaction(self, is_async: bool) -> Transaction | None:
        raise NotImplementedError  # Database's

    def async_pool(self) -> AsyncPool:
        raise NotImplementedError  # Database's

    async def _aexecute(self, connection: AsyncConnection, statement: Statement) -> Any:
        try:
            if not logger.isEnabledFor(logging.DEBUG):
                return await connection.execute(statement)
            start = perf_counter()
            try:
                return await connection.execute(statement)
            finally:
                log_statement(self.name, statement, start, self.log_params)
        except UnicodeEncodeError as exc:  # raised by the driver before anything is sent
            raise not_utf8(exc, statement) from exc

    async def _adrive(self, connection: AsyncConnection, operation: Operation[T], pool: AsyncPool | None = None,
                      track: Track | None = None) -> T:
        """Drives ``operation`` on ``connection``. The parts of a :class:`Concurrent` run
        at the same time where they can (async code given the ``pool``, that is outside a
        transaction: each but the first on a connection of its own), else one after another.

        With a cache installed, ``track`` collects the tables each write names (every write
        of every operation passes here, so this is the one place that sees them all) and
        answers :class:`Cached` reads from the store."""
        result: Any = None
        error: OrmadaError | None = None
        while True:
            try:
                statement = operation.send(result) if error is None else operation.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            error = None
            if isinstance(statement, Callback):  # the application's hooks: their errors are not the database's
                result = await statement.acall()  # sync: result = statement.call()
                continue
            try:
                if isinstance(statement, Concurrent):
                    result = await self._aconcurrent(connection, statement.operations, pool, track)  # sync: result = tuple(self._drive(connection, op, None, track) for op in statement.operations)
                elif isinstance(statement, Cached):
                    result = await self._acached(connection, statement, track)
                else:
                    if track is not None and caching.is_write(statement):
                        # Noted before it runs: a write that fails half-way (no transaction) counts too.
                        track.writes.update(caching.tables.written(self.name, statement))
                    result = await self._aexecute(connection, statement)
            except OrmadaError as exc:
                result, error = None, exc

    # async only {
    async def _aconcurrent(self, connection: AsyncConnection, operations: tuple[Operation[Any], ...],
                           pool: AsyncPool | None, track: Track | None) -> tuple[Any, ...]:
        if pool is None or len(operations) < 2:
            return tuple([await self._adrive(connection, op, None, track) for op in operations])

        async def on_its_own(operation: Operation[Any]) -> Any:
            own = await pool.acquire()
            try:
                return await self._adrive(own, operation, pool, track)
            finally:
                await pool.release(own, broken=own.broken)

        try:
            async with asyncio.TaskGroup() as group:  # one failing cancels the others
                tasks = [group.create_task(self._adrive(connection, operations[0], pool, track)),
                         *(group.create_task(on_its_own(op)) for op in operations[1:])]
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return tuple(task.result() for task in tasks)
    # }

    async def _acached(self, connection: AsyncConnection, request: Cached, track: Track | None) -> Any:
        """The rows of a cacheable read: from the store on a hit, else read and kept."""
        statement = request.statement
        if track is None or not track.reads:  # inside a transaction: the cache may not hold its own writes
            return await self._aexecute(connection, statement)
        tables = caching.tables.named(self.name, statement.text)
        if not tables:  # nothing a write could invalidate it by
            return await self._aexecute(connection, statement)
        rows, ticket = await track.store.alookup(self._cache_scope, statement, tables)
        if rows is not caching.MISS:
            return rows
        rows = await self._aexecute(connection, statement)
        if ticket is not None:
            await track.store.astore(ticket, rows, request.ttl)
        return rows

    async def _ainvalidate(self, written: set[str]) -> None:
        store = caching.settings.store
        if store is not None and written:
            await store.ainvalidate(self._cache_scope, written)
            written.clear()

    async def arun(self, operation: Operation[T], *, atomic: bool = False) -> T:
        """Drives an operation; ``atomic`` ones all-or-nothing where the backend has
        transactions (Cassandra has none: its operations check every value before
        sending the first statement, and ``ormada.batch()`` makes writes atomic)."""
        atomic = atomic and self.backend.supports.transactions
        store = caching.settings.store
        tx = self.current_transaction(True)  # sync: tx = self.current_transaction(False)
        if tx is not None:
            # Writes are invalidated when the transaction commits; its reads skip the cache.
            track = None if store is None else Track(store, tx.written, reads=False)
            with tx.in_use():  # a transaction handed between threads serves one at a time
                # Without savepoints the enclosing transaction is what makes it all-or-nothing.
                if not atomic or not self.backend.supports.savepoints:
                    return await self._adrive(tx.connection, operation, None, track)
                async with self.atransaction():
                    return await self._adrive(tx.connection, operation, None, track)
        if atomic:
            # A transaction in force while it runs, so that the queries of the model's hooks join it;
            # its writes are invalidated when it commits.
            async with self.atransaction() as opened:
                track = None if store is None else Track(store, opened.written, reads=False)
                return await self._adrive(opened.connection, operation, None, track)
        # Without transactions (Cassandra) writes may reach the database outside the runner
        # (a batch() sends its writes when the block ends), so no read may be kept meanwhile.
        track = None if store is None else Track(store, set(), reads=self.backend.supports.transactions)
        pool = self.async_pool()
        connection = await pool.acquire()
        try:
            try:
                return await self._adrive(connection, operation, pool, track)
            finally:  # each statement committed on its own, those before an error included
                if track is not None and track.writes:
                    await self._ainvalidate(track.writes)
        finally:
            await pool.release(connection, broken=connection.broken)

    async def _asafe_rollback(self, connection: AsyncConnection) -> None:
        # On cancel, roll back first, or the pooled connection stays inside the transaction.
        try:
            await asyncio.shield(self._aexecute(connection, self._rollback))  # sync: self._execute(connection, self._rollback)
        except (OrmadaError, asyncio.CancelledError):  # sync: except OrmadaError:  # the connection is gone; its pool discards it
            logger.debug("rollback failed on %s", self.name, exc_info=True)

    async def astream(self, statement: Statement, chunk_size: int) -> AsyncIterator[Sequence[Sequence[Any]]]:
        """Yields a read's rows in chunks without loading them all."""
        tx = self.current_transaction(True)  # sync: tx = self.current_transaction(False)
        try:
            if tx is not None:
                with tx.in_use():
                    async for chunk in tx.connection.stream(statement, chunk_size):
                        yield chunk
                return
            pool = self.async_pool()
            connection = await pool.acquire()
            try:
                if logger.isEnabledFor(logging.DEBUG):
                    log_statement(self.name, statement, perf_counter(), self.log_params)
                async for chunk in connection.stream(statement, chunk_size):
                    yield chunk
            finally:
                await pool.release(connection, broken=connection.broken)
        except UnicodeEncodeError as exc:
            raise not_utf8(exc, statement) from exc

    @asynccontextmanager
    async def atransaction(self) -> AsyncIterator[Transaction]:
        """A transaction (a savepoint when nested): committed on success, rolled back on error.

        Every ormada call inside the block, in this task (or thread), uses it.
        """
        tx = self.current_transaction(True)  # sync: tx = self.current_transaction(False)
        if tx is not None:
            if not self.backend.supports.savepoints:
                raise NotSupported(
                    f"a transaction inside a transaction on {self.name!r} needs a savepoint, which "
                    f"{self.backend.name} does not have; make the inner block part of the outer one (an error "
                    "inside it then rolls the whole transaction back)")
            with tx.in_use():  # the whole nested block, for a transaction handed between threads
                save, release, rollback = savepoint_statements(tx.next_savepoint())
                await self._aexecute(tx.connection, save)
                try:
                    yield tx
                except BaseException:
                    await self._aexecute(tx.connection, rollback)
                    await self._aexecute(tx.connection, release)
                    raise
                await self._aexecute(tx.connection, release)
            return
        pool = self.async_pool()
        connection = await pool.acquire()
        tx = Transaction(connection, is_async=True)  # sync: tx = Transaction(connection, is_async=False)
        token = self._transaction.set(tx)
        try:
            await self._aexecute(connection, self._begin)
            try:
                yield tx
            except BaseException:
                await self._asafe_rollback(connection)
                raise
            try:
                await self._aexecute(connection, self._commit)
            except BaseException:
                await self._asafe_rollback(connection)
                raise
            await self._ainvalidate(tx.written)  # committed: now the writes count
        finally:
            tx.closed = True
            self._transaction.reset(token)
            await pool.release(connection, broken=connection.broken)
