"""What both runners share: the open transaction, savepoint statements, statement logging
and the shape of an operation."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Generator
from contextlib import AbstractContextManager, nullcontext
from time import perf_counter
from types import TracebackType
from typing import Any, TypeVar

from ormada._caching import Cached
from ormada.backends.base import Callback, Concurrent, Statement
from ormada.errors import DataError, TransactionError

T = TypeVar("T")
Operation = Generator[Statement | Concurrent | Cached | Callback, Any, T]
logger = logging.getLogger("ormada")


def owner() -> tuple[int, int | None]:
    """The thread and task running now: a transaction belongs to the one that opened it."""
    # Asking for the loop first: current_task() raises outside one, and the raise costs
    # more than the rest of this function on every sync call inside a transaction.
    loop = asyncio._get_running_loop()
    task = None if loop is None else asyncio.current_task(loop)
    return threading.get_ident(), None if task is None else id(task)


_NOT_HANDED_OVER: AbstractContextManager[None] = nullcontext()


class Transaction:
    """An open transaction: its connection, its mode and the task or thread that owns it.

    Only its owner may use it, unless it was handed over (:meth:`hand_over`): then any
    thread that sees it may, one at a time.
    """

    __slots__ = ("_holder", "_savepoints", "closed", "connection", "is_async", "owner", "purpose", "written")

    def __init__(self, connection: Any, is_async: bool, purpose: str | None = None) -> None:
        self.connection = connection
        self.is_async = is_async
        # What the transaction is for, named in errors (None: a transaction() block).
        self.purpose = purpose
        self.owner = owner()
        self.closed = False
        self._savepoints = 0
        self._holder: _Holder | None = None
        # The tables its writes named, invalidated in the read cache once it commits.
        self.written: set[str] = set()

    def hand_over(self) -> None:
        """Lets threads other than the one that opened this sync transaction use it, one
        after another, never two at once.

        This is for a web framework that opens a request's transaction in one worker thread
        and runs the request's sync code in another (FastAPI's thread pool runs each sync
        dependency and the endpoint in a thread of its own, one after the other, each with
        a copy of the request's context). Each ormada call holds the transaction while it
        runs (a nested ``transaction()`` block, for the whole block); a call from another
        thread meanwhile raises ``TransactionError`` rather than sharing the connection.

        Raises:
            TransactionError: the transaction is async (it stays in its task), or closed.
        """
        if self.is_async:
            raise TransactionError("an async transaction belongs to its task and cannot be handed over; "
                                   "await the work inside that task")
        if self.closed:
            raise TransactionError("this transaction is closed; it cannot be handed over")
        if self._holder is None:
            self._holder = _Holder()

    @property
    def handed_over(self) -> bool:
        """Whether :meth:`hand_over` let other threads use this transaction, one at a time."""
        return self._holder is not None

    def in_use(self) -> AbstractContextManager[None]:
        """Holds a handed-over transaction for the calling thread while the block runs
        (nothing to hold for one that was not handed over: only its owner reaches it).

        Raises:
            TransactionError: another thread holds it now.
        """
        holder = self._holder
        return _NOT_HANDED_OVER if holder is None else holder

    def next_savepoint(self) -> str:
        self._savepoints += 1
        return f"ormada_sp_{self._savepoints}"


class _Holder:
    """Who holds a handed-over transaction now: one thread at a time, reentrant for it."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def __enter__(self) -> None:
        if not self._lock.acquire(blocking=False):
            raise TransactionError(
                "a handed-over transaction is in use by another thread right now; one connection cannot "
                "serve two threads at once. Run the work one after the other, or outside the transaction"
            )

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._lock.release()


def savepoint_statements(name: str) -> tuple[Statement, Statement, Statement]:
    return (Statement(f"SAVEPOINT {name}", (), "none", quick=True),
            Statement(f"RELEASE SAVEPOINT {name}", (), "none", quick=True),
            Statement(f"ROLLBACK TO SAVEPOINT {name}", (), "none", quick=True))


def log_statement(name: str, statement: Statement, start: float, with_params: bool = False) -> None:
    """Logs a statement's text and duration at DEBUG on the ``ormada`` logger.

    Its bound values are users' data (emails, tokens, addresses), so they are logged only
    when the database asked for them (``log_params=True``); otherwise the line says how
    many there were.
    """
    elapsed = (perf_counter() - start) * 1000
    count = len(statement.params)
    if statement.many:
        params = f" ({count} parameter sets)"
    elif with_params:
        params = f" {list(statement.params)!r}"
    else:
        params = f" ({count} parameter{'' if count == 1 else 's'})" if count else ""
    logger.debug("[%s] %.3f ms %s%s", name, elapsed, statement.text, params)


def not_utf8(exc: UnicodeEncodeError, statement: Statement) -> DataError:
    """The error for a text value the driver could not encode: a lone surrogate (``"\\ud800"``,
    as ``surrogateescape`` decoding or a JSON ``"\\ud800"`` escape makes) is not Unicode text,
    and no database stores it."""
    bad = exc.object[exc.start:exc.end] if isinstance(exc.object, str) else ""
    return DataError(f"a text value holds {bad!r}, which is not valid Unicode text (a lone surrogate) and cannot "
                     f"be sent as UTF-8; clean it first, e.g. text.encode('utf-8', 'replace').decode() "
                     f"(in: {statement.text})")
