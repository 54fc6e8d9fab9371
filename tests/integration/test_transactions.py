"""Transactions: commit, rollback, savepoints, and how tasks and threads see them."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

import ormada
from tests.conftest import Api
from tests.models import Author, Book


class Boom(Exception):
    pass


async def test_commit_and_rollback(db: ormada.Database, api: Api) -> None:
    async with api.transaction(db):
        await api(Author, "create", name="Kept")
    with pytest.raises(Boom):
        async with api.transaction(db):
            await api(Author, "create", name="Lost")
            await api(Author.filter(name="Kept"), "update", born=1)
            raise Boom
    assert await api(Author.values_list("name", "born"), "all") == [("Kept", None)]


@pytest.mark.requires("savepoints")
async def test_nested_transactions_use_savepoints(db: ormada.Database, api: Api) -> None:
    async with api.transaction(db):
        await api(Author, "create", name="Outer")
        with pytest.raises(Boom):
            async with api.transaction(db):
                await api(Author, "create", name="Inner")
                raise Boom
        async with api.transaction(db):
            await api(Author, "create", name="Second inner")
    names = sorted(await api(Author.values_list("name", flat=True), "all"))
    assert names == ["Outer", "Second inner"]


async def test_integrity_error_inside_a_transaction_rolls_it_back(db: ormada.Database, api: Api) -> None:
    with pytest.raises(ormada.IntegrityError):
        async with api.transaction(db):
            await api(Author, "create", name="Once")
            await api(Author, "create", name="Once")
    assert await api(Author.query(), "count") == 0


async def test_a_caught_error_inside_a_transaction(db: ormada.Database, api: Api) -> None:
    aborts = db.backend.supports.extra.get("error_aborts_transaction", False)
    with pytest.raises(ormada.TransactionError if aborts else Boom) as caught:
        async with api.transaction(db):
            await api(Author, "create", name="Once")
            with pytest.raises(ormada.IntegrityError):
                await api(Author, "create", name="Once")
            # PostgreSQL and DuckDB refuse everything after the error until the block ends; SQLite goes on.
            await api(Author, "create", name="After")
            raise Boom
    if aborts:
        assert "aborted by an earlier error" in str(caught.value)
        if db.backend.supports.savepoints:
            assert "nested transaction()" in str(caught.value)
    assert await api(Author.query(), "count") == 0


@pytest.mark.requires("savepoints")
async def test_a_nested_transaction_contains_an_expected_error(db: ormada.Database, api: Api) -> None:
    async with api.transaction(db):
        await api(Author, "create", name="Once")
        with pytest.raises(ormada.IntegrityError):
            async with api.transaction(db):
                await api(Author, "create", name="Once")
        await api(Author, "create", name="After")
    assert sorted(await api(Author.values_list("name", flat=True), "all")) == ["After", "Once"]


async def test_work_inside_the_block_sees_its_own_writes(db: ormada.Database, api: Api) -> None:
    async with api.transaction(db):
        await api(Book, "bulk_create", [Book(title="A", year=1), Book(title="B", year=2)])
        assert await api(Book.query(), "count") == 2
        await api(Book.filter(year__lt=2), "update", year=1900)
        assert await api(Book.filter(year=1900), "exists")


async def test_rollback_hides_writes_from_other_connections(db: ormada.Database) -> None:
    async with db.atransaction():
        await Author.acreate(name="Uncommitted")
        # Another task has its own connection and cannot see the open transaction's rows.
        seen = await asyncio.create_task(Author.acount(), context=contextvars.Context())
        assert seen == 0
        assert await Author.acount() == 1


async def test_tasks_started_inside_a_transaction_fail_clearly(db: ormada.Database) -> None:
    async with db.atransaction():
        with pytest.raises(ormada.TransactionError, match="another task"):
            await asyncio.gather(Author.acreate(name="x"), Author.acreate(name="y"))
    assert await Author.acount() == 0


async def test_concurrent_transactions_are_isolated(db: ormada.Database) -> None:
    async def writer(name: str, fail: bool) -> None:
        async with db.atransaction():
            await Author.acreate(name=name)
            await asyncio.sleep(0.01)
            if fail:
                raise Boom

    results = await asyncio.gather(writer("ok", False), writer("bad", True), return_exceptions=True)
    assert isinstance(results[1], Boom)
    assert [a.name for a in await Author.aall()] == ["ok"]


def test_threads_do_not_share_a_transaction(db: ormada.Database) -> None:
    counts: list[int] = []
    with db.transaction():
        Author.create(name="Thread-local")
        thread = threading.Thread(target=lambda: counts.append(Author.count()))
        thread.start()
        thread.join()
    assert counts == [0]
    assert Author.count() == 1


async def test_mixing_modes_inside_a_block_fails_clearly(db: ormada.Database) -> None:
    async with db.atransaction():
        with pytest.raises(ormada.TransactionError, match="sync call"):
            Author.count()
    with db.transaction(), pytest.raises(ormada.TransactionError, match="async call"):
        await Author.acount()


async def test_cancelled_task_rolls_back(db: ormada.Database) -> None:
    started = asyncio.Event()

    async def slow() -> None:
        async with db.atransaction():
            await Author.acreate(name="Cancelled")
            started.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(slow())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await Author.acount() == 0
    assert await Author.acreate(name="Afterwards")


async def test_transaction_yields_a_usable_handle(db: ormada.Database, api: Api) -> None:
    async with api.transaction(db) as tx:
        assert isinstance(tx, ormada.Transaction)
        assert tx.is_async is api.is_async
