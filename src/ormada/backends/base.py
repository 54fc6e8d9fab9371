"""The protocol every backend implements, and the values that cross it.

Shared code talks to a backend only through :class:`Backend`: it asks for compiled
statements, for value codecs and for connections, and asks for capabilities
(``backend.supports.returning``) rather than for names.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ormada.errors import NotSupported, QueryError

if TYPE_CHECKING:
    import sqlalchemy as sa

    from ormada._info import ModelInfo
    from ormada._url import DatabaseURL
    from ormada.query.aggregates import AggregateSpec
    from ormada.query.state import QueryState
    from ormada.schema import ColumnSchema

Fetch = Literal["rows", "rowcount", "lastrowid", "none", "auto", "script"]


class RawRows(list[Any]):
    """The rows a raw statement returned, with the names of their columns in ``columns``."""

    __slots__ = ("columns",)

    def __init__(self, rows: Iterable[Any], columns: Iterable[str]) -> None:
        super().__init__(rows)
        self.columns = tuple(columns)


def several_statements(statement: Statement) -> QueryError:
    """The error for raw SQL that holds more than one statement."""
    return QueryError(f"execute() runs one statement; run a script of several with execute_script() "
                      f"(in: {statement.text})")


@dataclass(slots=True)
class Statement:
    """A statement exactly as it is sent: text, bound parameters and what comes back.

    Attributes:
        text: SQL or CQL with the driver's placeholders.
        params: Positional parameters, already converted for the driver; for
            ``many`` statements, one sequence per execution.
        fetch: ``"rows"`` returns the rows, ``"rowcount"`` the affected row count,
            ``"lastrowid"`` the generated key, ``"none"`` nothing, and ``"auto"``
            (raw statements) the rows when the statement returns rows (a :class:`RawRows`,
            which names their columns), else the row count; ``"script"`` runs several
            statements without parameters and returns nothing.
        many: Execute once per parameter sequence (``executemany``).
        quick: A hint that the statement touches at most one row by key (or is
            transaction control), so an executor may run it without a thread hop.
        conditional: A write that applies only if a condition on the stored row holds
            (Cassandra's lightweight transactions); its result is how many applied.

    Its ``repr()`` leaves the parameters out: they are users' data, and a statement's repr
    reaches logs (a driver's debug line, a traceback with locals) that were never asked
    for them. Read ``params`` itself where they are wanted.
    """

    text: str
    params: Sequence[Any] = field(default=(), repr=False)
    fetch: Fetch = "rows"
    many: bool = False
    quick: bool = False
    conditional: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Compiled:
    """A compiled read: the statement and the columns its rows hold, in order; after
    them, the annotations' values, read by ``annotations`` (their decoders)."""

    statement: Statement
    columns: tuple[ColumnSchema, ...]
    annotations: tuple[Callable[[Any], Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Concurrent:
    """Several operations that an operation yields at once, because none needs another's
    result. A runner may run them at the same time (async, outside a transaction: each on
    a pooled connection of its own) or one after another (sync, or on a transaction's one
    connection); the operation receives their results as a tuple, in order."""

    operations: tuple[Generator[Any, Any, Any], ...]


@dataclass(frozen=True, slots=True)
class Callback:
    """Application code (a model's hooks, a signal's receivers) that an operation runs
    between two of its statements, in the mode of the runner: ``call()`` in sync code,
    ``acall()`` in async code, which awaits async hooks. The operation receives the result.

    What it raises is the application's, not the database's: it ends the operation (rolling
    an atomic one back) instead of being sent into it as a database error is.
    """

    call: Callable[[], Any]
    acall: Callable[[], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class KeyedSelect:
    """A reusable read of whole rows by equality on fixed fields, at most two rows
    (what ``Model.get(isbn=…)`` needs): the lookup is resolved and compiled once, so a
    repeat costs encoding its values.

    Attributes:
        text: The statement, as for :class:`Statement`.
        params: Turns the field values (checked, in the fields' order) into the
            statement's parameters.
        columns: The columns its rows hold, in order.
        quick: The fields are the primary key, so the read touches one row by key.
    """

    text: str
    params: Callable[[Sequence[Any]], Sequence[Any]]
    columns: tuple[ColumnSchema, ...]
    quick: bool

    def statement(self, values: Sequence[Any]) -> Statement:
        return Statement(self.text, self.params(values), "rows", quick=self.quick)


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do; shared code branches on these, never on a backend's name."""

    returning: bool = True
    group_by: bool = True  # annotate(): aggregates per group
    savepoints: bool = True
    transactions: bool = True
    joins: bool = True
    or_filters: bool = True
    upsert: bool = True
    server_side_cursors: bool = False
    json_contains: bool = True
    rowcount: bool = True  # writes report how many rows they touched
    float_infinity: bool = True  # float columns hold inf and -inf (MySQL's DOUBLE does not)
    max_params: int = 32_000
    metadata: bool = True  # keeps its tables as SQLAlchemy metadata (what Alembic compares)
    set_operations: frozenset[str] = frozenset({"union", "intersect", "except"})  # compound SELECTs
    row_locks: bool = False  # SELECT … FOR UPDATE [NOWAIT | SKIP LOCKED]
    lock_of: bool = False  # FOR UPDATE OF <tables>, FOR NO KEY UPDATE
    distinct_on: bool = False  # SELECT DISTINCT ON (…)
    ctes: bool = True  # common table expressions (WITH, WITH RECURSIVE)
    expressions: bool = True  # computes expressions, functions and subqueries in a query
    extra: dict[str, Any] = field(default_factory=dict)


Decoder = Callable[[Any], Any]
Encoder = Callable[[Any], Any]


class SyncConnection(ABC):
    """One driver connection, used by one thread at a time."""

    @abstractmethod
    def execute(self, statement: Statement) -> Any:
        """Runs the statement; returns rows, a row count or a key as ``statement.fetch`` says.

        Raises:
            IntegrityError, DataError, DatabaseError: the database refused it;
                the driver's exception is chained.
        """

    @abstractmethod
    def stream(self, statement: Statement, chunk_size: int) -> Iterator[Sequence[Sequence[Any]]]:
        """Yields the rows of a read in chunks, without loading the whole result."""

    @abstractmethod
    def close(self) -> None:
        """Closes the driver connection."""

    @property
    def broken(self) -> bool:
        """Whether the connection can no longer be used (the server went away)."""
        return False


class AsyncConnection(ABC):
    """The async twin of :class:`SyncConnection`, on a native async driver."""

    @abstractmethod
    async def execute(self, statement: Statement) -> Any:
        """Runs the statement; see :meth:`SyncConnection.execute`."""

    @abstractmethod
    def stream(self, statement: Statement, chunk_size: int) -> AsyncIterator[Sequence[Sequence[Any]]]:
        """Yields the rows of a read in chunks."""

    @abstractmethod
    async def close(self) -> None:
        """Closes the driver connection."""

    def terminate(self) -> None:  # noqa: B027 - optional: drivers without a way to do it keep the default
        """Closes the connection at once, without its event loop (that loop may be gone)."""

    @property
    def broken(self) -> bool:
        """Whether the connection can no longer be used (the server went away)."""
        return False


class SyncPool(ABC):
    """Hands out sync connections; opened on first use."""

    @abstractmethod
    def acquire(self) -> SyncConnection:
        """A connection for the caller's exclusive use until :meth:`release`."""

    @abstractmethod
    def release(self, connection: SyncConnection, *, broken: bool = False) -> None:
        """Returns a connection; a ``broken`` one is closed instead of reused."""

    @abstractmethod
    def close(self) -> None:
        """Closes every connection."""

    def checked_out(self) -> int | None:
        """How many connections are handed out now (None where the pool does not count them)."""
        return None


class AsyncPool(ABC):
    """Hands out async connections; opened on first use."""

    @abstractmethod
    async def acquire(self) -> AsyncConnection:
        """A connection for the caller's exclusive use until :meth:`release`."""

    @abstractmethod
    async def release(self, connection: AsyncConnection, *, broken: bool = False) -> None:
        """Returns a connection; a ``broken`` one is closed instead of reused."""

    @abstractmethod
    async def close(self) -> None:
        """Closes every connection."""

    def checked_out(self) -> int | None:
        """How many connections are handed out now (None where the pool does not count them)."""
        return None

    def terminate(self) -> None:  # noqa: B027 - optional: pools without a way to do it keep the default
        """Drops every idle connection without awaiting (its event loop may be gone)."""


class Backend(ABC):
    """Compiles queries for one database and opens connections to it.

    A backend object belongs to one :class:`~ormada.Database`; it caches compiled
    statements by query shape, so the same query with other values costs a look-up.

    Attributes:
        caches: What shared code works out once per model for this backend (row
            layouts, hydrators), keyed by ``(ModelInfo, kind, …)``. It lives here
            rather than on the model so that dropping the database frees it: a
            model class outlives every database it was used with.
    """

    name: str
    supports: Capabilities
    begin_statement = "BEGIN"
    commit_statement = "COMMIT"
    rollback_statement = "ROLLBACK"
    # One row, one column: the server's version (``ormada check`` shows it).
    version_query = "SELECT version()"

    def __init__(self, url: DatabaseURL) -> None:
        self.url = url
        self.caches: dict[tuple[Any, ...], Any] = {}
        # The name of the Database that owns this backend (set by it): instances read or
        # written here remember it, and their own writes go back there.
        self.home: str | None = None

    # -- compiling -------------------------------------------------------
    @abstractmethod
    def select(self, info: ModelInfo, state: QueryState) -> Compiled:
        """The read a QuerySet describes."""

    def aggregate(self, info: ModelInfo, state: QueryState,
                  specs: tuple[AggregateSpec, ...]) -> tuple[Statement, tuple[Decoder, ...]]:
        """The one-row read of ``specs`` over the rows ``state`` selects, and the decoder
        of each value it returns (a backend's value becomes the aggregate's Python type).

        Raises:
            NotSupported: the backend cannot compute one of them.
        """
        raise NotSupported(f"{info.name}.aggregate(): {self.name} computes no aggregates; "
                           "read the values and aggregate them in Python")

    def keyed_select(self, info: ModelInfo, fields: tuple[str, ...]) -> KeyedSelect | None:
        """A cached plan for ``filter(f1=v1, …)[:2]`` reading whole rows, where every name
        in ``fields`` is a column; None where the backend has none (the QuerySet then
        takes its general path, which also reports any bad name)."""
        return None

    @abstractmethod
    def count(self, info: ModelInfo, state: QueryState) -> Statement:
        """``SELECT count(*)`` over the QuerySet's rows; returns one row, one column."""

    @abstractmethod
    def exists(self, info: ModelInfo, state: QueryState) -> Statement:
        """A read that returns a row when the QuerySet matches anything."""

    @abstractmethod
    def update(self, info: ModelInfo, state: QueryState, values: dict[str, Any]) -> Statement:
        """Sets ``values`` (plain values or F expressions) on every matching row."""

    @abstractmethod
    def delete(self, info: ModelInfo, state: QueryState) -> Statement:
        """Deletes every matching row."""

    @abstractmethod
    def insert(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
               returning: tuple[str, ...] = (), options: Mapping[str, Any] | None = None) -> Statement:
        """Inserts rows of raw (not yet encoded) values for ``columns``.

        ``options`` carries per-operation settings (``ttl``, ``timestamp``,
        ``if_not_exists``, ``consistency``…); a backend refuses, with NotSupported,
        an option it cannot honour rather than ignoring it silently."""

    @abstractmethod
    def upsert(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
               conflict: tuple[str, ...], update: tuple[str, ...], returning: tuple[str, ...] = ()) -> Statement:
        """Inserts rows, updating ``update`` columns where ``conflict`` columns collide."""

    @abstractmethod
    def update_rows(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
                    options: Mapping[str, Any] | None = None) -> Statement:
        """Updates ``columns`` of each row found by primary key; each row is the new
        values followed by the primary-key values."""

    @abstractmethod
    def metadata(self, infos: Sequence[ModelInfo], metadata: sa.MetaData | None = None) -> sa.MetaData:
        """The complete SQLAlchemy metadata of a database's models: a table for each table
        they map, with its keys, foreign keys, unique constraints and indexes (what
        Alembic's autogenerate compares); a backend whose ``supports.metadata`` is false
        refuses.

        Args:
            infos: Every model bound to the database, in definition order.
            metadata: What an earlier call returned, brought up to date in place.

        Raises:
            NotSupported: the database has no SQL schema for SQLAlchemy to describe.
        """

    @abstractmethod
    def create_tables(self, infos: Sequence[ModelInfo], known: Sequence[ModelInfo] = (),
                      metadata: sa.MetaData | None = None) -> list[Statement]:
        """DDL that creates the tables and indexes (if they do not exist), in dependency order;
        ``known`` are the database's other models, which the tables may refer to, and
        ``metadata`` the database's own (from :meth:`metadata`), which the DDL is compiled from."""

    @abstractmethod
    def drop_tables(self, infos: Sequence[ModelInfo], known: Sequence[ModelInfo] = (),
                    metadata: sa.MetaData | None = None) -> list[Statement]:
        """DDL that drops the tables (if they exist), dependants first."""

    @abstractmethod
    def explain(self, statement: Statement) -> Statement:
        """A statement that returns the database's plan for ``statement``."""

    @abstractmethod
    def raw(self, text: str, params: Sequence[Any] | dict[str, Any] | None) -> Statement:
        """A user's own statement, its parameters bound, never spliced in."""

    def script(self, text: str) -> Statement:
        """A user's script of several statements, without parameters."""
        return Statement(text, (), "script")

    # -- values ----------------------------------------------------------
    @abstractmethod
    def decoder(self, column: ColumnSchema) -> Decoder | None:
        """Turns a value read from the driver into the field's Python value (None: as is)."""

    @abstractmethod
    def encoder(self, info: ModelInfo, column: ColumnSchema) -> Encoder | None:
        """Turns a field's Python value into what the driver binds (None: as is)."""

    # -- connections -----------------------------------------------------
    @abstractmethod
    def sync_pool(self) -> SyncPool:
        """A new, unopened pool of sync connections."""

    @abstractmethod
    def async_pool(self) -> AsyncPool:
        """A new, unopened pool of async connections."""

    def borrowed(self, driver_connection: Any) -> SyncConnection:
        """Runs ormada's statements on ``driver_connection``, a connection of this backend's
        sync driver that other code opened (the SQLAlchemy connection of a migration, as
        ``connection.connection.driver_connection``), inside the transaction that code holds.

        The result never commits, rolls back or closes ``driver_connection``: its owner does.

        Raises:
            NotSupported: this backend cannot run on a connection it did not open.
        """
        raise NotSupported(f"{self.name} runs ormada's statements only on connections it opens itself")
