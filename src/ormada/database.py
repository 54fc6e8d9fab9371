"""``Database``: a URL's backend, its lazily opened pools, and transactions.

Operations reach the database as sans-I/O generators: they yield statements and
receive results. :meth:`Database.run` and :meth:`Database.arun` are the only two
loops that drive them, one per mode, so nothing else differs between sync and
async. The transaction in force is found through a context variable, so code inside
``with db.transaction():`` uses it without passing it around.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from collections.abc import AsyncIterator, Generator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from time import perf_counter
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from ormada._info import ModelInfo
from ormada._registry import configure, configured, info_of
from ormada._url import DatabaseURL, parse_url
from ormada.backends.base import AsyncConnection, AsyncPool, Backend, Concurrent, Statement, SyncConnection, SyncPool
from ormada.errors import ConfigurationError, OrmadaError, TransactionError

if TYPE_CHECKING:
    from pydantic import BaseModel

T = TypeVar("T")
Operation = Generator[Statement | Concurrent, Any, T]

logger = logging.getLogger("ormada")

BACKENDS = {
    "sqlite": "ormada.backends.sqlite:SqliteBackend",
    "postgresql": "ormada.backends.postgresql:PostgresBackend",
    "cassandra": "ormada.backends.cassandra:CassandraBackend",
}

_databases: dict[str, Database] = {}


def connect(url: str, name: str = "default") -> Database:
    """Creates the :class:`Database` for ``url`` and registers it under ``name``.

    Nothing is opened until the first query. Models choose a database by
    ``Meta.database`` (default: ``"default"``). Connecting again under a name that
    is taken replaces the old database, closing its sync pool.

    Raises:
        ConfigurationError: the URL is malformed or names an unknown backend.
    """
    database = Database(url, name)
    previous = _databases.get(name)
    _databases[name] = database
    if previous is not None and previous is not database:
        previous._close_sync_only()
    return database


def get_database(name: str = "default") -> Database:
    """The database registered under ``name``.

    Raises:
        ConfigurationError: no database has that name yet.
    """
    try:
        return _databases[name]
    except KeyError:
        known = ", ".join(sorted(_databases)) or "none"
        raise ConfigurationError(
            f"no database named {name!r} is connected (connected: {known}); "
            f"call ormada.connect(url, name={name!r}) first"
        ) from None


def _owner() -> tuple[int, int | None]:
    # Asking for the loop first: current_task() raises outside one, and the raise costs
    # more than the rest of this function on every sync call inside a transaction.
    loop = asyncio._get_running_loop()
    task = None if loop is None else asyncio.current_task(loop)
    return threading.get_ident(), None if task is None else id(task)


class Transaction:
    """An open transaction: its connection, its mode and the task or thread that owns it."""

    __slots__ = ("_savepoints", "closed", "connection", "is_async", "owner")

    def __init__(self, connection: Any, is_async: bool) -> None:
        self.connection = connection
        self.is_async = is_async
        self.owner = _owner()
        self.closed = False
        self._savepoints = 0

    def next_savepoint(self) -> str:
        self._savepoints += 1
        return f"ormada_sp_{self._savepoints}"


def _savepoint_statements(name: str) -> tuple[Statement, Statement, Statement]:
    return (Statement(f"SAVEPOINT {name}", (), "none", quick=True),
            Statement(f"RELEASE SAVEPOINT {name}", (), "none", quick=True),
            Statement(f"ROLLBACK TO SAVEPOINT {name}", (), "none", quick=True))


class Database:
    """One database: a URL, its backend, its sync and async pools, its transactions.

    >>> db = ormada.connect("sqlite:///library.db")
    >>> db.create_all()
    >>> with db.transaction():
    ...     Book.filter(year__lt=1900).update(year=1900)
    """

    def __init__(self, url: str | DatabaseURL, name: str = "default") -> None:
        self.url = url if isinstance(url, DatabaseURL) else parse_url(url)
        self.name = name
        self.backend = _make_backend(self.url)
        self._sync_pool: SyncPool | None = None
        self._async_pool: AsyncPool | None = None
        self._pool_lock = threading.Lock()
        self._transaction: ContextVar[Transaction | None] = ContextVar(f"ormada.transaction.{name}", default=None)
        self._begin = Statement(self.backend.begin_statement, (), "none", quick=True)
        self._commit = Statement(self.backend.commit_statement, (), "none", quick=True)
        self._rollback = Statement(self.backend.rollback_statement, (), "none", quick=True)

    def __repr__(self) -> str:
        return f"<Database {self.name!r} {self.url}>"

    # -- pools -------------------------------------------------------------
    def sync_pool(self) -> SyncPool:
        """The sync pool, opened on first use."""
        pool = self._sync_pool
        if pool is None:
            with self._pool_lock:
                if self._sync_pool is None:
                    self._sync_pool = self.backend.sync_pool()
                pool = self._sync_pool
        return pool

    def async_pool(self) -> AsyncPool:
        """The async pool of the running event loop, opened on first use.

        A pool belongs to one event loop; when another loop asks (a second
        ``asyncio.run``), the old pool's connections are dropped and a new pool opens.
        """
        pool = self._async_pool
        if pool is not None:
            loop = getattr(pool, "loop", None)
            if loop is None or loop is asyncio.get_running_loop():
                return pool
            pool.terminate()
        self._async_pool = self.backend.async_pool()
        return self._async_pool

    def close(self) -> None:
        """Closes the sync pool (and an in-memory SQLite database with it).

        Async connections still open are dropped too; ``await db.aclose()`` closes
        them gracefully."""
        self._close_sync_only()
        if self._async_pool is not None:
            self._async_pool.terminate()
            self._async_pool = None
        close_anchor = getattr(self.backend, "close_anchor", None)
        if close_anchor is not None and self._async_pool is None:
            close_anchor()
        self.backend.caches.clear()  # compiled layouts and hydrators; rebuilt if the database is used again

    def _close_sync_only(self) -> None:
        if self._sync_pool is not None:
            self._sync_pool.close()
            self._sync_pool = None

    async def aclose(self) -> None:
        """Closes the async pool and the sync pool."""
        if self._async_pool is not None:
            pool, self._async_pool = self._async_pool, None
            await pool.close()
        self.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    # -- the transaction in force --------------------------------------------
    def current_transaction(self, is_async: bool) -> Transaction | None:
        """The transaction this code runs in, if any.

        Raises:
            TransactionError: the transaction belongs to another task or thread, or
                to the other mode (async code inside ``with db.transaction()``).
        """
        tx = self._transaction.get()
        if tx is None or tx.closed:
            return None
        if tx.owner != _owner():
            raise TransactionError(
                f"a transaction on {self.name!r} was opened in another task or thread; tasks cannot share "
                "one connection. Await the work inside the transaction's own task, or start the task "
                "outside it: asyncio.create_task(coro, context=contextvars.Context())"
            )
        if tx.is_async != is_async:
            used, other = ("async", "db.transaction()") if is_async else ("sync", "db.atransaction()")
            raise TransactionError(f"{used} call inside {other} on {self.name!r}: use the same mode as the block")
        return tx

    # -- driving operations: sync --------------------------------------------
    def _execute(self, connection: SyncConnection, statement: Statement) -> Any:
        if not logger.isEnabledFor(logging.DEBUG):
            return connection.execute(statement)
        start = perf_counter()
        try:
            return connection.execute(statement)
        finally:
            _log(self.name, statement, start)

    def _drive(self, connection: SyncConnection, operation: Operation[T]) -> T:
        result: Any = None
        error: OrmadaError | None = None
        while True:
            try:
                statement = operation.send(result) if error is None else operation.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            error = None
            try:
                if isinstance(statement, Concurrent):  # one connection: one after another
                    result = tuple(self._drive(connection, op) for op in statement.operations)
                else:
                    result = self._execute(connection, statement)
            except OrmadaError as exc:
                result, error = None, exc

    def run(self, operation: Operation[T], *, atomic: bool = False) -> T:
        """Drives an operation on a sync connection; ``atomic`` ones all-or-nothing where
        the backend has transactions (Cassandra has none: its operations check every value
        before sending the first statement, and ``ormada.batch()`` makes writes atomic)."""
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
                return self._drive(connection, operation)
            self._execute(connection, self._begin)
            try:
                result = self._drive(connection, operation)
            except BaseException:
                self._safe_rollback(connection)
                raise
            self._execute(connection, self._commit)
            return result
        finally:
            pool.release(connection, broken=connection.broken)

    def _safe_rollback(self, connection: SyncConnection) -> None:
        try:
            self._execute(connection, self._rollback)
        except OrmadaError:  # the connection is gone; its pool discards it
            logger.debug("rollback failed on %s", self.name, exc_info=True)

    def stream(self, statement: Statement, chunk_size: int) -> Iterator[Sequence[Sequence[Any]]]:
        """Yields a read's rows in chunks without loading them all."""
        tx = self.current_transaction(False)
        if tx is not None:
            yield from tx.connection.stream(statement, chunk_size)
            return
        pool = self.sync_pool()
        connection = pool.acquire()
        try:
            if logger.isEnabledFor(logging.DEBUG):
                _log(self.name, statement, perf_counter())
            yield from connection.stream(statement, chunk_size)
        finally:
            pool.release(connection, broken=connection.broken)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A transaction (a savepoint when nested): committed on success, rolled back on error.

        Every ormada call inside the block, in this thread or task, uses it.
        """
        tx = self.current_transaction(False)
        if tx is not None:
            save, release, rollback = _savepoint_statements(tx.next_savepoint())
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

    # -- driving operations: async ---------------------------------------------
    async def _aexecute(self, connection: AsyncConnection, statement: Statement) -> Any:
        if not logger.isEnabledFor(logging.DEBUG):
            return await connection.execute(statement)
        start = perf_counter()
        try:
            return await connection.execute(statement)
        finally:
            _log(self.name, statement, start)

    async def _adrive(self, connection: AsyncConnection, operation: Operation[T], pool: AsyncPool | None = None) -> T:
        """Drives ``operation`` on ``connection``; with ``pool`` (outside a transaction) the
        parts of a :class:`Concurrent` run at the same time, each but the first on a
        connection of its own."""
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
                    result = await self._aconcurrent(connection, statement.operations, pool)
                else:
                    result = await self._aexecute(connection, statement)
            except OrmadaError as exc:
                result, error = None, exc

    async def _aconcurrent(self, connection: AsyncConnection, operations: tuple[Operation[Any], ...],
                           pool: AsyncPool | None) -> tuple[Any, ...]:
        if pool is None or len(operations) < 2:
            return tuple([await self._adrive(connection, op) for op in operations])

        async def on_its_own(operation: Operation[Any]) -> Any:
            own = await pool.acquire()
            try:
                return await self._adrive(own, operation, pool)
            finally:
                await pool.release(own, broken=own.broken)

        try:
            async with asyncio.TaskGroup() as group:  # one failing cancels the others
                tasks = [group.create_task(self._adrive(connection, operations[0], pool)),
                         *(group.create_task(on_its_own(op)) for op in operations[1:])]
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return tuple(task.result() for task in tasks)

    async def arun(self, operation: Operation[T], *, atomic: bool = False) -> T:
        """The async twin of :meth:`run`."""
        atomic = atomic and self.backend.supports.transactions
        tx = self.current_transaction(True)
        if tx is not None:
            if not atomic:
                return await self._adrive(tx.connection, operation)
            async with self.atransaction():
                return await self._adrive(tx.connection, operation)
        pool = self.async_pool()
        connection = await pool.acquire()
        try:
            if not atomic:
                return await self._adrive(connection, operation, pool)
            await self._aexecute(connection, self._begin)
            try:
                result = await self._adrive(connection, operation)
            except BaseException:
                await self._asafe_rollback(connection)
                raise
            try:
                await self._aexecute(connection, self._commit)
            except BaseException:  # a cancel delivered just before COMMIT ran included
                await self._asafe_rollback(connection)
                raise
            return result
        finally:
            await pool.release(connection, broken=connection.broken)

    async def _asafe_rollback(self, connection: AsyncConnection) -> None:
        # On cancel, roll back first, or the pooled connection stays inside the transaction.
        try:
            await asyncio.shield(self._aexecute(connection, self._rollback))
        except (OrmadaError, asyncio.CancelledError):
            logger.debug("rollback failed on %s", self.name, exc_info=True)

    async def astream(self, statement: Statement, chunk_size: int) -> AsyncIterator[Sequence[Sequence[Any]]]:
        """The async twin of :meth:`stream`."""
        tx = self.current_transaction(True)
        if tx is not None:
            async for chunk in tx.connection.stream(statement, chunk_size):
                yield chunk
            return
        pool = self.async_pool()
        connection = await pool.acquire()
        try:
            if logger.isEnabledFor(logging.DEBUG):
                _log(self.name, statement, perf_counter())
            async for chunk in connection.stream(statement, chunk_size):
                yield chunk
        finally:
            await pool.release(connection, broken=connection.broken)

    @asynccontextmanager
    async def atransaction(self) -> AsyncIterator[Transaction]:
        """The async twin of :meth:`transaction`."""
        tx = self.current_transaction(True)
        if tx is not None:
            save, release, rollback = _savepoint_statements(tx.next_savepoint())
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
        tx = Transaction(connection, is_async=True)
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
        finally:
            tx.closed = True
            self._transaction.reset(token)
            await pool.release(connection, broken=connection.broken)

    # -- raw statements and schema ---------------------------------------------
    def execute(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        """Runs one raw SQL statement with ``:name`` parameters, always bound, never spliced in
        (several statements are a ``QueryError``; :meth:`execute_script` runs those).

        Returns:
            The rows (a list of tuples) for a statement that returns rows, otherwise
            the number of rows it changed.
        """
        return self.run(_single(self.backend.raw(sql, params)))

    async def aexecute(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        """The async twin of :meth:`execute`."""
        return await self.arun(_single(self.backend.raw(sql, params)))

    def execute_script(self, sql: str) -> None:
        """Runs several statements separated by ``;``, with no parameters (DDL, fixtures).

        Outside a transaction the script is one transaction of its own: when a statement
        fails, the ones before it are undone. It must not hold BEGIN/COMMIT itself.
        """
        self.run(_single(self.backend.script(sql)))

    async def aexecute_script(self, sql: str) -> None:
        """The async twin of :meth:`execute_script`."""
        await self.arun(_single(self.backend.script(sql)))

    def execute_statement(self, statement: Statement) -> Any:
        """Runs one already-built :class:`Statement` (e.g. a backend's keyspace DDL)."""
        return self.run(_single(statement))

    async def aexecute_statement(self, statement: Statement) -> Any:
        """The async twin of :meth:`execute_statement`."""
        return await self.arun(_single(statement))

    def models(self) -> list[type[BaseModel]]:
        """The concrete models bound to this database (``Meta.database``)."""
        return [info.model for info in self._infos()]

    def _infos(self) -> list[ModelInfo]:
        configure(database=self.name)
        return configured(self.name)

    def _schema_statements(self, models: Sequence[type[BaseModel]] | None, drop: bool) -> list[Statement]:
        known = self._infos()  # what foreign keys may refer to
        infos = [info_of(m) for m in models] if models is not None else known
        if not drop:
            return self.backend.create_tables(infos, known)
        return self.backend.drop_tables(infos, known)

    def create_all(self, models: Sequence[type[BaseModel]] | None = None, *, dry_run: bool = False) -> list[Statement]:
        """Creates the tables and indexes of the models bound to this database (or of
        ``models``) that do not exist yet.

        Returns:
            The DDL statements; with ``dry_run=True`` they are returned and not run.
        """
        statements = self._schema_statements(models, drop=False)
        if not dry_run:
            self.run(_sequence(statements), atomic=True)
        return statements

    def drop_all(self, models: Sequence[type[BaseModel]] | None = None, *, dry_run: bool = False) -> list[Statement]:
        """Drops the tables of the models bound to this database (or of ``models``)."""
        statements = self._schema_statements(models, drop=True)
        if not dry_run:
            self.run(_sequence(statements), atomic=True)
        return statements

    async def acreate_all(self, models: Sequence[type[BaseModel]] | None = None, *,
                          dry_run: bool = False) -> list[Statement]:
        """The async twin of :meth:`create_all`."""
        statements = self._schema_statements(models, drop=False)
        if not dry_run:
            await self.arun(_sequence(statements), atomic=True)
        return statements

    async def adrop_all(self, models: Sequence[type[BaseModel]] | None = None, *,
                        dry_run: bool = False) -> list[Statement]:
        """The async twin of :meth:`drop_all`."""
        statements = self._schema_statements(models, drop=True)
        if not dry_run:
            await self.arun(_sequence(statements), atomic=True)
        return statements


def _single(statement: Statement) -> Operation[Any]:
    return (yield statement)


def _sequence(statements: Sequence[Statement]) -> Operation[None]:
    yield from statements


def _log(name: str, statement: Statement, start: float) -> None:
    elapsed = (perf_counter() - start) * 1000
    params = f" ({len(statement.params)} parameter sets)" if statement.many else f" {list(statement.params)!r}"
    logger.debug("[%s] %.3f ms %s%s", name, elapsed, statement.text, params)


def _make_backend(url: DatabaseURL) -> Backend:
    target = BACKENDS.get(url.backend)
    if target is None:
        raise ConfigurationError(f"ormada has no {url.backend} backend yet (available: {', '.join(BACKENDS)})")
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(
            f"the {url.backend} backend needs its driver: pip install 'ormada[{url.backend}]' ({exc})"
        ) from exc
    backend_class: type[Backend] = getattr(module, class_name)
    return backend_class(url)
