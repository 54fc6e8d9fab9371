"""Async SQLite's inline statements share the event loop and honour cancellation."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

import ormada
from tests.models import ALL_MODELS, Author, Book


def committed_count(path: Path, table: str) -> int:
    """Rows another connection sees: only what was committed."""
    connection = sqlite3.connect(path)
    try:
        count: int = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        return count
    finally:
        connection.close()


def current_task() -> asyncio.Task[object]:
    task = asyncio.current_task()
    assert task is not None
    return task


async def test_other_tasks_run_while_one_task_reads_many_rows(tmp_path: Path) -> None:
    db = ormada.connect(f"sqlite:///{tmp_path / 'fair.db'}")
    db.create_all(ALL_MODELS)
    ids = [b.id for b in Book.bulk_create([Book(title=f"T{i}", year=i) for i in range(100)])]
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    try:
        await Book.aget(id=ids[0])  # opens the pooled connection first
        running = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        ticks = 0
        for i in range(5000):
            await Book.aget(id=ids[i % len(ids)])
        seen = ticks
        running.cancel()
        # Not a speed test: any count above a couple shows the loop is shared.
        assert seen >= 2
    finally:
        await db.aclose()


async def test_a_task_cancelled_by_another_inside_a_transaction_rolls_back(tmp_path: Path) -> None:
    path = tmp_path / "cancel.db"
    db = ormada.connect(f"sqlite:///{path}")
    db.create_all(ALL_MODELS)
    written = 0

    async def writer() -> None:
        nonlocal written
        async with db.atransaction():
            for i in range(5000):
                await Author.acreate(name=f"a{i}")
                written += 1

    try:
        task = asyncio.create_task(writer())
        while not written and not task.done():
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert 0 < written < 5000
        assert committed_count(path, "author") == 0
        # The pooled connection is back outside any transaction.
        async with db.atransaction():
            await Author.acreate(name="after")
        assert [a.name for a in await Author.aall()] == ["after"]
    finally:
        await db.aclose()


async def test_a_task_that_cancels_itself_stops_at_its_next_statement(tmp_path: Path) -> None:
    path = tmp_path / "self.db"
    db = ormada.connect(f"sqlite:///{path}")
    db.create_all(ALL_MODELS)
    await Author.acount()  # opens the pooled connection first
    reached: list[str] = []

    async def writer() -> None:
        async with db.atransaction():
            await Author.acreate(name="before")
            current_task().cancel()
            reached.append("cancel requested")
            await Author.acreate(name="after")
            reached.append("next statement ran")

    try:
        with pytest.raises(asyncio.CancelledError):
            await asyncio.create_task(writer())
        assert reached == ["cancel requested"]
        assert committed_count(path, "author") == 0
    finally:
        await db.aclose()


async def test_a_cancel_just_before_the_end_of_a_transaction_rolls_it_back(tmp_path: Path) -> None:
    path = tmp_path / "commit.db"
    db = ormada.connect(f"sqlite:///{path}")
    db.create_all(ALL_MODELS)
    await Author.acount()

    async def writer() -> None:
        async with db.atransaction():
            await Author.acreate(name="only")
            current_task().cancel()

    try:
        with pytest.raises(asyncio.CancelledError):
            await asyncio.create_task(writer())
        assert committed_count(path, "author") == 0
        assert await Author.acount() == 0
    finally:
        await db.aclose()


async def test_a_cancel_while_the_worker_runs_a_statement_still_rolls_back(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "worker.db"
    db = ormada.connect(f"sqlite:///{path}")
    db.create_all(ALL_MODELS)
    await Book.acount()
    caplog.set_level(logging.DEBUG, logger="ormada")

    async def writer() -> None:
        async with db.atransaction():
            # Many rows at once run on the worker thread, so the task waits there.
            await Book.abulk_create([Book(title=f"T{i}", year=i) for i in range(20000)])

    def bulk_started() -> bool:
        return any("SAVEPOINT ormada_bulk" in record.getMessage() for record in caplog.records)

    try:
        task = asyncio.create_task(writer())
        # Once the bulk savepoint is logged the writer has handed its first batch to
        # the worker, which is still running (or about to run) it when the cancel lands.
        while not bulk_started() and not task.done():
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The rollback must not overtake the batch: that batch would then commit alone.
        async with db.atransaction():
            await Author.acreate(name="after")
        assert await Book.acount() == 0
        assert committed_count(path, "books") == 0
        assert committed_count(path, "author") == 1
    finally:
        await db.aclose()


async def test_a_cancelled_atomic_operation_leaves_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "atomic.db"
    db = ormada.connect(f"sqlite:///{path}")
    db.create_all(ALL_MODELS)
    await Book.acount()

    async def writer() -> None:
        await Book.abulk_create([Book(title=f"T{i}", year=i) for i in range(20000)])

    try:
        task = asyncio.create_task(writer())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with db.atransaction():
            await Author.acreate(name="after")
        assert await Book.acount() == 0
        assert committed_count(path, "books") == 0
    finally:
        await db.aclose()
