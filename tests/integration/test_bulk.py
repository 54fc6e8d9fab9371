"""bulk_create, bulk_update, upsert, get_or_create and update_or_create."""

from __future__ import annotations

import pytest

import ormada
from tests.conftest import Api
from tests.models import Author, Book


async def test_bulk_create_sets_keys_in_batches(db: ormada.Database, api: Api) -> None:
    books = [Book(title=f"Book {i}", year=1900 + i) for i in range(25)]
    created = await api(Book, "bulk_create", books, batch_size=10)
    assert created == books
    ids = [b.id for b in books]
    assert None not in ids and len(set(ids)) == 25
    stored = await api(Book.order_by("id").values_list("id", "title"), "all")
    assert stored == [(b.id, b.title) for b in books]
    books[3].year = 2000
    await api(books[3], "save")  # created instances are tracked like loaded ones
    assert (await api(Book, "get", id=books[3].id)).year == 2000


async def test_bulk_create_mixes_given_and_generated_keys(db: ormada.Database, api: Api) -> None:
    books = [Book(id=1000, title="Given", year=1), Book(title="Generated", year=2)]
    await api(Book, "bulk_create", books)
    assert books[0].id == 1000 and books[1].id is not None
    assert await api(Book.query(), "count") == 2


@pytest.mark.requires("savepoints")  # the row is found by replaying the rows one by one
async def test_bulk_create_is_all_or_nothing_and_names_the_row(db: ormada.Database, api: Api) -> None:
    await api(Author, "create", name="Taken")
    authors = [Author(name=f"A{i}") for i in range(5)] + [Author(name="Taken")] + [Author(name="Z")]
    with pytest.raises(ormada.IntegrityError, match=r"row 5 \(.*Taken.*\) was refused") as caught:
        await api(Author, "bulk_create", authors, batch_size=3)
    assert caught.value.__cause__ is not None
    assert await api(Author.query(), "count") == 1


@pytest.mark.requires("savepoints")  # the row is found by replaying the rows one by one
async def test_bulk_create_names_a_clash_inside_one_batch(db: ormada.Database, api: Api) -> None:
    books = [Author(name="a"), Author(name="b"), Author(name="a")]
    with pytest.raises(ormada.IntegrityError, match=r"row 2 \(.*name='a'.*\) was refused"):
        await api(Author, "bulk_create", books)
    assert [a.id for a in books] == [None, None, None]
    assert await api(Author.query(), "count") == 0


@pytest.mark.requires("savepoints")  # the row is found by replaying the rows one by one
async def test_bulk_create_of_a_wide_model_is_all_or_nothing(db: ormada.Database, api: Api) -> None:
    # 20 columns: PostgreSQL sends such rows as pipelined single-row INSERTs.
    from tests.models import Everything

    rows = [Everything(s=f"r{i}", i=i) for i in range(7)]
    await api(Everything, "bulk_create", rows, batch_size=3)
    assert [r.id for r in rows] == sorted(r.id for r in rows) and None not in [r.id for r in rows]
    assert await api(Everything.order_by("id").values_list("id", "s"), "all") == [(r.id, r.s) for r in rows]
    clash = [Everything(s="new"), Everything(id=rows[0].id, s="taken")]
    with pytest.raises(ormada.IntegrityError, match=r"row 1 \(.*taken.*\) was refused"):
        await api(Everything, "bulk_create", clash)
    assert clash[0].id is None
    assert await api(Everything.query(), "count") == 7


async def test_bulk_create_rejects_other_models(db: ormada.Database, api: Api) -> None:
    with pytest.raises(ormada.QueryError, match="item 0 is a Author, not a Book"):
        await api(Book, "bulk_create", [Author(name="x")])  # type: ignore[list-item]


async def test_bulk_update(db: ormada.Database, api: Api) -> None:
    books = await api(Book, "bulk_create", [Book(title=f"T{i}", year=i) for i in range(10)])
    for book in books:
        book.year += 100
        book.pages = 7
    assert await api(Book, "bulk_update", books, ["year"], batch_size=4) == 10
    assert sorted(await api(Book.values_list("year", flat=True), "all")) == list(range(100, 110))
    assert set(await api(Book.values_list("pages", flat=True), "all")) == {100}
    with pytest.raises(ormada.QueryError, match="needs the fields"):
        await api(Book, "bulk_update", books, [])
    with pytest.raises(ormada.QueryError, match="primary-key"):
        await api(Book, "bulk_update", books, ["id"])
    with pytest.raises(ormada.QueryError, match="did you mean 'year'"):
        await api(Book, "bulk_update", books, ["yeer"])


async def test_upsert(db: ormada.Database, api: Api) -> None:
    first = await api(Author, "upsert", [Author(name="Le Guin", born=1900), Author(name="Butler")], conflict=["name"])
    assert all(a.id is not None for a in first)
    second = await api(Author, "upsert", [Author(name="Le Guin", born=1929), Author(name="Jemisin", born=1972)],
                       conflict=["name"], update=["born"])
    assert second[0].id == first[0].id
    rows = await api(Author.order_by("name").values_list("name", "born"), "all")
    assert rows == [("Butler", None), ("Jemisin", 1972), ("Le Guin", 1929)]
    # Nothing to update: existing rows stay as they are, every instance still gets its key.
    third = await api(Author, "upsert", [Author(name="Butler", born=1947)], conflict=["name"], update=[])
    assert third[0].id == first[1].id
    assert (await api(Author, "get", name="Butler")).born is None
    # By primary key.
    await api(Author, "upsert", [Author(id=first[1].id, name="Octavia E. Butler", born=1947)])
    assert (await api(Author, "get", id=first[1].id)).name == "Octavia E. Butler"


async def test_get_or_create(db: ormada.Database, api: Api) -> None:
    author, created = await api(Author, "get_or_create", name="Le Guin", defaults={"born": 1929})
    assert created and author.id is not None and author.born == 1929
    again, created = await api(Author, "get_or_create", name="Le Guin", defaults={"born": 1})
    assert not created and again.id == author.id and again.born == 1929
    book, created = await api(Book.filter(year__gt=0), "get_or_create", title="X", defaults={"year": 5})
    assert created and book.year == 5


async def test_get_or_create_inside_a_transaction_survives_a_conflict(db: ormada.Database, api: Api) -> None:
    async with api.transaction(db):
        await api(Author, "create", name="Existing")
        _, created = await api(Author, "get_or_create", name="Existing")
        assert not created
        await api(Author, "create", name="After")
    assert await api(Author.query(), "count") == 2


async def test_update_or_create(db: ormada.Database, api: Api) -> None:
    author, created = await api(Author, "update_or_create", name="Jemisin", defaults={"born": 1900})
    assert created and author.born == 1900
    updated, created = await api(Author, "update_or_create", name="Jemisin", defaults={"born": 1972})
    assert not created and updated.id == author.id and updated.born == 1972
    assert (await api(Author, "get", id=author.id)).born == 1972


async def test_create_validates_before_sending(db: ormada.Database, api: Api) -> None:
    with pytest.raises(ValueError, match="year"):
        await api(Book, "create", title="x", year="not a number")
    with pytest.raises(ValueError, match="at most 100 characters"):
        await api(Author, "create", name="x" * 101)
    assert await api(Book.query(), "count") == 0


async def test_bulk_create_round_trips_every_type(db: ormada.Database, api: Api) -> None:
    import datetime as dt
    import uuid
    from decimal import Decimal

    from tests.models import Address, Everything, Genre, Level

    rows = [
        Everything(i=1, small=2, big=2**40, f=1.5, b=True, s="x", short="y", raw=b"\x00\x01",
                   d=Decimal("12.3400"), u=uuid.uuid4(), at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                   day=dt.date(2024, 1, 2), clock=dt.time(3, 4, 5), genre=Genre.FICTION, level=Level.HIGH,
                   items=[1, 2], mapping={"a": [1]}, address=Address(city="Oslo"),
                   addresses=[Address(city="Rome", zip="00100")]),
        Everything(),  # every optional column NULL
        Everything(s="only text"),
    ]
    await api(Everything, "bulk_create", rows)
    loaded = await api(Everything.order_by("id"), "all")
    assert [r.model_dump() for r in loaded] == [r.model_dump() for r in rows]


async def test_bulk_created_instances_track_changes_in_place(db: ormada.Database, api: Api) -> None:
    from tests.models import Address, Everything

    rows = [Everything(mapping={"n": i}, addresses=[Address(city="Oslo")], s=None if i % 2 else "x")
            for i in range(6)]
    await api(Everything, "bulk_create", rows, batch_size=4)
    assert all("id" in r.model_dump(exclude_unset=True) for r in rows)  # the generated key counts as set
    rows[1].mapping["n"] = 100  # changed in place: only the stored JSON text can tell
    rows[2].addresses.append(Address(city="Rome"))  # type: ignore[union-attr]
    for row in rows:
        await api(row, "save")
    loaded = await api(Everything.order_by("id"), "all")
    assert [r.mapping for r in loaded] == [{"n": 0}, {"n": 100}, {"n": 2}, {"n": 3}, {"n": 4}, {"n": 5}]
    assert [len(r.addresses or []) for r in loaded] == [1, 1, 2, 1, 1, 1]
    assert [r.s for r in loaded] == ["x", None, "x", None, "x", None]


async def test_bulk_create_refuses_an_integer_out_of_range(db: ormada.Database, api: Api) -> None:
    from tests.models import Everything

    rows = [Everything(small=1), Everything(small=None), Everything(small=-2), Everything(small=40_000)]
    with pytest.raises(ormada.DataError, match=r"Everything.small: 40000 does not fit in a int16 column"):
        await api(Everything, "bulk_create", rows)
    assert await api(Everything.query(), "count") == 0
    assert [r.id for r in rows] == [None, None, None, None]
    await api(Everything, "bulk_create", rows[:3])  # None and values in range pass
    assert await api(Everything.order_by("id").values_list("small", flat=True), "all") == [1, None, -2]
