"""Compiling writes: INSERT without tombstones, partial and conditional updates,
collection and counter mutations, deletes, and per-operation options."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from cassandra.query import UNSET_VALUE

from ormada import F, NotSupported, QueryError
from ormada import _operations as ops
from ormada.backends.cassandra import CqlStatement

from .models import Address, AllTypes, Click, Geo, PageViews, Reading, User, UserByName

DAY = dt.date(2024, 1, 1)
AT = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)
UID = uuid.UUID("5b6962dd-3f90-4c93-8f61-eabfa4a803e2")


def row_key() -> Any:
    return Reading.filter(sensor="s1", day=DAY, at=AT, seq=0)


def insert(backend: Any, model: Any, instance: Any, **options: Any) -> CqlStatement:
    info = model.__ormada__
    values = tuple(instance.__dict__[c] for c in info.field_names)
    statement = backend.insert(info, info.field_names, [values], (), options)
    assert isinstance(statement, CqlStatement)
    return statement


def test_insert_binds_unset_for_none_and_empty_collections(backend: Any, check: Any) -> None:
    r = Reading(sensor="s1", day=DAY, at=AT, value=1.5, tags={"a"})
    s = insert(backend, Reading, r)
    assert s.text.startswith("INSERT INTO shop.reading (sensor, day, at, seq, value, site, tags, samples, attrs")
    params = dict(zip(Reading.__ormada__.field_names, s.params, strict=True))
    assert params["site"] is UNSET_VALUE and params["home"] is UNSET_VALUE
    assert params["samples"] is UNSET_VALUE and params["attrs"] is UNSET_VALUE  # empty: no tombstone
    assert params["tags"] == {"a"} and params["value"] == 1.5
    assert None not in s.params
    assert s.fetch == "rowcount" and s.write and not s.conditional
    check(s)


def test_insert_if_not_exists_ttl_timestamp(backend: Any, check: Any) -> None:
    u = User(id=UID, email="a@b.c", name="Ann")
    s = insert(backend, User, u, if_not_exists=True, ttl=60, timestamp=1_700_000_000_000_000,
               consistency="QUORUM", serial_consistency="LOCAL_SERIAL", timeout=3)
    assert s.text == ("INSERT INTO accounts.user (id, email, name, version) VALUES (?, ?, ?, ?) "
                      "IF NOT EXISTS USING TTL ? AND TIMESTAMP ?")
    assert s.params[-2:] == (60, 1_700_000_000_000_000)
    assert s.conditional and s.fetch == "rowcount" and not s.idempotent
    assert (s.consistency, s.serial_consistency, s.timeout) == ("QUORUM", "LOCAL_SERIAL", 3)
    check(s)


def test_insert_every_type_serialises(backend: Any, check: Any) -> None:
    import ipaddress

    from .models import Color

    value = AllTypes(
        id=UID, t_text="t", t_ascii="a", t_int=1, t_bigint=2**40, t_smallint=7, t_tinyint=-3, t_varint=10**30,
        t_float=1.5, t_double=2.5, t_decimal=Decimal("1.25"), t_bool=True, t_uuid=UID,
        t_timeuuid=uuid.uuid1(), t_timestamp=AT, t_date=DAY, t_time=dt.time(1, 2, 3),
        t_duration=dt.timedelta(days=1, seconds=5), t_blob=b"\x00", t_inet=ipaddress.IPv4Address("10.1.2.3"),
        t_enum=Color.BLUE, t_list=["x"], t_set={1, 2}, t_map={"k": 1.0}, t_tuple=(1, "a"), t_frozen=[1],
        t_nested={"k": [1, 2]}, t_udt=Address(street="Main", zip=1, geo=Geo(lat=1, lon=2)),
        t_frozen_udt=Geo(lat=0, lon=0), t_udt_list=[Address(street="x", zip=2)], t_udt_map={"h": Geo(lat=1, lon=1)},
        t_vector=[0.1, 0.2, 0.3],
    )
    s = insert(backend, AllTypes, value)
    assert UNSET_VALUE not in s.params
    types = dict(zip(AllTypes.__ormada__.field_names, s.types, strict=True))
    assert types["t_udt"] == "address" and types["t_frozen_udt"] == "frozen<geo>"
    assert types["t_udt_list"] == "list<frozen<address>>" and types["t_vector"] == "vector<float, 3>"
    assert types["t_tuple"] == "frozen<tuple<int, text>>" and types["t_nested"] == "map<text, frozen<list<int>>>"
    assert check(s) == []


def test_driver_rejects_out_of_range_values(backend: Any) -> None:
    from ormada import DataError

    with pytest.raises(DataError, match="tinyint"):
        insert(backend, AllTypes, AllTypes(id=UID, t_tinyint=300))
    with pytest.raises(DataError, match="smallint"):
        insert(backend, AllTypes, AllTypes(id=UID, t_smallint=2**20))


def test_bulk_insert_is_one_statement_many_rows(backend: Any, check: Any) -> None:
    info = PageViews.__ormada__
    s = backend.insert(User.__ormada__, ("id", "email"), [(UID, "a"), (uuid.uuid4(), "b")])
    assert s.many and len(s.params) == 2
    check(s)
    counter = backend.insert(info, ("page", "views"), [("home", 3)])
    assert counter.text == "UPDATE shop.page_views SET views = views + ? WHERE page = ?"
    assert counter.counter and counter.params == (3, "home")


def test_update_writes_only_given_columns(backend: Any, check: Any) -> None:
    s = backend.update(Reading.__ormada__, row_key().state, {"value": 2.0, "site": None})
    assert s.text == "UPDATE shop.reading SET value = ?, site = ? WHERE sensor = ? AND day = ? AND at = ? AND seq = ?"
    assert s.params == (2.0, None, "s1", DAY, AT, 0)
    check(s)


@pytest.mark.parametrize(("values", "fragment", "bound"), [
    ({"tags__add": {"x"}}, "tags = tags + ?", ["x"]),
    ({"tags__add": "x"}, "tags = tags + ?", ["x"]),
    ({"tags__remove": {"x"}}, "tags = tags - ?", ["x"]),
    ({"samples__append": [1, 2]}, "samples = samples + ?", [1, 2]),
    ({"samples__prepend": [0]}, "samples = ? + samples", [0]),
    ({"samples__remove": 5}, "samples = samples - ?", [5]),
    ({"attrs__update": {"k": 1}}, "attrs = attrs + ?", {"k": 1}),
    ({"attrs__remove": ["k"]}, "attrs = attrs - ?", ["k"]),
    ({"tags": F("tags") + {"y"}}, "tags = tags + ?", ["y"]),
    ({"samples": [9] + F("samples")}, "samples = ? + samples", [9]),  # noqa: RUF005 - an F expression
    ({"attrs": F("attrs") + {"z": 2}}, "attrs = attrs + ?", {"z": 2}),
])
def test_collection_mutations(backend: Any, check: Any, values: dict[str, Any], fragment: str, bound: Any) -> None:
    s = backend.update(Reading.__ormada__, row_key().state, values)
    assert f"SET {fragment} WHERE" in s.text
    got = s.params[0]
    assert (sorted(got) if isinstance(got, (list, set)) else got) == bound
    check(s)


def test_counter_increments(backend: Any, check: Any) -> None:
    state = PageViews.filter(page="home").state
    s = backend.update(PageViews.__ormada__, state, {"views": F("views") + 1, "likes__decr": 2})
    assert s.text == "UPDATE shop.page_views SET views = views + ?, likes = likes - ? WHERE page = ?"
    assert s.params == (1, 2, "home") and s.counter and not s.idempotent
    check(s)
    with pytest.raises(NotSupported, match="cannot be set"):
        backend.update(PageViews.__ormada__, state, {"views": 5})
    with pytest.raises(NotSupported, match="counter columns only"):
        backend.update(Reading.__ormada__, row_key().state, {"value__incr": 1})


def test_conditional_updates_and_deletes(backend: Any, check: Any) -> None:
    state = User.filter(id=UID).options(if_={"version": 3, "name__ne": "x", "email__in": ["a", "b"]}).state
    s = backend.update(User.__ormada__, state, {"version": 4})
    assert s.text == ("UPDATE accounts.user SET version = ? WHERE id = ? "
                      "IF version = ? AND name != ? AND email IN ?")
    assert s.params == (4, UID, 3, "x", ["a", "b"]) and s.conditional and s.fetch == "rowcount"
    check(s)
    s2 = backend.update(User.__ormada__, User.filter(id=UID).options(if_exists=True).state, {"name": "B"})
    assert s2.text.endswith("WHERE id = ? IF EXISTS")
    check(s2)
    d = backend.delete(User.__ormada__, User.filter(id=UID).options(if_exists=True).state)
    assert d.text == "DELETE FROM accounts.user WHERE id = ? IF EXISTS" and d.conditional
    check(d)


def test_update_with_ttl_timestamp(backend: Any, check: Any) -> None:
    state = row_key().ttl(30).timestamp(123).state
    s = backend.update(Reading.__ormada__, state, {"value": 1.0})
    assert s.text.startswith("UPDATE shop.reading USING TTL ? AND TIMESTAMP ? SET value = ? WHERE")
    assert s.params[:3] == (30, 123, 1.0)
    check(s)


def test_update_rows_by_key(backend: Any, check: Any) -> None:
    s = backend.update_rows(User.__ormada__, ("name", "version"), [("A", 1, UID), ("B", 2, uuid.uuid4())])
    assert s.text == "UPDATE accounts.user SET name = ?, version = ? WHERE id = ?"
    assert s.many and s.params[0] == ("A", 1, UID)
    check(s)


def test_delete_rows_columns_and_ranges(backend: Any, check: Any) -> None:
    d = backend.delete(Reading.__ormada__, Reading.filter(sensor="s", day=DAY).state)
    assert d.text == "DELETE FROM shop.reading WHERE sensor = ? AND day = ?"
    check(d)
    r = backend.delete(Reading.__ormada__, Reading.filter(sensor="s", day=DAY, at__lt=AT).timestamp(9).state)
    assert r.text == "DELETE FROM shop.reading USING TIMESTAMP ? WHERE sensor = ? AND day = ? AND at < ?"
    check(r)
    c = backend.delete(Reading.__ormada__, row_key().options(columns=("home", "tags")).state)
    assert c.text.startswith("DELETE home, tags FROM shop.reading WHERE")
    check(c)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda b: b.update(Reading.__ormada__, Reading.filter(sensor="s", day=DAY).state, {"value": 1.0}),
     NotSupported, "primary key"),
    (lambda b: b.update(Reading.__ormada__, Reading.filter(kind="k").state, {"value": 1.0}),
     NotSupported, "primary key"),
    (lambda b: b.delete(Reading.__ormada__, Reading.filter(value=1.0).allow_filtering().state),
     NotSupported, "primary key"),
    (lambda b: b.update(Reading.__ormada__, row_key().state, {"sensor": "x"}), NotSupported, "cannot change"),
    (lambda b: b.update(Reading.__ormada__, row_key().state, {"value": F("value") * 2}), NotSupported, "F\\("),
    (lambda b: b.update(Reading.__ormada__, row_key().state, {"tags__append": "x"}), QueryError, "__add"),
    (lambda b: b.update(Reading.__ormada__, row_key().state, {"value__add": 1}), NotSupported, "non-frozen"),
    (lambda b: b.delete(Reading.__ormada__, row_key().ttl(3).state), NotSupported, "TTL"),
    (lambda b: b.update(PageViews.__ormada__, PageViews.filter(page="p").state, {"views__incr": 1, "likes": 2}),
     NotSupported, "cannot be set"),
    (lambda b: b.insert(UserByName.__ormada__, ("name",), [("x",)]), NotSupported, "materialized view"),
    (lambda b: b.insert(Reading.__ormada__, ("sensor",), [("x",)]), QueryError, "primary-key"),
    (lambda b: b.insert(User.__ormada__, ("email",), [("e",)], ("id",)), NotSupported, "return nothing"),
])
def test_writes_refused_before_sending(backend: Any, call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call(backend)


def test_polymorphic_insert_sets_discriminator(backend: Any, check: Any) -> None:
    c = Click(id=UID, at=AT, x=1, y=2)
    s = insert(backend, Click, c)
    assert s.text.startswith("INSERT INTO shop.event (")
    params = dict(zip(Click.__ormada__.field_names, s.params, strict=True))
    assert params["type"] == "click"
    check(s)


def test_upsert_is_insert(backend: Any, check: Any) -> None:
    s = backend.upsert(User.__ormada__, ("id", "email"), [(UID, "e")], ("id",), ("email",), ("id",))
    assert s.text.startswith("INSERT INTO accounts.user (id, email)")
    check(s)
    with pytest.raises(NotSupported, match="upsert on the primary key"):
        backend.upsert(User.__ormada__, ("id", "email"), [(UID, "e")], ("email",), ("id",))


def test_single_row_writes_keep_their_cql_settings(backend: Any, check: Any) -> None:
    user = User(email="a@example.com")
    statement = next(ops.insert(backend, User.__ormada__, user, {"consistency": "QUORUM"}))
    assert isinstance(statement, CqlStatement)
    assert statement.quick and statement.write and statement.consistency == "QUORUM"
    assert statement.database == User.__ormada__.database
    check(statement)


@pytest.mark.parametrize("amount", [2.5, True, "3"])
def test_counter_increment_takes_whole_numbers_only(backend: Any, amount: Any) -> None:
    state = PageViews.filter(page="home").state
    with pytest.raises(QueryError, match=r"PageViews\.views__incr must be a whole number"):
        backend.update(PageViews.__ormada__, state, {"views__incr": amount})


def test_repeated_updates_reuse_their_parts_and_still_check_each_value(backend: Any, check: Any) -> None:
    # The SET items and the WHERE clause are kept per shape; the values are not.
    state = PageViews.filter(page="home").state
    first = backend.update(PageViews.__ormada__, state, {"views__incr": 1})
    again = backend.update(PageViews.__ormada__, PageViews.filter(page="away").state, {"views__incr": 7})
    assert first.text == again.text and again.params == (7, "away")
    with pytest.raises(NotSupported, match="compares columns only with values"):
        backend.update(PageViews.__ormada__, PageViews.filter(page=F("page")).state, {"views__incr": 1})
    with pytest.raises(QueryError, match="has no field 'nope'"):
        backend.update(PageViews.__ormada__, state, {"nope": F("nope") + 1})
    with pytest.raises(NotSupported, match="primary-key columns cannot change"):
        backend.update(PageViews.__ormada__, state, {"page": F("page") + 1})
    check(again)
