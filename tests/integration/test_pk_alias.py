"""``pk``, Django's name for the primary key: on instances, in lookups (also across
relations), ordering, projections, only/defer, aggregates and F, whatever the key field is
called; refused with the reason on a key of several fields."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pytest

import ormada
from ormada import Count, F, ForeignKey, Max, Model, PrimaryKey, Q, QueryError
from tests.conftest import Api, models_database
from tests.models import Membership


class Shelf(Model):
    code: Annotated[str, PrimaryKey()]  # a key not called "id"
    room: str


class Volume(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    shelf: Annotated[Shelf, ForeignKey(related_name="volumes")]


MODELS = [Shelf, Volume, Membership]


@pytest.fixture
async def shelves(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with models_database(backend, request, tmp_path, MODELS) as database:
        a, b = Shelf.bulk_create([Shelf(code="A1", room="north"), Shelf(code="B2", room="south")])
        Volume.bulk_create([Volume(title=f"v{i}", shelf=a if i < 3 else b) for i in range(5)])
        yield database


async def test_pk_on_instances(shelves: ormada.Database, api: Api) -> None:
    shelf = await api(Shelf, "get", pk="A1")
    assert shelf.pk == shelf.code == "A1"
    volume = await api(Volume.query().order_by("pk"), "first")
    assert volume.pk == volume.id
    volume.pk = 1000  # sets the key field itself
    assert volume.id == 1000
    member = Membership(group="g")
    assert member.pk == ("g", member.member)  # a key of several fields: their values, in key order
    with pytest.raises(QueryError, match=r"Membership.pk = \.\.\.: the primary key has 2 fields \(group, member\)"):
        member.pk = ("h", member.member)


async def test_pk_in_lookups_ordering_and_projections(shelves: ormada.Database, api: Api) -> None:
    first, *_, last = await api(Volume.query().order_by("id"), "all")
    assert (await api(Volume, "get", pk=first.id)).title == "v0"
    assert await api(Volume.filter(pk__in=[first.id, last.id]), "count") == 2
    assert await api(Volume.filter(pk__gt=first.id).exclude(pk=last.id), "count") == 3
    assert await api(Volume.filter(Q(pk=first.id) | Q(pk=last.id)), "count") == 2
    assert [v.title for v in await api(Volume.query().order_by("-pk")[:2], "all")] == ["v4", "v3"]
    # Projections name the key field by its own name.
    assert await api(Volume.filter(pk=first.id).values("pk", "title"), "all") == [{"id": first.id, "title": "v0"}]
    assert await api(Shelf.query().order_by("pk").values_list("pk", flat=True), "all") == ["A1", "B2"]
    only = await api(Volume.filter(pk=last.id).only("pk", "title"), "first")
    assert only.title == "v4"
    # Across a relation: the related model's key, whatever it is called.
    assert await api(Volume.filter(shelf__pk="B2"), "count") == 2
    assert await api(Shelf.filter(volumes__pk=first.id), "all") == [await api(Shelf, "get", pk="A1")]
    assert await api(Volume.query().order_by("-shelf__pk", "pk").values_list("title", flat=True), "all") == \
        ["v3", "v4", "v0", "v1", "v2"]
    assert await api(Volume.filter(pk=last.id).values("shelf__pk"), "all") == [{"shelf__code": "B2"}]
    # Aggregates and F.
    assert await api(Volume.query(), "aggregate", n=Count("pk"), top=Max("pk")) == {"n": 5, "top": last.id}
    counted = await api(Shelf.query().annotate(n=Count("volumes__pk")).order_by("pk"), "all")
    assert [(s.code, s.n) for s in counted] == [("A1", 3), ("B2", 2)]
    assert await api(Volume.filter(pk=F("pk")), "count") == 5


async def test_pk_on_a_key_of_several_fields_is_refused(shelves: ormada.Database, api: Api) -> None:
    message = r"Membership: 'pk' stands for a primary key of one field, and Membership's has 2 \(group, member\)"
    with pytest.raises(QueryError, match=message):
        await api(Membership.filter(pk="g"), "count")
    with pytest.raises(QueryError, match=message):
        Membership.query().order_by("pk")
    with pytest.raises(QueryError, match=message):
        Membership.query().values("pk")


async def test_pk_in_updates(shelves: ormada.Database, api: Api) -> None:
    first = await api(Volume.query().order_by("pk"), "first")
    assert await api(Volume.filter(pk=first.pk), "update", title="renamed") == 1
    assert await api(Volume.filter(title="renamed").values_list("pk", flat=True), "all") == [first.id]
    moved = await api(Volume.filter(pk=first.pk), "update", id=F("pk") + 100)
    assert moved == 1 and await api(Volume.filter(pk=first.id + 100), "exists")
