"""Every CQL type written through ormada and read back from a real node, sync and async."""

from __future__ import annotations

import datetime as dt
import ipaddress
import struct
import uuid
from decimal import Decimal
from typing import Any

import pytest
from live_types_models import (
    TYPE_MODELS,
    TAddress,
    TAllTypes,
    TCollections,
    TColor,
    TCounter,
    TDefaults,
    TFrozenKey,
    TGeo,
    TKeys,
    TLevel,
    TPerson,
    TStatic,
    TUdts,
    TVector,
)

import ormada
from ormada import DataError, F, NotSupported

UTC = dt.UTC
PLUS2 = dt.timezone(dt.timedelta(hours=2))
HUGE = Decimal("-12345678901234567890.123456789012345678901234567890")


@pytest.fixture(scope="module")
def db(keyspace: str) -> Any:
    database = ormada.get_database("cassandra_live")
    database.create_all(list(TYPE_MODELS))
    return database


def _one(statement: Any) -> Any:
    return (yield statement)


def _float32(x: float) -> float:
    return float(struct.unpack("f", struct.pack("f", x))[0])


SCALARS: dict[str, Any] = {
    "t_text": "héllo wörld ✓ 'quoted'",
    "t_ascii": "plain ascii",
    "t_int": -(2**31),
    "t_bigint": 2**63 - 1,
    "t_smallint": -(2**15),
    "t_tinyint": 127,
    "t_varint": -(2**100) + 7,
    "t_float": 0.1,
    "t_double": 0.1 + 0.2,
    "t_decimal": HUGE,
    "t_bool": False,
    "t_blob": bytes(range(256)),
    "t_uuid": uuid.UUID("12345678-1234-4678-9234-567812345678"),
    "t_timeuuid": uuid.uuid1(),
    "t_ts": dt.datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=UTC),
    "t_aware": dt.datetime(2024, 6, 1, 12, 30, 0, 999999, tzinfo=PLUS2),
    "t_naive": dt.datetime(1969, 7, 20, 20, 17, 40, 5000),
    "t_date": dt.date(1, 1, 1),
    "t_time": dt.time(23, 59, 59, 999999),
    "t_inet4": ipaddress.IPv4Address("192.168.10.1"),
    "t_inet6": ipaddress.IPv6Address("2001:db8::8a2e:370:7334"),
    "t_inet": ipaddress.IPv6Address("::ffff:10.0.0.1"),
    "t_duration": dt.timedelta(days=400, hours=5, minutes=6, seconds=7, microseconds=8),
    "t_color": TColor.BLUE,
    "t_level": TLevel.HIGH,
}

EXPECTED: dict[str, Any] = {
    **SCALARS,
    "t_float": _float32(0.1),
    "t_ts": dt.datetime(2024, 2, 29, 23, 59, 59, 123000, tzinfo=UTC),  # milliseconds
    "t_aware": dt.datetime(2024, 6, 1, 10, 30, 0, 999000, tzinfo=UTC),  # comes back in UTC
    "t_naive": dt.datetime(1969, 7, 20, 20, 17, 40, 5000),  # stays naive
}


def _check_scalars(row: TAllTypes) -> None:
    for name, want in EXPECTED.items():
        got = getattr(row, name)
        assert got == want, name
        assert type(got) is type(want), name
    assert str(row.t_decimal) == str(HUGE)  # exact, scale kept
    assert row.t_aware is not None and row.t_aware.tzinfo == UTC
    assert row.t_naive is not None and row.t_naive.tzinfo is None


def test_every_scalar_round_trips(db: Any) -> None:
    key = uuid.uuid4()
    TAllTypes.create(id=key, **SCALARS)
    _check_scalars(TAllTypes.get(id=key))
    (only,) = TAllTypes.filter(id=key).values_list("t_decimal", "t_inet6", "t_color")
    assert tuple(only) == (HUGE, SCALARS["t_inet6"], TColor.BLUE)


async def test_every_scalar_round_trips_async(db: Any) -> None:
    key = uuid.uuid4()
    await TAllTypes.acreate(id=key, **SCALARS)
    _check_scalars(await TAllTypes.aget(id=key))
    rows = await TAllTypes.filter(id=key)
    assert len(rows) == 1 and rows[0].t_varint == SCALARS["t_varint"]


def test_extreme_values(db: Any) -> None:
    cases: list[dict[str, Any]] = [
        {"t_int": 2**31 - 1, "t_bigint": -(2**63), "t_smallint": 2**15 - 1, "t_tinyint": -128,
         "t_varint": 2**200, "t_decimal": Decimal("0.00100"), "t_float": 1.5, "t_double": -0.0,
         "t_date": dt.date(9999, 12, 31), "t_time": dt.time(0, 0), "t_bool": True,
         "t_ts": dt.datetime(1900, 1, 1, tzinfo=UTC), "t_duration": dt.timedelta(0),
         "t_text": "", "t_blob": b"\x00", "t_inet": ipaddress.IPv4Address("0.0.0.0"), "t_level": TLevel.LOW},
        {"t_decimal": Decimal("1E+30"), "t_double": float("inf"), "t_float": float("-inf"),
         "t_varint": 0, "t_date": dt.date(1970, 1, 1), "t_duration": dt.timedelta(microseconds=1),
         "t_ts": dt.datetime(1970, 1, 1, tzinfo=UTC), "t_time": dt.time(12, 0, 0, 1)},
    ]
    for values in cases:
        key = uuid.uuid4()
        TAllTypes.create(id=key, **values)
        got = TAllTypes.get(id=key)
        for name, want in values.items():
            assert getattr(got, name) == want, name
    assert str(TAllTypes.get(id=key).t_decimal) == "1E+30"


def test_nan_round_trips(db: Any) -> None:
    key = uuid.uuid4()
    TAllTypes.create(id=key, t_double=float("nan"), t_float=float("nan"))
    got = TAllTypes.get(id=key)
    assert got.t_double != got.t_double and got.t_float != got.t_float


def test_negative_durations_round_trip(db: Any) -> None:
    values = [dt.timedelta(seconds=-1), dt.timedelta(days=-3, hours=2), dt.timedelta(microseconds=-1),
              -dt.timedelta(days=2, hours=1, microseconds=5), dt.timedelta(days=-1)]
    for value in values:
        key = uuid.uuid4()
        TAllTypes.create(id=key, t_duration=value)
        assert TAllTypes.get(id=key).t_duration == value


def test_naive_value_in_plain_datetime_is_taken_as_utc(db: Any) -> None:
    key = uuid.uuid4()
    TAllTypes.create(id=key, t_ts=dt.datetime(2024, 1, 1, 8, 0, 0, 1500))
    assert TAllTypes.get(id=key).t_ts == dt.datetime(2024, 1, 1, 8, 0, 0, 1000, tzinfo=UTC)


def test_timestamps_keep_whole_milliseconds_far_from_1970(db: Any) -> None:
    cases = {
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC): dt.datetime(9999, 12, 31, 23, 59, 59, 999000,
                                                                               tzinfo=UTC),
        dt.datetime(9000, 6, 1, 1, 2, 3, 998000, tzinfo=UTC): dt.datetime(9000, 6, 1, 1, 2, 3, 998000, tzinfo=UTC),
        dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC): dt.datetime(1969, 12, 31, 23, 59, 59, 999000,
                                                                               tzinfo=UTC),
        dt.datetime(1, 1, 1, 0, 0, 0, 1500, tzinfo=UTC): dt.datetime(1, 1, 1, 0, 0, 0, 1000, tzinfo=UTC),
    }
    for written, stored in cases.items():
        key = uuid.uuid4()
        TAllTypes.create(id=key, t_ts=written, t_naive=written.replace(tzinfo=None))
        got = TAllTypes.get(id=key)
        assert (got.t_ts, got.t_naive) == (stored, stored.replace(tzinfo=None)), written
    assert TAllTypes.get(id=key).t_ts == stored  # the connection survived every read


def test_in_place_changes_after_create_are_saved(db: Any) -> None:
    first, second = dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2025, 1, 1, tzinfo=UTC)
    row = TCollections.create(id=6, names={"a"}, stamps=[first], decimals={"a": Decimal(1)}, frozen_list=[1])
    row.names.add("b")
    row.stamps.append(second)
    row.decimals["b"] = Decimal(2)
    row.frozen_list.append(2)
    row.save()
    got = TCollections.get(id=6)
    assert (got.names, got.stamps, got.decimals, got.frozen_list) == (
        {"a", "b"}, [first, second], {"a": Decimal(1), "b": Decimal(2)}, [1, 2])
    got.names.discard("a")
    got.save()
    assert TCollections.get(id=6).names == {"b"}


async def test_in_place_changes_after_create_are_saved_async(db: Any) -> None:
    row = await TUdts.acreate(id=7, by_name={"h": HOME}, geos={TGeo(lat=0, lon=0)})
    row.by_name["w"] = TAddress(street="w", zip=7)
    row.geos.add(TGeo(lat=9, lon=9))
    await row.asave()
    got = await TUdts.aget(id=7)
    assert got.by_name == {"h": HOME, "w": TAddress(street="w", zip=7)}
    assert got.geos == {TGeo(lat=0, lon=0), TGeo(lat=9, lon=9)}


def test_every_nullable_reads_back_none(db: Any, keyspace: str) -> None:
    key = uuid.uuid4()
    TAllTypes.create(id=key)
    got = TAllTypes.get(id=key)
    assert all(getattr(got, name) is None for name in SCALARS)
    assert db.execute(f"SELECT t_text, t_int FROM {keyspace}.t_all_types WHERE id = :id", {"id": key}) == [(None, None)]


def test_setting_every_field_to_none_clears_it(db: Any) -> None:
    key = uuid.uuid4()
    row = TAllTypes.create(id=key, **SCALARS)
    for name in SCALARS:
        setattr(row, name, None)
    row.save()
    got = TAllTypes.get(id=key)
    assert all(getattr(got, name) is None for name in SCALARS)
    TAllTypes.filter(id=key).update(t_text="back", t_color=TColor.RED, t_level=TLevel.LOW)
    again = TAllTypes.get(id=key)
    assert (again.t_text, again.t_color, again.t_level) == ("back", TColor.RED, TLevel.LOW)
    TAllTypes.filter(id=key).update(t_text=None)
    assert TAllTypes.get(id=key).t_text is None


async def test_update_to_none_async(db: Any) -> None:
    key = uuid.uuid4()
    row = await TAllTypes.acreate(id=key, t_int=5, t_inet4=ipaddress.IPv4Address("1.2.3.4"))
    row.t_int = None
    await row.asave()
    got = await TAllTypes.aget(id=key)
    assert got.t_int is None and got.t_inet4 == ipaddress.IPv4Address("1.2.3.4")


@pytest.mark.parametrize(("field", "value"), [
    ("t_int", 2**31), ("t_smallint", -(2**15) - 1), ("t_tinyint", 128), ("t_bigint", 2**63),
])
def test_out_of_range_integer_names_model_field_and_value(db: Any, field: str, value: int) -> None:
    with pytest.raises(DataError) as caught:
        TAllTypes.create(id=uuid.uuid4(), **{field: value})
    assert f"TAllTypes.{field}" in str(caught.value) and str(value) in str(caught.value)


def test_non_time_uuid_in_timeuuid_names_model_field_and_value(db: Any) -> None:
    wrong = uuid.uuid4()
    key = uuid.uuid4()
    with pytest.raises(DataError) as caught:
        TAllTypes.create(id=key, t_timeuuid=wrong)
    assert "TAllTypes.t_timeuuid" in str(caught.value) and str(wrong) in str(caught.value)
    assert not TAllTypes.filter(id=key).exists()


def test_non_ascii_in_ascii_names_model_field_and_value(db: Any) -> None:
    with pytest.raises(DataError) as caught:
        TAllTypes.create(id=uuid.uuid4(), t_ascii="café")
    assert "TAllTypes.t_ascii" in str(caught.value) and "café" in str(caught.value)


def test_unwritten_columns_read_back_as_defaults(db: Any, keyspace: str) -> None:
    TDefaults.create(id=1)
    got = TDefaults.get(id=1)
    assert (got.name, got.total, got.color, got.tags, got.ids, got.attrs, got.frozen_tags) == (
        "", 0, TColor.RED, [], set(), {}, [])
    db.execute(f"INSERT INTO {keyspace}.t_defaults (id) VALUES (:id)", {"id": 2})
    raw = TDefaults.get(id=2)  # a row written without ormada: nulls everywhere
    assert raw.tags == [] and raw.ids == set() and raw.attrs == {} and raw.frozen_tags == []


# -- collections -------------------------------------------------------------------

COLLECTIONS: dict[str, Any] = {
    "ints": [3, 1, 2, 1],
    "names": {"b", "a", "c"},
    "scores": {"x": 1, "y": -2},
    "stamps": [dt.datetime(2024, 1, 1, 1, 2, 3, 4000, tzinfo=UTC), dt.datetime(2000, 1, 1, tzinfo=PLUS2)],
    "days": {dt.date(2024, 1, 1), dt.date(1999, 12, 31)},
    "decimals": {"pi": Decimal("3.14159265358979323846264338327950288")},
    "maybe_ints": [7],
    "maybe_map": {"k": 0.5},
    "frozen_list": [9, 8],
    "frozen_set": {"z"},
    "frozen_map": {"m": 1},
    "nested_list": [[1, 2], [], [3]],
    "map_of_lists": {"a": [1, 2], "b": [3]},
    "map_of_sets": {1: {"x", "y"}, 2: {"z"}},
    "pair": (1, "one"),
    "triple": (dt.date(2020, 2, 2), Decimal("2.50"), b"\x01\x02"),
    "nested_tuple": (1, ("in", True)),
    "tuple_list": [("a", 1), ("b", 2)],
    "enum_list": [TColor.BLUE, TColor.RED, TColor.BLUE],
    "level_map": {TLevel.LOW: "low", TLevel.HIGH: "high"},
    "inet_set": {ipaddress.IPv4Address("10.0.0.1"), ipaddress.IPv4Address("10.0.0.2")},
}


def _check_collections(got: TCollections) -> None:
    for name, want in COLLECTIONS.items():
        assert getattr(got, name) == want, name
    assert got.stamps[1] == dt.datetime(1999, 12, 31, 22, tzinfo=UTC) and got.stamps[1].tzinfo == UTC
    assert [type(x) for x in got.enum_list] == [TColor] * 3
    assert all(type(k) is TLevel for k in got.level_map)
    assert isinstance(got.names, set) and isinstance(got.pair, tuple) and isinstance(got.nested_tuple[1], tuple)
    assert str(got.triple[1] if got.triple else "") == "2.50"


def test_collections_round_trip(db: Any) -> None:
    TCollections.create(id=1, **COLLECTIONS)
    _check_collections(TCollections.get(id=1))


async def test_collections_round_trip_async(db: Any) -> None:
    await TCollections.acreate(id=2, **COLLECTIONS)
    _check_collections(await TCollections.aget(id=2))


def test_empty_collections_versus_null(db: Any) -> None:
    TCollections.create(id=3, maybe_ints=[], maybe_map={}, frozen_set=set(), frozen_map={}, frozen_list=[])
    got = TCollections.get(id=3)
    # A non-frozen empty collection is no value at all in CQL: a nullable one reads None,
    # a non-nullable one its empty value.
    assert got.maybe_ints is None and got.maybe_map is None
    assert got.ints == [] and got.names == set() and got.scores == {} and got.nested_list == []
    # A frozen collection is one value: empty stays empty, distinct from null.
    assert got.frozen_set == set() and got.frozen_map == {} and got.frozen_list == []
    TCollections.create(id=4)
    unset = TCollections.get(id=4)
    assert unset.frozen_set is None and unset.frozen_map is None and unset.pair is None and unset.frozen_list == []


def test_collection_updates_in_place(db: Any) -> None:
    TCollections.create(id=5, ints=[1], names={"a"}, scores={"a": 1}, enum_list=[TColor.RED],
                        level_map={TLevel.LOW: "l"})
    row = TCollections.filter(id=5)
    row.update(ints__append=[2], names__add={"b"}, scores__update={"b": 2}, enum_list__append=[TColor.BLUE],
               level_map__update={TLevel.HIGH: "h"})
    row.update(ints__prepend=[0], names__remove={"a"}, scores__remove=["a"])
    got = row.get()
    assert got.ints == [0, 1, 2] and got.names == {"b"} and got.scores == {"b": 2}
    assert got.enum_list == [TColor.RED, TColor.BLUE] and got.level_map == {TLevel.LOW: "l", TLevel.HIGH: "h"}
    got.ints = []
    got.maybe_ints = None
    got.save()
    assert row.get().ints == []


# -- user types ----------------------------------------------------------------------

HOME = TAddress(street="1 Main", zip=10115, geo=TGeo(lat=52.5, lon=13.4))
UDTS: dict[str, Any] = {
    "person": TPerson(name="Ada", home=HOME, others=[TAddress(street="2 Side", zip=1), HOME]),
    "frozen_home": TAddress(street="frozen", zip=0),
    "homes": [HOME, TAddress(street="3 Back", zip=2, geo=None)],
    "geos": {TGeo(lat=1.0, lon=2.0), TGeo(lat=-1.0, lon=0.0)},
    "by_name": {"home": HOME, "work": TAddress(street="Office", zip=3)},
    "by_geo": {"route": [TGeo(lat=0.0, lon=0.0), TGeo(lat=1.0, lon=1.0)]},
    "tagged": ("here", TGeo(lat=3.0, lon=4.0)),
}


def test_user_types_round_trip(db: Any) -> None:
    TUdts.create(id=1, **UDTS)
    got = TUdts.get(id=1)
    for name, want in UDTS.items():
        assert getattr(got, name) == want, name
    assert got.person is not None and got.person.home is not None and got.person.home.geo == HOME.geo
    assert isinstance(got.by_name["home"], TAddress) and isinstance(got.person.others[0], TAddress)
    assert got.person.others[0].geo is None


async def test_user_types_round_trip_async(db: Any) -> None:
    await TUdts.acreate(id=2, **UDTS)
    got = await TUdts.aget(id=2)
    assert got.by_geo == UDTS["by_geo"] and got.person == UDTS["person"]


def test_user_type_changes_and_nulls(db: Any) -> None:
    row = TUdts.create(id=3, person=TPerson(name="B"))
    got = TUdts.get(id=3)
    assert got.person == TPerson(name="B") and got.person is not None and got.person.home is None
    assert got.homes == [] and got.geos == set() and got.by_name == {} and got.tagged is None
    row.person = TPerson(name="C", home=HOME)
    row.save()
    assert TUdts.get(id=3).person == TPerson(name="C", home=HOME)
    TUdts.filter(id=3).update(homes__append=[HOME], by_name__update={"x": HOME}, geos__add={TGeo(lat=5, lon=5)})
    updated = TUdts.get(id=3)
    assert updated.homes == [HOME] and updated.by_name == {"x": HOME} and updated.geos == {TGeo(lat=5, lon=5)}
    TUdts.filter(id=3).update(person=None)
    assert TUdts.get(id=3).person is None


# -- counters, static columns, vectors ---------------------------------------------------

def test_counter(db: Any) -> None:
    day = dt.date(2024, 3, 1)
    part = TCounter.filter(page="home", day=day)
    part.update(views__incr=5)
    part.update(views=F("views") + 2, clicks__incr=1)
    part.update(views__decr=10)
    got = TCounter.get(page="home", day=day)
    assert (got.views, got.clicks) == (-3, 1)
    TCounter.create(page="home", day=day, views=3)  # inserting into a counter table adds
    assert TCounter.get(page="home", day=day).views == 0
    TCounter.filter(page="other", day=day).update(clicks__incr=2)
    assert TCounter.get(page="other", day=day).views == 0  # never written: reads 0


async def test_counter_async(db: Any) -> None:
    day = dt.date(2024, 3, 2)
    await TCounter.filter(page="async", day=day).aupdate(views__incr=2**40)
    await TCounter.filter(page="async", day=day).aupdate(views__incr=1)
    assert (await TCounter.aget(page="async", day=day)).views == 2**40 + 1


def test_static_column_is_one_value_per_partition(db: Any) -> None:
    TStatic.create(team="red", member="ann", motto="go", score=1)
    TStatic.create(team="red", member="bob", score=2)
    TStatic.create(team="blue", member="cy", motto="calm", score=3)
    red = TStatic.filter(team="red").all()
    assert [(r.member, r.motto, r.score) for r in red] == [("ann", "go", 1), ("bob", "go", 2)]
    bob = TStatic.get(team="red", member="bob")
    bob.motto = "win"
    bob.save()
    assert [r.motto for r in TStatic.filter(team="red").all()] == ["win", "win"]
    assert TStatic.get(team="blue", member="cy").motto == "calm"
    TStatic.filter(team="red").update(motto="partition-wide")  # a static column needs only the partition key
    assert {r.motto for r in TStatic.filter(team="red").all()} == {"partition-wide"}


def test_vector_round_trip_and_wrong_length(db: Any) -> None:
    TVector.create(id=1, embedding=[0.5, -1.25, 3.0], label="a")
    assert TVector.get(id=1).embedding == [0.5, -1.25, 3.0]
    TVector.create(id=2)
    assert TVector.get(id=2).embedding is None
    for wrong in ([1.0, 2.0], [1.0, 2.0, 3.0, 4.0], []):
        with pytest.raises(DataError) as caught:
            TVector.create(id=3, embedding=wrong)
        message = str(caught.value)
        assert "TVector.embedding" in message and "3" in message and str(len(wrong)) in message
    row = TVector.get(id=1)
    row.embedding = [1.0]
    with pytest.raises(DataError, match=r"TVector\.embedding"):
        row.save()
    assert not TVector.filter(id=3).exists() and TVector.get(id=1).embedding == [0.5, -1.25, 3.0]


async def test_vector_async(db: Any) -> None:
    await TVector.acreate(id=10, embedding=[1.0, 2.0, 3.0])
    assert (await TVector.aget(id=10)).embedding == [1.0, 2.0, 3.0]
    with pytest.raises(DataError, match=r"TVector\.embedding"):
        await TVector.acreate(id=11, embedding=[1.0])


# -- keys ------------------------------------------------------------------------------

def _at(hour: int) -> dt.datetime:
    return dt.datetime(2024, 1, 1, hour, tzinfo=UTC)


def _fill_keys(region: str) -> list[tuple[int, str, dt.datetime]]:
    keys = [(y, n, _at(h)) for y in (2023, 2024) for n in ("b", "a") for h in (1, 2)]
    for i, (year, name, at) in enumerate(keys):
        TKeys.create(region=region, bucket=1, year=year, name=name, at=at, value=i)
    TKeys.create(region=region, bucket=2, year=2024, name="a", at=_at(1), value=99)  # another partition
    # Declared order: year DESC, name ASC, at DESC.
    return sorted(keys, key=lambda k: (-k[0], k[1], -k[2].timestamp()))


def test_composite_partition_and_mixed_clustering_order(db: Any) -> None:
    natural = _fill_keys("eu")
    part = TKeys.filter(region="eu", bucket=1)
    assert [(r.year, r.name, r.at) for r in part.all()] == natural
    assert [(r.year, r.name, r.at) for r in part.order_by("year", "-name", "at").all()] == natural[::-1]
    assert [(r.year, r.name, r.at) for r in part.order_by("-year", "name", "-at").all()] == natural
    assert [(r.year, r.name) for r in part.filter(year=2024).order_by("year", "-name").all()] == [
        (2024, "b"), (2024, "b"), (2024, "a"), (2024, "a")]
    assert [r.at for r in part.filter(year=2023, name="a", at__lt=_at(2))] == [_at(1)]
    assert [r.year for r in part.filter(year__lt=2024).limit(1)] == [2023]
    assert TKeys.get(region="eu", bucket=2, year=2024, name="a", at=_at(1)).value == 99
    assert TKeys.filter(region="eu", bucket=1).count() == 8


async def test_clustering_order_async(db: Any) -> None:
    natural = _fill_keys("us")
    part = TKeys.filter(region="us", bucket=1)
    assert [(r.year, r.name, r.at) for r in await part] == natural
    assert [(r.year, r.name, r.at) for r in await part.order_by("year", "-name", "at")] == natural[::-1]


def test_key_queries_cql_cannot_answer_are_refused(db: Any) -> None:
    with pytest.raises(NotSupported):
        TKeys.filter(region="eu").all()  # half a partition key
    with pytest.raises(NotSupported):
        TKeys.filter(region="eu", bucket=1).order_by("year", "name").all()  # neither declared nor reversed
    with pytest.raises(NotSupported):
        TKeys.filter(region="eu", bucket=1).order_by("name").all()  # not in clustering sequence


def test_frozen_collection_and_user_type_keys(db: Any) -> None:
    first = TFrozenKey.create(tags=("t", 1), where=TGeo(lat=1, lon=2), ids=[1, 2], note="first")
    TFrozenKey.create(tags=("t", 1), where=TGeo(lat=1, lon=2), ids=[3], note="second")
    got = TFrozenKey.get(tags=("t", 1), where=TGeo(lat=1, lon=2), ids=[1, 2])
    assert got.note == "first" and got.tags == ("t", 1) and got.where == TGeo(lat=1, lon=2)
    assert [r.ids for r in TFrozenKey.filter(tags=("t", 1)).all()] == [[3], [1, 2]]  # ids DESC
    first.note = "changed"
    first.save()
    assert TFrozenKey.get(tags=("t", 1), where=TGeo(lat=1, lon=2), ids=[1, 2]).note == "changed"
    TFrozenKey.filter(tags=("t", 1), where=TGeo(lat=1, lon=2), ids=[3]).delete()
    assert TFrozenKey.filter(tags=("t", 1)).count() == 1
