"""``aggregate()``: Count, Sum, Avg, Min, Max, StdDev and Variance in one statement, with
``distinct``, ``filter=Q(…)`` and fields across relations, on every SQL backend and mode."""

from __future__ import annotations

import statistics
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import Field

import ormada
from ormada import (
    Avg,
    Count,
    DatabaseError,
    DataError,
    ForeignKey,
    Max,
    Min,
    Model,
    NotSupported,
    PrimaryKey,
    Q,
    QueryError,
    StdDev,
    Sum,
    Variance,
)
from tests.conftest import Api, database_url


class Shop(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str


class Sale(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    item: str
    qty: int
    amount: Decimal
    weight: float | None = None
    shop: Annotated[Shop | None, ForeignKey(related_name="sales")] = None


class Payment(Model):
    """Declared digits: SQLite adds these as whole cents in the database instead of as texts."""

    id: Annotated[int | None, PrimaryKey()] = None
    kind: str
    cents: Annotated[Decimal, Field(max_digits=12, decimal_places=2)]
    big: Annotated[Decimal, Field(max_digits=15, decimal_places=2)] = Decimal(0)
    whole: Annotated[Decimal, Field(max_digits=15, decimal_places=0)] = Decimal(0)
    wide: Annotated[Decimal | None, Field(max_digits=20, decimal_places=4)] = None


MODELS = [Shop, Sale, Payment]
AMOUNTS = ["0.1", "0.2", "0.3", "10.05"]


@pytest.fixture
async def shops(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    database = ormada.connect(database_url(backend, request, tmp_path))
    database.create_all(MODELS)
    north, south = Shop.create(name="north"), Shop.create(name="south")
    Shop.create(name="empty")
    Sale.bulk_create([
        Sale(item="pen", qty=1, amount=Decimal(AMOUNTS[0]), weight=1.5, shop_id=north.id),
        Sale(item="pen", qty=2, amount=Decimal(AMOUNTS[1]), weight=2.5, shop_id=north.id),
        Sale(item="ink", qty=3, amount=Decimal(AMOUNTS[2]), weight=None, shop_id=south.id),
        Sale(item="pad", qty=4, amount=Decimal(AMOUNTS[3]), weight=4.0, shop_id=None),
    ])
    yield database
    await database.aclose()


async def test_aggregates_of_every_kind_in_one_statement(shops: ormada.Database, api: Api) -> None:
    got = await api(Sale.query(), "aggregate", total=Sum("amount"), n=Count("id"), mean=Avg("qty"),
                    low=Min("amount"), high=Max("item"), heavy=Max("weight"), sd=StdDev("qty"),
                    var=Variance("qty", sample=True), rows=Count("*"), weighed=Count("weight"))
    assert got["total"] == Decimal("10.65") and isinstance(got["total"], Decimal)  # exact, not 10.649999…
    assert got["n"] == 4 and got["rows"] == 4 and got["weighed"] == 3
    assert got["mean"] == 2.5 and isinstance(got["mean"], float)
    assert got["low"] == Decimal("0.1") and got["high"] == "pen" and got["heavy"] == 4.0
    assert got["sd"] == pytest.approx(statistics.pstdev([1, 2, 3, 4]))
    assert got["var"] == pytest.approx(statistics.variance([1, 2, 3, 4]))


async def test_decimal_sums_and_means_stay_exact(shops: ormada.Database, api: Api) -> None:
    got = await api(Sale.filter(amount__lt=1), "aggregate", Sum("amount"), Avg("amount"))
    assert got == {"amount__sum": Decimal("0.6"), "amount__avg": Decimal("0.2")}


async def test_an_empty_set_gives_zero_counts_and_none_for_the_rest(shops: ormada.Database, api: Api) -> None:
    got = await api(Sale.filter(qty__gt=100), "aggregate", n=Count("id"), s=Sum("amount"), q=Sum("qty"),
                    a=Avg("qty"), lo=Min("qty"), hi=Max("qty"), sd=StdDev("qty"), v=Variance("qty"))
    assert got == {"n": 0, "s": None, "q": None, "a": None, "lo": None, "hi": None, "sd": None, "v": None}


async def test_distinct_and_filtered_aggregates(shops: ormada.Database, api: Api) -> None:
    got = await api(Sale.query(), "aggregate", items=Count("item", distinct=True),
                    pens=Count("id", filter=Q(item="pen")), pen_qty=Sum("qty", filter=Q(item="pen")),
                    big=Sum("amount", filter=Q(qty__gte=3) & ~Q(item="pad")),
                    none=Sum("qty", filter=Q(item="none")), qtys=Sum("qty", distinct=True))
    assert got == {"items": 3, "pens": 2, "pen_qty": 3, "big": Decimal("0.3"), "none": None, "qtys": 10}


async def test_aggregates_across_forward_and_reverse_relations(shops: ormada.Database, api: Api) -> None:
    got = await api(Shop.query(), "aggregate", sales=Count("sales"), qty=Sum("sales__qty"),
                    pens=Count("sales", filter=Q(sales__item="pen")), money=Sum("sales__amount"))
    assert got == {"sales": 3, "qty": 6, "pens": 2, "money": Decimal("0.6")}
    got = await api(Sale.filter(shop__name="north"), "aggregate", n=Count("id"), shops=Count("shop", distinct=True),
                    first=Min("shop__name"))
    assert got == {"n": 2, "shops": 1, "first": "north"}
    assert await api(Shop.filter(name="empty"), "aggregate", n=Count("sales")) == {"n": 0}


async def test_a_sliced_query_aggregates_its_own_rows(shops: ormada.Database, api: Api) -> None:
    got = await api(Sale.query().order_by("-qty")[:2], "aggregate", Sum("qty"), Sum("amount"), Count("*"))
    assert got == {"qty__sum": 7, "amount__sum": Decimal("10.35"), "count": 2}
    assert await api(Sale.query().values("item").distinct(), "aggregate", n=Count("*")) == {"n": 3}


async def test_bad_aggregates_are_refused_before_anything_is_sent(shops: ormada.Database) -> None:
    with pytest.raises(QueryError, match=r"Sale: s=Sum\('item'\): Sum needs a numeric field, and Sale.item holds text"):
        Sale.query().aggregate(s=Sum("item"))
    with pytest.raises(QueryError, match=r"Sale: a=Avg\('shop__name'\): Avg needs a numeric field, and Shop.name"):
        Sale.query().aggregate(a=Avg("shop__name"))
    with pytest.raises(QueryError, match=r"Sale has no field 'qtty'.*closest|Sale has no field 'qtty'"):
        Sale.query().aggregate(Sum("qtty"))
    with pytest.raises(QueryError, match="takes aggregates"):
        Sale.query().aggregate(n="qty")
    with pytest.raises(QueryError, match="needs at least one"):
        Sale.query().aggregate()
    with pytest.raises(QueryError, match="only Count takes"):
        Sale.query().aggregate(Sum("*"))
    with pytest.raises(NotSupported, match="sliced or distinct"):
        Sale.query()[:2].aggregate(Sum("qty", filter=Q(item="pen")))


# -- annotate() ----------------------------------------------------------------------

async def test_annotations_are_attributes_usable_in_filter_and_order_by(shops: ormada.Database, api: Api) -> None:
    qs = Shop.annotate(n=Count("sales"), money=Sum("sales__amount")).order_by("-n", "name")
    found = await api(qs, "all")
    assert [(s.name, s.n, s.money) for s in found] == [
        ("north", 2, Decimal("0.3")), ("south", 1, Decimal("0.3")), ("empty", 0, None)]
    assert isinstance(found[0].n, int) and isinstance(found[0].money, Decimal)
    # Not fields: model_dump() and save() leave them out.
    assert found[0].model_dump() == {"id": found[0].id, "name": "north"}
    found[0].name = "north2"
    await api(found[0], "save")
    assert (await api(Shop, "get", id=found[0].id)).name == "north2"
    busy = qs.filter(n__gte=1)
    assert [s.name for s in await api(busy, "all")] == ["north2", "south"]
    assert await api(busy, "count") == 2 and await api(qs, "count") == 3
    assert await api(qs.filter(n__gt=5), "exists") is False and await api(busy, "exists") is True
    assert [s.name for s in await api(qs.exclude(n=0).filter(name__startswith="s"), "all")] == ["south"]
    assert [s.name for s in await api(qs.filter(n__in=[0, 1]), "all")] == ["south", "empty"]
    assert await api(busy[1:], "count") == 1


async def test_filtered_annotations_and_values(shops: ormada.Database, api: Api) -> None:
    qs = Shop.annotate(pens=Count("sales", filter=Q(sales__item="pen")), qty=Sum("sales__qty"))
    rows = await api(qs.filter(qty__gt=0).order_by("pens").values("name", "pens"), "all")
    assert rows == [{"name": "south", "pens": 0}, {"name": "north", "pens": 2}]
    assert await api(qs.order_by("name").values_list("name", "qty"), "all") == [
        ("empty", None), ("north", 3), ("south", 3)]
    assert await api(qs.filter(pens__gte=1).values_list("name", flat=True), "all") == ["north"]


async def test_values_then_annotate_groups_by_the_fields(shops: ormada.Database, api: Api) -> None:
    qs = Sale.query().values("item").annotate(total=Sum("amount"), n=Count("id"))
    assert await api(qs.order_by("item"), "all") == [
        {"item": "ink", "total": Decimal("0.3"), "n": 1},
        {"item": "pad", "total": Decimal("10.05"), "n": 1},
        {"item": "pen", "total": Decimal("0.3"), "n": 2}]
    assert await api(qs.filter(n__gt=1), "all") == [{"item": "pen", "total": Decimal("0.3"), "n": 2}]
    assert await api(qs, "count") == 3
    assert await api(qs.order_by("-total").values_list("item", flat=True)[:1], "all") == ["pad"]


async def test_bad_annotations_are_refused(shops: ormada.Database) -> None:
    with pytest.raises(QueryError, match=r"Shop.annotate\(name=Count\('sales'\)\): the name clashes with the field "
                                         r"Shop.name"):
        Shop.annotate(name=Count("sales"))
    with pytest.raises(QueryError, match=r"clashes with the relation Shop\.sales"):
        Shop.annotate(sales=Count("sales"))
    with pytest.raises(QueryError, match=r"Sum needs a numeric field, and Sale\.item holds text"):
        Shop.annotate(s=Sum("sales__item"))
    with pytest.raises(QueryError, match="annotations are aggregates"):
        Shop.annotate(n=3)
    with pytest.raises(QueryError, match="annotated already"):
        Shop.annotate(n=Count("sales")).annotate(n=Sum("sales__qty"))
    with pytest.raises(QueryError, match="takes the lookups"):
        Shop.annotate(n=Count("sales")).filter(n__startswith=1)
    with pytest.raises(QueryError, match="separate exclude"):
        Shop.annotate(n=Count("sales")).exclude(n=1, name="x")


def test_the_readme_example_prints_what_it_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import contextlib
    import io
    import re

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("<!-- aggregates-example -->"):].split("```python\n", 1)[1].split("```", 1)[0]
    expected = [line[2:] for line in block.splitlines() if line.startswith("# ")]
    # Its models are its own; under a name of their own so they stay apart from the tests'.
    code = re.sub(r"\b(Writer|Novel)\b", r"Readme\1", block)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec", dont_inherit=True), {"__name__": "readme_aggregates"})
    assert out.getvalue().splitlines() == expected


async def test_counts_exists_and_refused_writes_of_filtered_annotations(shops: ormada.Database, api: Api) -> None:
    qs = Sale.annotate(pens=Count("id", filter=Q(item="pen")))  # no join, its only value in the SELECT
    assert await api(qs, "count") == 4 and await api(qs, "exists") is True
    assert await api(qs.filter(pens=1), "count") == 2
    with pytest.raises(QueryError, match=r"Sale\.update\(\) of a QuerySet annotated with pens"):
        await api(qs, "update", qty=1)
    with pytest.raises(QueryError, match=r"Sale\.delete\(\) of a QuerySet annotated with pens"):
        await api(qs, "delete")
    with pytest.raises(QueryError, match="a subquery reads one column and no annotations"):
        await api(Shop.filter(id__in=Shop.annotate(n=Count("sales")).filter(n__gt=1)), "all")
    rows = await api(Shop.annotate(n=Count("sales")).order_by("name").values_list("name", "n"), "all")
    assert rows == [("empty", 0), ("north", 2), ("south", 1)]


@pytest.fixture
async def payments(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    database = ormada.connect(database_url(backend, request, tmp_path))
    database.create_all(MODELS)
    # 0.1 + 0.2 a thousand times each: a binary float sum drifts off 300.00 long before the end.
    rows = [Payment(kind="tenth" if n % 2 else "fifth", cents=Decimal("0.1") if n % 2 else Decimal("0.2"))
            for n in range(2000)]
    rows += [Payment(kind="edge", cents=Decimal("-9999999999.99"), big=Decimal("9999999999999.99"),
                     whole=Decimal("999999999999999"), wide=Decimal("0.0001")) for _ in range(3)]
    rows += [Payment(kind="edge", cents=Decimal("0.01"), big=Decimal("-0.01"), whole=Decimal(-1),
                     wide=Decimal("12345678901.2345"))]
    Payment.bulk_create(rows)
    yield database
    await database.aclose()


async def test_declared_decimal_sums_are_exact_over_many_rows(payments: ormada.Database, api: Api) -> None:
    got = await api(Payment.filter(kind__in=["tenth", "fifth"]), "aggregate", total=Sum("cents"), mean=Avg("cents"),
                    tenths=Sum("cents", filter=Q(kind="tenth")), kinds=Sum("cents", distinct=True))
    assert got == {"total": Decimal("300.00"), "mean": Decimal("0.15"), "tenths": Decimal("100.00"),
                   "kinds": Decimal("0.3")}
    assert all(isinstance(v, Decimal) for v in got.values())
    # The ends of each declaration, negative values, no places at all, and more digits than a double keeps.
    edge = await api(Payment.filter(kind="edge"), "aggregate", Sum("cents"), Sum("big"), Sum("whole"), Sum("wide"),
                     Avg("big"), Avg("whole"))
    assert edge == {"cents__sum": Decimal("-29999999999.96"), "big__sum": Decimal("29999999999999.96"),
                    "whole__sum": Decimal("2999999999999996"), "wide__sum": Decimal("12345678901.2348"),
                    "big__avg": Decimal("7499999999999.99"), "whole__avg": Decimal("749999999999999")}
    none = await api(Payment.filter(kind="none"), "aggregate", s=Sum("cents"), a=Avg("cents"))
    assert none == {"s": None, "a": None}


async def test_declared_decimal_sums_per_group(payments: ormada.Database, api: Api) -> None:
    groups = await api(Payment.values("kind").annotate(total=Sum("cents"), n=Count("id"), mean=Avg("cents"))
                       .order_by("kind"), "all")
    assert groups == [
        {"kind": "edge", "total": Decimal("-29999999999.96"), "n": 4, "mean": Decimal("-7499999999.99")},
        {"kind": "fifth", "total": Decimal("200.00"), "n": 1000, "mean": Decimal("0.2")},
        {"kind": "tenth", "total": Decimal("100.00"), "n": 1000, "mean": Decimal("0.1")},
    ]
    big = await api(Payment.values("kind").annotate(total=Sum("cents")).filter(total__gt=150).order_by("-total"), "all")
    assert big == [{"kind": "fifth", "total": Decimal("200.00")}]


async def test_a_declared_decimal_sum_never_rounds_past_what_the_database_adds_exactly(
        payments: ormada.Database, api: Api) -> None:
    # 10,000 x 999,999,999,999,999 cents passes 2^63: a database that adds whole units in 64-bit
    # integers (SQLite) refuses the sum rather than rounding it; the others add it exactly.
    Payment.bulk_create([Payment(kind="huge", cents=Decimal(0), big=Decimal("9999999999999.99"))
                         for _ in range(10_000)])
    huge = Payment.filter(kind="huge")
    if payments.backend.supports.extra.get("decimal_units_digits"):
        with pytest.raises(DataError, match=r"Payment: Sum\('big'\) passed 2\^63 units of the last decimal place, "
                                            r"the most sqlite adds exactly .* max_digits above 15"):
            await api(huge, "aggregate", Sum("big"))
    else:
        assert await api(huge, "aggregate", Sum("big")) == {"big__sum": Decimal("99999999999999900.00")}


def test_a_database_error_in_an_aggregate_keeps_the_driver_s_own_as_its_cause(tmp_path: Path) -> None:
    class Unmade(ormada.Model):
        id: Annotated[int | None, ormada.PrimaryKey()] = None
        n: int

        class Meta:
            database = "aggregate_errors"

    database = ormada.connect(f"sqlite:///{tmp_path / 'empty.db'}", name="aggregate_errors")
    try:
        with pytest.raises(DatabaseError) as refused:
            Unmade.query().aggregate(Sum("n"))  # its table was never made
        assert refused.value.__cause__ is not None and refused.value.__cause__ is not refused.value
    finally:
        database.close()
