"""Waiting until a new secondary index can answer reads.

``CREATE INDEX`` returns as soon as the index exists, but a table that already holds
rows is indexed in the background, and until that ends every read that uses the index
fails with a ReadFailure ("received 0 responses and 1 failures"). Each node records the
indexes it has finished building in ``system."IndexInfo"`` (secondary, SAI and SASI
alike), so after a ``CREATE INDEX`` the executor polls that table on the node that
answers, up to the URL's ``index_build_timeout`` (0 switches the wait off).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ormada.errors import QueryTimeout

DEFAULT_WAIT = 60.0
POLL_SECONDS = 0.05
BUILT = 'SELECT index_name FROM system."IndexInfo" WHERE table_name = %s AND index_name = %s'


def _target(session: Any, index: tuple[str | None, str]) -> tuple[str, str] | None:
    keyspace = index[0] or session.keyspace
    return (keyspace, index[1]) if keyspace else None


def _still_building(index: tuple[str, str], waited: float, where: str) -> QueryTimeout:
    return QueryTimeout(
        f"index {index[0]}.{index[1]} on {where} was still being built after {waited:g} s; reads that use it "
        "fail until it is built. Wait longer with index_build_timeout=<seconds> in the URL (0 does not wait)"
    )


def wait_built(session: Any, index: tuple[str | None, str], timeout: float, where: str) -> None:
    """Returns once the node lists ``index`` as built.

    Raises:
        QueryTimeout: it was not built within ``timeout`` seconds.
    """
    target = _target(session, index)
    if target is None or timeout <= 0:
        return
    deadline = time.monotonic() + timeout
    while not session.execute(BUILT, target).current_rows:
        if time.monotonic() >= deadline:
            raise _still_building(target, timeout, where)
        time.sleep(POLL_SECONDS)


async def await_built(session: Any, index: tuple[str | None, str], timeout: float, where: str) -> None:
    """The async twin of :func:`wait_built`; the loop runs other tasks while it waits."""
    from ormada.backends.cassandra.bridge import ResponseBridge

    target = _target(session, index)
    if target is None or timeout <= 0:
        return
    deadline = time.monotonic() + timeout
    while not await ResponseBridge(session.execute_async(BUILT, target)).result():
        if time.monotonic() >= deadline:
            raise _still_building(target, timeout, where)
        await asyncio.sleep(POLL_SECONDS)
