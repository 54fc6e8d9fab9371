"""union(), intersection() and difference(): combined rows as models, dicts and tuples,
ordered, sliced, counted, on every backend and mode; set semantics checked against Python's."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ormada
from ormada import QueryError
from tests.conftest import Api
from tests.models import Author, Book

BOOKS = [("A Wizard of Earthsea", 1968, 180), ("The Left Hand of Darkness", 1969, 300),
         ("The Dispossessed", 1974, 380), ("Kindred", 1979, 260), ("Parable of the Sower", 1993, 340),
         ("The Fifth Season", 2015, 470)]


@pytest.fixture
async def library(db: ormada.Database) -> list[Book]:
    author = Author.create(name="Various")
    Author.create(name="Kindred")  # a name equal to a title, for combined values of two models
    return Book.bulk_create([Book(title=t, year=y, pages=p, author_id=author.id) for t, y, p in BOOKS])


def titles(books: list[Book]) -> list[str]:
    return [b.title for b in books]


async def test_union_of_models_ordered_sliced_counted(library: list[Book], api: Api) -> None:
    old, long = Book.filter(year__lt=1970), Book.filter(pages__gte=340)
    both = old.union(long).order_by("year")
    found = await api(both, "all")
    assert all(isinstance(b, Book) for b in found)
    assert titles(found) == ["A Wizard of Earthsea", "The Left Hand of Darkness", "The Dispossessed",
                             "Parable of the Sower", "The Fifth Season"]
    # Hydrated like any read: a loaded instance saves only what changed.
    assert found[0].id == library[0].id and found[0].pages == 180
    found[0].pages = 181
    await api(found[0], "save")
    assert (await api(Book, "get", id=library[0].id)).pages == 181
    assert titles(await api.list(both.order_by("-year"))) == titles(found)[::-1]
    assert titles(await api(both[1:3], "all")) == ["The Left Hand of Darkness", "The Dispossessed"]
    assert await api(both, "count") == 5
    assert await api(both[3:], "count") == 2
    assert await api(both, "exists") is True
    assert await api(Book.filter(year=1).union(Book.filter(year=2)), "exists") is False
    first = await api(both, "first")
    assert first is not None and first.title == "A Wizard of Earthsea"
    last = await api(both, "last")
    assert last is not None and last.title == "The Fifth Season"
    if api.is_async:
        assert titles(await both) == titles(found)
        assert titles([b async for b in both.aiterator(2)]) == titles(found)
    else:
        assert titles(list(both.iterator(2))) == titles(found)


async def test_union_all_keeps_duplicates(library: list[Book], api: Api) -> None:
    a = Book.filter(year__lte=1974).values_list("year", flat=True)
    b = Book.filter(year__gte=1969).values_list("year", flat=True)
    assert await api(a.union(b).order_by("year"), "all") == [1968, 1969, 1974, 1979, 1993, 2015]
    assert await api(a.union(b, all=True).order_by("year"), "all") == [1968, 1969, 1969, 1974, 1974, 1979, 1993,
                                                                        2015]
    assert await api(a.union(b, all=True), "count") == 8


async def test_intersection_and_difference(library: list[Book], api: Api) -> None:
    seventies = Book.filter(year__gte=1970, year__lt=1980)
    long = Book.filter(pages__gte=300)
    assert titles(await api(seventies.intersection(long), "all")) == ["The Dispossessed"]
    assert titles(await api(long.difference(seventies).order_by("-year"), "all")) == [
        "The Fifth Season", "Parable of the Sower", "The Left Hand of Darkness"]
    # Several at once, and a combined query as a part of another.
    assert titles(await api(long.difference(seventies, Book.filter(year__gt=2000)).order_by("year"), "all")) == [
        "The Left Hand of Darkness", "Parable of the Sower"]
    nested = Book.filter(year__lt=1970).union(Book.filter(year__gt=2000)).intersection(long)
    assert titles(await api(nested.order_by("year"), "all")) == ["The Left Hand of Darkness", "The Fifth Season"]


async def test_values_of_two_models_and_parts_with_their_own_window(library: list[Book], api: Api) -> None:
    names = Author.values_list("name")
    book_titles = Book.filter(year__gt=1975).values_list("title")
    assert await api(names.union(book_titles).order_by("name"), "all") == [
        ("Kindred",), ("Parable of the Sower",), ("The Fifth Season",), ("Various",)]
    assert await api(names.intersection(book_titles), "all") == [("Kindred",)]
    dicts = Book.filter(year=1968).values("title", "year").union(Book.filter(year=2015).values("title", "year"))
    assert await api(dicts.order_by("-year"), "all") == [{"title": "The Fifth Season", "year": 2015},
                                                         {"title": "A Wizard of Earthsea", "year": 1968}]
    # Each part keeps its own ordering and slice; the result has its own.
    newest, oldest = Book.order_by("-year")[:2], Book.order_by("year")[:1]
    assert titles(await api(newest.union(oldest).order_by("year"), "all")) == [
        "A Wizard of Earthsea", "Parable of the Sower", "The Fifth Season"]
    assert titles(await api(newest.union(oldest).order_by("year")[:1], "all")) == ["A Wizard of Earthsea"]


def test_combined_queries_refuse_filters_and_mismatches(library: list[Book]) -> None:
    combined = Book.filter(year__lt=1970).union(Book.filter(year__gt=2000))
    with pytest.raises(QueryError, match=r"Book: filter\(\) on the result of union\(\) is not supported; filter "
                                         r"the parts before combining them"):
        combined.filter(title="x")
    with pytest.raises(QueryError, match=r"exclude\(\) on the result of union\(\)"):
        combined.exclude(title="x")
    with pytest.raises(QueryError, match=r"order_by\('author_id'\).*columns \(id, title, year\)"):
        Book.values_list("id", "title", "year").union(Book.values_list("id", "title", "year")).order_by("author_id")
    with pytest.raises(QueryError, match=r"Book.union\(\): this query reads 2 columns \(title, year\).*reads 1"):
        Book.values_list("title", "year").union(Book.values_list("title"))
    with pytest.raises(QueryError, match=r"Book.intersection\(\): this query reads Book.*the other Author"):
        Book.query().intersection(Author.query())
    with pytest.raises(QueryError, match=r"Book.difference\(\).*gives rows as tuples, this query as models"):
        Book.query().difference(Book.values_list("id"))
    with pytest.raises(QueryError, match=r"Book.union\(\) needs at least one other QuerySet"):
        Book.query().union()
    with pytest.raises(QueryError, match=r"cannot have annotate\(\)"):
        Book.query().union(Book.annotate(n=ormada.Count("id")))
    with pytest.raises(QueryError, match=r"update\(\) on the result of union\(\)"):
        combined.update(year=1)
    with pytest.raises(QueryError, match=r"aggregate\(\) on the result of union\(\)"):
        combined.aggregate(ormada.Count("id"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(years=st.lists(st.integers(1900, 1930), max_size=12),
       low=st.integers(1900, 1930), high=st.integers(1900, 1930), start=st.integers(0, 5), size=st.integers(0, 5))
async def test_set_operations_agree_with_python_sets(db: ormada.Database, api: Api, years: list[int], low: int,
                                                     high: int, start: int, size: int) -> None:
    await api(Book.query(), "delete")
    if years:
        Book.bulk_create([Book(title=f"b{i}", year=y) for i, y in enumerate(years)])
    a = Book.filter(year__lte=high).values_list("year", flat=True)
    b = Book.filter(year__gte=low).values_list("year", flat=True)
    in_a = {y for y in years if y <= high}
    in_b = {y for y in years if y >= low}
    assert await api(a.union(b).order_by("year"), "all") == sorted(in_a | in_b)
    assert await api(a.intersection(b).order_by("year"), "all") == sorted(in_a & in_b)
    assert await api(a.difference(b).order_by("-year"), "all") == sorted(in_a - in_b, reverse=True)
    assert await api(a.union(b, all=True), "count") == sum(y <= high for y in years) + sum(y >= low for y in years)
    assert await api(a.intersection(b), "count") == len(in_a & in_b)
    # A window over the combined rows, and its count.
    window = a.union(b).order_by("-year")[start:start + size]
    assert await api(window, "all") == sorted(in_a | in_b, reverse=True)[start:start + size]
    assert await api(window, "count") == len(sorted(in_a | in_b)[start:start + size])
