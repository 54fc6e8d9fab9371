"""PostgreSQL pools after the server ended their sessions (a restart, ``pg_terminate_backend``).

A connection found dead before a statement is sent is replaced, outside a
transaction; inside one, or once a statement may have reached the server, the call
fails with ConnectionFailed and nothing is sent again.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

import ormada
from tests.conftest import PG_HOST, PG_PORT, PG_URL, _pg_admin

CALLS = 8
POOL_SIZE = 5


@pytest.fixture
def app_name() -> str:
    """An application name of its own, so that only this test's sessions are ended."""
    return f"ormada_loss_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def url(pg_schema: str, app_name: str) -> str:
    return f"{PG_URL}?schema={pg_schema}&pool_size={POOL_SIZE}&application_name={app_name}"


@pytest.fixture
def admin() -> Iterator[Any]:
    connection = _pg_admin()
    try:
        yield connection
    finally:
        connection.close()


def sessions(admin: Any, app_name: str) -> int:
    return int(admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                             "AND application_name = %s", (app_name,)).fetchone()[0])


def end_sessions(admin: Any, app_name: str) -> int:
    """Ends every session of ``app_name`` and waits until the server has let them go."""
    ended = admin.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND application_name = %s", (app_name,)).fetchone()[0]
    deadline = time.monotonic() + 10
    while sessions(admin, app_name) and time.monotonic() < deadline:
        time.sleep(0.01)
    return int(ended)


def end_when_running(admin: Any, app_name: str, marker: str) -> threading.Thread:
    """Ends the session of ``app_name`` as soon as it runs a statement holding ``marker``."""

    def watch() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with admin.cursor() as cursor:
                pids = cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND state = 'active' "
                    "AND query LIKE %s", (app_name, f"%{marker}%")).fetchall()
            if pids:
                admin.execute("SELECT pg_terminate_backend(%s)", (pids[0][0],))
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    return watcher


def outcomes(call: Any) -> list[str]:
    results = []
    for _ in range(CALLS):
        try:
            call()
            results.append("ok")
        except Exception as exc:
            results.append(f"{type(exc).__module__}.{type(exc).__name__}: {str(exc).splitlines()[0]}")
    return results


def test_sync_pool_replaces_sessions_the_server_ended(url: str, admin: Any, app_name: str) -> None:
    db = ormada.Database(url)
    try:
        barrier = threading.Barrier(POOL_SIZE)

        def hold() -> None:  # every pooled connection in use at once: the pool fills up
            barrier.wait()
            db.execute("SELECT pg_sleep(0.05)")

        threads = [threading.Thread(target=hold) for _ in range(POOL_SIZE)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert end_sessions(admin, app_name) == POOL_SIZE
        assert outcomes(lambda: db.execute("SELECT 1")) == ["ok"] * CALLS
        assert sessions(admin, app_name) >= 1
    finally:
        db.close()


@pytest.mark.parametrize("loop_ran", [False, True], ids=["loop-blocked", "loop-ran"])
async def test_async_pool_replaces_sessions_the_server_ended(url: str, admin: Any, app_name: str,
                                                             loop_ran: bool) -> None:
    db = ormada.Database(url)
    try:
        await asyncio.gather(*(db.aexecute("SELECT pg_sleep(0.05)") for _ in range(POOL_SIZE)))
        # Blocking: the loop does not run while the sessions end, so their goodbyes wait unread.
        assert end_sessions(admin, app_name) == POOL_SIZE
        if loop_ran:
            await asyncio.sleep(0.2)  # asyncpg reads the goodbyes and marks its connections closed
        results = []
        for _ in range(CALLS):
            try:
                await db.aexecute("SELECT 1")
                results.append("ok")
            except Exception as exc:
                results.append(f"{type(exc).__module__}.{type(exc).__name__}: {str(exc).splitlines()[0]}")
        assert results == ["ok"] * CALLS
    finally:
        await db.aclose()


def test_sync_loss_inside_a_transaction_is_connection_failed(url: str, admin: Any, app_name: str) -> None:
    db = ormada.Database(url)
    try:
        db.execute("CREATE TABLE note (body text)")
        with pytest.raises(ormada.ConnectionFailed, match="inside a transaction"), db.transaction():
            db.execute("INSERT INTO note VALUES ('lost')")
            end_sessions(admin, app_name)
            db.execute("INSERT INTO note VALUES ('never sent')")
        assert db.execute("SELECT body FROM note") == []
    finally:
        db.close()


async def test_async_loss_inside_a_transaction_is_connection_failed(url: str, admin: Any, app_name: str) -> None:
    db = ormada.Database(url)
    try:
        await db.aexecute("CREATE TABLE note (body text)")
        for loop_ran in (False, True):
            with pytest.raises(ormada.ConnectionFailed, match="lost the connection"):
                async with db.atransaction():
                    await db.aexecute("INSERT INTO note VALUES ('lost')")
                    end_sessions(admin, app_name)
                    # A few turns of the loop: asyncpg reads the server's goodbye while idle, and
                    # its protocol then refused the next statement with an InternalClientError.
                    for _ in range(4 if loop_ran else 0):
                        await asyncio.sleep(0)
                    await db.aexecute("INSERT INTO note VALUES ('never sent')")
        assert await db.aexecute("SELECT body FROM note") == []
    finally:
        await db.aclose()


def test_sync_statement_that_may_have_run_is_not_retried(url: str, admin: Any, app_name: str) -> None:
    db = ormada.Database(url)
    try:
        db.execute("CREATE SEQUENCE runs")
        watcher = end_when_running(admin, app_name, "ormada_marker")
        with pytest.raises(ormada.ConnectionFailed, match="may or may not have been applied"):
            db.execute("SELECT nextval('runs'), pg_sleep(10) AS ormada_marker")
        watcher.join()
        # nextval() is not undone by the failure: a second run would have taken 2.
        assert db.execute("SELECT last_value FROM runs") == [(1,)]
    finally:
        db.close()


async def test_async_statement_that_may_have_run_is_not_retried(url: str, admin: Any, app_name: str) -> None:
    db = ormada.Database(url)
    try:
        await db.aexecute("CREATE SEQUENCE runs")
        watcher = end_when_running(admin, app_name, "ormada_marker")
        with pytest.raises(ormada.ConnectionFailed, match="may or may not have been applied"):
            await db.aexecute("SELECT nextval('runs'), pg_sleep(10) AS ormada_marker")
        await asyncio.to_thread(watcher.join)
        assert await db.aexecute("SELECT last_value FROM runs") == [(1,)]
    finally:
        await db.aclose()


def test_a_server_that_is_gone_is_connection_failed(pg_schema: str) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind((PG_HOST, 0))
        port = probe.getsockname()[1]
    assert port != PG_PORT
    db = ormada.Database(f"postgresql://postgres@{PG_HOST}:{port}/test?connect_timeout=2")
    try:
        with pytest.raises(ormada.ConnectionFailed, match="could not connect"):
            db.execute("SELECT 1")
        with pytest.raises(ormada.ConnectionFailed, match="could not connect"):
            asyncio.run(db.aexecute("SELECT 1"))
    finally:
        db.close()
