"""The driver session a Cassandra backend shares between its sync and async pools.

A driver ``Session`` is thread-safe and pools its own connections, so the backend
opens one Cluster and Session (on first use), and both of its pools hand out thin
connection objects over it. Prepared statements are cached per statement text in a
bounded LRU; an async prepare is sent once however many tasks wait for it.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ormada.backends._options import positive_number, read_options, text, whole_number
from ormada.backends._tls import TLS_OPTIONS, tls_settings
from ormada.backends.cassandra import bridge, index_builds
from ormada.backends.cassandra.faults import translate
from ormada.errors import ConfigurationError

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
    **TLS_OPTIONS, "local_dc": text, "protocol_version": whole_number,
    "connect_timeout": positive_number, "request_timeout": positive_number,
    "reconnect_max_delay": positive_number, "index_build_timeout": seconds_or_zero,
    "prepared_cache_size": whole_number, "statement_cache_size": whole_number,
    # DataStax Astra: the zip holds the endpoints, the CA and the client certificate.
    "secure_connect_bundle": text,
}


@functools.cache
def _password_auth_provider() -> type:
    from cassandra.auth import AuthProvider, PlainTextAuthenticator

    class PasswordAuthProvider(AuthProvider):  # type: ignore[misc]
        """PlainTextAuthProvider, but asking for the password on every new connection (tokens expire)."""

        def __init__(self, username: str, password: Callable[[], str | None]) -> None:
            self.username = username
            self._password = password

        def new_authenticator(self, host: Any) -> Any:
            return PlainTextAuthenticator(self.username, self._password() or "")

        def __repr__(self) -> str:
            return f"<PasswordAuthProvider {self.username!r}>"

    return PasswordAuthProvider


def password_auth_provider(username: str, password: Callable[[], str | None]) -> Any:
    """The driver's auth provider for ``username``, calling ``password`` for each new connection."""
    return _password_auth_provider()(username, password)


class SessionHolder:
    """One driver Cluster and Session for a URL, opened on first use, plus the prepared-statement cache."""

    def __init__(self, url: DatabaseURL) -> None:
        self.url = url
        self.describe = url.render()
        self.options = read_options(url, URL_OPTIONS)
        self.tls = tls_settings(self.options, self.describe)
        if self.tls.mode in ("allow", "prefer"):
            raise ConfigurationError(f"{self.describe}: sslmode={self.tls.mode} cannot be honoured: cassandra-driver "
                                     "never falls back between TLS and plain; use require, verify-ca or verify-full, "
                                     "or disable")
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
        from cassandra.policies import DCAwareRoundRobinPolicy, ExponentialReconnectionPolicy, TokenAwarePolicy

        bundle = self.options.get("secure_connect_bundle")
        if bundle is not None:
            return self._bundle_options(bundle)
        hosts = self.url.hosts or (("127.0.0.1", None),)
        ports = {p for _, p in hosts if p is not None}
        if len(ports) > 1:
            raise ConfigurationError(f"{self.describe}: every host must use the same port (cassandra-driver "
                                     "takes one port per cluster)")
        query = self.options
        options: dict[str, Any] = {"contact_points": [h for h, _ in hosts], "port": ports.pop() if ports else 9042}
        if self.url.username is not None:
            options["auth_provider"] = password_auth_provider(self.url.username, self.url.current_password)
        for name in ("protocol_version", "connect_timeout"):
            if name in query:
                options[name] = query[name]
        max_delay = query.get("reconnect_max_delay", DEFAULT_RECONNECT_MAX_DELAY)
        options["reconnection_policy"] = ExponentialReconnectionPolicy(min(1.0, max_delay), max_delay)
        if "local_dc" in query:
            options["load_balancing_policy"] = TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=query["local_dc"]))
        if self.tls.encrypted:
            # verify-full (check_hostname): the driver passes each connection's endpoint address as
            # server_hostname, so a node's certificate must name its IP (a contact point's name is
            # resolved before connecting, and discovered nodes are known by their rpc_address only).
            options["ssl_context"] = self.tls.context(self.describe)
        return options

    def _bundle_options(self, bundle: str) -> dict[str, Any]:
        """Cluster options for a secure connect bundle (Astra): the driver reads hosts and TLS from it.

        Raises:
            ConfigurationError: hosts or TLS options given beside it (the bundle decides both).
        """
        if self.url.hosts or self.tls.mode is not None:
            raise ConfigurationError(f"{self.describe}: secure_connect_bundle names the hosts and carries the TLS "
                                     "files; write cassandra:///keyspace?secure_connect_bundle=… without hosts "
                                     "or ssl options")
        options: dict[str, Any] = {"cloud": {"secure_connect_bundle": bundle}}
        if self.url.username is not None:  # Astra: the user "token", the password the AstraCS:… token
            options["auth_provider"] = password_auth_provider(self.url.username, self.url.current_password)
        if "connect_timeout" in self.options:
            options["connect_timeout"] = self.options["connect_timeout"]
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
