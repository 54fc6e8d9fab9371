"""Connecting, named databases, in-memory SQLite, pools and schema creation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import pytest

import ormada
from ormada import ForeignKey, Model, PrimaryKey
from tests.conftest import Api
from tests.models import Author, Book


class Shelf(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    label: str

    class Meta:
        database = "archive"


class Slot(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    shelf_id: Annotated[int, ForeignKey(Shelf, on_delete="CASCADE")]
    position: int

    class Meta:
        database = "archive"


async def test_models_route_to_their_named_database(db: ormada.Database, tmp_path: Path, api: Api) -> None:
    archive = ormada.connect(f"sqlite:///{tmp_path / 'archive.db'}", name="archive")
    try:
        assert archive.models() == [Shelf, Slot]
        await api(archive, "create_all") if api.is_async else archive.create_all()
        shelf = await api(Shelf, "create", label="A")
        await api(Slot, "create", shelf_id=shelf.id, position=1)
        assert Shelf.database() is archive and Book.database() is db
        assert await api(Slot.query(), "count") == 1
        # The foreign key is enforced, and cascades.
        with pytest.raises(ormada.IntegrityError):
            await api(Slot, "create", shelf_id=999, position=2)
        await api(shelf, "delete")
        assert await api(Slot.query(), "count") == 0
    finally:
        await archive.aclose()


def test_create_all_dry_run_returns_the_ddl(tmp_path: Path) -> None:
    archive = ormada.connect(f"sqlite:///{tmp_path / 'dry.db'}", name="archive")
    statements = archive.create_all(dry_run=True)
    texts = [s.text for s in statements]
    assert texts[0].startswith("CREATE TABLE IF NOT EXISTS shelf")
    assert any("FOREIGN KEY(shelf_id) REFERENCES shelf (id) ON DELETE CASCADE" in t for t in texts)
    assert archive.execute("SELECT name FROM sqlite_master WHERE type = 'table'") == []
    drops = [s.text for s in archive.drop_all(dry_run=True)]
    assert drops == ["DROP TABLE IF EXISTS slot", "DROP TABLE IF EXISTS shelf"]
    archive.close()


def test_create_all_is_idempotent(db: ormada.Database) -> None:
    from tests.models import ALL_MODELS

    db.create_all(ALL_MODELS)
    Author.create(name="Still here")
    db.create_all(ALL_MODELS)
    assert Author.count() == 1
    db.drop_all([Book])
    with pytest.raises(ormada.DatabaseError):
        Book.count()


async def test_in_memory_sqlite_is_shared_by_sync_and_async() -> None:
    from tests.models import ALL_MODELS

    db = ormada.connect("sqlite://:memory:")
    try:
        db.create_all(ALL_MODELS)
        Author.create(name="Sync")
        await Author.acreate(name="Async")
        assert Author.count() == 2 and await Author.acount() == 2
    finally:
        await db.aclose()
    reopened = ormada.connect("sqlite://:memory:")
    with reopened:
        reopened.create_all(ALL_MODELS)
        assert Author.count() == 0  # a new in-memory database


def test_context_managers_close_the_pools(tmp_path: Path) -> None:
    from tests.models import ALL_MODELS

    with ormada.connect(f"sqlite:///{tmp_path / 'ctx.db'}") as db:
        db.create_all(ALL_MODELS)
        Author.create(name="x")
        assert db._sync_pool is not None
    assert db._sync_pool is None

    async def main() -> None:
        async with ormada.connect(f"sqlite:///{tmp_path / 'ctx.db'}") as adb:
            assert await Author.acount() == 1
            assert adb._async_pool is not None
        assert adb._async_pool is None

    asyncio.run(main())


def test_async_pool_follows_the_event_loop(tmp_path: Path) -> None:
    from tests.models import ALL_MODELS

    db = ormada.connect(f"sqlite:///{tmp_path / 'loops.db'}")
    db.create_all(ALL_MODELS)
    # Two event loops one after the other (two asyncio.run calls) both work.
    assert asyncio.run(Author.acount()) == 0
    asyncio.run(Author.acreate(name="second loop"))
    assert asyncio.run(Author.acount()) == 1
    db.close()


async def test_many_concurrent_tasks_share_the_pool(db: ormada.Database) -> None:
    await asyncio.gather(*(Author.acreate(name=f"A{i}") for i in range(30)))
    counts = await asyncio.gather(*(Author.acount() for _ in range(30)))
    assert set(counts) == {30}


def test_abstract_models_have_no_table() -> None:
    class Stamped(Model):
        created: int = 0

        class Meta:
            abstract = True
            database = "stamped"

    class Note(Stamped):
        id: Annotated[int | None, PrimaryKey()] = None
        text: str

    assert Note.__ormada__.database == "stamped"
    assert [c.name for c in Note.__table_schema__.columns] == ["created", "id", "text"]
    with pytest.raises(ormada.ConfigurationError, match="abstract"):
        Stamped.filter(created=1)


class AuthorName(Model):
    """A narrow view of the author table: the same rows, two of its columns."""

    id: Annotated[int | None, PrimaryKey()] = None
    name: str

    class Meta:
        table = "author"


async def test_two_models_on_one_table_both_work(db: ormada.Database, api: Api) -> None:
    full = await api(Author, "create", name="Ursula", born=1929)
    assert [(a.id, a.name) for a in await api(AuthorName.query(), "all")] == [(full.id, "Ursula")]
    await api(Author, "get", id=full.id)  # the wider model after the narrower one: its own table definition
    narrow = await api(AuthorName, "get", id=full.id)
    narrow.name = "Ursula K."
    await api(narrow, "save")
    assert (await api(Author, "get", id=full.id)).born == 1929  # a narrow save leaves the other columns alone
    assert (await api(Author, "get", id=full.id)).name == "Ursula K."


def test_create_all_refuses_two_definitions_of_one_table(tmp_path: Path) -> None:
    db = ormada.connect(f"sqlite:///{tmp_path / 'two.db'}", name="two_definitions")
    try:
        with pytest.raises(ormada.ConfigurationError, match="Author and AuthorName both map table 'author'"):
            db.create_all([Author, AuthorName], dry_run=True)
        assert db.create_all([Author], dry_run=True)  # either one alone is fine
    finally:
        db.close()


def test_create_all_orders_tables_whatever_queries_ran_first(tmp_path: Path) -> None:
    db = ormada.connect(f"sqlite:///{tmp_path / 'order.db'}", name="archive")
    try:
        Slot.filter(position=1).statement()  # touches the table with the foreign key first
        texts = [s.text for s in db.create_all([Slot, Shelf], dry_run=True)]
        assert texts.index(next(t for t in texts if "TABLE IF NOT EXISTS shelf" in t)) < \
            texts.index(next(t for t in texts if "TABLE IF NOT EXISTS slot" in t))
        assert next(s.text for s in db.create_all([Slot], dry_run=True)).startswith("CREATE TABLE IF NOT EXISTS slot")
    finally:
        db.close()
