"""Datetimes on SQLite: rows written by other programs and by earlier ormada versions
compare, sort and read back like rows ormada writes, and the naive and aware fields
read back as on PostgreSQL (and on MariaDB)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import AwareDatetime, NaiveDatetime

import ormada
from ormada import Model, PrimaryKey
from tests.conftest import Api

UTC = dt.UTC


class Stamp(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    label: str = ""
    at: dt.datetime | None = None
    naive: NaiveDatetime | None = None
    aware: AwareDatetime | None = None

    class Meta:
        table = "dt_stamps"


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# Text as other SQLite clients write it: Python's sqlite3 adapter (isoformat with " "),
# CURRENT_TIMESTAMP and datetime() (whole seconds), and the forms earlier ormada
# versions wrote (always six digits, "+00:00" on aware fields).
FOREIGN = {
    "current_timestamp": ("2021-01-01 00:00:00", utc(2021, 1, 1)),
    "adapter_whole": ("2021-02-01 08:30:00", utc(2021, 2, 1, 8, 30)),
    "adapter_fraction": ("2021-02-01 08:30:00.500000", utc(2021, 2, 1, 8, 30, 0, 500000)),
    "old_ormada_aware": ("2021-03-01 00:00:00.000000+00:00", utc(2021, 3, 1)),
    "old_ormada_fraction": ("2021-03-01 00:00:00.250000+00:00", utc(2021, 3, 1, 0, 0, 0, 250000)),
    "old_ormada_naive": ("2021-04-01 00:00:00.000000", utc(2021, 4, 1)),
    "strftime_milliseconds": ("2021-05-01 10:00:00.540", utc(2021, 5, 1, 10, 0, 0, 540000)),
    "before_year": ("2020-12-31 23:59:59", utc(2020, 12, 31, 23, 59, 59)),
    "after_year": ("2022-01-01 00:00:00", utc(2022, 1, 1)),
}
# Written by ormada itself, for mixing with the rows above.
OWN = {
    "ormada_whole": utc(2021, 2, 1, 8, 30, 1),
    "ormada_fraction": utc(2021, 2, 1, 8, 30, 0, 250000),
    "ormada_year_end": utc(2021, 12, 31, 23, 59, 59, 999999),
}
ALL = {**{label: when for label, (_, when) in FOREIGN.items()}, **OWN}

# One instant stored as "X", "X.000000" and "X.000000+00:00" (or ".54" as ".540" and ".540000")
# matches only through a text range: these labels check the lowest/highest-text bounds.
LABELS = sorted(ALL)


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[tuple[ormada.Database, Path]]:
    path = tmp_path / "stamps.db"
    database = ormada.connect(f"sqlite:///{path}")
    database.create_all([Stamp])
    try:
        yield database, path
    finally:
        await database.aclose()


def insert_raw(path: Path, rows: dict[str, str], column: str = "at") -> None:
    """Writes text straight through sqlite3, as another program would."""
    with sqlite3.connect(path) as conn:
        conn.executemany(f"INSERT INTO dt_stamps (label, {column}) VALUES (?, ?)", list(rows.items()))
    conn.close()


@pytest.fixture
async def mixed(sqlite_db: tuple[ormada.Database, Path], api: Api) -> ormada.Database:
    database, path = sqlite_db
    insert_raw(path, {label: text for label, (text, _) in FOREIGN.items()})
    for label, when in OWN.items():
        await api(Stamp, "create", label=label, at=when)
    return database


async def labels(api: Api, queryset: ormada.QuerySet[Stamp]) -> set[str]:
    return {s.label for s in await api.list(queryset)}


def expected(test: object) -> set[str]:
    return {label for label, when in ALL.items() if test(when)}  # type: ignore[operator]


async def test_every_form_reads_back_as_the_same_aware_utc_value(mixed: ormada.Database, api: Api) -> None:
    loaded = {s.label: s.at for s in await api.list(Stamp.query())}
    assert loaded == ALL
    assert all(at is not None and at.tzinfo is UTC for at in loaded.values())


@pytest.mark.parametrize("label", LABELS)
async def test_exact_match_finds_the_row_whatever_wrote_it(mixed: ormada.Database, api: Api, label: str) -> None:
    when = ALL[label]
    assert await labels(api, Stamp.filter(at=when)) == {label}
    # The same instant given in another time zone, or naive (taken as UTC).
    assert await labels(api, Stamp.filter(at=when.astimezone(dt.timezone(dt.timedelta(hours=-5))))) == {label}
    assert await labels(api, Stamp.filter(at=when.replace(tzinfo=None))) == {label}
    assert await api(Stamp.filter(at__in=[when, utc(1999, 1, 1)]), "count") == 1
    assert label not in await labels(api, Stamp.exclude(at=when))


@pytest.mark.parametrize("label", LABELS)
async def test_comparisons_put_the_boundary_row_on_the_right_side(mixed: ormada.Database, api: Api,
                                                                   label: str) -> None:
    when = ALL[label]
    assert await labels(api, Stamp.filter(at__lt=when)) == expected(lambda t: t < when)
    assert await labels(api, Stamp.filter(at__lte=when)) == expected(lambda t: t <= when)
    assert await labels(api, Stamp.filter(at__gt=when)) == expected(lambda t: t > when)
    assert await labels(api, Stamp.filter(at__gte=when)) == expected(lambda t: t >= when)


async def test_a_years_range_holds_every_row_of_that_year(mixed: ormada.Database, api: Api) -> None:
    in_2021 = expected(lambda t: t.year == 2021)
    assert await labels(api, Stamp.filter(at__range=(utc(2021, 1, 1), utc(2021, 12, 31, 23, 59, 59, 999999)))) \
        == in_2021
    assert await labels(api, Stamp.filter(at__gte=utc(2021, 1, 1), at__lt=utc(2022, 1, 1))) == in_2021


async def test_a_range_ending_on_an_old_row_holds_it(mixed: ormada.Database, api: Api) -> None:
    low, high = utc(2021, 2, 1, 8, 30), utc(2021, 3, 1)
    assert await labels(api, Stamp.filter(at__range=(low, high))) == expected(lambda t: low <= t <= high)


async def test_ordering_is_time_order(mixed: ormada.Database, api: Api) -> None:
    ordered = [s.label for s in await api.list(Stamp.query().order_by("at"))]
    assert ordered == sorted(ALL, key=ALL.__getitem__)
    newest = [s.label for s in await api.list(Stamp.query().order_by("-at"))]
    assert newest == ordered[::-1]


async def test_ormada_writes_what_other_sqlite_clients_write(sqlite_db: tuple[ormada.Database, Path],
                                                             api: Api) -> None:
    _, path = sqlite_db
    await api(Stamp, "create", label="whole", at=dt.datetime(2021, 1, 1, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))),
              naive=dt.datetime(2021, 1, 1), aware=utc(2021, 1, 1))
    await api(Stamp, "create", label="fraction", at=utc(2021, 1, 1, 0, 0, 0, 500000),
              naive=dt.datetime(2021, 1, 1, 0, 0, 0, 500000), aware=utc(2021, 1, 1, 0, 0, 0, 500000))
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT label, at, naive, aware, at = datetime('2021-01-01 00:00:00') "
                            "FROM dt_stamps ORDER BY id").fetchall()
        adapter = [str(x) for x in (dt.datetime(2021, 1, 1), dt.datetime(2021, 1, 1, 0, 0, 0, 500000))]
    conn.close()
    assert rows == [("whole", adapter[0], adapter[0], adapter[0], 1),
                    ("fraction", adapter[1], adapter[1], adapter[1], 0)]


async def test_current_timestamp_defaults_compare_with_python_values(sqlite_db: tuple[ormada.Database, Path],
                                                                     api: Api) -> None:
    _, path = sqlite_db
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO dt_stamps (label, at) VALUES ('now', CURRENT_TIMESTAMP)")
        (text,) = conn.execute("SELECT at FROM dt_stamps").fetchone()
    conn.close()
    stamp = await api(Stamp, "get", label="now")
    assert stamp.at == dt.datetime.fromisoformat(text).replace(tzinfo=UTC)
    assert await labels(api, Stamp.filter(at=stamp.at)) == {"now"}
    assert await labels(api, Stamp.filter(at__gte=stamp.at, at__lt=stamp.at + dt.timedelta(seconds=1))) == {"now"}


@pytest.mark.parametrize(("text", "value"), [
    ("2021-01-01T00:00:00", utc(2021, 1, 1)),
    ("2021-01-01T00:00:00Z", utc(2021, 1, 1)),
    ("2021-01-01T00:00:00.123Z", utc(2021, 1, 1, 0, 0, 0, 123000)),
    ("2021-01-01 00:00:00+00:00", utc(2021, 1, 1)),
    ("2021-01-01 05:30:00+05:30", utc(2021, 1, 1)),
    ("2021-01-01 00:00:00.123", utc(2021, 1, 1, 0, 0, 0, 123000)),
    ("2021-01-01 00:00", utc(2021, 1, 1)),
])
async def test_other_programs_text_reads_back(sqlite_db: tuple[ormada.Database, Path], api: Api, text: str,
                                             value: dt.datetime) -> None:
    _, path = sqlite_db
    insert_raw(path, {"aware": text}, column="at")
    insert_raw(path, {"naive": text}, column="naive")
    assert (await api(Stamp, "get", label="aware")).at == value
    # A naive field ignores an offset written into its text, as PostgreSQL's
    # timestamp without time zone does on input.
    naive = (await api(Stamp, "get", label="naive")).naive
    assert naive is not None and naive.tzinfo is None
    assert naive == dt.datetime.fromisoformat(text.replace("Z", "")).replace(tzinfo=None)


async def test_naive_fields_compare_other_clients_rows(sqlite_db: tuple[ormada.Database, Path], api: Api) -> None:
    _, path = sqlite_db
    insert_raw(path, {"a": "2021-01-01 00:00:00", "b": "2021-01-01 00:00:00.500000", "c": "2021-01-01 00:00:01",
                      "old": "2021-01-01 00:00:02.000000"}, column="naive")
    whole = dt.datetime(2021, 1, 1)
    assert await labels(api, Stamp.filter(naive=whole)) == {"a"}
    assert await labels(api, Stamp.filter(naive__gt=whole)) == {"b", "c", "old"}
    assert await labels(api, Stamp.filter(naive__lt=dt.datetime(2021, 1, 1, 0, 0, 1))) == {"a", "b"}
    assert await labels(api, Stamp.filter(naive__gte=dt.datetime(2021, 1, 1, 0, 0, 2))) == {"old"}
    assert [s.label for s in await api.list(Stamp.query().order_by("naive"))] == ["a", "b", "c", "old"]


async def test_naive_fields_match_old_rows_exactly(sqlite_db: tuple[ormada.Database, Path], api: Api) -> None:
    _, path = sqlite_db
    insert_raw(path, {"c": "2021-01-01 00:00:01", "old": "2021-01-01 00:00:02.000000"}, column="naive")
    assert await labels(api, Stamp.filter(naive__lte=dt.datetime(2021, 1, 1, 0, 0, 2))) == {"c", "old"}
    assert await labels(api, Stamp.filter(naive=dt.datetime(2021, 1, 1, 0, 0, 2))) == {"old"}


# -- the same model on every backend ----------------------------------------

async def test_naive_and_aware_fields_read_back_as_on_postgresql(db: ormada.Database, api: Api) -> None:
    db.create_all([Stamp])
    plus_two = dt.timezone(dt.timedelta(hours=2))
    cases = [
        # (plain datetime, NaiveDatetime, AwareDatetime) as given
        (dt.datetime(2021, 1, 1, 12), dt.datetime(2021, 1, 1, 12), dt.datetime(2021, 1, 1, 12, tzinfo=plus_two)),
        (dt.datetime(2021, 1, 1, 12, tzinfo=plus_two), dt.datetime(2021, 1, 1, 12, 0, 0, 5),
         dt.datetime(2021, 1, 1, 12, 0, 0, 500000, tzinfo=UTC)),
    ]
    for i, (at, naive, aware) in enumerate(cases):
        created = await api(Stamp, "create", label=str(i), at=at, naive=naive, aware=aware)
        loaded = await api(Stamp, "get", id=created.id)
        # A plain datetime field is aware: naive values are taken as UTC, and every
        # value comes back in UTC.
        assert loaded.at == (at if at.tzinfo else at.replace(tzinfo=UTC)) and loaded.at.tzinfo is UTC
        assert loaded.naive == naive and loaded.naive.tzinfo is None
        assert loaded.aware == aware and loaded.aware.utcoffset() == dt.timedelta(0)
        assert await labels(api, Stamp.filter(at=at, naive=naive, aware=aware)) == {str(i)}


# MySQL's DATETIME takes no offset in its text: MariaDB refuses it (below); MySQL 8, by its
# manual (not run here), converts it to the session's zone, naive columns included.
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_offset_text_in_a_naive_column_keeps_its_wall_clock_time(db: ormada.Database, api: Api) -> None:
    db.create_all([Stamp])
    await api.execute(db, "INSERT INTO dt_stamps (label, naive, at) VALUES "
                          "('raw', '2021-06-01 08:00:00+02:00', '2021-06-01 08:00:00+02:00')")
    raw = await api(Stamp, "get", label="raw")
    assert raw.naive == dt.datetime(2021, 6, 1, 8) and raw.naive.tzinfo is None
    assert raw.at == utc(2021, 6, 1, 6) and raw.at.tzinfo is UTC


@pytest.mark.parametrize("backend", ["mysql"])
async def test_mariadb_refuses_offset_text_in_a_datetime_column(db: ormada.Database, api: Api) -> None:
    db.create_all([Stamp])
    with pytest.raises(ormada.DatabaseError, match=r"Incorrect datetime value: '2021-06-01 08:00:00\+02:00'"):
        await api.execute(db, "INSERT INTO dt_stamps (label, naive) VALUES ('raw', '2021-06-01 08:00:00+02:00')")
    assert await api(Stamp.query(), "count") == 0
