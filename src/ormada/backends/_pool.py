"""Small connection pools shared by the SQL backends.

They add no round trips: a connection goes back to the pool as it is (the
database layer guarantees it is outside any transaction), unlike pools that run a
reset query on every release. A connection the driver already knows to be closed
(the server restarted, an administrator ended the session) is dropped when it is
taken from the pool, never handed out; one whose end the driver has not noticed
yet is the connection's own business (see the PostgreSQL backend).

An async pool belongs to the event loop that first used it. When that loop has
finished (a second ``asyncio.run()``, a test client that ran its own loop), the
pool is discarded without touching the loop: its connections are dropped, since
nothing can be awaited on a closed loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

from ormada.backends.base import AsyncConnection, AsyncPool, SyncConnection, SyncPool
from ormada.errors import ConnectionFailed

DEFAULT_ACQUIRE_TIMEOUT = 30.0  # seconds a caller waits for a free connection


def _keep(connection: AsyncConnection) -> None:
    """Drops nothing more than the reference: the default for connections whose loop is gone."""


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
        while True:
            # Fast path: list.pop is atomic, so taking an idle connection needs no lock.
            try:
                connection = self._idle.pop()
            except IndexError:
                made = self._wait_for_slot()
                if made is None:  # an idle connection came back meanwhile
                    continue
                return made
            # The driver's own flag, no round trip: a session the server ended while the
            # connection was idle is dropped here rather than failing its caller's call.
            if not connection.broken:
                return connection
            self._forget(connection)

    def _wait_for_slot(self) -> SyncConnection | None:
        """A new connection once the pool has room; None when an idle one turned up."""
        with self._freed:
            while True:
                if self._idle:
                    return None
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

    def _forget(self, connection: SyncConnection) -> None:
        try:
            connection.close()
        finally:
            with self._freed:
                self._size -= 1
                self._freed.notify()

    def release(self, connection: SyncConnection, *, broken: bool = False) -> None:
        if broken or self._closed:
            self._forget(connection)
            return
        self._idle.append(connection)
        if self._size >= self._max_size:  # someone may be waiting for it
            with self._freed:
                self._freed.notify()

    def checked_out(self) -> int:
        with self._freed:
            return self._size - len(self._idle)

    def close(self) -> None:
        self._closed = True
        with self._freed:
            idle, self._idle = self._idle, []
            self._size -= len(idle)
        for connection in idle:
            connection.close()


class SimpleAsyncPool(AsyncPool):
    """The async twin of :class:`SimpleSyncPool`, bound to the event loop that first uses it.

    ``abandon`` releases a connection whose event loop has finished without that loop
    (closing its socket, say); by default the connection is only dropped.
    """

    def __init__(self, connect: Callable[[], Awaitable[AsyncConnection]], max_size: int, describe: str,
                 acquire_timeout: float = DEFAULT_ACQUIRE_TIMEOUT,
                 abandon: Callable[[AsyncConnection], None] = _keep) -> None:
        self._connect = connect
        self._acquire_timeout = acquire_timeout
        self._idle: list[AsyncConnection] = []
        self._max_size = max_size
        self._slots: asyncio.Semaphore | None = None
        self._describe = describe
        self._closed = False
        self._abandon = abandon
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
        while self._idle:
            connection = self._idle.pop()
            if not connection.broken:  # the driver's own flag: no round trip
                return connection
            connection.terminate()  # already closed: nothing to wait for
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

    def checked_out(self) -> int:
        # A slot is taken from acquire() to release(), whether the connection was reused or made.
        return 0 if self._slots is None else self._max_size - self._slots._value

    async def close(self) -> None:
        self._closed = True
        if self.loop is not None and self.loop is not asyncio.get_running_loop():
            # Closing gracefully means awaiting on the connections' own loop, which is
            # not this one (and may be closed).
            self.terminate()
            return
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()

    def terminate(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        loop = self.loop
        if loop is not None and loop.is_closed():
            # A driver's terminate() schedules its cleanup on the loop, which raises
            # "Event loop is closed"; the connections can only be let go.
            for connection in idle:
                self._abandon(connection)
            return
        if loop is not None and loop.is_running() and loop is not asyncio._get_running_loop():
            # Running in another thread: transports are not thread-safe.
            for connection in idle:
                try:
                    loop.call_soon_threadsafe(connection.terminate)
                except RuntimeError:  # the loop closed meanwhile
                    self._abandon(connection)
            return
        for connection in idle:
            connection.terminate()
