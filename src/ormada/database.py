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
import itertools
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ormada import _caching as caching
from ormada._credentials import PasswordFactory, password_source
from ormada._info import ModelInfo
from ormada._registry import configure, configured, info_of, on_configured
from ormada._runner import AsyncRunner
from ormada._runner_sync import SyncRunner
from ormada._transactions import Operation, Transaction, owner
from ormada._url import DatabaseURL, parse_url
from ormada.backends._options import flag
from ormada.backends.base import AsyncPool, Backend, Statement, SyncPool
from ormada.errors import ConfigurationError, NotSupported, TransactionError

if TYPE_CHECKING:
    import sqlalchemy as sa
    from pydantic import BaseModel



ENV_URL = "ORMADA_URL"
# A keyword option of connect(): passed on as the URL's query option of that name.
OptionValue = str | int | float | bool | os.PathLike[str]

BACKENDS = {
    "sqlite": "ormada.backends.sqlite:SqliteBackend",
    "postgresql": "ormada.backends.postgresql:PostgresBackend",
    "mysql": "ormada.backends.mysql:MysqlBackend",
    "duckdb": "ormada.backends.duckdb:DuckdbBackend",
    "cassandra": "ormada.backends.cassandra:CassandraBackend",
}

_databases: dict[str, Database] = {}

# The read cache finds the tables a statement names among those of the configured models.
caching.tables.infos_of = configured
on_configured(caching.tables.forget)


def connect(url: str | None = None, name: str = "default", *, cursor_secret: str | bytes | None = None,
            password: str | PasswordFactory | None = None, password_file: str | os.PathLike[str] | None = None,
            replicas: Sequence[str | Database] = (), log_params: bool | None = None,
            **options: OptionValue) -> Database:
    """Creates the :class:`Database` for ``url`` and registers it under ``name``.

    Nothing is opened until the first query. Models choose a database by
    ``Meta.database`` (default: ``"default"``). Connecting again under a name that
    is taken replaces the old database, closing its sync pool.

    ``cursor_secret`` signs the cursors of ``QuerySet.paginate()``; without it they are
    signed with ``$ORMADA_CURSOR_SECRET``, or else with a random key of this process (so
    every process that may receive another one's cursors needs the same secret).

    ``log_params=True`` (or ``?log_params=true`` in the URL) adds each statement's bound
    values to the DEBUG lines of the ``ormada`` logger; by default those lines show the
    statement text, its duration and how many values it had, never the values, which are
    users' data.

    Args:
        url: The database URL; without it, ``$ORMADA_URL``.
        name: The name models use in ``Meta.database``.
        cursor_secret: See above.
        password: The password, apart from the URL: text, or a callable returning a fresh
            one (an IAM or Entra token), called for every new connection.
        password_file: A file holding the password (also ``?password_file=`` in the URL),
            read for every new connection, so a rotated secret is picked up.
        replicas: Read-only copies of this database that take its models' reads outside
            transactions (see :meth:`Database.for_read`), each a URL (registered as
            ``"<name>.replica1"``, ``"<name>.replica2"``…) or the name of a database
            connected before.
        log_params: See above.
        options: The URL's query options as keyword arguments, under the same names
            (``sslmode="verify-full"``, ``sslrootcert="ca.pem"``, ``pool_size=20``…);
            they win over the URL's.

    Raises:
        ConfigurationError: the URL is malformed or names an unknown backend, an option
            is unknown or malformed, no URL is given and ``$ORMADA_URL`` is not set, or a
            replica names no connected database.
    """
    database = Database(url, name, cursor_secret=cursor_secret, password=password, password_file=password_file,
                        replicas=replicas, log_params=log_params, **options)
    for replica in database._owned_replicas:
        _register(replica)
    _register(database)
    return database


def _register(database: Database) -> None:
    previous = _databases.get(database.name)
    _databases[database.name] = database
    caching.settings.changed()  # a cached get() found the model's database by name
    if previous is not None and previous is not database:
        previous._close_sync_only()


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


class Database(AsyncRunner, SyncRunner):
    """One database: a URL, its backend, its sync and async pools, its transactions, and
    the read replicas its models' reads go to outside transactions (:meth:`for_read`).

    ``log_params`` (see :func:`connect`) may be switched at run time: ``db.log_params = True``
    adds the bound values to the ``ormada`` logger's DEBUG lines from the next statement on.

    >>> db = ormada.connect("sqlite:///library.db")
    >>> db.create_all()
    >>> with db.transaction():
    ...     Book.filter(year__lt=1900).update(year=1900)
    """

    def __init__(self, url: str | DatabaseURL | None = None, name: str = "default", *,
                 cursor_secret: str | bytes | None = None, password: str | PasswordFactory | None = None,
                 password_file: str | os.PathLike[str] | None = None, replicas: Sequence[str | Database] = (),
                 log_params: bool | None = None,
                 **options: OptionValue) -> None:
        self.url, url_log_params = _without_log_params(_full_url(url, password, password_file, options))
        self.name = name
        # Bound values are users' data: statement logs show them only when asked (see connect()).
        self.log_params = url_log_params if log_params is None else log_params
        self.cursor_secret = cursor_secret  # see connect(); kept out of repr() and logs
        self.backend = _make_backend(self.url)
        self.backend.home = name
        # Replicas given by URL belong to this database (closed with it); named ones to their own.
        self._owned_replicas = tuple(Database(r, f"{name}.replica{i}", cursor_secret=cursor_secret,
                                              log_params=self.log_params)
                                     for i, r in enumerate(replicas, 1) if isinstance(r, str) and "://" in r)
        owned = iter(self._owned_replicas)
        self.replicas: tuple[Database, ...] = tuple(
            r if isinstance(r, Database) else next(owned) if "://" in r else get_database(r) for r in replicas)
        self._turn = itertools.count()
        self._sync_pool: SyncPool | None = None
        self._async_pool: AsyncPool | None = None
        self._pool_lock = threading.Lock()
        self._transaction: ContextVar[Transaction | None] = ContextVar(f"ormada.transaction.{name}", default=None)
        # The read cache's entries belong to this database, not to whichever one holds the name
        # later; an in-memory database is this object's own (never shared with another process).
        self._cache_scope = f"{name}@{self.url}" + (f"#{id(self)}" if self.url.database in (None, ":memory:") else "")
        self._begin = Statement(self.backend.begin_statement, (), "none", quick=True)
        self._commit = Statement(self.backend.commit_statement, (), "none", quick=True)
        self._rollback = Statement(self.backend.rollback_statement, (), "none", quick=True)
        # Built now from the models configured so far, and kept current as models are bound
        # to this database later (the registry tells every live database of each one).
        self._metadata: sa.MetaData | None = None
        if self.backend.supports.metadata:
            self._metadata = self.backend.metadata(configured(name))
            on_configured(self._model_configured)

    def __repr__(self) -> str:
        return f"<Database {self.name!r} {self.url}>"

    # -- replicas ------------------------------------------------------------
    def for_read(self) -> Database:
        """Where a read of this database's models goes when no ``using()`` names a database:
        its replicas in turn, or this database itself when it has none or while this code
        runs inside one of its transactions, whose reads must see its own writes (and may
        lock rows). Writes never go to a replica.

        A replica lags behind by its replication delay: a read that must see a write just
        made outside a transaction names the primary with ``using()``, or runs in a transaction.
        """
        replicas = self.replicas
        if not replicas or self.in_transaction():
            return self
        return replicas[next(self._turn) % len(replicas)]

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
        for replica in self._owned_replicas:
            replica.close()
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
        for replica in self._owned_replicas:
            await replica.aclose()
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
        if tx.owner != owner() and not tx.handed_over:
            raise TransactionError(
                f"a transaction on {self.name!r} was opened in another task or thread; tasks cannot share "
                "one connection. Await the work inside the transaction's own task, or start the task "
                "outside it: asyncio.create_task(coro, context=contextvars.Context())"
            )
        if tx.is_async != is_async:
            if tx.purpose is not None:
                mode = "async" if tx.is_async else "sync"
                example = "acount(), not count()" if tx.is_async else "count(), not acount()"
                raise TransactionError(f"{'async' if is_async else 'sync'} call inside {tx.purpose} on {self.name!r}, "
                                       f"which runs on a {mode} connection: use the {mode} API there ({example})")
            used, other = ("async", "db.transaction()") if is_async else ("sync", "db.atransaction()")
            raise TransactionError(f"{used} call inside {other} on {self.name!r}: use the same mode as the block")
        return tx

    @contextmanager
    def using(self, tx: Transaction) -> Iterator[Transaction]:
        """Makes ``tx``, a sync transaction of this database that was handed over
        (:meth:`Transaction.hand_over`), the one in force for the code of this context and
        of the contexts copied from it (the worker threads of a web framework) while the
        block runs. Opening and closing ``tx`` stay with the code that opened it.

        Raises:
            TransactionError: ``tx`` was not handed over, or is closed.
        """
        if not tx.handed_over or tx.closed:
            raise TransactionError("db.using(tx) takes an open transaction that was handed over: "
                                   "call tx.hand_over() first")
        token = self._transaction.set(tx)
        try:
            yield tx
        finally:
            self._transaction.reset(token)

    @contextmanager
    def borrowing(self, driver_connection: Any, *, purpose: str | None = None) -> Iterator[Transaction]:
        """Runs this database's sync ormada calls on ``driver_connection`` while the block runs:
        a connection of the backend's sync driver (sqlite3, psycopg, PyMySQL) that other code
        opened and holds a transaction on, such as an SQLAlchemy connection's
        ``connection.connection.driver_connection``. ormada's SQL migrations lend theirs to each
        revision this way, so that a data migration may use the models.

        The calls of this context and of the contexts copied from it join that transaction
        (a ``transaction()`` block inside is a savepoint); committing, rolling back and closing
        stay with the connection's owner. When the block ends, the read cache forgets the
        tables written in it. Async calls inside raise ``TransactionError``: the connection
        is sync.

        Args:
            driver_connection: The driver's connection, in the state its owner left it (on
                SQLite, autocommit mode: ``isolation_level=None``).
            purpose: What the block is, named in errors ("the migration of revision 1f2e").

        Raises:
            NotSupported: the backend cannot run on a connection it did not open (DuckDB,
                Cassandra), or ``driver_connection`` is not one of its sync driver's.
        """
        tx = Transaction(self.backend.borrowed(driver_connection), is_async=False, purpose=purpose)
        tx.hand_over()
        try:
            with self.using(tx):
                yield tx
        finally:
            tx.closed = True
            self._invalidate(tx.written)

    def in_transaction(self) -> bool:
        """Whether this code runs inside a transaction block of this database."""
        tx = self._transaction.get()
        return tx is not None and not tx.closed

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
        fails, the ones before it are undone. It must not hold BEGIN/COMMIT itself. On
        MySQL/MariaDB, DDL commits implicitly: a script holding it is not undone as a whole.
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

    @property
    def metadata(self) -> sa.MetaData:
        """The SQLAlchemy metadata of every model bound to this database: each table they map
        (many-to-many junctions included) with its keys, foreign keys, unique constraints
        and indexes, as :meth:`create_all` creates them. Alembic's autogenerate compares it
        with the live database (``target_metadata = db.metadata``).

        It is one object for the database's life: models bound later add their tables to it.
        Of two models mapping one table (a narrow projection and the full model), the one
        with more columns defines it.

        Raises:
            NotSupported: the backend keeps no SQL metadata (Cassandra: use
                ``db.backend.migrate_schema``).
            ConfigurationError: a model of this database names a related model that does
                not exist.
        """
        if self._metadata is None:
            raise NotSupported(f"{self.name!r} ({self.backend.name}) keeps no SQLAlchemy metadata for Alembic; "
                               "plan Cassandra schema changes with db.backend.migrate_schema")
        self._infos()  # models still waiting for a related model in another module join it now
        return self._metadata

    def _model_configured(self, info: ModelInfo) -> None:
        if info.database == self.name and self._metadata is not None:
            self.backend.metadata(configured(self.name), self._metadata)

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
            return self.backend.create_tables(infos, known, self._metadata)
        return self.backend.drop_tables(infos, known, self._metadata)

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


def _without_log_params(url: DatabaseURL) -> tuple[DatabaseURL, bool]:
    """The URL without its ``log_params`` option (ormada's, not the backend's), and the option's value.

    Raises:
        ConfigurationError: the option is not true or false.
    """
    raw = url.query.get("log_params")
    if raw is None:
        return url, False
    try:
        value = flag(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{url}: option log_params={raw!r} {exc}") from None
    query = {key: text for key, text in url.query.items() if key != "log_params"}
    return replace(url, query=query), value


def _single(statement: Statement) -> Operation[Any]:
    return (yield statement)


def _sequence(statements: Sequence[Statement]) -> Operation[None]:
    yield from statements


def _option_text(name: str, value: OptionValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float, os.PathLike)):
        return os.fspath(value) if isinstance(value, os.PathLike) else str(value)
    raise ConfigurationError(f"option {name}= takes text, a number, a path or a flag, not {type(value).__name__}")


def _full_url(url: str | DatabaseURL | None, password: str | PasswordFactory | None,
              password_file: str | os.PathLike[str] | None, options: dict[str, OptionValue]) -> DatabaseURL:
    """The URL with the keyword options merged in and the password source attached."""
    if url is None:
        url = os.environ.get(ENV_URL) or None
        if url is None:
            raise ConfigurationError(f"no database URL: pass one to connect(), or set ${ENV_URL}")
    parsed = url if isinstance(url, DatabaseURL) else parse_url(url)
    parsed = parsed.with_options({k: _option_text(k, v) for k, v in options.items()})
    # ?password_file= is read by ormada, never handed to a driver.
    from_url = parsed.query.get("password_file")
    if password_file is None and password is None and from_url:
        password_file = from_url
    parsed = parsed.without_options("password_file")
    return parsed.with_credentials(password_source(password, password_file))


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
