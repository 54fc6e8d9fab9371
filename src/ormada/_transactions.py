"""What both runners share: the open transaction, savepoint statements, statement logging
and the shape of an operation."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Generator
from time import perf_counter
from typing import Any, TypeVar

from ormada.backends.base import Concurrent, Statement

T = TypeVar("T")
Operation = Generator[Statement | Concurrent, Any, T]
logger = logging.getLogger("ormada")


def owner() -> tuple[int, int | None]:
    """The thread and task running now: a transaction belongs to the one that opened it."""
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
        self.owner = owner()
        self.closed = False
        self._savepoints = 0

    def next_savepoint(self) -> str:
        self._savepoints += 1
        return f"ormada_sp_{self._savepoints}"


def savepoint_statements(name: str) -> tuple[Statement, Statement, Statement]:
    return (Statement(f"SAVEPOINT {name}", (), "none", quick=True),
            Statement(f"RELEASE SAVEPOINT {name}", (), "none", quick=True),
            Statement(f"ROLLBACK TO SAVEPOINT {name}", (), "none", quick=True))


def log_statement(name: str, statement: Statement, start: float) -> None:
    elapsed = (perf_counter() - start) * 1000
    params = f" ({len(statement.params)} parameter sets)" if statement.many else f" {list(statement.params)!r}"
    logger.debug("[%s] %.3f ms %s%s", name, elapsed, statement.text, params)
