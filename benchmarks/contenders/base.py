"""The small interface every contender implements, in a sync and an async flavour.

Rows arrive as dicts keyed by column name (no ``id``). Methods that return ``int`` return how many
rows or objects they produced, which the harness checks. "Objects" are whatever the contender
hands its users: model instances for mappers, tuples or records for raw drivers.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Protocol

from benchmarks.databases import Target
from benchmarks.workload import ModelSpec, Row


class NotSupported(Exception):
    """The contender has no API for this operation; the cell is reported as n/a."""


class SyncContender(Protocol):
    """Operations A-K and the streaming read, blocking."""

    def __init__(self, target: Target, spec: ModelSpec) -> None: ...
    def setup(self) -> None: ...  # connect, create fresh tables
    def close(self) -> None: ...
    def insert_single(self, rows: list[Row]) -> None: ...  # A
    def insert_txn(self, rows: list[Row]) -> None: ...  # B
    def bulk_insert(self, rows: list[Row]) -> None: ...  # C
    def filter_large(self, min_level: int) -> int: ...  # D
    def filter_page(self, min_level: int, offsets: list[int]) -> int: ...  # E
    def get_by_pk(self, ids: list[int]) -> int: ...  # F
    def values_dicts(self, min_level: int) -> int: ...  # G
    def values_tuples(self, min_level: int) -> int: ...  # H
    def fetch(self, ids: list[int]) -> list[Any]: ...  # untimed set-up for I, J, K
    def update_all(self, objs: list[Any], rows: list[Row]) -> None: ...  # I
    def update_one(self, objs: list[Any], levels: list[int]) -> None: ...  # J
    def delete(self, objs: list[Any]) -> None: ...  # K
    def stream(self, chunk_size: int) -> Iterator[Any]: ...  # S


class AsyncContender(Protocol):
    """The same operations, awaited one at a time (concurrency 1)."""

    def __init__(self, target: Target, spec: ModelSpec) -> None: ...
    async def setup(self) -> None: ...
    async def close(self) -> None: ...
    async def insert_single(self, rows: list[Row]) -> None: ...
    async def insert_txn(self, rows: list[Row]) -> None: ...
    async def bulk_insert(self, rows: list[Row]) -> None: ...
    async def filter_large(self, min_level: int) -> int: ...
    async def filter_page(self, min_level: int, offsets: list[int]) -> int: ...
    async def get_by_pk(self, ids: list[int]) -> int: ...
    async def values_dicts(self, min_level: int) -> int: ...
    async def values_tuples(self, min_level: int) -> int: ...
    async def fetch(self, ids: list[int]) -> list[Any]: ...
    async def update_all(self, objs: list[Any], rows: list[Row]) -> None: ...
    async def update_one(self, objs: list[Any], levels: list[int]) -> None: ...
    async def delete(self, objs: list[Any]) -> None: ...
    def stream(self, chunk_size: int) -> AsyncIterator[Any]: ...


class CqlSyncContender(Protocol):
    """The Cassandra operations, blocking (``benchmarks.cql_workload``); rows are dicts of every column."""

    def __init__(self, target: Target) -> None: ...
    def setup(self) -> None: ...  # connect; map the benchmark tables (the harness has created them)
    def close(self) -> None: ...
    def insert_one(self, rows: list[Row]) -> None: ...  # one INSERT per row
    def get_by_pk(self, keys: list[tuple[int, int]]) -> int: ...  # (part, seq) each; returns objects found
    def filter_partition(self, parts: list[int], limit: int) -> int: ...  # returns rows read
    def batch_insert(self, batches: list[list[Row]]) -> None: ...  # one BATCH per list
    def increment(self, ids: list[int]) -> None: ...  # hits + 1 for each id, one UPDATE each
    def paged_read(self, part: int, fetch_size: int) -> int: ...  # the whole partition as objects


class CqlAsyncContender(Protocol):
    """The same Cassandra operations, awaited one at a time (concurrency 1)."""

    def __init__(self, target: Target) -> None: ...
    async def setup(self) -> None: ...
    async def close(self) -> None: ...
    async def insert_one(self, rows: list[Row]) -> None: ...
    async def get_by_pk(self, keys: list[tuple[int, int]]) -> int: ...
    async def filter_partition(self, parts: list[int], limit: int) -> int: ...
    async def batch_insert(self, batches: list[list[Row]]) -> None: ...
    async def increment(self, ids: list[int]) -> None: ...
    async def paged_read(self, part: int, fetch_size: int) -> int: ...


#: The event loops an async contender can run on (``--loop``).
LOOPS = ("asyncio", "uvloop")


def new_event_loop(kind: str) -> asyncio.AbstractEventLoop:
    """A new event loop of ``kind``: asyncio's default one, or uvloop's."""
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    if kind != "asyncio":
        raise ValueError(f"unknown event loop {kind!r}: one of {', '.join(LOOPS)}")
    return asyncio.new_event_loop()


class Invoker:
    """Calls contender methods in their mode: an async one's coroutines all run on one event
    loop and in one context, because what a mapper keeps in contextvars during setup (Tortoise
    keeps its connections there) must still be there for the operations."""

    def __init__(self, mode: str, loop: str = "asyncio") -> None:
        self.loop = new_event_loop(loop) if mode == "async" else None
        self.context = contextvars.copy_context()

    def __call__(self, fn: Callable[..., Any], *args: Any) -> Any:
        result = fn(*args)
        if self.loop is None or not asyncio.iscoroutine(result):
            return result
        return self.loop.run_until_complete(self.loop.create_task(result, context=self.context))

    def close(self) -> None:
        if self.loop is not None:
            self.loop.close()
