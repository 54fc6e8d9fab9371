"""``Subquery``, ``Exists`` and ``OuterRef``: queries run inside the outer one, in
``annotate()``, ``filter()`` and ``update()``, on every SQL backend and mode."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

import ormada
from ormada import Coalesce, Count, Exists, F, OuterRef, Q, QueryError, Subquery, Upper, Value
from tests.conftest import Api
from tests.integration.test_expressions import Maker, Part, workshop


@pytest.fixture
async def parts(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ormada.Database]:
    async with workshop(backend, request, tmp_path) as database:
        yield database


def newest(**lookups: object) -> Subquery:
    return Subquery(Part.filter(maker=OuterRef("pk"), **lookups).order_by("-made").values("made")[:1])


async def test_a_subquery_annotation_is_typed_as_its_field(parts: ormada.Database, api: Api) -> None:
    qs = Maker.annotate(latest=newest(made__isnull=False),
                        first=Subquery(Part.filter(maker=OuterRef("pk")).order_by("title").values("title")[:1]))
    rows = await api(qs.order_by("name").values_list("name", "latest", "first"), "all")
    assert rows == [("Acme", dt.date(2024, 5, 1), "Nut"), ("Idle", None, None), ("bolt", dt.date(2023, 1, 2), "spring")]
    acme = await api(qs.filter(name="Acme"), "get")
    assert isinstance(acme.latest, dt.date) and "latest" not in acme.model_dump()
    # Filtered, ordered and compared like any annotation.
    assert await api(qs.filter(latest__gte=dt.date(2023, 6, 1)).values_list("name", flat=True), "all") == ["Acme"]
    assert await api(qs.filter(first__isnull=False).order_by("-first").values_list("name", flat=True), "all") == [
        "bolt", "Acme"]


async def test_exists_and_not_exists_filter_the_outer_rows(parts: ormada.Database, api: Api) -> None:
    makes = Exists(Part.filter(maker=OuterRef("pk")))
    assert await api(Maker.filter(makes).order_by("name").values_list("name", flat=True), "all") == ["Acme", "bolt"]
    assert await api(Maker.filter(~makes).values_list("name", flat=True), "all") == ["Idle"]
    cheap = Exists(Part.filter(maker=OuterRef("pk"), price__lt=1))
    assert await api(Maker.filter(makes, name__startswith="A").exclude(name="x"), "count") == 1
    assert await api(Maker.annotate(cheap=cheap).order_by("name").values_list("name", "cheap"), "all") == [
        ("Acme", True), ("Idle", False), ("bolt", False)]
    assert await api(Maker.filter(~cheap), "count") == 2


async def test_outer_references_across_relations_and_in_expressions(parts: ormada.Database, api: Api) -> None:
    # Parts whose maker makes another part that costs more than this one's price.
    pricier = Exists(Part.filter(maker=OuterRef("maker__id"), cost__gt=OuterRef("price")).exclude(id=OuterRef("id")))
    assert await api(Part.filter(pricier).values_list("title", flat=True), "all") == ["Nut"]
    # A subquery's value in arithmetic, and in a filter of the outer query.
    most = Subquery(Part.filter(maker=OuterRef("maker")).order_by("-price").values("price")[:1])
    qs = Part.annotate(gap=most - F("price")).filter(maker__isnull=False).order_by("id")
    assert await api(qs.values_list("title", "gap"), "all") == [
        ("gear", Decimal("0.00")), ("Nut", Decimal("9.00")), ("spring", Decimal("0.00"))]
    assert await api(Part.filter(price=most).order_by("id").values_list("title", flat=True), "all") == [
        "gear", "spring"]


async def test_subqueries_compose_with_in_and_aggregates(parts: ormada.Database, api: Api) -> None:
    busy = Maker.annotate(n=Count("parts")).filter(n__gte=2)
    keys = await api(busy.values_list("id", flat=True), "all")
    qs = Part.filter(Exists(Maker.filter(id=OuterRef("maker_id"), name__in=["Acme", "bolt"])),
                     maker_id__in=Maker.filter(name__startswith="A").values_list("id", flat=True))
    assert await api(qs.order_by("id").values_list("title", flat=True), "all") == ["gear", "Nut"]
    assert await api(Part.filter(maker_id__in=keys), "count") == 2
    counted = Maker.annotate(parts_made=Count("parts"), latest=newest(made__isnull=False), loud=Upper("name"))
    rows = await api(counted.order_by("name").values_list("loud", "parts_made", "latest"), "all")
    assert rows == [("ACME", 2, dt.date(2024, 5, 1)), ("IDLE", 0, None), ("BOLT", 1, dt.date(2023, 1, 2))]
    named = Coalesce(Subquery(Part.filter(maker=OuterRef("pk")).order_by("title").values("title")[:1]), Value("-"))
    assert await api(Maker.annotate(first=named).order_by("name").values_list("first", flat=True), "all") == [
        "Nut", "-", "spring"]


async def test_update_from_a_subquery(parts: ormada.Database, api: Api) -> None:
    await api(Maker.query(), "update", nickname=Subquery(
        Part.filter(maker=OuterRef("pk")).order_by("title").values("title")[:1]))
    assert await api(Maker.query().order_by("name").values_list("nickname", flat=True), "all") == ["Nut", None,
                                                                                                   "spring"]


async def test_outer_ref_outside_a_subquery_is_refused(parts: ormada.Database, api: Api) -> None:
    inner = Part.filter(maker=OuterRef("pk"))
    with pytest.raises(QueryError, match=r"Part.*OuterRef\('pk'\) refers to the query around a subquery"):
        await api(inner, "all")
    with pytest.raises(QueryError, match=r"Maker\.filter\(\): Maker has no field 'nope'"):
        Maker.filter(Exists(Part.filter(maker=OuterRef("nope"))))
    with pytest.raises(QueryError, match=r"Subquery.*selects 2 columns"):
        Maker.annotate(x=Subquery(Part.query().values("title", "qty")))
    with pytest.raises(QueryError, match=r"gives bool|gives int"):
        Maker.filter(Subquery(Part.query().values("qty")[:1]))
    # Q objects and conditions mix in one filter() call.
    assert await api(Maker.filter(Q(name="Idle") | Q(name="bolt"), Exists(Part.filter(maker=OuterRef("pk")))),
                     "count") == 1
