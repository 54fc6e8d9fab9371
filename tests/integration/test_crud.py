"""Creating, saving, updating, deleting and refreshing single instances."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import pytest

import ormada
from ormada import Model, PrimaryKey
from tests.conftest import Api, database_url
from tests.models import Author, Book, Membership


async def test_create_sets_generated_key(db: ormada.Database, api: Api) -> None:
    first = await api(Author, "create", name="Ursula K. Le Guin", born=1929)
    second = await api(Author, "create", name="Octavia E. Butler")
    assert first.id is not None and second.id is not None and second.id != first.id
    loaded = await api(Author, "get", id=first.id)
    assert loaded == first


async def test_save_inserts_new_then_updates(db: ormada.Database, api: Api) -> None:
    book = Book(title="Kindred", year=1979)
    await api(book, "save")
    assert book.id is not None
    book.year = 1980
    await api(book, "save")
    assert (await api(Book, "get", id=book.id)).year == 1980
    assert await api(Book.query(), "count") == 1


async def test_save_writes_only_changed_fields(db: ormada.Database, api: Api) -> None:
    book = await api(Book, "create", title="Dawn", year=1987, pages=250)
    stale = await api(Book, "get", id=book.id)
    # Someone else changes pages; our stale copy changes only the title.
    await api(Book.filter(id=book.id), "update", pages=300)
    stale.title = "Dawn (Xenogenesis 1)"
    await api(stale, "save")
    fresh = await api(Book, "get", id=book.id)
    assert (fresh.title, fresh.pages) == ("Dawn (Xenogenesis 1)", 300)


async def test_save_sees_in_place_changes_of_lists(db: ormada.Database, api: Api) -> None:
    book = await api(Book, "create", title="Imago", year=1989, tags=["sf"])
    loaded = await api(Book, "get", id=book.id)
    loaded.tags.append("trilogy")
    await api(loaded, "save")
    assert (await api(Book, "get", id=book.id)).tags == ["sf", "trilogy"]


async def test_save_without_changes_sends_nothing(db: ormada.Database, api: Api) -> None:
    book = await api(Book, "create", title="Wild Seed", year=1980)
    await api(Book.filter(id=book.id), "delete")
    # Nothing changed, so nothing is sent and the missing row goes unnoticed.
    assert await api(book, "save") is book


async def test_instance_update_writes_given_fields(db: ormada.Database, api: Api) -> None:
    book = await api(Book, "create", title="Fledgling", year=2005)
    await api(book, "update", year=2006, rating=4.5)
    assert (book.year, book.rating) == (2006, 4.5)
    fresh = await api(Book, "get", id=book.id)
    assert (fresh.year, fresh.rating) == (2006, 4.5)


async def test_instance_update_validates(db: ormada.Database, api: Api) -> None:
    book = await api(Book, "create", title="Fledgling", year=2005)
    with pytest.raises(ValueError, match="year"):
        await api(book, "update", year="not a year")
    with pytest.raises(ormada.QueryError, match="did you mean 'year'"):
        await api(book, "update", yaer=2000)


async def test_updates_count_the_rows_matched_even_where_nothing_changes(db: ormada.Database, api: Api) -> None:
    # MySQL's own count is of the rows whose values changed; ormada counts the rows matched everywhere.
    kept = await api(Book, "create", title="Wild Seed", year=1980)
    await api(Book, "create", title="Mind of My Mind", year=1977)
    assert await api(Book.query(), "update", year=1980) == 2  # one of the two already held 1980
    assert await api(Book.filter(year=1980), "update", year=1980) == 2
    assert await api(Book.filter(year=1), "update", year=1980) == 0
    await api(kept, "update", year=1980)  # the row is there, though the value does not change
    assert await api(Book, "bulk_update", [kept], ["year"]) == 1


async def test_update_of_deleted_row_raises(db: ormada.Database, api: Api) -> None:
    book = await api(Book, "create", title="Survivor", year=1978)
    await api(Book.filter(id=book.id), "delete")
    with pytest.raises(Book.DoesNotExist):
        await api(book, "update", year=1979)


async def test_delete_and_refresh(db: ormada.Database, api: Api) -> None:
    book = await api(Book, "create", title="Patternmaster", year=1976)
    await api(Book.filter(id=book.id), "update", year=1977)
    await api(book, "refresh")
    assert book.year == 1977
    assert await api(book, "delete") == 1
    assert await api(Book.query(), "count") == 0
    with pytest.raises(Book.DoesNotExist):
        await api(book, "refresh")


async def test_saving_a_deleted_instance_inserts_it_again(db: ormada.Database, api: Api) -> None:
    book = await api(Book, "create", title="Clay's Ark", year=1984)
    await api(book, "delete")
    await api(book, "save")
    assert await api(Book.filter(title="Clay's Ark"), "count") == 1


async def test_composite_primary_key(db: ormada.Database, api: Api) -> None:
    member = uuid.uuid4()
    row = await api(Membership, "create", group="editors", member=member)
    assert row.role == "member"
    await api(row, "update", role="chief")
    loaded = await api(Membership, "get", group="editors", member=member)
    assert loaded.role == "chief"
    await api(loaded, "delete")
    assert await api(Membership.query(), "exists") is False


async def test_changing_the_primary_key_updates_the_stored_row(db: ormada.Database, api: Api) -> None:
    member = uuid.uuid4()
    row = await api(Membership, "create", group="a", member=member)
    row.group = "b"
    await api(row, "save")
    assert await api(Membership.filter(group="b"), "count") == 1
    assert await api(Membership.filter(group="a"), "count") == 0


class Ticket(Model):
    """Nothing but a generated key: its insert names no column."""

    id: Annotated[int | None, PrimaryKey()] = None


async def test_model_with_only_a_generated_key(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
                                               api: Api) -> None:
    database = ormada.connect(database_url(backend, request, tmp_path))
    try:
        database.create_all([Ticket])
        first = await api(Ticket, "create")
        made = await api(Ticket, "bulk_create", [Ticket(), Ticket()])
        assert first.id is not None and len(made) == 2
        assert await api(Ticket, "get", id=first.id) == first
        assert await api(Ticket.query(), "count") == 3
    finally:
        database.drop_all([Ticket])
        await database.aclose()
