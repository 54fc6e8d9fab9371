"""Value codecs: field value → driver value → bytes (driver serializer) → driver value → field value."""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ormada.backends.cassandra import codecs
from ormada.backends.cassandra.types import column_type

from . import cqlcheck
from .models import Address, AllTypes, Color, Geo, PageViews

UTC = dt.UTC
SAMPLE = AllTypes(
    id=uuid.UUID(int=7), t_text="é", t_ascii="a", t_int=-5, t_bigint=2**62, t_smallint=-2, t_tinyint=5,
    t_varint=-(10**40), t_float=0.5, t_double=1e300, t_decimal=Decimal("-1.005"), t_bool=True, t_uuid=uuid.uuid4(),
    t_timeuuid=uuid.uuid1(), t_timestamp=dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC),
    t_date=dt.date(1999, 12, 31), t_time=dt.time(23, 59, 59, 999999), t_duration=dt.timedelta(days=2, microseconds=7),
    t_blob=b"\x00\xff", t_inet=ipaddress.IPv4Address("192.168.0.1"), t_enum=Color.BLUE, t_list=["a", "b"],
    t_set={3, 1}, t_map={"x": 1.5}, t_tuple=(4, "t"), t_frozen=[1, 1], t_nested={"k": [1, 2]},
    t_udt=Address(street="s", zip=9, geo=Geo(lat=1.0, lon=2.0)), t_frozen_udt=Geo(lat=3.0, lon=4.0),
    t_udt_list=[Address(street="x", zip=1)], t_udt_map={"h": Geo(lat=0.0, lon=0.0)}, t_vector=[0.5, 0.25, 1.0],
)


def roundtrip(column: Any, value: Any, udts: dict[str, Any]) -> Any:
    enc = codecs.column_encoder("AllTypes", column)
    dec = codecs.column_decoder(column)
    bound = enc(value) if enc is not None and value is not None else value
    kind = cqlcheck.driver_type(column_type(column), udts)
    back = kind.deserialize(kind.serialize(bound, 4), 4)
    return dec(back) if dec is not None else back


def test_every_column_roundtrips_through_the_driver(udts: dict[str, Any]) -> None:
    for column in AllTypes.__table_schema__.columns:
        value = SAMPLE.__dict__[column.name]
        got = roundtrip(column, value, udts)
        assert got == value, (column.name, got, value)


def test_decoders_accept_null_collections_and_counters() -> None:
    by_name = AllTypes.__table_schema__.by_name
    assert codecs.column_decoder(by_name["t_list"])(None) == []  # type: ignore[misc]
    assert codecs.column_decoder(by_name["t_set"])(None) == set()  # type: ignore[misc]
    assert codecs.column_decoder(by_name["t_map"])(None) == {}  # type: ignore[misc]
    assert codecs.column_decoder(PageViews.__table_schema__.by_name["views"])(None) == 0  # type: ignore[misc]


def test_encode_then_decode_is_identity_for_change_tracking() -> None:
    # The model layer snapshots mutable fields with encoder() and reads them back with decoder().
    for name in ("t_list", "t_set", "t_map", "t_udt", "t_udt_list", "t_udt_map", "t_nested", "t_vector", "t_tuple"):
        column = AllTypes.__table_schema__.by_name[name]
        enc, dec = codecs.column_encoder("AllTypes", column), codecs.column_decoder(column)
        value = SAMPLE.__dict__[name]
        encoded = enc(value) if enc else value
        assert (dec(encoded) if dec else encoded) == value, name


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-(2**31), 2**31 - 1)), st.dictionaries(st.text(), st.floats(allow_nan=False)),
       st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)))
def test_property_roundtrips(ints: list[int], mapping: dict[str, float], when: dt.datetime) -> None:
    by_name = AllTypes.__table_schema__.by_name
    assert roundtrip(by_name["t_frozen"], ints, {}) == ints
    assert roundtrip(by_name["t_map"], mapping, {}) == mapping
    stamp = when.replace(microsecond=when.microsecond // 1000 * 1000, tzinfo=UTC)  # CQL keeps milliseconds
    assert roundtrip(by_name["t_timestamp"], stamp, {}) == stamp


def test_null_collections_read_as_new_empty_ones() -> None:
    from ormada.backends.cassandra.codecs import decoder as make_decoder
    from ormada.schema import Kind, LogicalType

    text = LogicalType(Kind.TEXT)
    for ltype in (LogicalType(Kind.LIST, items=(text,)), LogicalType(Kind.SET, items=(text,)),
                  LogicalType(Kind.MAP, items=(text, text))):
        decode = make_decoder(ltype, nullable=False)
        assert decode is not None
        first, second = decode(None), decode(None)
        assert first == second and not first and first is not second  # one row's change never shows in another
        assert make_decoder(ltype, nullable=True)(None) is None  # type: ignore[misc]
