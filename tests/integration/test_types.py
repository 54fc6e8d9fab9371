"""Every supported type round-trips through every backend, in both modes (property-based)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ormada
from tests.conftest import Api
from tests.models import Address, Everything, Genre, Level

UTC = dt.UTC
safe_text = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40)
# JSONB keeps numbers as decimals: a float in exponent form with an integral value
# (5.7e16) comes back as an int, so JSON floats stay below that range here.
json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(
    min_value=-1e15, max_value=1e15, allow_nan=False) | safe_text
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    safe_text, inner, max_size=3), max_leaves=8)
addresses = st.builds(Address, city=safe_text, zip=st.none() | safe_text)
datetimes = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1),
                         timezones=st.none() | st.timezones())


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


values = st.fixed_dictionaries({
    "i": optional(st.integers(-(2**31), 2**31 - 1)),
    "small": optional(st.integers(-(2**15), 2**15 - 1)),
    "big": optional(st.integers(-(2**63), 2**63 - 1)),
    "f": optional(st.floats(allow_nan=False, width=64)),
    "b": optional(st.booleans()),
    "s": optional(safe_text),
    "short": optional(safe_text.filter(lambda s: len(s) <= 20)),
    "raw": optional(st.binary(max_size=40)),
    "d": optional(st.decimals(min_value=-(10**8) + 1, max_value=10**8 - 1, places=4, allow_nan=False,
                              allow_infinity=False)),
    "u": optional(st.uuids()),
    "at": optional(datetimes),
    "day": optional(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))),
    "clock": optional(st.times()),
    "genre": optional(st.sampled_from(Genre)),
    "level": optional(st.sampled_from(Level)),
    "items": optional(st.lists(st.integers(-(2**31), 2**31 - 1), max_size=5)),
    "mapping": optional(st.dictionaries(safe_text, json_values, max_size=4)),
    "address": optional(addresses),
    "addresses": optional(st.lists(addresses, max_size=3)),
})


def expected(row: dict[str, Any]) -> dict[str, Any]:
    """What the database gives back: plain ``datetime`` fields come back aware, in UTC."""
    out = dict(row)
    at = out["at"]
    if at is not None:
        out["at"] = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=values)
async def test_values_round_trip(db: ormada.Database, api: Api, row: dict[str, Any]) -> None:
    if row["f"] is not None and math.isinf(row["f"]) and not db.backend.supports.float_infinity:
        with pytest.raises(ormada.DataError, match=r"Everything\.f: -?inf cannot be stored"):
            await api(Everything, "create", **row)
        row = {**row, "f": None}
    created = await api(Everything, "create", **row)
    loaded = await api(Everything, "get", id=created.id)
    dumped = loaded.model_dump()
    dumped.pop("id")
    assert dumped == {k: (v.model_dump() if hasattr(v, "model_dump") else
                          [a.model_dump() for a in v] if k == "addresses" and v is not None else v)
                      for k, v in expected(row).items()}
    if loaded.at is not None:
        assert loaded.at.tzinfo is not None and loaded.at.utcoffset() == dt.timedelta(0)
    # Values also work as filter parameters, and an unchanged instance saves nothing.
    for field in ("i", "s", "u", "day", "genre", "d"):
        if row[field] is not None:
            assert await api(Everything.filter(id=created.id, **{field: row[field]}), "exists")
    assert await api(loaded, "save") is loaded


async def test_infinite_floats_round_trip_or_are_refused(db: ormada.Database, api: Api) -> None:
    for value in (math.inf, -math.inf):
        if db.backend.supports.float_infinity:
            created = await api(Everything, "create", f=value)
            assert (await api(Everything, "get", id=created.id)).f == value
        else:
            with pytest.raises(ormada.DataError, match=r"Everything\.f: -?inf cannot be stored"):
                await api(Everything, "create", f=value)
    assert await api(Everything.filter(f=1.5), "count") == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(client=st.ip_addresses(), length=st.none() | st.timedeltas(min_value=dt.timedelta(days=-10**5),
                                                                  max_value=dt.timedelta(days=10**5)))
async def test_addresses_and_durations_round_trip(db: ormada.Database, api: Api, client: Any, length: Any) -> None:
    from tests.models import Session

    row = await api(Session, "create", client=client, length=length)
    loaded = await api(Session, "get", id=row.id)
    assert (loaded.client, loaded.length) == (client, length)
    assert await api(Session.filter(client=client, id=row.id), "exists")
