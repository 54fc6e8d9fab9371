"""select_for_update(): row locks held by one transaction, seen from another on a connection
of its own (a thread in sync mode, a task in async mode); refused outside a transaction, and
on backends without row locks (SQLite, DuckDB), with what to do instead."""

from __future__ import annotations

import asyncio
import contextvars
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import ormada
from ormada import LockNotAvailable, NotSupported, OrmadaError, TransactionError
from ormada._read_checks import NO_ROW_LOCKS
from ormada.backends.duckdb import DuckdbBackend
from ormada.backends.sqlite import SqliteBackend
from tests.conftest import Api
from tests.models import Author, Book

# A short wait for a lock, set inside the waiting transaction, so a blocked read fails soon.
SHORT_LOCK_WAIT = {"postgresql": "SET LOCAL lock_timeout = '200ms'",
                   "mysql": "SET SESSION innodb_lock_wait_timeout = 1"}


@pytest.fixture
async def books(db: ormada.Database) -> list[Book]:
    return Book.bulk_create([Book(title=t, year=y) for t, y in (("Kindred", 1979), ("Dawn", 1987), ("Imago", 1989))])


def row_locks(db: ormada.Database) -> bool:
    """Whether the backend locks rows; where it does not, that it refuses, saying what to do."""
    if db.backend.supports.row_locks:
        return True
    backend = db.backend
    instead = backend.supports.extra.get("row_locks_instead", NO_ROW_LOCKS)
    with pytest.raises(NotSupported, match=re.escape(f"Book.select_for_update(): {backend.name} has no row locks; "
                                                     f"{instead}")):
        Book.query().select_for_update().all()
    return False


def test_backends_without_row_locks_say_what_to_do_instead() -> None:
    assert "BEGIN IMMEDIATE" in SqliteBackend.supports.extra["row_locks_instead"]
    assert "TransactionError" in DuckdbBackend.supports.extra["row_locks_instead"]


async def elsewhere(api: Api, db: ormada.Database, read: Callable[[], Any], aread: Callable[[], Any],
                    wait: bool = False) -> Any:
    """What ``read`` (sync) or ``aread`` (async) gives in a transaction of its own, on another
    connection, while the caller's transaction goes on; the error it raised, if any. With
    ``wait``, the lock wait is short there, so a blocked read fails instead of hanging."""
    setup = SHORT_LOCK_WAIT[db.backend.name] if wait else None
    if api.is_async:
        async def work() -> Any:
            async with db.atransaction():
                if setup:
                    await db.aexecute(setup)
                return await aread()

        # A context of its own: the task must not find the caller's open transaction.
        task = asyncio.create_task(work(), context=contextvars.Context())
        try:
            return await asyncio.wait_for(task, 60)
        except OrmadaError as exc:
            return exc

    def sync_work() -> Any:
        with db.transaction():
            if setup:
                db.execute(setup)
            return read()

    with ThreadPoolExecutor(1) as pool:
        try:
            return pool.submit(sync_work).result(timeout=60)
        except OrmadaError as exc:
            return exc


async def test_outside_a_transaction_a_lock_is_refused(books: list[Book], db: ormada.Database, api: Api) -> None:
    if not row_locks(db):
        return
    locked = Book.filter(year=1979).select_for_update()
    for call in ("all", "first", "get"):
        with pytest.raises(TransactionError, match=r"Book.select_for_update\(\) outside a transaction: the lock "
                                                   r"would be released as soon as the read ends"):
            await api(locked, call)
    with pytest.raises(TransactionError, match="outside a transaction"):
        await api.iterate(locked, 10)


async def test_a_locked_row_is_read_and_written_in_its_transaction(books: list[Book], db: ormada.Database,
                                                                  api: Api) -> None:
    if not row_locks(db):
        return
    async with api.transaction(db):
        book = await api(Book.select_for_update(), "get", id=books[0].id)
        assert book.title == "Kindred"
        book.year = 1980
        await api(book, "save")
        assert [b.title for b in await api.iterate(Book.filter(year__gt=1985).select_for_update(), 1)] == [
            "Dawn", "Imago"]
    assert (await api(Book, "get", id=books[0].id)).year == 1980


async def test_nowait_raises_lock_not_available(books: list[Book], db: ormada.Database, api: Api) -> None:
    if not row_locks(db):
        return
    target = Book.filter(id=books[0].id).select_for_update(nowait=True)
    async with api.transaction(db):
        await api(Book.filter(id=books[0].id).select_for_update(), "all")
        error = await elsewhere(api, db, target.all, target.aall)
        assert isinstance(error, LockNotAvailable), error
        assert "(in: SELECT" in str(error)
    # Once the holder's transaction ends, the lock is free.
    free = await elsewhere(api, db, target.all, target.aall)
    assert [b.title for b in free] == ["Kindred"]


async def test_skip_locked_leaves_the_locked_rows_out(books: list[Book], db: ormada.Database, api: Api) -> None:
    if not row_locks(db):
        return
    others = Book.order_by("id").select_for_update(skip_locked=True)
    async with api.transaction(db):
        await api(Book.filter(id=books[1].id).select_for_update(), "all")
        found = await elsewhere(api, db, others.all, others.aall)
        assert [b.title for b in found] == ["Kindred", "Imago"]


async def test_a_plain_lock_waits_for_the_holder(books: list[Book], db: ormada.Database, api: Api) -> None:
    if not row_locks(db):
        return
    target = Book.filter(id=books[2].id).select_for_update()
    async with api.transaction(db):
        await api(target, "all")
        await api(Book.filter(id=books[2].id), "update", year=2000)
        # It waits rather than reading the row: with a short wait, it gives up.
        error = await elsewhere(api, db, target.all, target.aall, wait=True)
        assert isinstance(error, LockNotAvailable), error
    # After the holder commits, the lock is taken and the row read as the holder left it.
    after = await elsewhere(api, db, target.all, target.aall, wait=True)
    assert [b.year for b in after] == [2000]


async def test_lock_options_the_backend_lacks(books: list[Book], db: ormada.Database, api: Api) -> None:
    if not row_locks(db):
        return
    async with api.transaction(db):
        if db.backend.supports.lock_of:
            assert [b.title for b in await api(Book.filter(year=1979).select_for_update(of=("self",), no_key=True),
                                               "all")] == ["Kindred"]
            return
        with pytest.raises(NotSupported, match=r"Book.select_for_update\(of=…\): mysql has no FOR UPDATE OF"):
            await api(Book.query().select_for_update(of=("self",)), "all")
        with pytest.raises(NotSupported, match=r"Book.select_for_update\(no_key=True…\): mysql has no FOR NO KEY"):
            await api(Book.query().select_for_update(no_key=True), "all")


async def test_distinct_on(books: list[Book], db: ormada.Database, api: Api) -> None:
    await api(Author, "create", name="Octavia")
    Book.bulk_create([Book(title="Fledgling", year=2005, author_id=1), Book(title="Wild Seed", year=1980,
                                                                              author_id=1)])
    newest = Book.distinct("author_id").order_by("author_id", "-year")
    if not db.backend.supports.distinct_on:
        with pytest.raises(NotSupported, match=rf"Book.distinct\('author_id'\): DISTINCT ON is PostgreSQL's; "
                                               rf"{db.backend.name} has none. Pick one row per group by key"):
            await api(newest, "all")
        return
    assert [(b.author_id, b.title) for b in await api(newest, "all")] == [(1, "Fledgling"), (None, "Imago")]
    assert await api(Book.distinct("author_id").order_by("author_id", "year").values_list("title", flat=True),
                     "all") == ["Wild Seed", "Kindred"]
    assert await api(Book.distinct("author_id"), "count") == 2
    with pytest.raises(ormada.QueryError, match=r"the ordering must start with the DISTINCT ON fields"):
        await api(Book.distinct("author_id").order_by("title"), "all")
