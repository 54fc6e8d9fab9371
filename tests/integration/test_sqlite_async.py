"""The async SQLite executor: short statements inline, long ones and lock waits on the worker."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import ormada
from tests.models import ALL_MODELS, Author, Book


async def test_long_reads_are_handed_to_the_worker_and_return_everything(tmp_path: Path) -> None:
    db = ormada.connect(f"sqlite:///{tmp_path / 'long.db'}")
    db.create_all(ALL_MODELS)
    Book.bulk_create([Book(title=f"T{i}", year=i) for i in range(5000)])
    try:
        rows = await Book.filter(year__gte=0).order_by("-year").aall()
        assert len(rows) == 5000 and rows[0].year == 4999
        assert await Book.acount() == 5000
        assert await Book.filter(title__contains="T4").acount() == 1111
    finally:
        await db.aclose()


async def test_a_locked_database_makes_async_writes_wait_not_fail(tmp_path: Path) -> None:
    db = ormada.connect(f"sqlite:///{tmp_path / 'locked.db'}")
    db.create_all(ALL_MODELS)
    holding = threading.Event()
    release = threading.Event()

    def writer() -> None:
        with db.transaction():  # BEGIN IMMEDIATE: holds the write lock
            Author.create(name="first")
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        holding.wait(5)
        pending = asyncio.create_task(Author.acreate(name="second"))
        await asyncio.sleep(0.2)
        assert not pending.done()  # waiting for the lock on the worker, not failing
        # The event loop is not blocked meanwhile.
        assert await asyncio.wait_for(asyncio.sleep(0, result="free"), 1) == "free"
        release.set()
        await asyncio.wait_for(pending, 5)
        assert sorted(a.name for a in await Author.aall()) == ["first", "second"]
    finally:
        release.set()
        thread.join()
        await db.aclose()


async def test_transactions_run_inline_and_roll_back(tmp_path: Path) -> None:
    db = ormada.connect(f"sqlite:///{tmp_path / 'tx.db'}")
    db.create_all(ALL_MODELS)
    try:
        try:
            async with db.atransaction():
                await Book.abulk_create([Book(title=f"T{i}", year=i) for i in range(3000)])
                await Book.filter(year__lt=1500).aupdate(pages=1)
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        assert await Book.acount() == 0
    finally:
        await db.aclose()
