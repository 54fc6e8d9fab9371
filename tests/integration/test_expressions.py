"""Expressions (``Value``, ``Case``/``When``, ``Coalesce``, ``Greatest``/``Least``, ``Cast``,
``Concat``, ``Lower``/``Upper``/``Length``, ``Func``, arithmetic on ``F``) in ``annotate()``,
``filter()``, ``order_by()``, ``values()``, aggregates and ``update()``, with their results read
back as the type they give, on every SQL backend and mode."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ormada
from ormada import (
    Case,
    Cast,
    Coalesce,
    Concat,
    Count,
    F,
    ForeignKey,
    Func,
    Greatest,
    Least,
    Length,
    Lower,
    Max,
    Model,
    PrimaryKey,
    Q,
    QueryError,
    Sum,
    Upper,
    Value,
    When,
)
from tests.conftest import Api, database_url, models_database


class Maker(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str
    nickname: str | None = None


class Part(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    price: Decimal
    cost: Decimal
    qty: int
    weight: float | None = None
    made: dt.date | None = None
    maker: Annotated[Maker | None, ForeignKey(related_name="parts")] = None


MODELS = [Maker, Part]


@asynccontextmanager
async def workshop(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ormada.Database]:
    """Three makers (one without parts) and four parts (one without a maker)."""
    async with models_database(backend, request, tmp_path, MODELS) as database:
        acme, bolt = Maker.create(name="Acme", nickname="ac"), Maker.create(name="bolt")
        Maker.create(name="Idle")
        Part.bulk_create([
            Part(title="gear", price=Decimal("9.10"), cost=Decimal("4.00"), qty=3, weight=1.5,
                 made=dt.date(2024, 5, 1), maker_id=acme.id),
            Part(title="Nut", price=Decimal("0.10"), cost=Decimal("0.20"), qty=30, weight=None, made=None,
                 maker_id=acme.id),
            Part(title="spring", price=Decimal("10.30"), cost=Decimal("2.50"), qty=2, weight=0.25,
                 made=dt.date(2023, 1, 2), maker_id=bolt.id),
            Part(title="loose", price=Decimal("1.00"), cost=Decimal("1.00"), qty=1, weight=2.0,
                 made=dt.date(2022, 7, 9), maker_id=None),
        ])
        yield database


@pytest.fixture
async def parts(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ormada.Database]:
    async with workshop(backend, request, tmp_path) as database:
        yield database


async def test_arithmetic_and_text_annotations_read_back_as_their_types(parts: ormada.Database, api: Api) -> None:
    qs = Part.annotate(total=F("price") * F("qty"), label=Concat("title", Value(" x"), "qty"),
                       n=Length("title"), loud=Upper("title"))
    found = await api(qs.order_by("-total"), "all")
    assert [(p.title, p.total, p.label, p.n, p.loud) for p in found] == [
        ("gear", Decimal("27.30"), "gear x3", 4, "GEAR"), ("spring", Decimal("20.60"), "spring x2", 6, "SPRING"),
        ("Nut", Decimal("3.00"), "Nut x30", 3, "NUT"), ("loose", Decimal("1.00"), "loose x1", 5, "LOOSE")]
    assert all(isinstance(p.total, Decimal) and isinstance(p.n, int) for p in found)
    # Attributes, not fields: model_dump() and save() leave them out.
    gear = found[0]
    assert "total" not in gear.model_dump() and gear.model_dump()["title"] == "gear"
    gear.qty = 4
    await api(gear, "save")
    assert (await api(qs.filter(id=gear.id), "get")).total == Decimal("36.40")


async def test_annotations_in_filter_exclude_order_values_count_and_exists(parts: ormada.Database, api: Api) -> None:
    qs = Part.annotate(total=F("price") * F("qty"), n=Length("title"))
    assert await api(qs.filter(total__gt=20).order_by("title").values_list("title", flat=True), "all") == [
        "gear", "spring"]
    assert await api(qs.exclude(total__gt=20).order_by("n").values_list("title", "total"), "all") == [
        ("Nut", Decimal("3.00")), ("loose", Decimal("1.00"))]
    assert await api(qs.filter(Q(total__lt=2) | Q(n=3)).order_by("id").values("title", "n"), "all") == [
        {"title": "Nut", "n": 3}, {"title": "loose", "n": 5}]
    assert await api(qs.filter(total__range=(3, 21)), "count") == 2
    assert await api(qs.filter(total__in=[Decimal("3.00"), Decimal("1")]), "count") == 2
    assert await api(qs.filter(total__gt=100), "exists") is False and await api(qs, "count") == 4
    # An annotation compared with a field, and a field with an expression.
    assert await api(qs.filter(total__gt=F("cost") * 5).order_by("id").values_list("title", flat=True),
                     "all") == ["gear", "Nut", "spring"]
    assert await api(Part.filter(Q(price__gt=F("cost") * 2)).values_list("title", flat=True), "all") == ["gear",
                                                                                                         "spring"]
    assert await api(Part.filter(title=Lower("title")).order_by("id").values_list("title", flat=True), "all") == [
        "gear", "spring", "loose"]
    assert await api(qs.filter(n__gte=5).values_list("total", flat=True).order_by("total"), "all") == [
        Decimal("1.00"), Decimal("20.60")]


async def test_case_coalesce_greatest_least_cast_and_func(parts: ormada.Database, api: Api) -> None:
    qs = Part.annotate(
        size=Case(When(qty__gte=10, then=Value("bulk")), When(Q(qty__gte=2) & Q(price__gt=5), then=Value("pair")),
                  default=Value("single")),
        weighed=Coalesce("weight", Value(0.0)),
        most=Greatest("qty", Value(2)), least=Least("qty", Value(2)),
        text=Cast("qty", str), whole=Cast("price", int),
        magnitude=Func("abs", F("cost") - F("price")),
    ).order_by("id")
    rows = await api(qs.values("size", "weighed", "most", "least", "text", "whole", "magnitude"), "all")
    assert [r["size"] for r in rows] == ["pair", "bulk", "pair", "single"]
    assert [r["weighed"] for r in rows] == [1.5, 0.0, 0.25, 2.0]
    assert [(r["most"], r["least"]) for r in rows] == [(3, 2), (30, 2), (2, 2), (2, 1)]
    assert [r["text"] for r in rows] == ["3", "30", "2", "1"]
    assert [r["whole"] for r in rows][1:] == [0, 10, 1] and rows[0]["whole"] in (9, 10)  # rounding is the database's
    assert [r["magnitude"] for r in rows] == [Decimal("5.10"), Decimal("0.10"), Decimal("7.80"), Decimal("0.00")]
    assert all(isinstance(r["text"], str) and isinstance(r["magnitude"], Decimal) for r in rows)


async def test_dates_stay_dates_and_relations_are_joined(parts: ormada.Database, api: Api) -> None:
    qs = Part.annotate(day=Coalesce("made", Value(dt.date(2000, 1, 1))), who=Upper("maker__name"),
                       alias=Coalesce("maker__nickname", "maker__name", Value("-")))
    rows = await api(qs.order_by("day").values_list("title", "day", "who", "alias"), "all")
    assert rows == [("Nut", dt.date(2000, 1, 1), "ACME", "ac"), ("loose", dt.date(2022, 7, 9), None, "-"),
                    ("spring", dt.date(2023, 1, 2), "BOLT", "bolt"), ("gear", dt.date(2024, 5, 1), "ACME", "ac")]
    assert await api(qs.filter(day__lt=dt.date(2023, 1, 1)).order_by("id").values_list("title", flat=True),
                     "all") == ["Nut", "loose"]
    assert await api(qs.filter(who="ACME"), "count") == 2


async def test_aggregate_and_expression_annotations_together(parts: ormada.Database, api: Api) -> None:
    qs = Maker.annotate(n=Count("parts"), loud=Upper("name"), worth=Sum(F("parts__price") * F("parts__qty")))
    rows = await api(qs.filter(n__gte=1).order_by("loud").values_list("loud", "n", "worth"), "all")
    assert rows == [("ACME", 2, Decimal("30.30")), ("BOLT", 1, Decimal("20.60"))]
    assert await api(qs.filter(loud__startswith="I"), "count") == 1
    # Q objects on aggregates filter the groups; on expressions, the rows.
    assert await api(qs.filter(Q(n=0) | Q(n__gte=2)).order_by("name").values_list("name", flat=True), "all") == [
        "Acme", "Idle"]
    assert await api(qs.filter(Q(loud="BOLT") | Q(loud="IDLE")).exclude(Q(n=0)).values_list("name", flat=True),
                     "all") == ["bolt"]
    with pytest.raises(QueryError, match=r"a Q object filters either aggregate annotations \(n, worth\) or rows"):
        qs.filter(Q(n=0) | Q(loud="IDLE"))
    # values() naming an expression groups by it.
    grouped = Part.annotate(heavy=Case(When(weight__gte=1, then=Value(True)), default=Value(False)))
    grouped = grouped.values("heavy").annotate(n=Count("id"), most=Max("qty")).order_by("heavy")
    assert await api(grouped, "all") == [{"heavy": False, "n": 2, "most": 30}, {"heavy": True, "n": 2, "most": 3}]


async def test_aggregates_over_expressions_and_expression_annotations(parts: ormada.Database, api: Api) -> None:
    total = await api(Part.annotate(t=F("price") * F("qty")), "aggregate", s=Sum("t"), top=Max("t"))
    assert total == {"s": Decimal("51.90"), "top": Decimal("27.30")}
    assert await api(Part.filter(qty__lt=10), "aggregate", s=Sum(F("price") * F("qty")), n=Sum(Length("title"))) == {
        "s": Decimal("48.90"), "n": 15}
    assert await api(Part.annotate(t=F("price") * F("qty")).filter(t__gt=5), "aggregate", n=Count("id")) == {"n": 2}


async def test_update_with_expressions(parts: ormada.Database, api: Api) -> None:
    assert await api(Part.filter(title="Nut"), "update", title=Lower("title")) == 1
    changed = await api(Part.query(), "update",
                        qty=Case(When(qty__gte=10, then=F("qty") - 10), When(title="loose", then=Value(100)),
                                 default=F("qty") + 1))
    assert changed == 4
    rows = await api(Part.query().order_by("id").values_list("title", "qty"), "all")
    assert rows == [("gear", 4), ("nut", 20), ("spring", 3), ("loose", 100)]
    await api(Part.filter(made=None), "update", made=Coalesce("made", Value(dt.date(1999, 12, 31))))
    assert (await api(Part, "get", title="nut")).made == dt.date(1999, 12, 31)


async def test_values_in_the_query_are_bound_not_spliced(parts: ormada.Database, api: Api) -> None:
    odd = "it's; DROP TABLE part; --"
    qs = Part.annotate(tag=Concat("title", Value(odd))).filter(tag__endswith=odd)
    assert odd not in qs.statement().text
    assert len(await api(qs, "all")) == 4


async def test_bad_expressions_are_refused_before_anything_is_sent(parts: ormada.Database) -> None:
    with pytest.raises(QueryError, match=r"Part\.annotate\(title=.*clashes with the field Part\.title"):
        Part.annotate(title=Upper("title"))
    with pytest.raises(QueryError, match=r"clashes with the relation Part\.maker"):
        Part.annotate(maker=Upper("title"))
    with pytest.raises(QueryError, match=r"Part\.annotate\(x=Upper\(F\('titel'\)\)\): Part has no field 'titel'"):
        Part.annotate(x=Upper("titel"))
    with pytest.raises(QueryError, match=r"Part: s=Sum\(Upper\(F\('title'\)\)\): Sum needs numbers.*gives text"):
        Part.annotate(s=Sum(Upper("title")))
    with pytest.raises(QueryError, match=r"Part: s=Sum\('t'\): Sum needs numbers, and 't' gives text"):
        Part.annotate(t=Lower("title")).aggregate(s=Sum("t"))
    with pytest.raises(QueryError, match=r"arithmetic needs numbers"):
        Part.annotate(x=F("title") * 2)
    with pytest.raises(QueryError, match=r"Length\(F\('qty'\)\) needs text, and F\('qty'\) holds int"):
        Part.annotate(x=Length("qty"))
    with pytest.raises(QueryError, match=r"Coalesce.*mixes"):
        Part.annotate(x=Coalesce("title", "qty"))
    with pytest.raises(QueryError, match=r"Part\.update\(title=.*reads across maker"):
        Part.query().update(title=Upper("maker__name"))
    with pytest.raises(TypeError, match="Func\\(\\) takes a function name"):
        Func("abs(1); --", "qty")
    with pytest.raises(QueryError, match=r"annotations are aggregates such as Count\('books'\) or expressions"):
        Part.annotate(x=3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(price=st.decimals(min_value=-9999, max_value=9999, places=2), qty=st.integers(-1000, 1000),
       extra=st.integers(-50, 50), weight=st.none() | st.floats(-1e6, 1e6, allow_nan=False))
async def test_the_database_computes_what_python_computes(parts: ormada.Database, api: Api, price: Decimal,
                                                         qty: int, extra: int, weight: float | None) -> None:
    part = await api(Part, "create", title="p", price=price, cost=Decimal(0), qty=qty, weight=weight)
    qs = Part.filter(id=part.id).annotate(
        total=F("price") * F("qty") + extra, big=Greatest("qty", Value(extra)), small=Least("qty", Value(extra)),
        weighed=Coalesce("weight", Value(-1.0)), sign=Case(When(qty__lt=0, then=Value(-1)), default=Value(1)))
    got = await api(qs, "get")
    assert (got.total, got.big, got.small, got.sign) == (price * qty + extra, max(qty, extra), min(qty, extra),
                                                         -1 if qty < 0 else 1)
    assert got.weighed == (-1.0 if weight is None else pytest.approx(weight))
    assert await api(qs.filter(total=price * qty + extra), "exists")
    await api(Part.filter(id=part.id), "delete")


@pytest.mark.parametrize(("marker", "lines", "models"), [
    ("expressions-example", 8, ("Item", "Brand")), ("windows-example", 2, ("Sale",))])
def test_the_readme_examples_print_what_they_say(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, marker: str, lines: int,
                                                  models: tuple[str, ...]) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index(f"<!-- {marker} -->"):].split("```python\n", 1)[1].split("```", 1)[0]
    expected = [line[2:] for line in block.splitlines() if line.startswith("# ")]
    assert len(expected) == lines
    # Its models are its own, under names of their own; the same code runs on each backend.
    prefix = f"Readme{backend.capitalize()}"
    code = re.sub(rf"\b({'|'.join(models)})\b", prefix + r"\1", block)
    url = database_url(backend, request, tmp_path)
    code = code.replace('ormada.connect("sqlite://:memory:")', f"ormada.connect({url!r})")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    scope: dict[str, Any] = {"__name__": "readme_expressions"}
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec", dont_inherit=True), scope)
    finally:
        if "db" in scope:
            scope["db"].drop_all([scope[prefix + name] for name in models])
            scope["db"].close()
    assert out.getvalue().splitlines() == expected
