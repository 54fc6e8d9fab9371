"""A Database used from several event loops in turn: consecutive ``asyncio.run()`` calls,
``db.close()`` between and after them, as a test client that runs its own loop does.

An async pool belongs to the loop that opened it; once that loop has finished the
pool is dropped without touching it, and the next loop opens a pool of its own.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import ormada
from tests.conftest import PG_URL

RUNS = 3


def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'loops.db'}"
    if backend == "duckdb":
        return f"duckdb:///{tmp_path / 'loops.duckdb'}"
    return f"{PG_URL}?schema={request.getfixturevalue('pg_schema')}&pool_size=4"


@pytest.fixture(params=["sqlite", "postgresql", "duckdb"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(str(request.param), request, tmp_path)


async def work(db: ormada.Database, run: int) -> int:
    """Writes, and reads on several connections at once, so the pool holds more than one."""
    await db.aexecute("INSERT INTO visit (run) VALUES (:run)", {"run": run})
    counts = await asyncio.gather(*(db.aexecute("SELECT count(*) FROM visit") for _ in range(4)))
    async with db.atransaction():
        await db.aexecute("UPDATE visit SET run = run WHERE run = :run", {"run": run})
    return int(counts[0][0][0])


@pytest.mark.parametrize("close_between", [True, False], ids=["close-between", "no-close"])
def test_consecutive_event_loops(url: str, close_between: bool) -> None:
    db = ormada.Database(url)
    try:
        db.execute("CREATE TABLE visit (run integer)")
        for run in range(1, RUNS + 1):
            assert asyncio.run(work(db, run)) == run
            if close_between:
                db.close()
        db.close()  # the last loop has ended: its pool goes without it
        assert db.execute("SELECT count(*) FROM visit") == [(RUNS,)]
    finally:
        db.close()


def test_aclose_on_a_later_loop(url: str) -> None:
    db = ormada.Database(url)
    db.execute("CREATE TABLE visit (run integer)")
    asyncio.run(work(db, 1))
    asyncio.run(db.aclose())  # the pool's own loop is gone; nothing is awaited on it
    assert asyncio.run(work(db, 2)) == 2
    asyncio.run(db.aclose())


def test_sqlite_reopens_reliably_after_close(tmp_path: Path) -> None:
    # Closing a pool's last connection to a WAL database checkpoints it under a lock;
    # an open right after it failed with a raw "database is locked" two times in three.
    for attempt in range(5):
        db = ormada.Database(f"sqlite:///{tmp_path / f'reopen-{attempt}.db'}")
        db.execute("CREATE TABLE visit (run integer)")
        for run in range(1, RUNS + 1):
            assert asyncio.run(work(db, run)) == run
            db.close()
        assert db.execute("SELECT count(*) FROM visit") == [(RUNS,)]
        db.close()
