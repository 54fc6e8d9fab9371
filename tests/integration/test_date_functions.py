"""Extract() and TruncYear/TruncMonth/TruncDay in annotate(), values() and filter(): the
database's answer equals Python's for aware datetimes (read in UTC), naive datetimes and
dates, on every SQL backend, sync and async; grouping sales by month is one query."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Field, NaiveDatetime

import ormada
from ormada import Count, Extract, Model, PrimaryKey, Sum, TruncDay, TruncMonth, TruncYear
from ormada.errors import QueryError
from tests.conftest import Api, models_database

PARTS = ("year", "month", "day", "week_day", "hour", "minute")


class Sale(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    at: dt.datetime
    wall: NaiveDatetime
    day: dt.date
    amount: Annotated[Decimal, Field(max_digits=10, decimal_places=2)]
    note: str = ""

    class Meta:
        table = "date_fn_sale"


@pytest.fixture
async def sales(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ormada.Database]:
    async with models_database(backend, request, tmp_path, [Sale]) as database:
        yield database


def python_part(value: dt.date, part: str) -> int:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    if part == "week_day":
        return value.isoweekday() % 7 + 1  # 1 = Sunday … 7 = Saturday
    return int(getattr(value, part))


def python_trunc(value: dt.date, unit: str) -> dt.date:
    if isinstance(value, dt.datetime):
        value = (value.astimezone(dt.UTC) if value.tzinfo is not None else value).date()
    return {"year": value.replace(month=1, day=1), "month": value.replace(day=1), "day": value}[unit]


ZONE = dt.timezone(dt.timedelta(hours=-5))
ROWS = [
    # 23:30 on Dec 31st at UTC-5 is 04:30 on Jan 1st in UTC: another year, month and day.
    (dt.datetime(2023, 12, 31, 23, 30, tzinfo=ZONE), dt.datetime(2023, 12, 31, 23, 30), dt.date(2023, 12, 31), "10.50"),
    (dt.datetime(2024, 2, 29, 12, 5, tzinfo=dt.UTC), dt.datetime(2024, 2, 29, 12, 5), dt.date(2024, 2, 29), "4.25"),
    (dt.datetime(2024, 2, 3, 0, 0, 59, 999_999, tzinfo=dt.UTC), dt.datetime(2024, 2, 3, 0, 0, 59), dt.date(2024, 2, 3),
     "1.00"),
]


async def test_parts_and_truncations_equal_pythons(sales: ormada.Database, api: Api) -> None:
    await api(Sale, "bulk_create", [Sale(at=a, wall=w, day=d, amount=Decimal(m)) for a, w, d, m in ROWS])
    annotations: dict[str, object] = {f"{f}_{p}": Extract(f, p) for f in ("at", "wall") for p in PARTS}
    annotations |= {f"day_{p}": Extract("day", p) for p in ("year", "month", "day", "week_day")}
    annotations |= {f"{f}_{u}": t(f) for f in ("at", "wall", "day")
                    for u, t in (("y", TruncYear), ("m", TruncMonth), ("d", TruncDay))}
    read = await api.list(Sale.query().annotate(**annotations).order_by("id"))
    for sale in read:
        for field in ("at", "wall"):
            for part in PARTS:
                assert getattr(sale, f"{field}_{part}") == python_part(getattr(sale, field), part), (field, part)
        for part in ("year", "month", "day", "week_day"):
            assert getattr(sale, f"day_{part}") == python_part(sale.day, part)
        for field in ("at", "wall", "day"):
            for unit, name in (("year", "y"), ("month", "m"), ("day", "d")):
                value = getattr(sale, f"{field}_{name}")
                assert type(value) is dt.date and value == python_trunc(getattr(sale, field), unit), (field, unit)


async def test_revenue_per_month_is_one_grouped_query(sales: ormada.Database, api: Api) -> None:
    await api(Sale, "bulk_create", [Sale(at=a, wall=w, day=d, amount=Decimal(m)) for a, w, d, m in ROWS])
    per_month = Sale.query().annotate(month=TruncMonth("at")).values("month").annotate(
        total=Sum("amount"), n=Count("id")).order_by("month")
    rows = await api.list(per_month)
    assert [(r["month"], r["total"], r["n"]) for r in rows] == [
        (dt.date(2024, 1, 1), Decimal("10.50"), 1), (dt.date(2024, 2, 1), Decimal("5.25"), 2)]
    in_2024 = Sale.query().annotate(y=Extract("at", "year")).filter(y=2024)
    assert await api(in_2024, "count") == 3
    assert await api(Sale.query().annotate(h=Extract("wall", "hour")).filter(h__gte=12), "count") == 2


def test_wrong_fields_and_parts_are_refused_before_anything_is_sent(sales: ormada.Database) -> None:
    with pytest.raises(QueryError, match=r"Extract\(F\('note'\), 'year'\) needs a date or datetime.*holds text"):
        Sale.query().annotate(y=Extract("note", "year")).statement()
    with pytest.raises(QueryError, match=r"is a date, which has no hour"):
        Sale.query().annotate(h=Extract("day", "hour")).statement()
    with pytest.raises(TypeError, match=r"Extract\(\) takes one of the parts"):
        Extract("at", "fortnight")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(at=st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2200, 1, 1),
                       timezones=st.sampled_from([dt.UTC, ZONE, dt.timezone(dt.timedelta(hours=5, minutes=30))])))
async def test_any_aware_instant(sales: ormada.Database, api: Api, at: dt.datetime) -> None:
    await api(Sale.query(), "delete")
    await api(Sale, "create", at=at, wall=at.replace(tzinfo=None), day=at.date(), amount=Decimal(1))
    [sale] = await api.list(Sale.query().annotate(m=TruncMonth("at"), d=Extract("at", "day"),
                                                  w=Extract("at", "week_day")))
    assert (sale.m, sale.d, sale.w) == (python_trunc(at, "month"), python_part(at, "day"), python_part(at, "week_day"))
