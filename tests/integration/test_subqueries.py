"""``field__in=<QuerySet>``: one statement with ``IN (SELECT …)``, sent only when the outer query runs."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Annotated

import pytest

import ormada
from ormada import Model, PrimaryKey, Q
from tests.conftest import Api
from tests.models import Author, Book, Membership

SENT = re.compile(r"^\[[^\]]*\] [\d.]+ ms ")


class Shelf(Model):
    """A model bound to a database other than the default one."""

    id: Annotated[int | None, PrimaryKey()] = None
    author_id: int

    class Meta:
        database = "subquery_elsewhere"


@pytest.fixture
async def library(db: ormada.Database) -> dict[str, int]:
    """Three authors and their books; one book has no author."""
    ids = {}
    for name, born in (("Le Guin", 1929), ("Butler", 1947), ("Banks", 1954)):
        ids[name] = Author.create(name=name, born=born).id
    Book.bulk_create([
        Book(title="The Dispossessed", year=1974, author_id=ids["Le Guin"]),
        Book(title="A Wizard of Earthsea", year=1968, author_id=ids["Le Guin"]),
        Book(title="Kindred", year=1979, author_id=ids["Butler"]),
        Book(title="Consider Phlebas", year=1987, author_id=ids["Banks"]),
        Book(title="Anonymous", year=1990, author_id=None),
    ])
    return ids


class Sent:
    """The statements sent while it is open, from the ``ormada`` logger."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.start = 0

    def __enter__(self) -> Sent:
        self.start = len(self.caplog.records)
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    @property
    def texts(self) -> list[str]:
        return [r.getMessage() for r in self.caplog.records[self.start:]
                if r.name == "ormada" and SENT.match(r.getMessage())]


@pytest.fixture
def sent(caplog: pytest.LogCaptureFixture) -> Iterator[Sent]:
    with caplog.at_level(logging.DEBUG, logger="ormada"):
        yield Sent(caplog)


async def titles(api: Api, qs: ormada.QuerySet[Book]) -> list[str]:
    return [b.title for b in await api(qs.order_by("year"), "all")]


async def test_building_the_filter_sends_nothing_and_the_read_sends_one_statement(
        library: dict[str, int], api: Api, sent: Sent) -> None:
    with sent:
        qs = Book.filter(author_id__in=Author.filter(born__lt=1950))
        assert sent.texts == []
        assert await titles(api, qs) == ["A Wizard of Earthsea", "The Dispossessed", "Kindred"]
    assert len(sent.texts) == 1
    assert re.search(r"IN \(SELECT author\.id\s+FROM author\b", sent.texts[0])


async def test_the_inner_query_is_read_when_the_outer_one_runs(library: dict[str, int], api: Api) -> None:
    qs = Book.filter(author_id__in=Author.filter(name__startswith="B"))
    Author.create(name="Bradbury", born=1920)  # after filter(), before the read
    bradbury = Author.get(name="Bradbury").id
    Book.create(title="Fahrenheit 451", year=1953, author_id=bradbury)
    assert await titles(api, qs) == ["Fahrenheit 451", "Kindred", "Consider Phlebas"]


async def test_statement_shows_the_subquery_with_its_parameters(library: dict[str, int], backend: str,
                                                                db: ormada.Database) -> None:
    inner = Author.filter(born__gte=1940).order_by("-born").limit(1)
    statement = Book.filter(author_id__in=inner, year__gt=1900).statement()
    text = " ".join(statement.text.split())
    if db.backend.supports.extra.get("limit_in_subquery", True):
        assert "books.author_id IN (SELECT author.id FROM author WHERE author.born >= " in text
    else:  # MySQL and MariaDB: the limited SELECT in a derived table, its window kept
        assert "books.author_id IN (SELECT anon_1.id FROM (SELECT author.id AS id FROM author " \
               "WHERE author.born >= " in text
        assert text.endswith(") AS anon_1) AND books.year > %s"), text
    assert "ORDER BY author.born DESC LIMIT " in text
    offset = [0] if backend == "sqlite" else []  # SQLite's dialect adds OFFSET 0 after a LIMIT
    assert list(statement.params) == [1940, 1, *offset, 1900]


@pytest.mark.parametrize("projection", ["values_list_flat", "values_list", "values", "only", "model"])
async def test_projections_select_one_column(library: dict[str, int], api: Api, projection: str) -> None:
    authors = Author.filter(name="Butler")
    inner = {
        "values_list_flat": authors.values_list("id", flat=True),
        "values_list": authors.values_list("id"),
        "values": authors.values("id"),
        "only": authors.only("id"),
        "model": authors,
    }[projection]
    assert await titles(api, Book.filter(author_id__in=inner)) == ["Kindred"]


async def test_a_projected_column_other_than_the_key(library: dict[str, int], api: Api) -> None:
    # Authors who wrote a book before 1970, found from the books' side.
    early = Book.filter(year__lt=1970).values_list("author_id", flat=True)
    assert [a.name for a in await api(Author.filter(id__in=early), "all")] == ["Le Guin"]
    born = Author.filter(born__lt=1950).only("born")
    assert await api(Author.filter(born__in=born), "count") == 2


async def test_limit_offset_and_order_of_the_inner_query(library: dict[str, int], api: Api, sent: Sent) -> None:
    youngest = Author.query().order_by("-born").limit(2)
    with sent:
        assert await titles(api, Book.filter(author_id__in=youngest)) == ["Kindred", "Consider Phlebas"]
        second = Author.query().order_by("born")[1:2]
        assert await titles(api, Book.filter(author_id__in=second)) == ["Kindred"]
        nothing = Author.query().limit(0)
        assert await titles(api, Book.filter(author_id__in=nothing)) == []
    assert len(sent.texts) == 3


async def test_exclude_q_objects_and_nesting(library: dict[str, int], api: Api) -> None:
    old = Author.filter(born__lt=1950)
    assert await titles(api, Book.exclude(author_id__in=old)) == ["Consider Phlebas", "Anonymous"]
    either = Book.filter(Q(author_id__in=Author.filter(name="Banks")) | Q(year__lt=1970))
    assert await titles(api, either) == ["A Wizard of Earthsea", "Consider Phlebas"]
    neither = Book.filter(~Q(author_id__in=old), year__lt=1989)
    assert await titles(api, neither) == ["Consider Phlebas"]
    # Authors with a book written by an author born after 1940: a subquery inside a subquery.
    nested = Author.filter(id__in=Book.filter(author_id__in=Author.filter(born__gt=1940)).values("author_id"))
    assert sorted(a.name for a in await api(nested, "all")) == ["Banks", "Butler"]


async def test_exclude_with_nulls_in_the_inner_column(library: dict[str, int], api: Api) -> None:
    # "Anonymous" has no author: SQL's NOT IN over a NULL matches nothing, which would drop every author.
    with_books = Book.values_list("author_id", flat=True)
    Author.create(name="Nobody")
    assert [a.name for a in await api(Author.exclude(id__in=with_books), "all")] == ["Nobody"]
    latest = with_books.order_by("-year")[:2]  # Anonymous (1990) and Banks's (1987)
    assert [a.name for a in await api(Author.exclude(id__in=latest).order_by("id"), "all")] == [
        "Le Guin", "Butler", "Nobody"]


async def test_self_reference(library: dict[str, int], api: Api) -> None:
    recent = Book.filter(year__gt=1975)
    assert await titles(api, Book.filter(id__in=recent, title__startswith="K")) == ["Kindred"]
    assert await api(Book.filter(id__in=recent), "update", pages=7) == 3
    assert await api(Book.filter(id__in=recent).exclude(pages=7), "count") == 0


async def test_async_twins_send_one_statement_each(library: dict[str, int], api: Api, sent: Sent) -> None:
    old = Author.filter(born__lt=1950)
    with sent:
        assert await api(Book.filter(author_id__in=old), "count") == 3
        assert await api(Book.filter(author_id__in=old), "exists") is True
        assert await api(Book.filter(author_id__in=Author.filter(born__gt=2000)), "exists") is False
        assert await api(Book.filter(author_id__in=old), "update", pages=1) == 3
        assert await api(Book.filter(author_id__in=old.filter(name="Butler")), "delete") == 1
    assert len(sent.texts) == 5
    assert all("IN (SELECT author.id" in " ".join(t.split()) for t in sent.texts)
    assert sorted(b.title for b in await api(Book.filter(pages=1), "all")) == [
        "A Wizard of Earthsea", "The Dispossessed"]


async def test_update_and_delete_with_a_window_and_a_subquery(library: dict[str, int], api: Api) -> None:
    old = Author.filter(born__lt=1950)
    first = Book.filter(author_id__in=old).order_by("year").limit(1)
    assert await api(first, "update", pages=3) == 1
    assert [b.title for b in await api(Book.filter(pages=3), "all")] == ["A Wizard of Earthsea"]
    assert await api(Book.filter(author_id__in=old).order_by("-year")[:2], "delete") == 2
    assert await titles(api, Book.query()) == ["A Wizard of Earthsea", "Consider Phlebas", "Anonymous"]


async def test_repeated_queries_bind_new_values(library: dict[str, int], api: Api) -> None:
    for name, expected in (("Butler", ["Kindred"]), ("Banks", ["Consider Phlebas"])):
        assert await titles(api, Book.filter(author_id__in=Author.filter(name=name))) == expected


def test_more_than_one_column_is_refused() -> None:
    with pytest.raises(ormada.QueryError, match=r"Book\.author_id__in.*Author.*2 columns.*id, name"):
        Book.filter(author_id__in=Author.query().values_list("id", "name"))
    with pytest.raises(ormada.QueryError, match=r"Book\.author_id__in.*Author.*columns"):
        Book.filter(author_id__in=Author.query().values())
    with pytest.raises(ormada.QueryError, match=r"Book\.id__in.*Membership.*2 columns.*group, member"):
        Book.exclude(id__in=Membership.query())


def test_another_database_is_refused() -> None:
    with pytest.raises(ormada.QueryError, match=r"Book\.author_id__in.*Shelf.*'subquery_elsewhere'.*'default'"):
        Book.filter(Q(author_id__in=Shelf.query().values_list("author_id", flat=True)))
