"""Value encoders and decoders: what each backend binds for a field value, and back."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from ormada import DataError

from .models import Address, Genre, Level, Shelf, postgres_models, sqlite_models

UTC = dt.UTC
PLUS_TWO = dt.timezone(dt.timedelta(hours=2))


def codecs(lib: Any, field: str) -> tuple[Any, Any]:
    """The encoder and decoder of one Everything field (``None`` stands for "as is")."""
    info = lib.Everything.__ormada__
    column = info.table.by_name[field]
    backend = lib.database.backend
    return backend.encoder(info, column), backend.decoder(column)


def encode(lib: Any, field: str, value: Any) -> Any:
    encoder, _ = codecs(lib, field)
    return value if encoder is None else encoder(value)


def decode(lib: Any, field: str, value: Any) -> Any:
    _, decoder = codecs(lib, field)
    return value if decoder is None else decoder(value)


def round_trip(lib: Any, field: str, value: Any) -> Any:
    return decode(lib, field, encode(lib, field, value))


# -- SQLite ---------------------------------------------------------------------------

def test_sqlite_decimal_is_text_and_comes_back_quantised() -> None:
    assert encode(sqlite_models, "d", Decimal("1.5")) == "1.5"
    # SQLite's NUMERIC affinity hands back floats and ints; the field has 4 decimal places.
    assert decode(sqlite_models, "d", 1.5) == Decimal("1.5000")
    assert str(decode(sqlite_models, "d", 2)) == "2.0000"
    assert str(decode(sqlite_models, "d", "3.25")) == "3.2500"


def test_sqlite_uuid_is_hex() -> None:
    value = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert encode(sqlite_models, "u", value) == "12345678123456781234567812345678"
    assert decode(sqlite_models, "u", "12345678123456781234567812345678") == value
    assert decode(sqlite_models, "u", value.bytes) == value


def test_sqlite_aware_datetime_is_stored_as_utc_text() -> None:
    value = dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=PLUS_TWO)
    stored = encode(sqlite_models, "at", value)
    assert stored == "2024-01-02 01:04:05.000006"
    back = decode(sqlite_models, "at", stored)
    assert back == value
    assert back.tzinfo == UTC


def test_sqlite_naive_datetime_in_a_datetime_field_is_taken_as_utc() -> None:
    stored = encode(sqlite_models, "at", dt.datetime(2024, 1, 2, 3, 4, 5))
    assert stored == "2024-01-02 03:04:05"
    assert decode(sqlite_models, "at", stored) == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_sqlite_utc_text_sorts_in_time_order() -> None:
    early = encode(sqlite_models, "at", dt.datetime(2024, 1, 1, 23, 0, tzinfo=PLUS_TWO))
    late = encode(sqlite_models, "at", dt.datetime(2024, 1, 1, 22, 0, tzinfo=UTC))
    assert early < late


def test_sqlite_naive_datetime_field_stays_naive() -> None:
    value = dt.datetime(2024, 1, 2, 3, 4, 5)
    stored = encode(sqlite_models, "naive", value)
    assert stored == "2024-01-02 03:04:05"
    back = decode(sqlite_models, "naive", stored)
    assert back == value
    assert back.tzinfo is None


def test_sqlite_date_and_time_are_iso_text() -> None:
    assert encode(sqlite_models, "day", dt.date(2024, 2, 29)) == "2024-02-29"
    assert decode(sqlite_models, "day", "2024-02-29") == dt.date(2024, 2, 29)
    assert encode(sqlite_models, "clock", dt.time(1, 2, 3)) == "01:02:03.000000"
    assert decode(sqlite_models, "clock", "01:02:03.000000") == dt.time(1, 2, 3)


def test_sqlite_bool_comes_back_as_bool() -> None:
    assert decode(sqlite_models, "b", 1) is True
    assert decode(sqlite_models, "b", 0) is False


def test_sqlite_float_column_gives_floats() -> None:
    value = decode(sqlite_models, "f", 3)
    assert value == 3.0
    assert type(value) is float


# -- both backends ---------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def lib(request: pytest.FixtureRequest) -> Any:
    return sqlite_models if request.param == "sqlite" else postgres_models


def test_enums_are_stored_by_value(lib: Any) -> None:
    assert encode(lib, "genre", Genre.SCIENCE) == "science"
    assert decode(lib, "genre", "science") is Genre.SCIENCE
    assert encode(lib, "level", Level.HIGH) == 2
    assert decode(lib, "level", 2) is Level.HIGH


def test_json_round_trips_nested_models(lib: Any) -> None:
    shelf = Shelf(label="sf", addresses=[Address(city="Paris"), Address(city="Oslo", zip="0150")])
    stored = encode(lib, "shelf", shelf)
    assert stored == ('{"label":"sf","addresses":[{"city":"Paris","zip":null},{"city":"Oslo","zip":"0150"}]}')
    back = decode(lib, "shelf", stored)
    assert back == shelf
    assert isinstance(back.addresses[0], Address)


def test_json_round_trips_lists_and_dicts(lib: Any) -> None:
    assert round_trip(lib, "numbers", [1, 2, 3]) == [1, 2, 3]
    assert round_trip(lib, "mapping", {"a": {"b": [1, None, "c"]}}) == {"a": {"b": [1, None, "c"]}}
    assert decode(lib, "numbers", b"[4,5]") == [4, 5]


def test_aware_datetimes_are_bound_in_utc(lib: Any) -> None:
    value = dt.datetime(2024, 1, 2, 3, 0, tzinfo=PLUS_TWO)
    back = round_trip(lib, "at", value)
    assert back == value
    assert back.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("i", 2**31, "int32"),
        ("i", -(2**31) - 1, "int32"),
        ("small", 2**15, "int16"),
        ("big", 2**63, "int64"),
    ],
)
def test_integers_out_of_range_raise_data_error(lib: Any, field: str, value: int, kind: str) -> None:
    with pytest.raises(DataError) as caught:
        encode(lib, field, value)
    message = str(caught.value)
    assert f"Everything.{field}" in message
    assert str(value) in message
    assert kind in message


def test_integers_at_the_bounds_pass(lib: Any) -> None:
    assert encode(lib, "i", 2**31 - 1) == 2**31 - 1
    assert encode(lib, "small", -(2**15)) == -(2**15)
    assert encode(lib, "big", 2**63 - 1) == 2**63 - 1


def test_range_check_applies_to_filter_values(lib: Any) -> None:
    with pytest.raises(DataError, match=r"Book\.year"):
        lib.Book.filter(year=2**40).statement()


# -- PostgreSQL: the drivers take most values as they are -----------------------------------

@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("d", Decimal("1.5000")),
        ("u", uuid.UUID(int=7)),
        ("day", dt.date(2024, 1, 2)),
        ("clock", dt.time(1, 2, 3)),
        ("naive", dt.datetime(2024, 1, 2, 3, 4)),
        ("raw", b"\x00\x01"),
        ("b", True),
    ],
)
def test_postgresql_binds_native_values(field: str, value: Any) -> None:
    assert encode(postgres_models, field, value) == value
    assert decode(postgres_models, field, value) == value


def test_postgresql_naive_datetime_in_a_datetime_field_is_taken_as_utc() -> None:
    assert encode(postgres_models, "at", dt.datetime(2024, 1, 2, 3, 4)) == dt.datetime(2024, 1, 2, 3, 4, tzinfo=UTC)


def test_int_range_check_of_a_whole_column_matches_the_check_of_each_value() -> None:
    from ormada.backends._sql.codecs import int_range_check
    from ormada.schema import ColumnSchema, Kind, LogicalType

    check: Any = int_range_check("M", ColumnSchema("n", LogicalType(Kind.INT16)))
    column = [0, 32_767, -32_768, None, True, 2.5]
    assert check.encode_column(column) == [check(v) if v is not None else None for v in column]
    assert check.encode_column([]) == []
    for bad in ([1, 32_768], [None, -32_769], ["text", 40_000]):
        with pytest.raises(DataError, match=r"M.n: -?\d+ does not fit in a int16 column"):
            check.encode_column(bad)
    assert check.encode_column(["text", 1]) == ["text", 1]  # only integers are checked, as for one value
