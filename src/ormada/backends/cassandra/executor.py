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
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ormada.backends.base import AsyncConnection, AsyncPool, Statement, SyncConnection, SyncPool
from ormada.backends.cassandra import bridge
from ormada.backends.cassandra.batch import active_batch
from ormada.backends.cassandra.paging import PageRows
from ormada.backends.cassandra.statements import CqlStatement
from ormada.errors import ConfigurationError, ConnectionFailed, DatabaseError, OrmadaError, QueryError

if TYPE_CHECKING:
    from ormada._url import DatabaseURL

DEFAULT_PREPARED_CACHE = 512


def translate(exc: BaseException, holder: SessionHolder) -> OrmadaError:
    """The ormada error for a driver exception (chain it with ``from exc``)."""
    from cassandra import AuthenticationFailed, InvalidRequest, Unauthorized
    from cassandra.cluster import NoHostAvailable

    if isinstance(exc, OrmadaError):
        return exc
    if isinstance(exc, (NoHostAvailable, AuthenticationFailed)):
        return ConnectionFailed(f"cannot reach {holder.describe}: {exc}")
    if isinstance(exc, (InvalidRequest, Unauthorized)):
        return QueryError(f"{holder.describe} refused the statement: {exc}")
    return DatabaseError(f"{type(exc).__name__} from {holder.describe}: {exc}")


class SessionHolder:
    """One driver Cluster and Session for a URL, opened on first use, plus the prepared-statement cache."""

    def __init__(self, url: DatabaseURL) -> None:
        self.url = url
        self.describe = url.render()
        self.prepared_cache_size = int(url.query.get("prepared_cache_size", DEFAULT_PREPARED_CACHE))
        self._lock = threading.Lock()
        self._cluster: Any = None
        self._session: Any = None
        self._prepared: OrderedDict[str, Any] = OrderedDict()
        self._users = 0

    # -- opening -----------------------------------------------------------------
    def cluster_options(self) -> dict[str, Any]:
        """Keyword arguments for ``cassandra.cluster.Cluster`` from the URL.

        Raises:
            ConfigurationError: the hosts use different ports, or a query option is malformed.
        """
        from cassandra.auth import PlainTextAuthProvider
        from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy

        hosts = self.url.hosts or (("127.0.0.1", None),)
        ports = {p for _, p in hosts if p is not None}
        if len(ports) > 1:
            raise ConfigurationError(f"{self.describe}: every host must use the same port (cassandra-driver "
                                     "takes one port per cluster)")
        query = self.url.query
        options: dict[str, Any] = {"contact_points": [h for h, _ in hosts], "port": ports.pop() if ports else 9042}
        if self.url.username is not None:
            options["auth_provider"] = PlainTextAuthProvider(self.url.username, self.url.password or "")
        try:
            if "protocol_version" in query:
                options["protocol_version"] = int(query["protocol_version"])
            if "connect_timeout" in query:
                options["connect_timeout"] = float(query["connect_timeout"])
        except ValueError as exc:
            raise ConfigurationError(f"{self.describe}: {exc}") from None
        if "local_dc" in query:
            options["load_balancing_policy"] = TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=query["local_dc"]))
        if query.get("ssl", "").lower() in ("1", "true", "yes"):
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
        if "request_timeout" in self.url.query:
            session.default_timeout = float(self.url.query["request_timeout"])
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
        return self._cached(text) or self._store(text, await bridge.prepare(session, text))

    @property
    def prepared_count(self) -> int:
        """How many prepared statements the cache holds."""
        return len(self._prepared)


def configure(driver_statement: Any, statement: CqlStatement) -> Any:
    """Applies the per-statement settings that are not CQL text."""
    from cassandra import ConsistencyLevel

    if statement.consistency is not None:
        driver_statement.consistency_level = ConsistencyLevel.name_to_value[statement.consistency]
    if statement.serial_consistency is not None:
        driver_statement.serial_consistency_level = ConsistencyLevel.name_to_value[statement.serial_consistency]
    if statement.fetch_size is not None:
        driver_statement.fetch_size = statement.fetch_size
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


def applied(rows: Any) -> bool:
    """Whether a lightweight transaction applied (its ``[applied]`` column)."""
    return bool(rows and rows[0][0])


def shape(statement: CqlStatement, results: list[Any], paging_state: bytes | None = None) -> Any:
    """What :meth:`SyncConnection.execute` returns for the statement's ``fetch``.

    Writes report how many statements ran (CQL has no row counts), or, for
    lightweight transactions, how many applied.
    """
    if statement.fetch in ("rows", "auto") and not statement.many:
        rows = list(results[0] or ()) if results else []
        return PageRows(rows, paging_state) if statement.page else rows
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
            if len(driver_statements) == 1 and cql.fetch in ("rows", "auto"):
                result = session.execute(driver_statements[0], timeout=timeout, paging_state=cql.paging_state)
                rows = result.current_rows if cql.page else list(result)
                return shape(cql, [rows], result.paging_state)
            futures = [session.execute_async(s, timeout=timeout) for s in driver_statements]
            return shape(cql, [f.result().current_rows for f in futures])
        except OrmadaError:
            raise
        except Exception as exc:
            raise translate(exc, self.holder) from exc

    def stream(self, statement: Statement, chunk_size: int) -> Iterator[Sequence[Sequence[Any]]]:
        cql = as_cql(statement)
        try:
            session = self.holder.session()
            (driver_statement,) = self._driver_statements(session, cql)
            driver_statement.fetch_size = chunk_size
            result = session.execute(driver_statement, paging_state=cql.paging_state)
            while True:
                yield list(result.current_rows)
                if not result.has_more_pages:
                    return
                result.fetch_next_page()
        except Exception as exc:
            raise translate(exc, self.holder) from exc

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
            results = await asyncio.gather(*(b.result() for b in bridges))
            return shape(cql, [r if isinstance(r, list) else [] for r in results])
        except OrmadaError:
            raise
        except Exception as exc:
            raise translate(exc, self.holder) from exc

    async def stream(self, statement: Statement, chunk_size: int) -> AsyncIterator[Sequence[Sequence[Any]]]:
        cql = as_cql(statement)
        try:
            session = await self.holder.asession()
            (driver_statement,) = await self._driver_statements(session, cql)
            driver_statement.fetch_size = chunk_size
            pages = bridge.ResponseBridge(session.execute_async(driver_statement, paging_state=cql.paging_state))
            rows = await pages.result()
            while True:
                yield list(rows or ())
                if not pages.has_more_pages:
                    return
                rows = await pages.next_page()
        except Exception as exc:
            raise translate(exc, self.holder) from exc

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
