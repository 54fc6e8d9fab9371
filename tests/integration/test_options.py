"""Per-operation options on SQL backends: what they honour and what they refuse."""

from __future__ import annotations

import pytest

import ormada
from tests.conftest import Api
from tests.models import Author, Book


async def test_insert_if_not_exists(db: ormada.Database, api: Api) -> None:
    author = await api(Author, "create", name="Once")
    copy = Author(id=author.id, name="Other")
    assert await api(copy, "insert", if_not_exists=True) is False
    assert await api(Author(name="Fresh"), "insert", if_not_exists=True) is True
    assert await api(Author.order_by("id").values_list("name", flat=True), "all") == ["Once", "Fresh"]
    # A plain insert of a loaded instance is a second row, and the unique name refuses it.
    with pytest.raises(ormada.IntegrityError):
        await api(author, "insert")


async def test_cassandra_options_are_refused_not_ignored(db: ormada.Database, api: Api) -> None:
    with pytest.raises(ormada.NotSupported, match="ttl"):
        await api(Book(title="x", year=1), "save", ttl=60)
    with pytest.raises(ormada.NotSupported, match="consistency"):
        await api(Book.filter(year=1).consistency("QUORUM"), "all")
    with pytest.raises(ormada.NotSupported, match="if_exists"):
        await api(Book.filter(year=1).if_exists(), "delete")
    with pytest.raises(ormada.NotSupported, match="paging state"):
        await api(Book.query(), "page", 10)
    assert await api(Book.query(), "count") == 0


async def test_first_and_last_use_the_key_order(db: ormada.Database, api: Api) -> None:
    await api(Book, "bulk_create", [Book(title=t, year=1) for t in "cab"])
    assert (await api(Book, "first")).title == "c"
    assert (await api(Book, "last")).title == "b"
