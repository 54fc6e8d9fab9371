"""The sync runner: drives sans-I/O operations on sync connections, and the
transactions they run in.

Generated from ``_runner.py`` by ``scripts/async_to_sync.py``: edit that file, then run
the script (``make lint`` checks that this one is current).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from time import perf_counter
from typing import Any

from ormada._transactions import Operation, T, Transaction, log_statement, logger, savepoint_statements
from ormada.backends.base import Backend, Concurrent, Statement, SyncConnection, SyncPool
from ormada.errors import OrmadaError


class SyncRunner:
    """What :class:`ormada.Database` does with sync connections."""

    name: str
    backend: Backend
    _begin: Statement
    _commit: Statement
    _rollback: Statement
    _transaction: ContextVar[Transaction | None]

    def current_transaction(self, is_async: bool) -> Transaction | None:
        raise NotImplementedError  # Database's

    def sync_pool(self) -> SyncPool:
        raise NotImplementedError  # Database's

    def _execute(self, connection: SyncConnection, statement: Statement) -> Any:
        if not logger.isEnabledFor(logging.DEBUG):
            return connection.execute(statement)
        start = perf_counter()
        try:
            return connection.execute(statement)
        finally:
            log_statement(self.name, statement, start)

    def _drive(self, connection: SyncConnection, operation: Operation[T], pool: SyncPool | None = None) -> T:
        """Drives ``operation`` on ``connection``. The parts of a :class:`Concurrent` run
        at the same time where they can (async code given the ``pool``, that is outside a
        transaction: each but the first on a connection of its own), else one after another."""
        result: Any = None
        error: OrmadaError | None = None
        while True:
            try:
                statement = operation.send(result) if error is None else operation.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            error = None
            try:
                if isinstance(statement, Concurrent):
                    result = tuple(self._drive(connection, op) for op in statement.operations)
                else:
                    result = self._execute(connection, statement)
            except OrmadaError as exc:
                result, error = None, exc

    def run(self, operation: Operation[T], *, atomic: bool = False) -> T:
        """Drives an operation; ``atomic`` ones all-or-nothing where the backend has
        transactions (Cassandra has none: its operations check every value before
        sending the first statement, and ``ormada.batch()`` makes writes atomic)."""
        atomic = atomic and self.backend.supports.transactions
        tx = self.current_transaction(False)
        if tx is not None:
            if not atomic:
                return self._drive(tx.connection, operation)
            with self.transaction():
                return self._drive(tx.connection, operation)
        pool = self.sync_pool()
        connection = pool.acquire()
        try:
            if not atomic:
                return self._drive(connection, operation, pool)
            self._execute(connection, self._begin)
            try:
                result = self._drive(connection, operation)
            except BaseException:
                self._safe_rollback(connection)
                raise
            try:
                self._execute(connection, self._commit)
            except BaseException:  # a cancel delivered just before COMMIT ran included
                self._safe_rollback(connection)
                raise
            return result
        finally:
            pool.release(connection, broken=connection.broken)

    def _safe_rollback(self, connection: SyncConnection) -> None:
        # On cancel, roll back first, or the pooled connection stays inside the transaction.
        try:
            self._execute(connection, self._rollback)
        except OrmadaError:  # the connection is gone; its pool discards it
            logger.debug("rollback failed on %s", self.name, exc_info=True)

    def stream(self, statement: Statement, chunk_size: int) -> Iterator[Sequence[Sequence[Any]]]:
        """Yields a read's rows in chunks without loading them all."""
        tx = self.current_transaction(False)
        if tx is not None:
            for chunk in tx.connection.stream(statement, chunk_size):
                yield chunk
            return
        pool = self.sync_pool()
        connection = pool.acquire()
        try:
            if logger.isEnabledFor(logging.DEBUG):
                log_statement(self.name, statement, perf_counter())
            for chunk in connection.stream(statement, chunk_size):
                yield chunk
        finally:
            pool.release(connection, broken=connection.broken)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A transaction (a savepoint when nested): committed on success, rolled back on error.

        Every ormada call inside the block, in this task (or thread), uses it.
        """
        tx = self.current_transaction(False)
        if tx is not None:
            save, release, rollback = savepoint_statements(tx.next_savepoint())
            self._execute(tx.connection, save)
            try:
                yield tx
            except BaseException:
                self._execute(tx.connection, rollback)
                self._execute(tx.connection, release)
                raise
            self._execute(tx.connection, release)
            return
        pool = self.sync_pool()
        connection = pool.acquire()
        tx = Transaction(connection, is_async=False)
        token = self._transaction.set(tx)
        try:
            self._execute(connection, self._begin)
            try:
                yield tx
            except BaseException:
                self._safe_rollback(connection)
                raise
            try:
                self._execute(connection, self._commit)
            except BaseException:
                self._safe_rollback(connection)
                raise
        finally:
            tx.closed = True
            self._transaction.reset(token)
            pool.release(connection, broken=connection.broken)
