"""CQL batches as a context manager: writes made inside are collected and sent on exit.

>>> with batch(kind="unlogged"):
...     Reading.create(sensor="a", at=t1, value=1.0)
...     Reading.create(sensor="a", at=t2, value=2.0)
>>> async with batch(db, kind="counter"):
...     await PageViews.filter(page="home").aupdate(views__incr=1)

The active batch lives in a context variable, so every write in the block, in
this thread or task, joins it without being passed around. Nothing is sent when
the block raises. Each model's statements go to that model's own database: a
batch without ``db`` sends one BATCH per database it collected writes for.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ormada.errors import ConfigurationError, NotSupported, OrmadaError

if TYPE_CHECKING:
    from ormada.backends.cassandra.statements import CqlStatement

BatchKind = Literal["logged", "unlogged", "counter"]


class SessionHolder(Protocol):
    """What a batch needs of the executor's session holder: the session and its prepared statements."""

    describe: str

    def session(self) -> Any: ...

    async def asession(self) -> Any: ...

    def prepared(self, session: Any, text: str) -> Any: ...

    async def aprepared(self, session: Any, text: str) -> Any: ...

_active: ContextVar[Batch | None] = ContextVar("ormada.cassandra.batch", default=None)


def active_batch() -> Batch | None:
    """The batch the calling code runs inside, if any."""
    return _active.get()


@dataclass
class _Group:
    holder: SessionHolder
    statements: list[CqlStatement] = field(default_factory=list)


class Batch:
    """Collects writes and sends them as one CQL BATCH per database on exit.

    Attributes:
        applied: After the block, for batches holding conditional writes: whether they applied.
        statements: Every statement collected, in order.
    """

    def __init__(self, db: Any = None, *, kind: BatchKind = "logged", consistency: Any = None,
                 serial_consistency: Any = None, timestamp: int | None = None, timeout: float | None = None) -> None:
        if kind not in ("logged", "unlogged", "counter"):
            raise ConfigurationError(f"batch kind must be 'logged', 'unlogged' or 'counter', not {kind!r}")
        from ormada.backends.cassandra.statements import consistency_name, timeout_seconds, whole_number

        self.kind = kind
        self.consistency = consistency_name(consistency)
        self.serial_consistency = consistency_name(serial_consistency, "serial_consistency")
        self.timestamp = None if timestamp is None else whole_number(timestamp, "timestamp")
        self.timeout = timeout_seconds(timeout)
        self.applied: bool | None = None
        self._holder = _holder_of(db) if db is not None else None
        self._groups: dict[int, _Group] = {}
        self._token: Token[Batch | None] | None = None

    @property
    def statements(self) -> list[CqlStatement]:
        """Every collected statement, grouped by database."""
        return [s for g in self._groups.values() for s in g.statements]

    def collect(self, holder: SessionHolder, statement: CqlStatement) -> int:
        """Adds a write; returns how many statements it stands for (what a write reports).

        Raises:
            NotSupported: the write goes to another database than the batch's, or mixes
                counter and regular writes, which CQL refuses.
        """
        if self._holder is not None and holder is not self._holder:
            raise NotSupported(
                f"this batch belongs to {self._holder.describe}, but a write goes to {holder.describe}; "
                "use batch() without a database to batch each model's writes on its own database"
            )
        if statement.counter != (self.kind == "counter"):
            raise NotSupported(
                "CQL keeps counter updates and other writes in separate batches: use batch(kind='counter') "
                "for counter updates only" if statement.counter else
                "a counter batch holds counter updates only; use a logged or unlogged batch for other writes"
            )
        own = [name for name in ("consistency", "serial_consistency", "timeout")
               if getattr(statement, name) is not None]
        if own:
            # The driver sends a BATCH with one set of request settings; a write's own would be dropped.
            raise NotSupported(
                f"{statement.model or 'a write'}: inside a batch every write is sent with the batch's settings; "
                f"give {', '.join(own)} to batch(...) instead of the write"
            )
        group = self._groups.setdefault(id(holder), _Group(holder))
        group.statements.append(statement)
        return len(statement.params) if statement.many else 1

    # -- building driver batches ------------------------------------------------------
    def _driver_batch(self, group: _Group, prepared: list[Any]) -> Any:
        from cassandra import ConsistencyLevel
        from cassandra.query import BatchStatement, BatchType, SimpleStatement

        batch_type = {"logged": BatchType.LOGGED, "unlogged": BatchType.UNLOGGED, "counter": BatchType.COUNTER}
        driver_batch = BatchStatement(batch_type=batch_type[self.kind])
        if self.consistency is not None:
            driver_batch.consistency_level = ConsistencyLevel.name_to_value[self.consistency]
        if self.serial_consistency is not None:
            driver_batch.serial_consistency_level = ConsistencyLevel.name_to_value[self.serial_consistency]
        for statement, ready in zip(group.statements, prepared, strict=True):
            if ready is None:
                driver_batch.add(SimpleStatement(statement.text))
                continue
            for params in statement.params if statement.many else [statement.params]:
                driver_batch.add(ready, params)
        return driver_batch

    def _settle(self, rows: Any) -> None:
        from ormada.backends.cassandra.faults import applied

        if any(s.conditional for s in self.statements):
            self.applied = applied(rows) if self.applied is None else self.applied and applied(rows)

    def send(self) -> None:
        """Sends every group (the ``with`` block calls this on a clean exit)."""
        from ormada.backends.cassandra.faults import translate

        for group in self._groups.values():
            try:
                session = group.holder.session()
                prepared = [group.holder.prepared(session, s.text) if s.prepare else None for s in group.statements]
                future = self._start(session, self._driver_batch(group, prepared))
                self._settle(future.result().current_rows)
            except OrmadaError:
                raise
            except Exception as exc:
                raise translate(exc, group.holder, group.statements) from exc

    async def asend(self) -> None:
        """The async twin of :meth:`send`."""
        from ormada.backends.cassandra.bridge import resolve
        from ormada.backends.cassandra.faults import translate

        for group in self._groups.values():
            try:
                session = await group.holder.asession()
                prepared = [await group.holder.aprepared(session, s.text) if s.prepare else None
                            for s in group.statements]
                future = self._start(session, self._driver_batch(group, prepared))
                self._settle(await resolve(future))
            except OrmadaError:
                raise
            except Exception as exc:
                raise translate(exc, group.holder, group.statements) from exc

    def _timeout(self, session: Any) -> Any:
        return self.timeout if self.timeout is not None else session.default_timeout

    def _start(self, session: Any, driver_batch: Any) -> Any:
        """Sends a driver batch and returns its ResponseFuture.

        cassandra-driver's BatchStatement has no timestamp setting: the BATCH message
        takes the session's generated one. A batch-wide timestamp is set on the message
        before it is sent, the steps ``Session.execute_async`` takes.
        """
        timeout = self._timeout(session)
        if self.timestamp is None:
            return session.execute_async(driver_batch, timeout=timeout)
        future = session._create_response_future(driver_batch, None, False, None, timeout)
        future.message.timestamp = self.timestamp
        future._protocol_handler = session.client_protocol_handler
        session._on_request(future)
        future.send_request()
        return future

    # -- context manager protocol -------------------------------------------------------
    def _enter(self) -> Batch:
        if _active.get() is not None:
            raise NotSupported("batches do not nest; put every write in the outer batch")
        self._token = _active.set(self)
        return self

    def _exit(self) -> None:
        assert self._token is not None
        _active.reset(self._token)
        self._token = None

    def __enter__(self) -> Batch:
        return self._enter()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._exit()
        if exc_type is None:
            self.send()

    async def __aenter__(self) -> Batch:
        return self._enter()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._exit()
        if exc_type is None:
            await self.asend()


def _holder_of(db: Any) -> SessionHolder:
    backend = getattr(db, "backend", db)
    holder = getattr(backend, "holder", None)
    if holder is None:
        raise ConfigurationError(f"batch() needs a Cassandra database, not {db!r}")
    return holder  # type: ignore[no-any-return]


def batch(db: Any = None, *, kind: BatchKind = "logged", consistency: Any = None, serial_consistency: Any = None,
          timestamp: int | None = None, timeout: float | None = None) -> Batch:
    """A batch for ``with`` (sync) or ``async with`` (async).

    Args:
        db: Restrict the batch to this database (a ``Database`` or backend); without it,
            each model's writes go to the model's own database, one BATCH per database.
        kind: ``"logged"`` (atomic), ``"unlogged"`` (one partition, no batch log) or ``"counter"``.
        consistency: The batch's consistency level (a write inside may not set its own).
        serial_consistency: For a batch of conditional writes, ``SERIAL`` or ``LOCAL_SERIAL``.
        timestamp: One write timestamp (microseconds) for every statement.
        timeout: Client-side timeout in seconds.
    """
    return Batch(db, kind=kind, consistency=consistency, serial_consistency=serial_consistency, timestamp=timestamp,
                 timeout=timeout)


abatch = batch
