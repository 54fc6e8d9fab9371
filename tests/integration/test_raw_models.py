"""Model.raw(sql, params): instances from a SELECT of one's own, fields matched by column name,
other columns as attributes, on every backend and mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import pytest

import ormada
from ormada import Column, Model, PrimaryKey, QueryError
from ormada.model import DeferredFieldError
from ormada.query.raw import RawQuerySet
from tests.conftest import Api, models_database
from tests.models import Book


class Shelf(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    label: Annotated[str, Column("shelf_label")]
    floor: int
    note: str | None = None

    class Meta:
        table = "raw_shelf"


@pytest.fixture
async def db(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ormada.Database]:
    async with models_database(backend, request, tmp_path, [Shelf, Book]) as database:
        Shelf.bulk_create([Shelf(label="Fiction", floor=1, note="by the door"), Shelf(label="Science", floor=2),
                           Shelf(label="Poetry", floor=3, note="quiet")])
        Book.bulk_create([Book(title="Kindred", year=1979, tags=["classic", "sf"])])
        yield database


async def read(api: Api, raw: RawQuerySet[Shelf]) -> list[Shelf]:
    return await api(raw, "all")


async def test_columns_fill_fields_by_column_name(db: ormada.Database, api: Api) -> None:
    raw = Shelf.objects.raw("SELECT * FROM raw_shelf WHERE floor >= :floor ORDER BY id", {"floor": 2})
    found = await read(api, raw)
    assert [(s.label, s.floor, s.note) for s in found] == [("Science", 2, None), ("Poetry", 3, "quiet")]
    assert all(isinstance(s, Shelf) for s in found)
    assert [s.label for s in await api.list(raw)] == ["Science", "Poetry"]
    if api.is_async:
        assert [s.label for s in await raw] == ["Science", "Poetry"]
    # Values are decoded as in any read (a JSON list here).
    books = await api(Book.objects.raw("SELECT * FROM books"), "all")
    assert books[0].tags == ["classic", "sf"]


async def test_a_loaded_instance_saves_what_changed(db: ormada.Database, api: Api) -> None:
    one = Shelf.objects.raw("SELECT id, shelf_label, floor FROM raw_shelf WHERE id = :id", {"id": 1})
    shelf = (await read(api, one))[0]
    shelf.floor = 5
    await api(shelf, "save")
    stored = await api(Shelf, "get", id=1)
    assert (stored.label, stored.floor, stored.note) == ("Fiction", 5, "by the door")  # note was not read, not lost


async def test_extra_columns_become_attributes_and_unread_fields_stay_unloaded(db: ormada.Database, api: Api) -> None:
    raw = Shelf.objects.raw("SELECT floor * 10 AS height, shelf_label AS label, id, floor FROM raw_shelf "
                            "ORDER BY floor")
    found = await read(api, raw)
    assert [(s.label, s.height) for s in found] == [("Fiction", 10), ("Science", 20), ("Poetry", 30)]  # type: ignore[attr-defined]
    assert "height" not in found[0].model_dump()
    with pytest.raises(DeferredFieldError, match=r"Shelf.note was not loaded"):
        _ = found[0].note


async def test_missing_required_columns_are_named(db: ormada.Database, api: Api) -> None:
    with pytest.raises(QueryError, match=r"Shelf.raw\(\): the rows have no column for label \(columns: id, floor\); "
                                         r"select it, or rename a column with AS <name>"):
        await read(api, Shelf.objects.raw("SELECT id, floor FROM raw_shelf"))
    with pytest.raises(QueryError, match=r"the rows have no column for id, floor"):
        await read(api, Shelf.objects.raw("SELECT shelf_label FROM raw_shelf"))


async def test_parameters_are_bound_never_spliced(db: ormada.Database, api: Api) -> None:
    tricky = "Fiction' OR '1'='1"
    by_label = Shelf.objects.raw("SELECT * FROM raw_shelf WHERE shelf_label = :label", {"label": tricky})
    assert await read(api, by_label) == []
    with pytest.raises(QueryError, match=r"Shelf.raw\(\) takes named parameters as a dict"):
        Shelf.objects.raw("SELECT * FROM raw_shelf WHERE id = :id", [1])  # type: ignore[arg-type]
    with pytest.raises(QueryError, match=r"raw SQL names parameters \['id'\] that were not given"):
        await read(api, Shelf.objects.raw("SELECT * FROM raw_shelf WHERE id = :id"))


async def test_inside_a_transaction_it_sees_the_transaction_s_rows(db: ormada.Database, api: Api) -> None:
    async with api.transaction(db):
        await api(Shelf, "create", label="Maps", floor=9)
        found = await read(api, Shelf.objects.raw("SELECT * FROM raw_shelf WHERE floor = :floor", {"floor": 9}))
        assert [s.label for s in found] == ["Maps"]


def test_raw_runs_its_own_sql_only(db: ormada.Database) -> None:
    with pytest.raises(QueryError, match=r"Shelf.raw\(\) runs its own SQL, so filters, ordering and the rest of a "
                                         r"QuerySet do not apply; call it on Shelf.objects"):
        Shelf.filter(floor=1).raw("SELECT * FROM raw_shelf")
    assert [s.label for s in Shelf.objects.filter(floor=1)] == ["Fiction"]  # objects is a QuerySet of every row
