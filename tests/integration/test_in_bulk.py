"""in_bulk() / ain_bulk(): rows by a unique key as a dict, in batches below each backend's
bound-parameter limit, on every backend and mode."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ormada
from ormada import QueryError
from tests.conftest import Api
from tests.models import Author, Book, Membership


@pytest.fixture
async def books(db: ormada.Database) -> list[Book]:
    return Book.bulk_create([Book(title=f"Book {i}", year=1900 + i) for i in range(10)])


async def test_by_primary_key(books: list[Book], api: Api) -> None:
    wanted = [books[3].id, books[0].id, books[3].id, 10_000]
    found = await api(Book, "in_bulk", wanted)
    assert set(found) == {books[0].id, books[3].id}  # a key found in no row is left out
    assert all(isinstance(b, Book) and found[b.id] is b for b in found.values())
    assert found[books[3].id].title == "Book 3"
    assert await api(Book, "in_bulk", []) == {}
    # On a QuerySet: its filters apply; with no ids, every row it selects.
    assert set(await api(Book.filter(year__lt=1902), "in_bulk")) == {books[0].id, books[1].id}
    assert set(await api(Book.filter(year__gte=1905), "in_bulk", [books[4].id, books[5].id])) == {books[5].id}


async def test_by_a_unique_field(db: ormada.Database, api: Api) -> None:
    for name in ("Ann", "Bo", "Cy"):
        await api(Author, "create", name=name, born=1900)
    found = await api(Author.query(), "in_bulk", ["Bo", "Cy", "Dee"], field_name="name")
    assert sorted(found) == ["Bo", "Cy"] and found["Bo"].name == "Bo"
    assert set(await api(Author, "in_bulk", None, "name")) == {"Ann", "Bo", "Cy"}


async def test_more_keys_than_one_statement_may_bind(books: list[Book], db: ormada.Database, api: Api) -> None:
    limit = db.backend.supports.max_params
    wanted = [*range(100_000, 100_000 + limit + 5_000), books[9].id, books[1].id]
    found = await api(Book, "in_bulk", wanted)
    assert sorted(found) == [books[1].id, books[9].id]
    assert found[books[9].id].title == "Book 9"


def test_bad_input_is_refused_before_anything_is_sent(books: list[Book]) -> None:
    with pytest.raises(QueryError, match=r"Book.in_bulk\(field_name='year'\): year is not unique"):
        Book.in_bulk([1900], field_name="year")
    with pytest.raises(QueryError, match=r"Book has no field 'nope'"):
        Book.in_bulk([1], field_name="nope")
    with pytest.raises(QueryError, match=r"Membership.in_bulk\(\): 'pk' needs a primary key of one field; "
                                         r"Membership has 2 \(group, member\)"):
        Membership.in_bulk(["a"])
    with pytest.raises(QueryError, match=r"Book.in_bulk\(\) reads model instances by key"):
        Book.values("id").in_bulk([1])
    with pytest.raises(QueryError, match=r"Book.in_bulk\(\) reads model instances by key"):
        Book.query()[:2].in_bulk([1])
    with pytest.raises(QueryError, match=r"Book.in_bulk\(\) takes a list of id values, not the single value 'ab'"):
        Book.in_bulk("ab")
    with pytest.raises(QueryError, match=r"Book\.id"):
        Book.in_bulk([1, "not a number"])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.integers(0, 14), max_size=20))
async def test_in_bulk_agrees_with_a_dict_built_in_python(books: list[Book], api: Api, picks: list[int]) -> None:
    # Indexes past the ten books stand for keys no row has.
    keys = [books[i].id if i < len(books) else 50_000 + i for i in picks]
    expected = {b.id: b.title for b in books if b.id in keys}
    found = await api(Book, "in_bulk", keys)
    assert {key: book.title for key, book in found.items()} == expected
