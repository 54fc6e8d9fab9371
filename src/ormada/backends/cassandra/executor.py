"""Running CQL statements on cassandra-driver, sync and async.

A driver ``Session`` is thread-safe and pools its own connections, so the backend
opens one Cluster and Session (on first use) and both of its pools hand out thin
connection objects over it. Prepared statements are cached per statement text in
a bounded LRU. Writes made inside an active batch are collected, not sent.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from cassandra import ConsistencyLevel

from ormada.backends._options import flag, positive_number, read_options, text, whole_number
from ormada.backends.base import AsyncConnection, AsyncPool, Statement, SyncConnection, SyncPool
from ormada.backends.cassandra import bridge, index_builds
from ormada.backends.cassandra.batch import active_batch
from ormada.backends.cassandra.faults import applied, translate
from ormada.backends.cassandra.paging import PageRows, seal
from ormada.backends.cassandra.statements import CqlStatement
from ormada.errors import ConfigurationError, OrmadaError, QueryError

if TYPE_CHECKING:
    from ormada._url import DatabaseURL

DEFAULT_PREPARED_CACHE = 512
# The driver backs off up to 600 s between attempts on a node it lost; a node that comes
# back after a few minutes would then stay unused for up to ten more.
DEFAULT_RECONNECT_MAX_DELAY = 30.0


def seconds_or_zero(value: str) -> float:
    """A number of seconds, 0 included (0 switches the wait off)."""
    try:
        return 0.0 if float(value) == 0 else positive_number(value)
    except ValueError:
        raise ValueError("must be 0 or a number of seconds above 0") from None


# What a cassandra:// URL may say after the ``?``, each with its parser.
URL_OPTIONS = {
    "local_dc": text, "protocol_version": whole_number, "ssl": flag,
    "connect_timeout": positive_number, "request_timeout": positive_number,
    "reconnect_max_delay": positive_number, "index_build_timeout": seconds_or_zero,
    "prepared_cache_size": whole_number, "statement_cache_size": whole_number,
}


class SessionHolder:
    """One driver Cluster and Session for a URL, opened on first use, plus the prepared-statement cache."""

    def __init__(self, url: DatabaseURL) -> None:
        self.url = url
        self.describe = url.render()
        self.options = read_options(url, URL_OPTIONS)
        self.prepared_cache_size: int = self.options.get("prepared_cache_size", DEFAULT_PREPARED_CACHE)
        self.index_build_timeout: float = self.options.get("index_build_timeout", index_builds.DEFAULT_WAIT)
        self._lock = threading.Lock()
        self._cluster: Any = None
        self._session: Any = None
        self._prepared: OrderedDict[str, Any] = OrderedDict()
        # Prepares in flight, per event loop and text, shared by every task that needs them.
        self._preparing: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Task[Any]] = {}
        self._users = 0

    # -- opening -----------------------------------------------------------------
    def cluster_options(self) -> dict[str, Any]:
        """Keyword arguments for ``cassandra.cluster.Cluster`` from the URL.

        Raises:
            ConfigurationError: the hosts use different ports.
        """
        from cassandra.auth import PlainTextAuthProvider
        from cassandra.policies import DCAwareRoundRobinPolicy, ExponentialReconnectionPolicy, TokenAwarePolicy

        hosts = self.url.hosts or (("127.0.0.1", None),)
        ports = {p for _, p in hosts if p is not None}
        if len(ports) > 1:
            raise ConfigurationError(f"{self.describe}: every host must use the same port (cassandra-driver "
                                     "takes one port per cluster)")
        query = self.options
        options: dict[str, Any] = {"contact_points": [h for h, _ in hosts], "port": ports.pop() if ports else 9042}
        if self.url.username is not None:
            options["auth_provider"] = PlainTextAuthProvider(self.url.username, self.url.password or "")
        for name in ("protocol_version", "connect_timeout"):
            if name in query:
                options[name] = query[name]
        max_delay = query.get("reconnect_max_delay", DEFAULT_RECONNECT_MAX_DELAY)
        options["reconnection_policy"] = ExponentialReconnectionPolicy(min(1.0, max_delay), max_delay)
        if "local_dc" in query:
            options["load_balancing_policy"] = TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=query["local_dc"]))
        if query.get("ssl"):
            import ssl

            options["ssl_context"] = ssl.create_default_context()
        return options

    def _open(self) -> Any:
        from cassandra.cluster import Cluster
        from cassandra.query import tuple_factory

        cluster = Cluster(**self.cluster_options())
        try:
            # No keyspace here: statements name theirs, so a keyspace can be created after connecting.
            session = cluster.connect()
        except Exception as exc:
            cluster.shutdown()
            raise translate(exc, self) from exc
        session.row_factory = tuple_factory
        if "request_timeout" in self.options:
            session.default_timeout = self.options["request_timeout"]
        self._cluster = cluster
        return session

    def session(self) -> Any:
        """The driver session, connecting on first use (blocks while connecting)."""
        session = self._session
        if session is None:
            with self._lock:
                if self._session is None:
                    self._session = self._open()
                session = self._session
        return session

    async def asession(self) -> Any:
        """The driver session for async code.

        ``Cluster.connect`` has no non-blocking form; the one-time connect runs in
        a worker thread so the event loop keeps running. Every request after it is
        natively async.
        """
        if self._session is not None:
            return self._session
        return await asyncio.to_thread(self.session)

    def acquire(self) -> None:
        """Counts a pool using this session."""
        self._users += 1

    def release(self) -> None:
        """A pool stopped using the session; the last one shuts the cluster down."""
        self._users -= 1
        if self._users <= 0:
            self.shutdown()

    def shutdown(self) -> None:
        """Closes every connection to the cluster."""
        with self._lock:
            cluster, self._cluster, self._session = self._cluster, None, None
            self._prepared.clear()
        if cluster is not None:
            cluster.shutdown()

    # -- prepared statements ---------------------------------------------------------
    def _cached(self, text: str) -> Any:
        with self._lock:
            prepared = self._prepared.get(text)
            if prepared is not None:
                self._prepared.move_to_end(text)
            return prepared

    def _store(self, text: str, prepared: Any) -> Any:
        with self._lock:
            self._prepared[text] = prepared
            while len(self._prepared) > self.prepared_cache_size:
                self._prepared.popitem(last=False)
        return prepared

    def prepared(self, session: Any, text: str) -> Any:
        """The prepared statement for ``text`` (prepared once, then from the LRU cache)."""
        return self._cached(text) or self._store(text, session.prepare(text))

    async def aprepared(self, session: Any, text: str) -> Any:
        """The async twin of :meth:`prepared`; preparing does not block the loop."""
        return self._cached(text) or await self._prepare_once(text, lambda: bridge.prepare(session, text))

    async def _prepare_once(self, text: str, prepare: Callable[[], Awaitable[Any]]) -> Any:
        """Prepares ``text`` once however many tasks ask for it at the same time.

        Without this, a thousand tasks starting on a new statement send a thousand
        PREPAREs. A waiter's cancellation does not cancel the shared prepare (shield).
        """
        loop = asyncio.get_running_loop()
        key = (loop, text)
        with self._lock:
            task = self._preparing.get(key)
            if task is None:
                task = loop.create_task(self._prepare_and_store(text, prepare))
                self._preparing[key] = task
                task.add_done_callback(lambda done: self._prepared_done(key, done))
        return await asyncio.shield(task)

    async def _prepare_and_store(self, text: str, prepare: Callable[[], Awaitable[Any]]) -> Any:
        return self._store(text, await prepare())

    def _prepared_done(self, key: tuple[asyncio.AbstractEventLoop, str], task: asyncio.Task[Any]) -> None:
        with self._lock:
            self._preparing.pop(key, None)
        if not task.cancelled():
            task.exception()  # every waiter may have been cancelled; the error is theirs, not the loop's

    def forget_prepared(self) -> None:
        """Drops every prepared statement, after a schema change: a statement prepared
        before ``ALTER TYPE … ADD`` binds the old fields and would silently drop the new one."""
        with self._lock:
            self._prepared.clear()

    @property
    def prepared_count(self) -> int:
        """How many prepared statements the cache holds."""
        return len(self._prepared)


def configure(driver_statement: Any, statement: CqlStatement) -> Any:
    """Applies the per-statement settings that are not CQL text."""
    if statement.consistency is not None:
        driver_statement.consistency_level = ConsistencyLevel.name_to_value[statement.consistency]
    if statement.serial_consistency is not None:
        driver_statement.serial_consistency_level = ConsistencyLevel.name_to_value[statement.serial_consistency]
    if statement.fetch_size is not None:
        driver_statement.fetch_size = statement.fetch_size
    if not statement.paged:
        driver_statement.fetch_size = None  # no page size: the whole result in one response
    driver_statement.is_idempotent = statement.idempotent
    return driver_statement


def as_cql(statement: Statement) -> CqlStatement:
    """Any statement as a CqlStatement (savepoints and other SQL-only statements are refused)."""
    if isinstance(statement, CqlStatement):
        return statement
    if statement.text.split(None, 1)[0].upper() in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"):
        raise QueryError(f"Cassandra has no transactions or savepoints ({statement.text!r}); use a batch")
    return CqlStatement(text=statement.text, params=statement.params, fetch=statement.fetch, many=statement.many,
                        prepare=bool(statement.params))


def changes_schema(statement: CqlStatement) -> bool:
    """Whether the statement is DDL (schema statements are never prepared)."""
    words = statement.text.split(None, 1)
    return not statement.prepare and bool(words) and words[0].upper() in ("CREATE", "ALTER", "DROP")


def shape(statement: CqlStatement, results: list[Any], paging_state: bytes | None = None) -> Any:
    """What :meth:`SyncConnection.execute` returns for the statement's ``fetch``.

    Writes report how many statements ran (CQL has no row counts), or, for
    lightweight transactions, how many applied.
    """
    if statement.fetch in ("rows", "auto") and not statement.many:
        rows = list(results[0] or ()) if results else []
        if statement.tally:
            return [(len(rows),)]
        return PageRows(rows, seal(statement.text, statement.params, paging_state)) if statement.page else rows
    if statement.conditional:
        return sum(applied(r) for r in results)
    if statement.fetch == "none":
        return None
    return len(results)


class CassandraConnection(SyncConnection):
    """A sync handle on the shared driver session."""

    def __init__(self, holder: SessionHolder) -> None:
        self.holder = holder

    def _driver_statements(self, session: Any, statement: CqlStatement) -> list[Any]:
        from cassandra.query import SimpleStatement

        if not statement.prepare:
            return [configure(SimpleStatement(statement.text), statement)]
        prepared = self.holder.prepared(session, statement.text)
        rows = statement.params if statement.many else [statement.params]
        return [configure(prepared.bind(p), statement) for p in rows]

    def execute(self, statement: Statement) -> Any:
        cql = as_cql(statement)
        batch = active_batch()
        if batch is not None and cql.write:
            return batch.collect(self.holder, cql)
        try:
            session = self.holder.session()
            driver_statements = self._driver_statements(session, cql)
            timeout = cql.timeout if cql.timeout is not None else session.default_timeout
            if len(driver_statements) == 1 and not cql.builds_index:
                result = session.execute(driver_statements[0], timeout=timeout, paging_state=cql.paging_state)
                if cql.fetch not in ("rows", "auto"):
                    return shape(cql, [result.current_rows])
                # ``list(result)`` reads every remaining page; one page is its rows already.
                rows = result.current_rows if cql.page or not result.has_more_pages else list(result)
                return shape(cql, [rows], result.paging_state)
            futures = [session.execute_async(s, timeout=timeout) for s in driver_statements]
            results = [f.result().current_rows for f in futures]
            if cql.builds_index:
                index_builds.wait_built(session, cql.builds_index, self.holder.index_build_timeout,
                                        self.holder.describe)
            return shape(cql, results)
        except OrmadaError:
            raise
        except Exception as exc:
            raise translate(exc, self.holder, (cql,)) from exc
        finally:
            if changes_schema(cql):
                self.holder.forget_prepared()

    def stream(self, statement: Statement, chunk_size: int) -> Iterator[Sequence[Sequence[Any]]]:
        cql = as_cql(statement)
        try:
            session = self.holder.session()
            (driver_statement,) = self._driver_statements(session, cql)
            if cql.paged:
                driver_statement.fetch_size = chunk_size
            result = session.execute(driver_statement, paging_state=cql.paging_state)
            while True:
                yield list(result.current_rows)
                if not result.has_more_pages:
                    return
                result.fetch_next_page()
        except Exception as exc:
            raise translate(exc, self.holder, (cql,)) from exc

    def close(self) -> None:
        """Nothing to close: the session belongs to the pool's holder."""


class AsyncCassandraConnection(AsyncConnection):
    """An async handle on the shared driver session; requests go through :mod:`bridge`."""

    def __init__(self, holder: SessionHolder) -> None:
        self.holder = holder

    async def _driver_statements(self, session: Any, statement: CqlStatement) -> list[Any]:
        from cassandra.query import SimpleStatement

        if not statement.prepare:
            return [configure(SimpleStatement(statement.text), statement)]
        prepared = await self.holder.aprepared(session, statement.text)
        rows = statement.params if statement.many else [statement.params]
        return [configure(prepared.bind(p), statement) for p in rows]

    async def execute(self, statement: Statement) -> Any:
        cql = as_cql(statement)
        batch = active_batch()
        if batch is not None and cql.write:
            return batch.collect(self.holder, cql)
        try:
            session = await self.holder.asession()
            driver_statements = await self._driver_statements(session, cql)
            timeout = cql.timeout if cql.timeout is not None else session.default_timeout
            if len(driver_statements) == 1 and cql.fetch in ("rows", "auto"):
                future = session.execute_async(driver_statements[0], timeout=timeout, paging_state=cql.paging_state)
                pages = bridge.ResponseBridge(future)
                rows = list(await pages.result() or ())
                while not cql.page and pages.has_more_pages:
                    rows += await pages.next_page() or ()
                return shape(cql, [rows], pages.paging_state)
            bridges = [bridge.ResponseBridge(session.execute_async(s, timeout=timeout)) for s in driver_statements]
            # gather() makes a task per awaitable: a single write is awaited directly.
            results = [await bridges[0].result()] if len(bridges) == 1 else \
                await asyncio.gather(*(b.result() for b in bridges))
            if cql.builds_index:
                await index_builds.await_built(session, cql.builds_index, self.holder.index_build_timeout,
                                               self.holder.describe)
            return shape(cql, [r if isinstance(r, list) else [] for r in results])
        except OrmadaError:
            raise
        except Exception as exc:
            raise translate(exc, self.holder, (cql,)) from exc
        finally:
            if changes_schema(cql):
                self.holder.forget_prepared()

    async def stream(self, statement: Statement, chunk_size: int) -> AsyncIterator[Sequence[Sequence[Any]]]:
        cql = as_cql(statement)
        try:
            session = await self.holder.asession()
            (driver_statement,) = await self._driver_statements(session, cql)
            if cql.paged:
                driver_statement.fetch_size = chunk_size
            pages = bridge.ResponseBridge(session.execute_async(driver_statement, paging_state=cql.paging_state))
            rows = await pages.result()
            while True:
                yield list(rows or ())
                if not pages.has_more_pages:
                    return
                rows = await pages.next_page()
        except Exception as exc:
            raise translate(exc, self.holder, (cql,)) from exc

    async def close(self) -> None:
        """Nothing to close: the session belongs to the pool's holder."""


class CassandraSyncPool(SyncPool):
    """Hands out sync handles on the backend's one driver session (which pools connections itself)."""

    def __init__(self, holder: SessionHolder) -> None:
        self.holder = holder
        holder.acquire()
        self._closed = False

    def acquire(self) -> SyncConnection:
        return CassandraConnection(self.holder)

    def release(self, connection: SyncConnection, *, broken: bool = False) -> None:
        """Handles hold nothing of their own; the driver replaces failed connections itself."""

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.holder.release()


class CassandraAsyncPool(AsyncPool):
    """The async twin of :class:`CassandraSyncPool`, bound to the loop that made it."""

    def __init__(self, holder: SessionHolder) -> None:
        self.holder = holder
        holder.acquire()
        self._closed = False
        try:
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None

    async def acquire(self) -> AsyncConnection:
        return AsyncCassandraConnection(self.holder)

    async def release(self, connection: AsyncConnection, *, broken: bool = False) -> None:
        """Handles hold nothing of their own."""

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.holder.release()
