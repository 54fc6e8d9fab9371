"""``aggregate()``: Count, Sum, Avg, Min, Max, StdDev and Variance in one statement, with
``distinct``, ``filter=Q(…)`` and fields across relations, on every SQL backend and mode."""

from __future__ import annotations

import statistics
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import pytest

import ormada
from ormada import (
    Avg,
    Count,
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


MODELS = [Shop, Sale]
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
