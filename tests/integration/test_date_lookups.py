"""Date and time transforms (``created__year``, ``__month``, ``__date``…) on SQLite,
PostgreSQL and MariaDB, sync and async: the same answers as Python's own, for aware, naive, date and
time fields, and for SQLite text other clients wrote."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Annotated

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import NaiveDatetime

import ormada
from ormada import Indexed, Model, PrimaryKey, Q
from tests.conftest import Api

UTC = dt.UTC


class Event(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    label: str
    created: Annotated[dt.datetime, Indexed()]
    local: NaiveDatetime | None = None
    day: dt.date | None = None
    clock: dt.time | None = None

    class Meta:
        table = "tr_events"


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# Instants near the edges of years, days and hours; 2024-01-01 is a Monday.
EVENTS = {
    "new_year": utc(2024, 1, 1),
    "last_of_2023": utc(2023, 12, 31, 23, 59, 59, 999999),
    "feb": utc(2024, 2, 29, 13, 45, 30, 500000),
    "summer": utc(2024, 7, 14, 8, 5),
    "sunday": utc(2024, 3, 3, 23, 59, 59),
    "old": utc(1999, 12, 31, 12),
    "far": utc(2031, 1, 1, 0, 0, 1),
}


@pytest.fixture
async def events(db: ormada.Database, api: Api) -> dict[str, dt.datetime]:
    db.create_all([Event])
    await api(Event, "bulk_create", [
        Event(label=label, created=when, local=when.replace(tzinfo=None), day=when.date(), clock=when.time())
        for label, when in EVENTS.items()])
    return EVENTS


async def labels(api: Api, queryset: ormada.QuerySet[Event]) -> set[str]:
    return {e.label for e in await api.list(queryset)}


def where(test: object) -> set[str]:
    return {label for label, when in EVENTS.items() if test(when)}  # type: ignore[operator]


def week_day(when: dt.date) -> int:
    return when.isoweekday() % 7 + 1  # Django's numbering: 1 = Sunday … 7 = Saturday


@pytest.mark.parametrize("field", ["created", "local", "day"])
async def test_year_month_day_and_week_day(events: object, api: Api, field: str) -> None:
    assert await labels(api, Event.filter(**{f"{field}__year": 2024})) == where(lambda t: t.year == 2024)
    assert await labels(api, Event.filter(**{f"{field}__year__gte": 2024})) == where(lambda t: t.year >= 2024)
    assert await labels(api, Event.filter(**{f"{field}__year__gt": 2024})) == where(lambda t: t.year > 2024)
    assert await labels(api, Event.filter(**{f"{field}__year__lt": 2024})) == where(lambda t: t.year < 2024)
    assert await labels(api, Event.filter(**{f"{field}__year__lte": 2023})) == where(lambda t: t.year <= 2023)
    assert await labels(api, Event.filter(**{f"{field}__year__in": [1999, 2031]})) == {"old", "far"}
    assert await labels(api, Event.filter(**{f"{field}__year__range": (2000, 2024)})) == \
        where(lambda t: 2000 <= t.year <= 2024)
    assert await labels(api, Event.filter(**{f"{field}__month__in": [1, 2]})) == where(lambda t: t.month in (1, 2))
    assert await labels(api, Event.filter(**{f"{field}__month": 12})) == {"last_of_2023", "old"}
    assert await labels(api, Event.filter(**{f"{field}__day": 29})) == {"feb"}
    assert await labels(api, Event.filter(**{f"{field}__day__gte": 29})) == where(lambda t: t.day >= 29)
    for number in range(1, 8):
        assert await labels(api, Event.filter(**{f"{field}__week_day": number})) == \
            where(lambda t, n=number: week_day(t) == n)


@pytest.mark.parametrize("field", ["created", "local", "clock"])
async def test_hour_and_minute(events: object, api: Api, field: str) -> None:
    assert await labels(api, Event.filter(**{f"{field}__hour": 23})) == where(lambda t: t.hour == 23)
    assert await labels(api, Event.filter(**{f"{field}__hour__lt": 9})) == where(lambda t: t.hour < 9)
    assert await labels(api, Event.filter(**{f"{field}__minute__in": [5, 45]})) == {"summer", "feb"}
    assert await labels(api, Event.filter(**{f"{field}__minute__gt": 0})) == where(lambda t: t.minute > 0)


@pytest.mark.parametrize("field", ["created", "local"])
async def test_date(events: object, api: Api, field: str) -> None:
    new_year = dt.date(2024, 1, 1)
    assert await labels(api, Event.filter(**{f"{field}__date": new_year})) == {"new_year"}
    assert await labels(api, Event.filter(**{f"{field}__date__gte": new_year})) == where(lambda t: t.date() >= new_year)
    assert await labels(api, Event.filter(**{f"{field}__date__gt": new_year})) == where(lambda t: t.date() > new_year)
    assert await labels(api, Event.filter(**{f"{field}__date__lt": new_year})) == where(lambda t: t.date() < new_year)
    assert await labels(api, Event.filter(**{f"{field}__date__lte": new_year})) == where(lambda t: t.date() <= new_year)
    assert await labels(api, Event.filter(**{f"{field}__date__in": [new_year, dt.date(2024, 3, 3)]})) == \
        {"new_year", "sunday"}
    assert await labels(api, Event.filter(**{f"{field}__date__range": (dt.date(2024, 2, 1), dt.date(2024, 3, 3))})) \
        == {"feb", "sunday"}


async def test_transforms_combine_with_q_exclude_and_terminals(events: object, api: Api) -> None:
    assert await labels(api, Event.filter(Q(created__year=1999) | Q(created__month=7))) == {"old", "summer"}
    assert await labels(api, Event.exclude(created__year=2024)) == where(lambda t: t.year != 2024)
    assert await api(Event.filter(created__year=2024, created__hour__gte=8), "count") == 3
    assert await api(Event.filter(created__date=dt.date(2024, 7, 14)), "exists")
    assert await api(Event.filter(created__year=1999), "update", label="renamed") == 1
    assert await api(Event.filter(label="renamed", created__year=1999), "delete") == 1


async def test_aware_values_are_read_in_utc(db: ormada.Database, api: Api) -> None:
    db.create_all([Event])
    # 01:30 on 1 January 2025 in UTC, written as 2024-12-31 20:30 in New York's winter time.
    when = dt.datetime(2024, 12, 31, 20, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    await api(Event, "create", label="tz", created=when)
    assert await labels(api, Event.filter(created__year=2025, created__month=1, created__day=1, created__hour=1)) \
        == {"tz"}
    assert await labels(api, Event.filter(created__date=dt.date(2025, 1, 1))) == {"tz"}
    assert await api(Event.filter(created__year=2024), "count") == 0


@pytest.mark.requires("index_range_scans")
async def test_explain_shows_the_index_serves_year_and_date(events: object, db: ormada.Database,
                                                           api: Api) -> None:
    for queryset in (Event.filter(created__year=2024), Event.filter(created__date__gte=dt.date(2024, 1, 1))):
        plan = await api(queryset, "explain")
        assert "ix_tr_events_created" in plan, plan


def test_a_transform_on_a_field_of_another_type_names_model_field_and_transform() -> None:
    with pytest.raises(ormada.QueryError, match=r"Event\.label__year: .*'year' needs a date or datetime field; "
                                                r"label holds text \(lookups of label: exact, .*icontains"):
        Event.filter(label__year=2024)
    with pytest.raises(ormada.QueryError, match=r"Event\.clock__year: .*clock takes the transforms hour, minute"):
        Event.filter(clock__year=2024)
    with pytest.raises(ormada.QueryError, match=r"Event\.day__hour: .*needs a datetime or time field"):
        Event.filter(day__hour=1)
    with pytest.raises(ormada.QueryError, match=r"Event\.created__year: unknown comparison 'gtee'; did you mean"):
        Event.filter(created__year__gtee=1)
    with pytest.raises(ormada.QueryError, match=r"unknown lookup 'yaer'; did you mean 'year'"):
        Event.filter(created__yaer=2024)
    with pytest.raises(ormada.QueryError, match=r"Event\.created__month: 13 is out of range"):
        Event.filter(created__month=13)
    with pytest.raises(ormada.QueryError, match=r"Event\.created__date takes a datetime.date"):
        Event.filter(created__date="2024-01-01")


async def test_sqlite_text_of_other_clients(tmp_path: object, api: Api) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "clients.db"
    database = ormada.connect(f"sqlite:///{path}")
    database.create_all([Event])
    texts = {
        "t_separator": "2024-06-30T23:30:00",
        "offset_next_year": "2024-12-31T23:30:00-02:00",  # 2025-01-01 01:30 UTC
        "z_fraction": "2023-12-31 23:59:59.9Z",
        "milliseconds": "2024-01-01 00:00:00.540",
        "old_ormada": "2024-03-01 00:00:00.000000+00:00",
        # SQLite's date functions would round these fractions up to the next second.
        "last_of_2024": "2024-12-31 23:59:59.9999999",
        "minute_end": "2000-12-31T23:59:59.999500+05:30",  # 18:29:59.9995 UTC
    }
    with sqlite3.connect(path) as conn:
        conn.executemany("INSERT INTO tr_events (label, created) VALUES (?, ?)", list(texts.items()))
    conn.close()
    try:
        read = {e.label: e.created for e in await api.list(Event.query())}
        for year in (2023, 2024, 2025):
            assert await labels(api, Event.filter(created__year=year)) == \
                {label for label, when in read.items() if when.year == year}
        assert await labels(api, Event.filter(created__date=dt.date(2025, 1, 1))) == {"offset_next_year"}
        assert await labels(api, Event.filter(created__month=6, created__hour=23)) == {"t_separator"}
        assert await labels(api, Event.filter(created__date=dt.date(2024, 12, 31), created__week_day=3,
                                              created__minute=59)) == {"last_of_2024"}
        assert await labels(api, Event.filter(created__hour=18, created__minute=29)) == {"minute_end"}
    finally:
        await database.aclose()


# -- properties: the database's answer is Python's, for any instant and any text form ---------

instants = st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2100, 12, 30),
                        timezones=st.just(UTC))
# The last millisecond of a day (of a year, on 31 December), where a fraction rounded up
# would be read as the next day.
day_ends = st.builds(lambda day, micro: dt.datetime.combine(day, dt.time(23, 59, 59, micro), UTC),
                     st.dates(min_value=dt.date(1900, 1, 2), max_value=dt.date(2100, 12, 30)),
                     st.integers(min_value=999_000, max_value=999_999))
offsets = st.sampled_from(["", "Z", "+00:00", "+05:30", "-02:00", "+14:00", "-12:00"])


def client_text(when: dt.datetime, separator: str, digits: int, offset: str) -> str:
    """``when`` as another SQLite client may have written it."""
    if offset in ("", "Z"):
        local, suffix = when.replace(tzinfo=None), offset
    else:
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        zone = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
        local, suffix = when.astimezone(zone).replace(tzinfo=None), offset
    text = local.isoformat(separator, "seconds")
    if digits:  # past six digits, nines: more than a microsecond, which Python's reading drops
        text += "." + f"{local.microsecond:06d}{'9' * 6}"[:digits]
    return text + suffix


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.one_of(instants, day_ends), st.sampled_from(["T", " "]),
                               st.integers(min_value=0, max_value=12), offsets),
                     min_size=1, max_size=6))
async def test_sqlite_year_and_date_agree_with_python_for_any_text(
        tmp_path: object, api: Api, rows: list[tuple[dt.datetime, str, int, str]]) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "property.db"
    database = ormada.connect(f"sqlite:///{path}")
    database.create_all([Event])
    try:
        with sqlite3.connect(path) as conn:
            conn.execute("DELETE FROM tr_events")
            conn.executemany("INSERT INTO tr_events (label, created) VALUES (?, ?)",
                             [(str(i), client_text(*row)) for i, row in enumerate(rows)])
        conn.close()
        read = {e.label: e.created for e in await api.list(Event.query())}
        for when in read.values():
            assert await labels(api, Event.filter(created__year=when.year)) == \
                {label for label, other in read.items() if other.year == when.year}
            assert await labels(api, Event.filter(created__date=when.date())) == \
                {label for label, other in read.items() if other.date() == when.date()}
            assert await labels(api, Event.filter(created__date__lt=when.date())) == \
                {label for label, other in read.items() if other.date() < when.date()}
            assert await labels(api, Event.filter(created__week_day=week_day(when), created__hour=when.hour,
                                                  created__minute=when.minute)) == \
                {label for label, other in read.items()
                 if week_day(other) == week_day(when) and other.hour == when.hour and other.minute == when.minute}
    finally:
        await database.aclose()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(when=instants, zone=st.sampled_from([UTC, dt.timezone(dt.timedelta(hours=-9, minutes=-30)),
                                            dt.timezone(dt.timedelta(hours=13))]))
async def test_parts_agree_with_python_on_every_backend(db: ormada.Database, api: Api, when: dt.datetime,
                                                        zone: dt.timezone) -> None:
    db.create_all([Event])
    await api(Event.query(), "delete")
    await api(Event, "create", label="x", created=when.astimezone(zone), local=when.replace(tzinfo=None),
              day=when.date(), clock=when.time())
    for field in ("created", "local"):
        found = Event.filter(**{f"{field}__year": when.year, f"{field}__month": when.month, f"{field}__day": when.day,
                                f"{field}__hour": when.hour, f"{field}__minute": when.minute,
                                f"{field}__week_day": week_day(when), f"{field}__date": when.date()})
        assert await api(found, "count") == 1, field
        assert await api(Event.filter(**{f"{field}__year__lt": when.year}), "count") == 0
        assert await api(Event.filter(**{f"{field}__date__gt": when.date()}), "count") == 0
    assert await api(Event.filter(day__week_day=week_day(when), clock__minute=when.minute), "count") == 1
