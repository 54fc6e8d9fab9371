"""QuerySet lookups, ordering, windows, projections and terminals on every backend and mode."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

import ormada
from ormada import F, Q
from tests.conftest import Api
from tests.models import Author, Book, Everything, Price

TITLES = [
    ("The Left Hand of Darkness", 1969, ["classic", "sf"]),
    ("The Dispossessed", 1974, ["classic"]),
    ("A Wizard of Earthsea", 1968, ["fantasy"]),
    ("Kindred", 1979, []),
    ("Parable of the Sower", 1993, ["sf"]),
    ("100% Pure_Title [x]*?", 2001, []),
]


@pytest.fixture
async def library(db: ormada.Database) -> list[Book]:
    author = Author.create(name="Various")
    books = [Book(title=t, year=y, tags=tags, author_id=author.id, pages=100 + i) for i, (t, y, tags) in
             enumerate(TITLES)]
    return Book.bulk_create(books)


async def titles(api: Api, qs: ormada.QuerySet[Book]) -> list[str]:
    return [b.title for b in await api(qs, "all")]


@pytest.mark.parametrize(("lookups", "expected"), [
    ({"year": 1974}, ["The Dispossessed"]),
    ({"year__exact": 1974}, ["The Dispossessed"]),
    ({"year__gt": 1979}, ["Parable of the Sower", "100% Pure_Title [x]*?"]),
    ({"year__gte": 1979}, ["Kindred", "Parable of the Sower", "100% Pure_Title [x]*?"]),
    ({"year__lt": 1969}, ["A Wizard of Earthsea"]),
    ({"year__lte": 1969}, ["The Left Hand of Darkness", "A Wizard of Earthsea"]),
    ({"year__in": [1968, 1979, 1800]}, ["A Wizard of Earthsea", "Kindred"]),
    ({"year__in": []}, []),
    ({"year__range": (1970, 1980)}, ["The Dispossessed", "Kindred"]),
    ({"rating__isnull": True, "year__lt": 1969}, ["A Wizard of Earthsea"]),
    ({"rating__isnull": False}, []),
    ({"rating": None, "year": 1968}, ["A Wizard of Earthsea"]),
    ({"title__iexact": "kindred"}, ["Kindred"]),
    ({"title__contains": "of"}, ["The Left Hand of Darkness", "A Wizard of Earthsea", "Parable of the Sower"]),
    ({"title__contains": "Of"}, []),
    ({"title__icontains": "OF"}, ["The Left Hand of Darkness", "A Wizard of Earthsea", "Parable of the Sower"]),
    ({"title__startswith": "The"}, ["The Left Hand of Darkness", "The Dispossessed"]),
    ({"title__startswith": "the"}, []),
    ({"title__istartswith": "the"}, ["The Left Hand of Darkness", "The Dispossessed"]),
    ({"title__endswith": "Sower"}, ["Parable of the Sower"]),
    ({"title__iendswith": "SOWER"}, ["Parable of the Sower"]),
    ({"title__contains": "100%"}, ["100% Pure_Title [x]*?"]),
    ({"title__contains": "%"}, ["100% Pure_Title [x]*?"]),
    ({"title__contains": "_"}, ["100% Pure_Title [x]*?"]),
    ({"title__contains": "[x]*?"}, ["100% Pure_Title [x]*?"]),
    ({"title__icontains": "e_t"}, ["100% Pure_Title [x]*?"]),
    ({"tags__contains": "classic"}, ["The Left Hand of Darkness", "The Dispossessed"]),
    ({"tags__contains": "nothing"}, []),
])
async def test_lookups(library: list[Book], api: Api, lookups: dict[str, object], expected: list[str]) -> None:
    assert await titles(api, Book.filter(**lookups).order_by("id")) == expected


async def test_q_objects(library: list[Book], api: Api) -> None:
    either = Book.filter(Q(year__lt=1969) | Q(title__startswith="Kin")).order_by("year")
    assert await titles(api, either) == ["A Wizard of Earthsea", "Kindred"]
    both = Book.filter(Q(year__gt=1960) & ~Q(tags__contains="classic"), year__lt=1990).order_by("year")
    assert await titles(api, both) == ["A Wizard of Earthsea", "Kindred"]
    nested = Book.filter(~(Q(year__lt=1970) | Q(year__gt=1980))).order_by("year")
    assert await titles(api, nested) == ["The Dispossessed", "Kindred"]
    assert await api(Book.exclude(year__lt=1990), "count") == 2
    # NULLs are not equal to 4.0, so exclude() keeps them (as Django does).
    await api(Book.filter(year=1974), "update", rating=4.0)
    assert await api(Book.exclude(rating=4.0), "count") == 5
    assert await api(Book.filter(~Q(rating__gt=1.0) | Q(year=1974)), "count") == 6
    assert await api(Book.filter(~~Q(rating=4.0)), "count") == 1
    assert await api(Book.exclude(year__gt=1990, title__contains="Sower"), "count") == 5


async def test_ordering_windows_and_slicing(library: list[Book], api: Api) -> None:
    by_year = Book.order_by("-year")
    assert await titles(api, by_year.limit(2)) == ["100% Pure_Title [x]*?", "Parable of the Sower"]
    assert await titles(api, by_year.offset(4)) == ["The Left Hand of Darkness", "A Wizard of Earthsea"]
    assert await titles(api, by_year[1:3]) == ["Parable of the Sower", "Kindred"]
    assert await titles(api, by_year[1:5][1:2]) == ["Kindred"]
    assert await titles(api, by_year[10:]) == []
    assert by_year[0].title == "100% Pure_Title [x]*?"
    with pytest.raises(IndexError):
        by_year[100]
    assert await titles(api, Book.order_by("pages", "-year")) == [t for t, _, _ in TITLES]
    first = await api(Book.filter(year__gt=1970), "first")
    last = await api(Book.filter(year__gt=1970), "last")
    assert (first.title, last.title) == ("The Dispossessed", "100% Pure_Title [x]*?")
    assert await api(Book.filter(year=1), "first") is None


async def test_get_and_get_or_none(library: list[Book], api: Api) -> None:
    book = await api(Book, "get", title="Kindred")
    assert book.year == 1979
    assert (await api(Book.filter(year__gt=1970), "get", title__startswith="Kin")).title == "Kindred"
    assert await api(Book, "get_or_none", title="Nope") is None
    with pytest.raises(Book.DoesNotExist, match=r"title=.Nope."):
        await api(Book, "get", title="Nope")
    with pytest.raises(ormada.DoesNotExist):
        await api(Book, "get", title="Nope")
    with pytest.raises(Book.MultipleObjectsReturned):
        await api(Book, "get", year__gt=1970)
    with pytest.raises(ormada.MultipleObjectsReturned):
        await api(Book, "get_or_none", year__gt=1970)


async def test_get_by_field_values_checks_them_like_filter(library: list[Book], api: Api) -> None:
    kindred = await api(Book, "get", title="Kindred")
    assert (await api(Book, "get", id=kindred.id)).title == "Kindred"
    assert (await api(Book, "get", id=str(kindred.id))).title == "Kindred"  # coerced as filter() does
    assert (await api(Book, "get", year=1979, title="Kindred")).id == kindred.id
    assert (await api(Book, "get", rating=None, year=1979)).id == kindred.id  # None means IS NULL
    assert (await api(Book, "get", id=F("id"), title="Kindred")).id == kindred.id
    assert await api(Book, "get_or_none", id=kindred.id + 1000) is None
    with pytest.raises(Book.DoesNotExist, match=r"Book matching \(id=\d+ AND year=1\) does not exist"):
        await api(Book, "get", id=kindred.id, year=1)
    with pytest.raises(Book.MultipleObjectsReturned, match=r"author_id=\d+; use filter\(\)"):
        await api(Book, "get_or_none", author_id=kindred.author_id)
    with pytest.raises(ormada.QueryError, match=r"Book\.id: invalid value 'seven'"):
        await api(Book, "get", id="seven")
    with pytest.raises(ormada.QueryError, match="did you mean 'title'"):
        await api(Book, "get", titel="Kindred")


async def test_count_exists_update_delete(library: list[Book], api: Api) -> None:
    assert await api(Book.query(), "count") == 6
    assert await api(Book.filter(year__gt=1990), "count") == 2
    assert await api(Book.filter(year__gt=1990), "exists") is True
    assert await api(Book.filter(year__gt=2990), "exists") is False
    assert await api(Book.order_by("year")[:3], "count") == 3
    assert await api(Book.filter(year__gt=1990), "update", rating=4.0) == 2
    assert await api(Book.filter(rating=4.0), "count") == 2
    assert await api(Book.filter(year__lt=1970), "update", year=F("year") + 100) == 2
    assert sorted(await api(Book.values_list("year", flat=True), "all"))[-2:] == [2068, 2069]
    assert await api(Book.order_by("year")[:2], "delete") == 2
    assert await api(Book.query(), "count") == 4
    assert await api(Book.filter(year__gt=1000), "delete") == 4
    assert await api(Book, "exists") is False


async def test_update_checks_values(library: list[Book], api: Api) -> None:
    with pytest.raises(ormada.QueryError, match=r"Book\.year: invalid value 'soon'"):
        await api(Book.query(), "update", year="soon")
    with pytest.raises(ormada.QueryError, match="not optional"):
        await api(Book.query(), "update", title=None)
    with pytest.raises(ormada.QueryError, match="did you mean 'title'"):
        await api(Book.query(), "update", titel="x")


async def test_projections(library: list[Book], api: Api) -> None:
    qs = Book.filter(year__lt=1970).order_by("year")
    assert await api(qs.values("title", "year"), "all") == [
        {"title": "A Wizard of Earthsea", "year": 1968}, {"title": "The Left Hand of Darkness", "year": 1969}]
    assert await api(qs.values_list("year", "tags"), "all") == [(1968, ["fantasy"]), (1969, ["classic", "sf"])]
    assert await api(qs.values_list("title", flat=True), "all") == ["A Wizard of Earthsea",
                                                                     "The Left Hand of Darkness"]
    full = (await api(qs.values(), "all"))[0]
    assert set(full) == set(Book.model_fields)
    assert await api(Book.values_list("author_id", flat=True).distinct(), "all") == [library[0].author_id]
    assert await api(Book.values_list("author_id").distinct(), "count") == 1
    only = (await api(qs.only("title"), "all"))[0]
    assert only.title == "A Wizard of Earthsea" and only.id is not None
    with pytest.raises(ormada.DeferredFieldError, match="year"):
        _ = only.year
    only.title = "Earthsea"
    await api(only, "save")  # writes just the loaded, changed field
    assert (await api(Book, "get", id=only.id)).year == 1968
    deferred = (await api(qs.defer("tags", "pages"), "all"))[0]
    assert deferred.year == 1968
    with pytest.raises(AttributeError):
        _ = deferred.tags
    await api(deferred, "refresh")
    assert deferred.tags == ["fantasy"]


async def test_iteration_and_streaming(library: list[Book], api: Api) -> None:
    qs = Book.order_by("id")
    assert [b.title for b in await api.list(qs)] == [t for t, _, _ in TITLES]
    assert [b.title for b in await api.iterate(qs, chunk_size=4)] == [t for t, _, _ in TITLES]
    assert await api.iterate(qs.values_list("year", flat=True), chunk_size=2) == [y for _, y, _ in TITLES]
    if api.is_async:
        assert [b.title for b in await qs] == [t for t, _, _ in TITLES]


async def test_streaming_inside_a_transaction(library: list[Book], db: ormada.Database, api: Api) -> None:
    async with api.transaction(db):
        seen = await api.iterate(Book.order_by("id"), chunk_size=2)
        assert len(seen) == 6
        assert await api(Book.query(), "count") == 6


async def test_f_expressions_compare_columns(library: list[Book], api: Api) -> None:
    await api(Book.filter(title="Kindred"), "update", pages=F("year"))
    assert await titles(api, Book.filter(pages=F("year"))) == ["Kindred"]
    assert await api(Book.filter(pages__lt=F("year") - 1000), "count") == 6 - 1


async def test_decimal_constants_inside_expressions(db: ormada.Database, api: Api) -> None:
    cheap = await api(Price, "create", amount=Decimal("2.50"))
    await api(Price, "create", amount=Decimal("10.00"))
    assert await api(Price.filter(id=cheap.id), "update", amount=F("amount") + Decimal("1.25")) == 1
    assert (await api(Price, "get", id=cheap.id)).amount == Decimal("3.75")
    assert await api(Price.filter(amount__gt=F("amount") * Decimal("0.5")), "count") == 2
    assert await api(Price.filter(amount__gt=F("amount") - Decimal("1")), "count") == 2
    assert await api(Price.filter(amount__gt=F("amount") + Decimal("0.01")), "count") == 0
    big = await api(Everything, "create", d=Decimal("1.0000"))
    await api(Everything.filter(id=big.id), "update", d=F("d") * Decimal("2.5"))
    assert (await api(Everything, "get", id=big.id)).d == Decimal("2.5000")


async def test_text_lookups_match_values_of_any_length_and_character(db: ormada.Database, api: Api) -> None:
    long = "x" * 1_000_000
    for text in (long + "needle" + long, "50% off_[*]?\\", "Straße", "plain"):
        await api(Everything, "create", s=text)

    async def count(**lookup: str) -> int:
        return int(await api(Everything.filter(**lookup), "count"))

    assert await count(s__contains="needle") == 1
    assert await count(s__contains=long + "needle") == 1  # a 1 MB pattern
    assert await count(s__startswith=long + "n") == 1
    assert await count(s__endswith="needle" + long) == 1
    assert await count(s__contains="% off_") == 1  # wildcards of every dialect are plain text
    assert await count(s__startswith="50%") == 1
    assert await count(s__endswith="[*]?\\") == 1
    assert await count(s__contains="%") == 1 and await count(s__contains="_") == 1
    assert await count(s__contains="*") == 1 and await count(s__startswith="5_") == 0
    assert await count(s__icontains="STRA") == 1 and await count(s__contains="STRA") == 0
    assert await count(s__istartswith="PLA") == 1 and await count(s__iendswith="AIN") == 1
    assert await count(s__endswith="") == 4 and await count(s__startswith="") == 4


async def test_text_lookups_match_nul_bytes(db: ormada.Database, api: Api, backend: str) -> None:
    if backend == "postgresql":  # its text type cannot hold a NUL byte: refused, nothing written
        with pytest.raises(ormada.DataError, match="0x00"):
            await api(Everything, "create", s="ab\x00cd")
        assert await api(Everything.query(), "count") == 0
        return
    await api(Everything, "create", s="ab\x00cd")
    await api(Everything, "create", s="ab")
    assert await api(Everything.filter(s__contains="\x00c"), "count") == 1
    assert await api(Everything.filter(s__contains="b\x00z"), "count") == 0
    assert await api(Everything.filter(s__startswith="ab\x00"), "count") == 1
    assert await api(Everything.filter(s__endswith="\x00cd"), "count") == 1
    assert await api(Everything.filter(s__endswith="cd"), "count") == 1


async def test_statement_and_explain(library: list[Book], db: ormada.Database, api: Api, backend: str) -> None:
    statement = Book.filter(year__gte=1970, title__icontains="dark").order_by("-year").limit(5).statement()
    assert statement.text.startswith("SELECT books.id, books.title")
    pattern = "dark" if backend == "sqlite" else "%dark%"  # SQLite matches with instr(), not LIKE
    assert list(statement.params)[:3] == [1970, pattern, 5]  # SQLite adds OFFSET 0
    assert "books" in str(statement)
    plan = await api(Book.filter(title="Kindred"), "explain")
    assert isinstance(plan, str) and plan


async def test_every_statement_is_logged_with_its_duration(library: list[Book], api: Api,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="ormada"):
        await api(Book.filter(year=1974), "all")
    messages = [r.getMessage() for r in caplog.records if r.name == "ormada"]
    assert any(" ms SELECT books.id" in m and m.endswith("(1 parameter)") for m in messages)
    assert not any("1974" in m for m in messages)  # values only with log_params (test_log_params.py)


async def test_raw_sql_binds_parameters(library: list[Book], db: ormada.Database, api: Api) -> None:
    rows = await api.execute(db, "SELECT title FROM books WHERE year = :year", {"year": 1974})
    assert [tuple(r) for r in rows] == [("The Dispossessed",)]
    hostile = "x'; DROP TABLE books; --"
    assert await api.execute(db, "SELECT title FROM books WHERE title = :t", {"t": hostile}) == []
    changed = await api.execute(db, "UPDATE books SET pages = :p WHERE year > :y", {"p": 1, "y": 1990})
    assert changed == 2
    assert await api(Book.query(), "count") == 6
    with pytest.raises(ormada.QueryError, match="named parameters"):
        await api.execute(db, "SELECT 1", [1])  # type: ignore[arg-type]


async def test_dict_lookups(db: ormada.Database, api: Api) -> None:
    from tests.models import Everything

    await api(Everything, "create", mapping={"colour": "red", "size": 3}, s="Red shirt")
    await api(Everything, "create", mapping={"colour": "blue"}, s="blue sky")
    await api(Everything, "create", s="plain")
    assert await api(Everything.filter(mapping__contains="red"), "count") == 1
    assert await api(Everything.filter(mapping__contains=3), "count") == 1
    assert await api(Everything.filter(mapping__contains_key="colour"), "count") == 2
    assert await api(Everything.filter(mapping__contains_key="size"), "count") == 1
    assert await api(Everything.filter(s__like="%sky"), "count") == 1
    with pytest.raises(ormada.QueryError, match="needs a dict field"):
        Everything.filter(s__contains_key="x")
    with pytest.raises(ormada.NotSupported, match="only on Cassandra"):
        await api(Everything.filter(token__gt=5), "count")
