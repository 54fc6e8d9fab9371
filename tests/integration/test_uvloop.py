"""The async API on uvloop's event loop, on every backend: ``asyncio.Runner(loop_factory=
uvloop.new_event_loop)`` (or ``uvloop.run()``) is all an application needs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import uvloop

import ormada
from tests.conftest import Api, database_url
from tests.models import ALL_MODELS, Author, Book


async def scenario(db: ormada.Database) -> None:
    """Writes, reads, a transaction, a rolled-back one, a stream and concurrent reads."""
    assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
    api = Api("async")
    author = await api(Author, "create", name="Le Guin")
    await api(Book, "bulk_create", [Book(title=f"t{i}", year=1960 + i, author_id=author.id) for i in range(50)])
    async with api.transaction(db):
        await api(Book.filter(year__lt=1970), "update", year=1900)
    with pytest.raises(ZeroDivisionError):
        async with api.transaction(db):
            await api(Author, "create", name="lost")
            1 / 0  # noqa: B018 - the failure under test
    counts = await asyncio.gather(*(Book.filter(year=1900).acount() for _ in range(4)))
    assert counts == [10] * 4
    assert len(await api.iterate(Book.query().order_by("id"), 7)) == 50
    assert await api(Author.values_list("name", flat=True), "all") == ["Le Guin"]
    await db.aclose()  # on the loop that opened the pool


def test_the_async_api_on_uvloop(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    db = ormada.connect(database_url(backend, request, tmp_path))
    try:
        db.create_all(ALL_MODELS)
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(scenario(db))
    finally:
        db.close()


async def read_and_leave_open(db: ormada.Database) -> None:
    assert await Author.query().acount() == 0


def test_a_pool_left_open_on_a_finished_uvloop_closes(backend: str, request: pytest.FixtureRequest,
                                                       tmp_path: Path) -> None:
    """close() after the loop that opened the async pool has ended lets its connections go
    without that loop (on PostgreSQL, uvloop's transport sockets refuse shutdown())."""
    db = ormada.connect(database_url(backend, request, tmp_path))
    try:
        db.create_all([Author])
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(read_and_leave_open(db))
    finally:
        db.close()
    again = ormada.connect(database_url(backend, request, tmp_path))
    try:
        assert Author.query().count() == 0
    finally:
        again.close()
