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

DEFAULT_ACQUIRE_TIMEOUT = 30.0  # seconds a caller waits for a free connection


class SimpleSyncPool(SyncPool):
    """Up to ``max_size`` connections made by ``connect``, reused last-in first-out."""

    def __init__(self, connect: Callable[[], SyncConnection], max_size: int, describe: str,
                 acquire_timeout: float = DEFAULT_ACQUIRE_TIMEOUT) -> None:
        self._connect = connect
        self._acquire_timeout = acquire_timeout
        self._idle: list[SyncConnection] = []
        self._max_size = max_size
        self._size = 0  # connections open: idle plus handed out
        self._freed = threading.Condition()
        self._describe = describe
        self._closed = False

    def acquire(self) -> SyncConnection:
        # Fast path: list.pop is atomic, so taking an idle connection needs no lock.
        try:
            return self._idle.pop()
        except IndexError:
            pass
        with self._freed:
            while True:
                if self._idle:
                    return self._idle.pop()
                if self._size < self._max_size:
                    self._size += 1
                    break
                if not self._freed.wait(self._acquire_timeout):
                    raise ConnectionFailed(f"no free connection to {self._describe} within "
                                           f"{self._acquire_timeout:g}s (pool_timeout)")
        try:
            return self._connect()
        except BaseException:
            with self._freed:
                self._size -= 1
                self._freed.notify()
            raise

    def release(self, connection: SyncConnection, *, broken: bool = False) -> None:
        if broken or self._closed:
            connection.close()
            with self._freed:
                self._size -= 1
                self._freed.notify()
            return
        self._idle.append(connection)
        if self._size >= self._max_size:  # someone may be waiting for it
            with self._freed:
                self._freed.notify()

    def close(self) -> None:
        self._closed = True
        with self._freed:
            idle, self._idle = self._idle, []
            self._size -= len(idle)
        for connection in idle:
            connection.close()


class SimpleAsyncPool(AsyncPool):
    """The async twin of :class:`SimpleSyncPool`, bound to the event loop that first uses it."""

    def __init__(self, connect: Callable[[], Awaitable[AsyncConnection]], max_size: int, describe: str,
                 acquire_timeout: float = DEFAULT_ACQUIRE_TIMEOUT) -> None:
        self._connect = connect
        self._acquire_timeout = acquire_timeout
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
        if self._slots.locked():  # only a full pool pays for a timeout (wait_for starts a task)
            try:
                await asyncio.wait_for(self._slots.acquire(), self._acquire_timeout)
            except TimeoutError:
                raise ConnectionFailed(f"no free connection to {self._describe} within "
                                       f"{self._acquire_timeout:g}s (pool_timeout)") from None
        else:
            await self._slots.acquire()
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
