"""Small connection pools shared by the SQL backends.

They add no round trips: a connection goes back to the pool as it is (the
database layer guarantees it is outside any transaction), unlike pools that run a
reset query on every release.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

from ormada.backends.base import AsyncConnection, AsyncPool, SyncConnection, SyncPool
from ormada.errors import ConnectionFailed

ACQUIRE_TIMEOUT = 30.0


class SimpleSyncPool(SyncPool):
    """Up to ``max_size`` connections made by ``connect``, reused last-in first-out."""

    def __init__(self, connect: Callable[[], SyncConnection], max_size: int, describe: str) -> None:
        self._connect = connect
        self._idle: list[SyncConnection] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_size)
        self._describe = describe
        self._closed = False

    def acquire(self) -> SyncConnection:
        if not self._slots.acquire(timeout=ACQUIRE_TIMEOUT):
            raise ConnectionFailed(f"no free connection to {self._describe} within {ACQUIRE_TIMEOUT:.0f}s")
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            try:
                connection = self._connect()
            except BaseException:
                self._slots.release()
                raise
        return connection

    def release(self, connection: SyncConnection, *, broken: bool = False) -> None:
        try:
            if broken or self._closed:
                connection.close()
            else:
                with self._lock:
                    self._idle.append(connection)
        finally:
            self._slots.release()

    def close(self) -> None:
        self._closed = True
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


class SimpleAsyncPool(AsyncPool):
    """The async twin of :class:`SimpleSyncPool`, bound to the event loop that first uses it."""

    def __init__(self, connect: Callable[[], Awaitable[AsyncConnection]], max_size: int, describe: str) -> None:
        self._connect = connect
        self._idle: list[AsyncConnection] = []
        self._max_size = max_size
        self._slots: asyncio.Semaphore | None = None
        self._describe = describe
        self._closed = False
        self.loop: asyncio.AbstractEventLoop | None = None

    async def acquire(self) -> AsyncConnection:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max_size)
            self.loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(self._slots.acquire(), ACQUIRE_TIMEOUT)
        except TimeoutError:
            raise ConnectionFailed(f"no free connection to {self._describe} within {ACQUIRE_TIMEOUT:.0f}s") from None
        if self._idle:
            return self._idle.pop()
        try:
            return await self._connect()
        except BaseException:
            self._slots.release()
            raise

    async def release(self, connection: AsyncConnection, *, broken: bool = False) -> None:
        assert self._slots is not None
        try:
            if broken or self._closed:
                await connection.close()
            else:
                self._idle.append(connection)
        finally:
            self._slots.release()

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()

    def terminate(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.terminate()
