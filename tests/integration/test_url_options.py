"""URL query options are checked when connecting, and each one does what it says."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

import ormada
from tests.conftest import PG_URL, Api, database_url

BAD_OPTIONS = [
    ("pool_size=0", "option pool_size='0' must be a whole number of at least 1"),
    ("pool_size=2.5", "option pool_size='2.5' must be a whole number of at least 1"),
    ("pool_size=", "option pool_size='' must be a whole number of at least 1"),
    ("pool_timeout=-1", "option pool_timeout='-1' must be a number above 0"),
    ("pool_timeout=soon", "option pool_timeout='soon' must be a number above 0"),
    ("pool_szie=3", "unknown option 'pool_szie'; did you mean 'pool_size'?"),
]


@pytest.mark.parametrize(("query", "message"), BAD_OPTIONS)
@pytest.mark.parametrize("url", ["sqlite:///x.db", "sqlite://:memory:", "postgresql://u:secret@127.0.0.1/test"])
def test_a_bad_option_is_refused_when_connecting(url: str, query: str, message: str) -> None:
    with pytest.raises(ormada.ConfigurationError, match=message) as caught:
        ormada.connect(f"{url}?{query}", name="refused")
    assert "secret" not in str(caught.value)
    with pytest.raises(ormada.ConfigurationError):
        ormada.get_database("refused")  # nothing half-registered


@pytest.mark.parametrize(("url", "known"), [
    ("sqlite:///x.db", "pool_size, pool_timeout, timeout"),
    ("postgresql://127.0.0.1/test", "application_name, connect_timeout, pool_size, pool_timeout, schema"),
])
def test_an_unknown_option_lists_the_known_ones(url: str, known: str) -> None:
    with pytest.raises(ormada.ConfigurationError, match=f"URLs take {known}"):
        ormada.connect(f"{url}?sslmodee=require", name="refused")


def test_pool_timeout_bounds_the_wait_for_a_sync_connection(backend: str, request: pytest.FixtureRequest,
                                                            tmp_path: Path) -> None:
    db = ormada.connect(_tiny(database_url(backend, request, tmp_path)), name="tiny")
    held, done = threading.Event(), threading.Event()

    def hold_the_only_connection() -> None:
        with db.transaction():
            db.execute("SELECT 1")
            held.set()
            done.wait(10)

    holder = threading.Thread(target=hold_the_only_connection)
    holder.start()
    try:
        assert held.wait(10)
        with pytest.raises(ormada.ConnectionFailed, match=r"within 0.2s \(pool_timeout\)"):
            db.execute("SELECT 1")
    finally:
        done.set()
        holder.join()
        db.close()
    assert db.execute("SELECT 1") == [(1,)]  # the connection is free again
    db.close()


async def test_pool_timeout_bounds_the_wait_for_an_async_connection(backend: str, request: pytest.FixtureRequest,
                                                                    tmp_path: Path) -> None:
    db = ormada.connect(_tiny(database_url(backend, request, tmp_path)), name="tiny")
    held, done = asyncio.Event(), asyncio.Event()

    async def hold_the_only_connection() -> None:
        async with db.atransaction():
            await db.aexecute("SELECT 1")
            held.set()
            await done.wait()

    holder = asyncio.create_task(hold_the_only_connection())
    try:
        await held.wait()
        with pytest.raises(ormada.ConnectionFailed, match=r"within 0.2s \(pool_timeout\)"):
            await db.aexecute("SELECT 1")
    finally:
        done.set()
        await holder
    assert await db.aexecute("SELECT 1") == [(1,)]
    await db.aclose()


def _tiny(url: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}pool_size=1&pool_timeout=0.2"


async def test_application_name_reaches_postgresql(pg_schema: str, api: Api) -> None:
    db = ormada.connect(f"{PG_URL}?schema={pg_schema}&application_name=ormada tests", name="named")
    try:
        rows = await api.execute(db, "SELECT current_setting('application_name')")
        assert rows == [("ormada tests",)]
    finally:
        await db.aclose()
