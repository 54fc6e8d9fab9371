"""What a ``select_related`` read builds from its joined rows: one instance per related row
within a read (never across reads), None for a LEFT JOIN that found nothing, self-joins,
two keys to one model, partial loads, polymorphic targets, and change tracking of the
related instances it builds."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import pytest

import ormada
from ormada import ForeignKey, Model, PrimaryKey
from ormada import _tracking as tracking
from tests.conftest import Api, models_database


class Land(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str


class Person(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str
    born: int | None = None
    land: Annotated[Land | None, ForeignKey(related_name="people")] = None


class Work(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str
    tags: list[str] = []
    author: Annotated[Person, ForeignKey(related_name="works")]
    translator: Annotated[Person | None, ForeignKey(related_name="translations")] = None


class Section(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str
    parent: Annotated[Section | None, ForeignKey("self", related_name="sections")] = None


class Shape(Model):
    """Polymorphic: rows read through it become the subclass their ``kind`` names."""

    __discriminator__ = "kind"
    id: Annotated[int | None, PrimaryKey()] = None
    kind: str = "shape"
    sides: int | None = None


class Square(Shape):
    __discriminator_value__ = "square"


class Tile(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    shape: Annotated[Shape, ForeignKey(related_name="tiles")]


class Keeper(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str


class Animal(Model):
    """Polymorphic with a relation; its subclass shares the table and so the relation."""

    __discriminator__ = "kind"
    id: Annotated[int | None, PrimaryKey()] = None
    kind: str = "animal"
    keeper: Annotated[Keeper, ForeignKey(related_name="animals")]


class Hound(Animal):
    __discriminator_value__ = "hound"

    class Meta:
        table = "animal"


MODELS = [Land, Person, Work, Section, Shape, Square, Tile, Keeper, Animal]


@pytest.fixture
async def sdb(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with models_database(backend, request, tmp_path, MODELS) as database:
        yield database


async def _works(api: Api) -> tuple[Person, Person, Person]:
    """Ann (of Erewhon) wrote two works, one translated by Bob (no land); Cy wrote one."""
    erewhon = await api(Land, "create", name="Erewhon")
    ann = await api(Person, "create", name="Ann", born=1950, land=erewhon)
    bob = await api(Person, "create", name="Bob")
    cy = await api(Person, "create", name="Cy", land=erewhon)
    await api(Work, "create", name="One", author=ann, translator=bob, tags=["a"])
    await api(Work, "create", name="Two", author=ann)
    await api(Work, "create", name="Three", author=cy, translator=ann)
    return ann, bob, cy


async def test_one_instance_per_related_row_within_a_read(sdb: ormada.Database, api: Api) -> None:
    await _works(api)
    one, two, three = await api(Work.select_related("author__land", "translator__land").order_by("id"), "all")
    assert one.author is two.author  # the same row of the same relation: one instance
    assert one.author.land is three.author.land  # nested relations too
    assert one.author.name == "Ann" and three.author.name == "Cy" and one.author.land.name == "Erewhon"
    # Each relation path has its own instances: Ann as translator is not Ann as author.
    assert three.translator.name == "Ann" and three.translator is not one.author
    # A change made through one owner shows through every owner of the same instance.
    one.author.name = "Ann B."
    assert two.author.name == "Ann B."
    # Another read builds instances of its own.
    again = await api(Work.select_related("author").order_by("id"), "all")
    assert again[0].author is again[1].author and again[0].author is not one.author
    assert again[0].author.name == "Ann"


async def test_left_joins_that_find_nothing_give_none(sdb: ormada.Database, api: Api) -> None:
    await _works(api)
    one, two, three = await api(Work.select_related("translator__land").order_by("id"), "all")
    assert one.translator.name == "Bob" and one.translator.land is None  # a translator without a land
    assert two.translator is None  # no translator, so nothing below it either
    assert three.translator.land.name == "Erewhon"
    people = await api(Person.select_related("land").order_by("id"), "all")
    assert [p.land.name if p.land else None for p in people] == ["Erewhon", None, "Erewhon"]
    assert people[0].land is people[2].land


async def test_self_joins_share_the_parent_row(sdb: ormada.Database, api: Api) -> None:
    root = await api(Section, "create", name="root")
    mid = await api(Section, "create", name="mid", parent=root)
    for name in ("a", "b"):
        await api(Section, "create", name=name, parent=mid)
    rows = await api(Section.select_related("parent__parent").order_by("id"), "all")
    by_name = {s.name: s for s in rows}
    assert by_name["root"].parent is None
    assert by_name["mid"].parent.name == "root" and by_name["mid"].parent.parent is None
    assert by_name["a"].parent is by_name["b"].parent and by_name["a"].parent.parent.name == "root"
    # The joined parent is an instance of its own, not the row read as an owner.
    assert by_name["a"].parent is not by_name["mid"]


async def test_two_keys_to_one_model(sdb: ormada.Database, api: Api) -> None:
    ann, bob, _ = await _works(api)
    work = await api(Work.select_related("author", "translator"), "get", name="One")
    assert (work.author.name, work.translator.name) == ("Ann", "Bob")
    assert (work.author.id, work.translator.id) == (ann.id, bob.id)


async def test_partial_loads_with_joins(sdb: ormada.Database, api: Api) -> None:
    await _works(api)
    works = await api(Work.select_related("author").only("name", "author_id").order_by("id"), "all")
    assert set(works[0].__dict__) == {"id", "name", "author_id"}
    assert [w.author.name for w in works] == ["Ann", "Ann", "Cy"]
    assert tracking.loaded_names(works[0]) == ("id", "name", "author_id")
    works[0].name = "Uno"
    assert tracking.changed_fields(works[0]) == ["name"]
    await api(works[0], "save")
    assert (await api(Work, "get", id=works[0].id)).tags == ["a"]  # not loaded, so not written
    # Leaving out the key select_related follows would make every relation read as None.
    with pytest.raises(ormada.QueryError, match=r"Work: only\(\)/defer\(\) leave out 'author_id', which "
                                                r"select_related\('author'\) follows; load it too"):
        await api(Work.select_related("author").only("name"), "all")
    with pytest.raises(ormada.QueryError, match=r"leave out 'author_id'"):
        await api.iterate(Work.defer("author_id").select_related("author"), 10)


async def test_polymorphic_targets(sdb: ormada.Database, api: Api) -> None:
    shape = await api(Shape, "create", sides=3)
    await api(Tile, "create", shape=shape)
    await api(Tile, "create", shape=shape)
    tiles = await api(Tile.select_related("shape").order_by("id"), "all")
    assert tiles[0].shape is tiles[1].shape and type(tiles[0].shape) is Shape and tiles[0].shape.sides == 3
    tiles[0].shape.sides = 4
    assert tracking.changed_fields(tiles[0].shape) == ["sides"]


async def test_saving_a_joined_instance_writes_only_what_changed(sdb: ormada.Database, api: Api) -> None:
    ann, _, _ = await _works(api)
    one, two, _ = await api(Work.select_related("author__land").order_by("id"), "all")
    author = one.author
    assert tracking.original_values(author) == {"id": ann.id, "name": "Ann", "born": 1950, "land_id": ann.land_id}
    assert tracking.original_values(one) == {"id": one.id, "name": "One", "tags": ["a"], "author_id": ann.id,
                                             "translator_id": one.translator_id}
    assert tracking.changed_fields(author) == [] and tracking.changed_fields(one) == []
    # Someone else changes another column of the row meanwhile: saving must not undo it.
    await api(sdb, "execute", "UPDATE person SET born = 1951 WHERE id = :id", {"id": ann.id})
    author.name = "Ann B."
    assert tracking.changed_fields(author) == ["name"] and tracking.changed_fields(one.author.land) == []
    await api(author, "save")
    stored = await api(Person, "get", id=ann.id)
    assert (stored.name, stored.born) == ("Ann B.", 1951)
    assert tracking.changed_fields(author) == [] and two.author is author
    # The owner's own snapshot is unaffected; a change in place to a list field is seen.
    one.tags.append("b")
    assert tracking.changed_fields(one) == ["tags"]
    await api(one, "save")
    assert (await api(Work, "get", id=one.id)).tags == ["a", "b"]
    # Refreshing a joined instance reads its row again.
    await api(sdb, "execute", "UPDATE land SET name = 'Oz' WHERE id = :id", {"id": author.land.id})
    land = author.land
    await api(land, "refresh")
    assert land.name == "Oz" and tracking.changed_fields(land) == []


async def test_prefetch_goes_on_below_what_select_related_read(sdb: ormada.Database, api: Api,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    await _works(api)
    query = Work.select_related("author__land").prefetch_related("author__works").order_by("id")
    with caplog.at_level(logging.DEBUG, logger="ormada"):
        works = await api(query, "all")
    reads = [r.getMessage() for r in caplog.records if "SELECT" in r.getMessage()]
    assert len(reads) == 2  # the joined read, then the authors' works: no second read of the authors
    assert [w.author.land.name for w in works] == ["Erewhon", "Erewhon", "Erewhon"]  # kept, not dropped
    assert [sorted(x.name for x in w.author.works) for w in works] == [["One", "Two"], ["One", "Two"], ["Three"]]
    # A Prefetch with a query of its own reads the relation again, as asked.
    again = await api(Work.select_related("author").prefetch_related(
        ormada.Prefetch("author", Person.filter(born__isnull=False))).order_by("id"), "all")
    assert [w.author.name if w.author else None for w in again] == ["Ann", "Ann", None]


async def test_a_polymorphic_subclass_on_its_base_table_shares_the_relation(sdb: ormada.Database, api: Api) -> None:
    keeper = await api(Keeper, "create", name="Kay")
    await api(Hound, "create", keeper=keeper)
    await api(Animal, "create", keeper=keeper)
    hound = await api(Hound.select_related("keeper"), "get", kind="hound")
    assert hound.keeper.name == "Kay"
    animals = (await api(Keeper.prefetch_related("animals"), "get", id=keeper.id)).animals
    assert sorted(type(a).__name__ for a in animals) == ["Animal", "Hound"]
    assert all(a.keeper.name == "Kay" for a in animals)
