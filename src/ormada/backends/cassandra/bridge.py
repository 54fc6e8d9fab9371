"""Bridging cassandra-driver's ResponseFuture into asyncio, with no thread per call.

The driver completes requests on its own I/O thread and calls the callbacks
registered with ``add_callbacks``. Each callback hands the result to the event
loop with ``call_soon_threadsafe``, which settles an asyncio future the caller
awaits. Callbacks stay registered across pages, so one bridge serves every page
of a paged read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any


class ResponseBridge:
    """Awaits the pages of one driver ``ResponseFuture`` on an asyncio loop."""

    __slots__ = ("_future", "_loop", "_waiter")

    def __init__(self, future: Any, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._future = future
        self._loop = loop or asyncio.get_running_loop()
        self._waiter: asyncio.Future[Any] = self._loop.create_future()
        # May run the callback at once, on this thread, when the result is already in.
        future.add_callbacks(self._on_result, self._on_error)

    def _on_result(self, result: Any) -> None:  # driver I/O thread
        self._post(result, None)

    def _on_error(self, exc: BaseException) -> None:  # driver I/O thread
        self._post(None, exc)

    def _post(self, result: Any, exc: BaseException | None) -> None:  # driver I/O thread
        try:
            self._loop.call_soon_threadsafe(self._settle, result, exc)
        except RuntimeError:
            # The loop closed (``asyncio.run`` returned) while the request was in flight, so
            # nothing awaits the answer; raising here would make the driver log two errors.
            if not self._loop.is_closed():
                raise

    def _settle(self, result: Any, exc: BaseException | None) -> None:  # event loop thread
        waiter = self._waiter
        if waiter.done():  # the awaiting task was cancelled
            return
        if exc is not None:
            waiter.set_exception(exc)
        else:
            waiter.set_result(result)

    async def result(self) -> Any:
        """The current page's result (rows for a read, the driver's message otherwise)."""
        return await self._waiter

    @property
    def has_more_pages(self) -> bool:
        """Whether the server holds more pages of this read."""
        return bool(getattr(self._future, "has_more_pages", False))

    @property
    def paging_state(self) -> bytes | None:
        """Where the last page ended (what ``ResultSet.paging_state`` reads)."""
        state = getattr(self._future, "_paging_state", None)
        return state if isinstance(state, bytes) else None

    @property
    def column_names(self) -> list[str] | None:
        """The names of the columns a read returns (what ``ResultSet.column_names`` reads)."""
        names = getattr(self._future, "_col_names", None)
        return list(names) if names else None

    async def next_page(self) -> Any:
        """Asks for the next page and awaits it.

        Raises:
            cassandra.query.QueryExhausted: there are no more pages.
        """
        # A fresh waiter before the request, so the callback can only settle this one.
        self._waiter = self._loop.create_future()
        self._future.start_fetching_next_page()
        return await self._waiter


async def resolve(future: Any) -> Any:
    """Awaits a single-page ResponseFuture."""
    return await ResponseBridge(future).result()


async def every_row(pages: ResponseBridge, first: Any) -> list[Any]:
    """The rows of a read's first page (``first``, already awaited) and of every page after it."""
    rows = list(first or ())
    while pages.has_more_pages:
        rows += await pages.next_page() or ()
    return rows


async def rows_of(futures: Sequence[Any]) -> list[Any]:
    """Each ResponseFuture's rows (``[]`` for a write), awaited side by side."""
    bridges = [ResponseBridge(f) for f in futures]
    # gather() makes a task per awaitable: a single request is awaited directly.
    results = [await bridges[0].result()] if len(bridges) == 1 else await asyncio.gather(*(b.result() for b in bridges))
    return [r if isinstance(r, list) else [] for r in results]


async def prepare(session: Any, text: str) -> Any:
    """Prepares ``text`` without blocking the event loop.

    ``Session.prepare`` waits on the response; this sends the same PREPARE message
    through a ResponseFuture and awaits it through :class:`ResponseBridge`, then
    builds the PreparedStatement exactly as ``Session.prepare`` does. The driver
    re-prepares on other hosts by itself when one answers "unprepared".
    """
    from cassandra.cluster import ResponseFuture
    from cassandra.protocol import PrepareMessage
    from cassandra.query import PreparedStatement

    message = PrepareMessage(query=text, keyspace=None)
    future = ResponseFuture(session, message, query=None, timeout=session.default_timeout)
    bridge = ResponseBridge(future)
    future.send_request()
    response = await bridge.result()
    cluster = session.cluster
    prepared = PreparedStatement.from_message(
        response.query_id, response.bind_metadata, response.pk_indexes, cluster.metadata, text, None,
        session._protocol_version, response.column_metadata, response.result_metadata_id,
        cluster.column_encryption_policy,
    )
    prepared.custom_payload = future.custom_payload
    cluster.add_prepared(response.query_id, prepared)
    return prepared
