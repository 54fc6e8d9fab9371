"""What the raw cassandra-driver contenders share: the session, prepared statements and the bridge."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from benchmarks.cql_workload import COLUMNS, COUNTERS_TABLE, KEYSPACE, ROWS_TABLE
from benchmarks.databases import CASSANDRA_HOST, CASSANDRA_PORT

_COLS = ", ".join(COLUMNS)


@dataclass
class Prepared:
    """The prepared statements of the workload."""

    insert: Any
    get: Any
    partition: Any
    counter: Any
    paged: Any


def connect() -> tuple[Any, Any]:
    """A Cluster and a Session that returns plain tuples, the driver's cheapest row factory."""
    from cassandra.cluster import Cluster
    from cassandra.query import tuple_factory

    cluster = Cluster([CASSANDRA_HOST], port=CASSANDRA_PORT)
    session = cluster.connect()
    session.row_factory = tuple_factory
    return cluster, session


def prepare(session: Any) -> Prepared:
    table, counters = f"{KEYSPACE}.{ROWS_TABLE}", f"{KEYSPACE}.{COUNTERS_TABLE}"
    return Prepared(
        insert=session.prepare(f"INSERT INTO {table} ({_COLS}) VALUES (?, ?, ?, ?, ?)"),
        get=session.prepare(f"SELECT {_COLS} FROM {table} WHERE part = ? AND seq = ?"),
        partition=session.prepare(f"SELECT {_COLS} FROM {table} WHERE part = ? LIMIT ?"),
        counter=session.prepare(f"UPDATE {counters} SET hits = hits + 1 WHERE id = ?"),
        paged=session.prepare(f"SELECT {_COLS} FROM {table} WHERE part = ?"),
    )


def params(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["part"], row["seq"], row["level"], row["note"], row["created"])


class Pages:
    """One ResponseFuture's pages on an asyncio loop: the driver's I/O thread completes the
    request and ``call_soon_threadsafe`` settles the future the caller awaits (no thread per call,
    the same bridge ormada uses)."""

    __slots__ = ("future", "loop", "waiter")

    def __init__(self, future: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.future, self.loop = future, loop
        self.waiter: asyncio.Future[Any] = loop.create_future()
        future.add_callbacks(self._done, self._failed)

    def _done(self, rows: Any) -> None:
        self.loop.call_soon_threadsafe(self._settle, rows, None)

    def _failed(self, exc: BaseException) -> None:
        self.loop.call_soon_threadsafe(self._settle, None, exc)

    def _settle(self, rows: Any, exc: BaseException | None) -> None:
        if self.waiter.done():
            return
        if exc is not None:
            self.waiter.set_exception(exc)
        else:
            self.waiter.set_result(rows)

    async def first(self) -> Any:
        """The first page's rows (or the write's empty result)."""
        return await self.waiter

    async def next(self) -> Any:
        """Asks for the next page and awaits it."""
        self.waiter = self.loop.create_future()  # before the request, so only this page settles it
        self.future.start_fetching_next_page()
        return await self.waiter


async def resolve(session: Any, statement: Any, values: Any = None) -> Any:
    """Awaits one request (a single page)."""
    return await Pages(session.execute_async(statement, values), asyncio.get_running_loop()).first()
