"""Value codecs and static-column writes, checked offline against the driver's serializers."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

import pytest
from cassandra.cqltypes import DateType, DurationType
from cassandra.util import Duration

import ormada
from ormada import DataError, Indexed, NotSupported, PrimaryKey, _hydrate, _tracking
from ormada._url import parse_url
from ormada.backends.cassandra import CqlStatement, codecs, ddl, migrate
from ormada.backends.cassandra.executor import SessionHolder, changes_schema

from .models import DB, AllTypes, Click, Event, Purchase, Reading, db

DAY = dt.date(2024, 1, 1)
AT = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)
UTC = dt.UTC
UID = uuid.UUID("5b6962dd-3f90-4c93-8f61-eabfa4a803e2")
COLUMNS = AllTypes.__table_schema__.by_name


def enc(name: str) -> Any:
    encode = codecs.column_encoder("AllTypes", COLUMNS[name])
    assert encode is not None
    return encode


def dec(name: str) -> Any:
    decode = codecs.column_decoder(COLUMNS[name])
    assert decode is not None
    return decode


@pytest.mark.parametrize("value", [
    dt.timedelta(seconds=-1), dt.timedelta(days=-3, hours=2), dt.timedelta(microseconds=-1),
    -dt.timedelta(days=2, hours=1, microseconds=5), dt.timedelta(days=1, seconds=1), dt.timedelta(0),
])
def test_durations_encode_with_one_sign_and_round_trip(value: dt.timedelta) -> None:
    bound = enc("t_duration")(value)
    assert isinstance(bound, Duration)
    assert bound.days * bound.nanoseconds >= 0  # CQL refuses mixed signs
    back = DurationType.deserialize(DurationType.serialize(bound, 4), 4)
    assert dec("t_duration")(back) == value


def test_timestamps_are_cut_to_milliseconds_before_the_driver_rounds_them() -> None:
    latest = dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    bound = enc("t_timestamp")(latest)
    assert bound == latest.replace(microsecond=999000)
    assert DateType.deserialize(DateType.serialize(bound, 4), 4).year == 9999
    before_1970 = dt.datetime(1969, 12, 31, 23, 59, 59, 999500, tzinfo=UTC)
    assert enc("t_timestamp")(before_1970) == before_1970.replace(microsecond=999000)
    assert enc("t_timestamp")(AT) is AT  # nothing to cut: the value itself


def test_timestamps_decode_to_the_nearest_millisecond() -> None:
    decode = dec("t_timestamp")
    assert decode(dt.datetime(9999, 12, 31, 23, 59, 59, 998993)) == dt.datetime(
        9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    assert decode(dt.datetime(2024, 1, 1, 0, 0, 0, 4012)) == dt.datetime(2024, 1, 1, 0, 0, 0, 4000, tzinfo=UTC)
    assert decode(dt.datetime(2024, 1, 1, 23, 59, 59, 999700)) == dt.datetime(2024, 1, 2, tzinfo=UTC)


def test_wrong_length_vector_names_model_field_and_lengths() -> None:
    encode = enc("t_vector")
    assert encode([1, 2, 3]) == [1.0, 2.0, 3.0]
    with pytest.raises(DataError, match=r"AllTypes\.t_vector: a vector<float, 3> takes exactly 3 values, got 2"):
        encode([1.0, 2.0])


def test_non_ascii_text_in_ascii_column_names_model_field_and_value() -> None:
    assert enc("t_ascii")("plain") == "plain"
    with pytest.raises(DataError, match=r"AllTypes\.t_ascii: 'café' is not ASCII"):
        enc("t_ascii")("café")


def test_non_version_1_uuid_in_timeuuid_names_model_field_and_value() -> None:
    good = uuid.uuid1()
    assert enc("t_timeuuid")(good) == good
    wrong = uuid.UUID("12345678-1234-4678-9234-567812345678")
    with pytest.raises(DataError, match=rf"AllTypes\.t_timeuuid: {wrong} is a version-4 UUID"):
        enc("t_timeuuid")(wrong)


@pytest.mark.parametrize("name", ["t_list", "t_set", "t_frozen"])
def test_collection_encoders_always_copy(name: str) -> None:
    # The encoded value is the model's snapshot after a write; sharing the field's own
    # object would hide every later change made in place.
    value: Any = {"t_list": ["a"], "t_set": {1}, "t_frozen": [1]}[name]
    encoded = enc(name)(value)
    assert sorted(encoded) == sorted(value) and encoded is not value


def test_map_of_plain_values_is_copied() -> None:
    column = Reading.__table_schema__.by_name["labels"]
    encode = codecs.column_encoder("Reading", column)
    value = {"a": "b"}
    assert encode is not None and encode(value) == value and encode(value) is not value


def test_saving_only_static_columns_names_the_partition_only(backend: Any, check: Any) -> None:
    info = Reading.__ormada__
    s = backend.update_rows(info, ("site",), [("north", "s1", DAY, AT, 0)])
    assert s.text == "UPDATE shop.reading SET site = ? WHERE sensor = ? AND day = ?"
    assert s.params == ("north", "s1", DAY)
    check(s)
    mixed = backend.update_rows(info, ("site", "value"), [("north", 1.0, "s1", DAY, AT, 0)])
    assert mixed.text.endswith("WHERE sensor = ? AND day = ? AND at = ? AND seq = ?")
    assert mixed.params == ("north", 1.0, "s1", DAY, AT, 0)


def test_queryset_update_of_static_columns_needs_only_the_partition(backend: Any, check: Any) -> None:
    info = Reading.__ormada__
    whole = backend.update(info, Reading.filter(sensor="s1", day=DAY).state, {"site": "north"})
    assert whole.text == "UPDATE shop.reading SET site = ? WHERE sensor = ? AND day = ?"
    assert whole.params == ("north", "s1", DAY)
    check(whole)
    one_row = backend.update(info, Reading.filter(sensor="s1", day=DAY, at=AT, seq=0).state, {"site": "x"})
    assert one_row.text == whole.text and one_row.params == ("x", "s1", DAY)
    several = backend.update(info, Reading.filter(sensor__in=["s1", "s2"], day=DAY).state, {"site": "y"})
    assert several.text == "UPDATE shop.reading SET site = ? WHERE sensor IN ? AND day = ?"
    with pytest.raises(NotSupported, match=r"day \(missing\)"):
        backend.update(info, Reading.filter(sensor="s1").state, {"site": "x"})
    with pytest.raises(NotSupported, match="kind"):
        backend.update(info, Reading.filter(sensor="s1", day=DAY, kind="k").state, {"site": "x"})
    with pytest.raises(NotSupported):  # a regular column still needs the whole key
        backend.update(info, Reading.filter(sensor="s1", day=DAY).state, {"value": 1.0})


# -- polymorphic writes and snapshots ----------------------------------------------------

def _polymorphic_rows(backend: Any) -> tuple[Any, list[Any]]:
    compiled = backend.select(Event.__ormada__, Event.query().state)
    names = [c.name for c in compiled.columns]
    values = {"id": UID, "at": AT, "x": 3, "y": 4, "amount": Decimal("1.5")}
    rows = [tuple({**values, "type": kind}.get(n) for n in names) for kind in ("click", "purchase", "")]
    return compiled, _hydrate.shape_rows(backend, Event.__ormada__, "models", compiled.columns, rows)


def test_rows_read_through_the_base_track_only_their_class_fields(backend: Any) -> None:
    _, (click, purchase, base) = _polymorphic_rows(backend)
    assert _tracking.loaded_names(click) == ("id", "at", "type", "x", "y")
    assert _tracking.loaded_names(purchase) == ("id", "at", "type", "amount")
    assert _tracking.loaded_names(base) == ("id", "at", "type")
    assert _tracking.changed_fields(click) == []
    click.x = 30
    assert _tracking.changed_fields(click) == ["x"]
    assert _tracking.original_values(purchase) == {"id": UID, "at": AT, "type": "purchase", "amount": Decimal("1.5")}


def test_subclass_writes_by_key_leave_the_discriminator_out(backend: Any, check: Any) -> None:
    by_key = Click.filter(id=UID, at=AT)
    update = backend.update(Click.__ormada__, by_key.state, {"x": 1})
    assert update.text == "UPDATE shop.event SET x = ? WHERE id = ? AND at = ?"
    check(update)
    delete = backend.delete(Click.__ormada__, by_key.state)
    assert delete.text == "DELETE FROM shop.event WHERE id = ? AND at = ?"
    assert "type" in backend.select(Click.__ormada__, by_key.state).statement.text  # reads still filter
    with pytest.raises(NotSupported, match=r"whole primary key \(id, at\)"):
        backend.delete(Click.__ormada__, Click.filter(id=UID).state)
    with pytest.raises(NotSupported, match="whole primary key"):
        backend.update(Purchase.__ormada__, Purchase.filter(id=UID).state, {"amount": 1})


# -- indexes ----------------------------------------------------------------------------

class Searchable(ormada.Model):
    id: Annotated[int, PrimaryKey()]
    kind: Annotated[str | None, Indexed()] = None
    a: Annotated[int | None, Indexed(using="sai")] = None
    b: Annotated[int | None, Indexed(using="sai")] = None
    note: Annotated[str | None, Indexed(using="sasi")] = None
    n: Annotated[int | None, Indexed(using="sasi")] = None
    labels: Annotated[dict[str, str], Indexed(using="keys")] = {}
    scores: Annotated[dict[str, int], Indexed(using="values")] = {}

    class Meta:
        database = DB
        table = "searchable"


def statement(qs: Any) -> str:
    return str(qs.statement().text)


def test_sai_indexes_combine(backend: Any) -> None:
    assert statement(Searchable.filter(a=1, b__gt=2)) == (
        "SELECT id, kind, a, b, note, n, labels, scores FROM shop.searchable WHERE a = ? AND b > ?")


@pytest.mark.parametrize("lookups", [
    {"kind": "k", "a": 1}, {"labels__contains_key": "z", "a": 1}, {"note__contains": "x", "a": 1},
    {"note__contains": "x", "n": 1}, {"kind": "k", "scores__contains": 1}, {"kind": "k", "note__contains": "x"},
])
def test_other_indexes_serve_a_query_only_alone(lookups: dict[str, Any]) -> None:
    with pytest.raises(NotSupported, match="an index other than SAI serves a query only alone"):
        statement(Searchable.filter(**lookups))
    assert statement(Searchable.filter(**lookups).allow_filtering()).endswith("ALLOW FILTERING")


def test_map_contains_tests_its_values() -> None:
    assert statement(Searchable.filter(scores__contains=3)).endswith("WHERE scores CONTAINS ?")


def test_sasi_serves_ranges_on_numbers_only() -> None:
    assert statement(Searchable.filter(n__gt=3)).endswith("WHERE n > ?")
    with pytest.raises(NotSupported, match="note__gt"):
        statement(Searchable.filter(note__gt="a"))


# -- migrations: key roles -------------------------------------------------------------

def _keys_rows(**changes: tuple[str, int, str]) -> list[Any]:
    roles = {"sensor": ("partition_key", 0, "none"), "day": ("partition_key", 1, "none"),
             "at": ("clustering", 0, "desc"), "seq": ("clustering", 1, "asc"), "site": ("static", -1, "none"),
             **changes}
    types = {"sensor": "text", "day": "date", "at": "timestamp", "seq": "int", "site": "text"}
    return [("reading", c, types.get(c, "int"), *role) for c, role in roles.items()]


def _conflicts(rows: list[Any]) -> list[str]:
    table = db.backend.table(Reading.__ormada__)
    return migrate.plan([table], migrate.live_schema(rows, [], [], []), "shop").conflicts


def test_an_unchanged_key_is_no_conflict() -> None:
    assert _conflicts(_keys_rows()) == []


@pytest.mark.parametrize(("change", "message"), [
    ({"at": ("clustering", 0, "asc")}, "reading.at is clustering column 1 (ASC) in the database, clustering column "
                                       "1 (DESC) in the model"),
    ({"day": ("clustering", 2, "asc")}, "reading.day is clustering column 3 (ASC) in the database, partition key "
                                        "column 2 in the model"),
    ({"at": ("clustering", 1, "desc"), "seq": ("clustering", 0, "asc")}, "reading.at is clustering column 2 (DESC)"),
    ({"site": ("regular", -1, "none")}, "reading.site is a regular column in the database, a static column in the "
                                        "model; CQL cannot change that in place (add a new column and copy the data)"),
    ({"gone": ("clustering", 2, "asc")}, "reading.gone is a clustering column in the database but not a field of "
                                         "the model"),
])
def test_a_changed_key_role_is_a_conflict(change: dict[str, tuple[str, int, str]], message: str) -> None:
    assert any(message in c for c in _conflicts(_keys_rows(**change)))


def test_rows_without_positions_compare_kinds_only() -> None:
    rows = [r[:4] for r in _keys_rows(at=("clustering", 0, "asc"))]  # order unknown: no conflict
    assert _conflicts(rows) == []
    assert _conflicts([r[:4] for r in _keys_rows(site=("regular", -1, "none"))])


# -- prepared statements after schema changes --------------------------------------------

def test_schema_statements_forget_prepared_statements() -> None:
    assert changes_schema(ddl.ddl("ALTER TYPE shop.geo ADD alt double"))
    assert changes_schema(CqlStatement(text="drop table shop.x", params=(), prepare=False))
    assert not changes_schema(CqlStatement(text="SELECT * FROM shop.x", params=(), prepare=False))
    assert not changes_schema(CqlStatement(text="CREATE", params=(1,), prepare=True))
    holder = SessionHolder(parse_url("cassandra://h/shop"))
    holder._store("INSERT INTO shop.x (a) VALUES (?)", object())
    assert holder.prepared_count == 1
    holder.forget_prepared()
    assert holder.prepared_count == 0
