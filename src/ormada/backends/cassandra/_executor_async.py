"""The async executor: a connection and a pool over the backend's shared driver session.

Requests go through :mod:`bridge`: the driver's own I/O thread settles an asyncio
future, so no request costs a thread hop. What both modes decide (driver statements,
result shapes) lives in :mod:`._requests`; the session and its prepared statements in
:mod:`._session`.

This file is the source of the sync executor, ``_executor_sync.py``, which
``scripts/async_to_sync.py`` writes from it (``make lint`` fails when that file is
stale). A line ending in ``# sync: <code>`` becomes ``<code>`` there (``# sync: -``
drops it), the lines between ``# async only {`` and ``# }`` are left out, and the
script's renames apply to code only, never to strings or comments.
"""

from __future__ import annotations

import asyncio  # sync: -
from collections.abc import AsyncIterator, Sequence
from typing import Any

from ormada.backends.base import AsyncConnection, AsyncPool, Statement
from ormada.backends.cassandra import bridge, index_builds  # sync: from ormada.backends.cassandra import index_builds
from ormada.backends.cassandra._requests import as_cql, changes_schema, driver_statements, shape
from ormada.backends.cassandra._session import SessionHolder
from ormada.backends.cassandra.batch import active_batch
from ormada.backends.cassandra.faults import translate
from ormada.backends.cassandra.statements import CqlStatement
from ormada.errors import OrmadaError


class AsyncCassandraConnection(AsyncConnection):
    """An async handle on the shared driver session; requests go through :mod:`bridge`."""  # sync: """A sync handle on the shared driver session."""

    def __init__(self, holder: SessionHolder) -> None:
        self.holder = holder

    async def _driver_statements(self, session: Any, statement: CqlStatement) -> list[Any]:
        prepared = await self.holder.aprepared(session, statement.text) if statement.prepare else None
        return driver_statements(statement, prepared)

    async def execute(self, statement: Statement) -> Any:
        cql = as_cql(statement)
        batch = active_batch()
        if batch is not None and cql.write:
            return batch.collect(self.holder, cql)
        try:
            session = await self.holder.asession()
            statements = await self._driver_statements(session, cql)
            timeout = cql.timeout if cql.timeout is not None else session.default_timeout
            if len(statements) == 1 and not cql.builds_index:
                pages = bridge.ResponseBridge(session.execute_async(statements[0], timeout=timeout, paging_state=cql.paging_state))  # sync: pages = session.execute(statements[0], timeout=timeout, paging_state=cql.paging_state)
                rows = await pages.result()  # sync: rows = pages.current_rows
                if cql.fetch in ("rows", "auto") and not cql.page and pages.has_more_pages:
                    rows = await bridge.every_row(pages, rows)  # sync: rows = list(pages)  # a ResultSet reads the pages after this one as it goes
                return shape(cql, [rows], pages.paging_state, pages.column_names)
            futures = [session.execute_async(s, timeout=timeout) for s in statements]
            results = await bridge.rows_of(futures)  # sync: results = [f.result().current_rows for f in futures]
            if cql.builds_index:
                await index_builds.await_built(
                    session, cql.builds_index, self.holder.index_build_timeout, self.holder.describe)
            return shape(cql, results)
        except OrmadaError:
            raise
        except Exception as exc:
            raise translate(exc, self.holder, (cql,)) from exc
        finally:
            if changes_schema(cql):
                self.holder.forget_prepared()

    async def stream(self, statement: Statement, chunk_size: int) -> AsyncIterator[Sequence[Sequence[Any]]]:
        cql = as_cql(statement)
        try:
            session = await self.holder.asession()
            (driver_statement,) = await self._driver_statements(session, cql)
            if cql.paged:
                driver_statement.fetch_size = chunk_size
            pages = bridge.ResponseBridge(session.execute_async(driver_statement, paging_state=cql.paging_state))  # sync: pages = session.execute(driver_statement, paging_state=cql.paging_state)
            rows = await pages.result()  # sync: -
            while True:
                yield list(rows or ())  # sync: yield list(pages.current_rows)
                if not pages.has_more_pages:
                    return
                rows = await pages.next_page()  # sync: pages.fetch_next_page()
        except Exception as exc:
            raise translate(exc, self.holder, (cql,)) from exc

    async def close(self) -> None:
        """Nothing to close: the session belongs to the pool's holder."""


class CassandraAsyncPool(AsyncPool):
    """Hands out async handles on the backend's one driver session, bound to the loop that made it."""  # sync: """Hands out sync handles on the backend's one driver session (which pools connections itself)."""

    def __init__(self, holder: SessionHolder) -> None:
        self.holder = holder
        holder.acquire()
        self._closed = False
        # async only {
        try:
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None
        # }

    async def acquire(self) -> AsyncConnection:
        return AsyncCassandraConnection(self.holder)

    async def release(self, connection: AsyncConnection, *, broken: bool = False) -> None:
        """Handles hold nothing of their own; the driver replaces failed connections itself."""

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.holder.release()
