"""Extract() and TruncYear/TruncMonth/TruncDay/TruncHour in annotate(), values() and filter():
the database's answer equals Python's for aware datetimes (read in UTC), naive datetimes and
dates, on every SQL backend, sync and async, and for SQLite text other clients wrote;
grouping sales by month (or by hour) is one query."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Field, NaiveDatetime

import ormada
from ormada import Count, Extract, Model, PrimaryKey, Sum, TruncDay, TruncHour, TruncMonth, TruncYear
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


def python_hour(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.replace(minute=0, second=0, microsecond=0)


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
    annotations |= {f"{f}_h": TruncHour(f) for f in ("at", "wall")}
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
        # The start of the hour, of the field's kind: aware in UTC, or naive.
        assert sale.at_h == python_hour(sale.at) and sale.at_h.tzinfo is not None
        assert sale.at_h.utcoffset() == dt.timedelta(0)
        assert sale.wall_h == python_hour(sale.wall) and sale.wall_h.tzinfo is None


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


async def test_sales_per_hour_group_and_filter_by_the_start_of_the_hour(sales: ormada.Database, api: Api) -> None:
    hours = [dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC), dt.datetime(2024, 5, 1, 9, 59, 59, 999_999, tzinfo=dt.UTC),
             dt.datetime(2024, 5, 1, 12, 10, tzinfo=ZONE),  # 17:10 UTC
             dt.datetime(2024, 5, 1, 17, 45, tzinfo=dt.UTC)]
    await api(Sale, "bulk_create", [Sale(at=at, wall=at.replace(tzinfo=None), day=at.date(), amount=Decimal(i + 1))
                                    for i, at in enumerate(hours)])
    per_hour = Sale.query().annotate(hour=TruncHour("at")).values("hour").annotate(
        total=Sum("amount"), n=Count("id")).order_by("hour")
    rows = await api.list(per_hour)
    assert [(r["hour"], r["total"], r["n"]) for r in rows] == [
        (dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC), Decimal(3), 2),
        (dt.datetime(2024, 5, 1, 17, tzinfo=dt.UTC), Decimal(7), 2)]
    # Compared with a bound datetime of the field's kind; an aware one in any zone is the same instant.
    at_five = dt.datetime(2024, 5, 1, 12, tzinfo=ZONE)
    assert await api(Sale.query().annotate(h=TruncHour("at")).filter(h=at_five), "count") == 2
    assert await api(Sale.query().annotate(h=TruncHour("at")).filter(h__lt=at_five), "count") == 2
    local = Sale.query().annotate(h=TruncHour("wall")).filter(h=dt.datetime(2024, 5, 1, 12))
    assert [s.amount for s in await api.list(local)] == [Decimal(3)]  # its wall clock, not UTC


def test_wrong_fields_and_parts_are_refused_before_anything_is_sent(sales: ormada.Database) -> None:
    with pytest.raises(QueryError, match=r"Extract\(F\('note'\), 'year'\) needs a date or datetime.*holds text"):
        Sale.query().annotate(y=Extract("note", "year")).statement()
    with pytest.raises(QueryError, match=r"is a date, which has no hour"):
        Sale.query().annotate(h=Extract("day", "hour")).statement()
    with pytest.raises(TypeError, match=r"Extract\(\) takes one of the parts"):
        Extract("at", "fortnight")
    with pytest.raises(QueryError, match=r"TruncHour\(F\('day'\)\): .* is a date, which has no hour"):
        Sale.query().annotate(h=TruncHour("day")).statement()
    with pytest.raises(QueryError, match=r"TruncHour\(F\('note'\)\) needs a date or datetime.*holds text"):
        Sale.query().annotate(h=TruncHour("note")).statement()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(at=st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2200, 1, 1),
                       timezones=st.sampled_from([dt.UTC, ZONE, dt.timezone(dt.timedelta(hours=5, minutes=30))])))
async def test_any_aware_instant(sales: ormada.Database, api: Api, at: dt.datetime) -> None:
    await api(Sale.query(), "delete")
    await api(Sale, "create", at=at, wall=at.replace(tzinfo=None), day=at.date(), amount=Decimal(1))
    [sale] = await api.list(Sale.query().annotate(m=TruncMonth("at"), d=Extract("at", "day"),
                                                  w=Extract("at", "week_day"), h=TruncHour("at")))
    assert (sale.m, sale.d, sale.w) == (python_trunc(at, "month"), python_part(at, "day"), python_part(at, "week_day"))
    assert sale.h == python_hour(at)


async def test_sqlite_text_of_other_clients(tmp_path: Path, api: Api) -> None:
    path = tmp_path / "clients.db"
    database = ormada.connect(f"sqlite:///{path}")
    database.create_all([Sale])
    texts = [
        "2024-06-30T23:30:00",
        "2024-12-31T23:30:00-02:00",  # 2025-01-01 01:30 UTC
        "2023-12-31 23:59:59.9Z",
        "2024-03-01 00:00:00.000000+00:00",  # as earlier ormada versions wrote
        "2024-12-31 23:59:59.9999999",  # SQLite's own functions would round it up to 2025
        "2000-12-31T23:59:59.999500+05:30",  # 18:29:59.9995 UTC
    ]
    with sqlite3.connect(path) as conn:
        conn.executemany("INSERT INTO date_fn_sale (at, wall, day, amount, note) VALUES (?, ?, '2024-01-01', 1, ?)",
                         [(text, text, text) for text in texts])
    conn.close()
    try:
        read = await api.list(Sale.query().annotate(h=TruncHour("at"), d=TruncDay("at"), y=TruncYear("at"))
                              .order_by("id"))
        assert [sale.note for sale in read] == texts
        for sale in read:
            assert sale.h == python_hour(sale.at), sale.note
            assert (sale.d, sale.y) == (python_trunc(sale.at, "day"), python_trunc(sale.at, "year")), sale.note
        hours = {sale.note: sale.h for sale in read}
        assert hours["2024-12-31T23:30:00-02:00"] == dt.datetime(2025, 1, 1, 1, tzinfo=dt.UTC)
        assert hours["2024-12-31 23:59:59.9999999"] == dt.datetime(2024, 12, 31, 23, tzinfo=dt.UTC)
        assert hours["2000-12-31T23:59:59.999500+05:30"] == dt.datetime(2000, 12, 31, 18, tzinfo=dt.UTC)
        at_one = Sale.query().annotate(h=TruncHour("at")).filter(h=dt.datetime(2025, 1, 1, 1, tzinfo=dt.UTC))
        assert [sale.note for sale in await api.list(at_one)] == ["2024-12-31T23:30:00-02:00"]
    finally:
        await database.aclose()
