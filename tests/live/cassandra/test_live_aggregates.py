"""``aggregate()`` against the live node: CQL's count/sum/avg/min/max over one partition,
exact decimal sums, int means that are not truncated, and None over no rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import pytest

import ormada
from ormada import Avg, ClusteringKey, Count, Max, Min, PartitionKey, Sum


class Tally(ormada.Model):
    shop: Annotated[str, PartitionKey()]
    n: Annotated[int, ClusteringKey()]
    qty: int
    amount: Decimal
    weight: float | None = None

    class Meta:
        database = "cassandra_live"
        table = "agg_tally"


@pytest.fixture(scope="module")
def db(keyspace: str) -> Any:
    database = ormada.get_database("cassandra_live")
    database.create_all([Tally])
    Tally.bulk_create([Tally(shop="a", n=i, qty=i, amount=Decimal(f"0.{i}"), weight=i * 1.5 if i != 2 else None)
                       for i in (1, 2, 4)])
    return database


async def test_cql_aggregates_over_one_partition(db: Any) -> None:
    qs = Tally.filter(shop="a")
    expected = {"n": 3, "weighed": 2, "qty": 7, "mean": 7 / 3, "money": Decimal("0.7"), "low": 1, "high": 6.0}
    for got in (qs.aggregate(n=Count("*"), weighed=Count("weight"), qty=Sum("qty"), mean=Avg("qty"),
                             money=Sum("amount"), low=Min("qty"), high=Max("weight")),
                await qs.aaggregate(n=Count("*"), weighed=Count("weight"), qty=Sum("qty"), mean=Avg("qty"),
                                    money=Sum("amount"), low=Min("qty"), high=Max("weight"))):
        assert got == {**expected, "mean": pytest.approx(7 / 3)}
        assert isinstance(got["money"], Decimal) and isinstance(got["qty"], int)


def test_no_rows_give_none_but_for_count(db: Any) -> None:
    got = Tally.filter(shop="none").aggregate(n=Count("*"), qty=Sum("qty"), mean=Avg("qty"), low=Min("qty"))
    assert got == {"n": 0, "qty": None, "mean": None, "low": None}
