"""Write paths against a real node, sync and async: lightweight transactions, collection and
counter mutations, column/static/range deletes, TTL and write timestamps, per-call consistency
and timeouts, batches, and bulk writes. Every result is read back from the node."""

from __future__ import annotations

from typing import Any

import pytest
from cassandra import ConsistencyLevel
from live_write_models import WRITE_MODELS, WAccount, WCounter, WEvent, WExpiring, WRow

import ormada
from ormada import ConditionFailed, DatabaseError, DataError, F, NotSupported, QueryError
from ormada.backends.cassandra import batch


@pytest.fixture(scope="module")
def db(keyspace: str) -> Any:
    database = ormada.get_database("cassandra_live")
    database.create_all(list(WRITE_MODELS))
    return database


def _cells(db: Any, model: type[ormada.Model], column: str, **key: Any) -> tuple[Any, Any]:
    """``(ttl(column), writetime(column))`` of one row, read with raw CQL."""
    table = db.backend.table(model.__ormada__).name
    where = " AND ".join(f"{k} = :{k}" for k in key)
    rows = db.execute(f"SELECT ttl({column}), writetime({column}) FROM {table} WHERE {where}", key)
    assert len(rows) == 1
    return rows[0][0], rows[0][1]


async def _acells(db: Any, model: type[ormada.Model], column: str, **key: Any) -> tuple[Any, Any]:
    table = db.backend.table(model.__ormada__).name
    where = " AND ".join(f"{k} = :{k}" for k in key)
    rows = await db.aexecute(f"SELECT ttl({column}), writetime({column}) FROM {table} WHERE {where}", key)
    assert len(rows) == 1
    return rows[0][0], rows[0][1]


# -- lightweight transactions ---------------------------------------------------------------

def test_insert_if_not_exists_applies_once_and_keeps_the_first_row(db: Any) -> None:
    assert WAccount(key="lwt-i", owner="first", version=1).insert(if_not_exists=True) is True
    assert WAccount(key="lwt-i", owner="second", version=9).insert(if_not_exists=True) is False
    got = WAccount.get(key="lwt-i")
    assert (got.owner, got.version) == ("first", 1)


async def test_ainsert_if_not_exists_applies_once(db: Any) -> None:
    assert await WAccount(key="alwt-i", owner="first").ainsert(if_not_exists=True) is True
    assert await WAccount(key="alwt-i", owner="second").ainsert(if_not_exists=True) is False
    assert (await WAccount.aget(key="alwt-i")).owner == "first"


def test_conditional_update_returns_applied_count(db: Any) -> None:
    WAccount.create(key="lwt-u", owner="o", version=1)
    row = WAccount.filter(key="lwt-u")
    assert row.if_(version=1).update(version=2) == 1
    assert row.if_(version=1).update(version=3, owner="lost") == 0
    assert row.if_(version__gt=1, owner__in=["o", "p"]).update(owner="p") == 1
    assert row.if_(owner__ne="p").update(owner="never") == 0
    got = WAccount.get(key="lwt-u")
    assert (got.version, got.owner) == (2, "p")
    assert row.if_exists().update(note="here") == 1
    assert WAccount.filter(key="lwt-u-missing").if_exists().update(note="x") == 0
    # IF EXISTS that did not apply created nothing.
    assert not WAccount.filter(key="lwt-u-missing").exists()
    assert WAccount.get(key="lwt-u").note == "here"


async def test_aconditional_update_and_delete(db: Any) -> None:
    await WAccount.acreate(key="alwt-u", version=5)
    row = WAccount.filter(key="alwt-u")
    assert await row.if_(version=4).aupdate(version=6) == 0
    assert await row.if_(version=5).aupdate(version=6) == 1
    assert (await row.aget()).version == 6
    assert await row.if_(version=5).adelete() == 0
    assert await row.aexists()
    assert await row.if_exists().adelete() == 1
    assert await row.if_exists().adelete() == 0
    assert not await row.aexists()


def test_conditional_save_that_does_not_apply_raises(db: Any) -> None:
    WAccount.create(key="lwt-save", version=1)
    loaded = WAccount.get(key="lwt-save")
    loaded.version = 5
    with pytest.raises(ConditionFailed, match=r"WAccount with key='lwt-save': the condition if_=\{'version': 9\}"):
        loaded.save(if_={"version": 9})
    assert WAccount.get(key="lwt-save").version == 1
    loaded.save(if_={"version": 1})  # still unsaved, so the same change goes out again and applies
    assert WAccount.get(key="lwt-save").version == 5
    taken = WAccount(key="lwt-save", version=7)
    with pytest.raises(ConditionFailed, match="if_not_exists=True"):
        taken.save(if_not_exists=True)
    assert WAccount.get(key="lwt-save").version == 5
    assert WAccount(key="lwt-save-new", version=2).save(if_not_exists=True).version == 2


async def test_async_conditional_save_that_does_not_apply_raises(db: Any) -> None:
    row = await WAccount.acreate(key="alwt-save", version=1)
    row.version = 2
    with pytest.raises(ConditionFailed):
        await row.asave(if_={"version": 0})
    assert (await WAccount.aget(key="alwt-save")).version == 1
    await row.asave(if_exists=True)
    assert (await WAccount.aget(key="alwt-save")).version == 2


def test_delete_if_exists_and_instance_delete(db: Any) -> None:
    acc = WAccount.create(key="lwt-d", version=3)
    assert WAccount.filter(key="lwt-d").if_(version=2).delete() == 0
    assert WAccount.filter(key="lwt-d").exists()
    assert acc.delete(if_exists=True) == 1
    assert acc.delete(if_exists=True) == 0
    assert WAccount(key="lwt-d-never").delete(if_={"version": 1}) == 0
    assert not WAccount.filter(key="lwt-d").exists()


@pytest.mark.parametrize("level", ["SERIAL", "LOCAL_SERIAL", "local_serial", ConsistencyLevel.SERIAL])
def test_serial_consistency_is_accepted_for_lwt(db: Any, level: Any) -> None:
    key = f"lwt-s-{level}"
    assert WAccount(key=key, version=1).insert(if_not_exists=True, serial_consistency=level) is True
    row = WAccount.filter(key=key).options(serial_consistency=level)
    assert row.if_(version=1).update(version=2) == 1
    assert row.if_(version=1).update(version=3) == 0
    assert WAccount.get(key=key).version == 2
    assert row.if_exists().delete() == 1


@pytest.mark.parametrize(("level", "match"), [
    ("QUORUM", "serial_consistency must be SERIAL or LOCAL_SERIAL"),
    ("ONE", "serial_consistency must be SERIAL or LOCAL_SERIAL"),
    ("SERIALISH", "unknown serial_consistency level 'SERIALISH'"),
])
def test_serial_consistency_refuses_other_levels(db: Any, level: str, match: str) -> None:
    with pytest.raises(QueryError, match=match):
        WAccount.filter(key="lwt-s-bad").options(serial_consistency=level).if_(version=0).update(version=1)
    with pytest.raises(QueryError, match=match):
        WAccount(key="lwt-s-bad").insert(if_not_exists=True, serial_consistency=level)
    assert not WAccount.filter(key="lwt-s-bad").exists()


def test_lwt_refusals_before_sending(db: Any) -> None:
    with pytest.raises(NotSupported, match="either if_exists or if_"):
        WAccount.filter(key="x").if_exists().if_(version=1).update(version=2)
    with pytest.raises(NotSupported, match="non-key columns"):
        WAccount.filter(key="x").if_(key="x").update(version=2)
    with pytest.raises(QueryError, match="no field 'nope'"):
        WAccount.filter(key="x").if_(nope=1).update(version=2)
    with pytest.raises(QueryError, match="condition 'like' unknown"):
        WAccount.filter(key="x").if_(owner__like="a").update(version=2)
    assert not WAccount.filter(key="x").exists()


# -- collections -----------------------------------------------------------------------------

def test_collection_mutations_on_an_existing_row(db: Any) -> None:
    WAccount.create(key="col-e", tags={"a", "b"}, items=[1, 2, 1, 3], attrs={"k": 1, "old": 0})
    row = WAccount.filter(key="col-e")
    assert row.update(tags__add={"c"}, items__append=[4], attrs__update={"k": 5, "new": 2}) == 1
    row.update(tags__remove={"a"}, items__prepend=[0], attrs__remove=["old"])
    row.update(items__remove=[1])  # removes every occurrence
    row.update(tags__add="single")  # one value, not its characters
    got = row.get()
    assert got.tags == {"b", "c", "single"}
    assert got.items == [0, 2, 3, 4]
    assert got.attrs == {"k": 5, "new": 2}


def test_collection_f_expressions_keep_their_own_statement(db: Any) -> None:
    WAccount.create(key="col-f", items=[2, 3], tags={"a"})
    row = WAccount.filter(key="col-f")
    row.update(items=[0] + F("items"))  # noqa: RUF005 - an F expression, not a list
    row.update(items=F("items") + [9])  # noqa: RUF005
    row.update(tags=F("tags") + {"b"})
    row.update(tags=F("tags") - {"a"})
    row.update(attrs=F("attrs") + {"m": 1})
    got = row.get()
    assert (got.items, got.tags, got.attrs) == ([0, 2, 3, 9], {"b"}, {"m": 1})
    # A plain assignment after F expressions on the same field replaces the value.
    row.update(items=[7], tags=set())
    got = row.get()
    assert (got.items, got.tags) == ([7], set())


def test_collection_mutations_on_a_missing_row(db: Any) -> None:
    added = WAccount.filter(key="col-new")
    assert added.update(tags__add={"x"}, items__append=[1], attrs__update={"k": 1}) == 1
    got = added.get()
    assert (got.tags, got.items, got.attrs, got.owner) == ({"x"}, [1], {"k": 1}, "")
    removed = WAccount.filter(key="col-none")
    assert removed.update(tags__remove={"x"}, items__remove=[1], attrs__remove=["k"]) == 1
    # Removing from nothing leaves no row behind.
    assert not removed.exists()


async def test_acollection_mutations(db: Any) -> None:
    await WAccount.acreate(key="acol", tags={"a"}, items=[1], attrs={"a": 1})
    row = WAccount.filter(key="acol")
    await row.aupdate(tags__add={"b"}, items__append=[2], items__prepend=[0], attrs__update={"b": 2})
    await row.aupdate(tags__remove={"a"}, attrs__remove=["a"])
    got = await row.aget()
    assert (got.tags, got.items, got.attrs) == ({"b"}, [0, 1, 2], {"b": 2})


def test_collection_refusals(db: Any) -> None:
    row = WAccount.filter(key="col-refused")
    with pytest.raises(QueryError, match="unknown update '1'"):  # list index assignment is not offered
        row.update(items__1=5)
    with pytest.raises(NotSupported, match="non-frozen list, set or map"):
        row.update(fixed__append=[1])
    with pytest.raises(QueryError, match="a set takes __add, __remove, not __append"):
        row.update(tags__append={"x"})
    with pytest.raises(NotSupported, match="counter columns only"):
        row.update(balance=F("balance") + 1)
    assert not row.exists()


# -- counters ---------------------------------------------------------------------------------

def test_counter_increments_and_f_arithmetic(db: Any) -> None:
    page = WCounter.filter(page="cnt")
    assert page.update(hits__incr=5) == 1
    page.update(hits__decr=2, misses__incr=1)
    page.update(hits=F("hits") + 10)
    page.update(hits=F("hits") - 4)  # must not reuse the "+" statement
    page.update(misses=F("misses") + 6)
    got = page.get()
    assert (got.hits, got.misses) == (9, 7)
    # Creating in a counter table adds the given values.
    WCounter.create(page="cnt", hits=1)
    assert WCounter.get(page="cnt").hits == 10


async def test_acounter_increments(db: Any) -> None:
    page = WCounter.filter(page="acnt")
    await page.aupdate(hits__incr=3)
    await page.aupdate(hits=F("hits") - 1, misses=F("misses") + 2)
    await WCounter.acreate(page="acnt", misses=1)
    got = await page.aget()
    assert (got.hits, got.misses) == (2, 3)


def test_counter_table_refuses_plain_writes(db: Any) -> None:
    WCounter.filter(page="cnt-r").update(hits__incr=4)
    page = WCounter.filter(page="cnt-r")
    with pytest.raises(NotSupported, match="a counter cannot be set"):
        page.update(hits=100)
    with pytest.raises(NotSupported, match="a counter cannot be set"):
        page.update(hits__incr=1, misses=3)
    loaded = WCounter.get(page="cnt-r")
    loaded.hits = 100
    with pytest.raises(NotSupported, match="a counter cannot be set"):
        loaded.save()
    with pytest.raises(NotSupported, match="counters take no TTL"):
        page.ttl(5).update(hits__incr=1)
    with pytest.raises(NotSupported, match="no TTL and no conditions"):
        WCounter(page="cnt-r", hits=1).insert(if_not_exists=True)
    assert WCounter.get(page="cnt-r").hits == 4
    assert page.delete() == 1
    assert WCounter.get_or_none(page="cnt-r") is None


# -- deletes and static columns -------------------------------------------------------------------

def test_delete_columns_keeps_the_row(db: Any) -> None:
    WAccount.create(key="del-c", owner="o", note="n", tags={"t"}, version=4)
    assert WAccount.filter(key="del-c").delete(columns=("note", "tags")) == 1
    got = WAccount.get(key="del-c")
    assert (got.note, got.tags, got.owner, got.version) == (None, set(), "o", 4)
    WAccount.filter(key="del-c").options(columns=("owner",)).delete()
    assert WAccount.get(key="del-c").owner == ""
    with pytest.raises(NotSupported, match="key column cannot be deleted alone"):
        WAccount.filter(key="del-c").delete(columns=("key",))


async def test_adelete_columns(db: Any) -> None:
    await WAccount.acreate(key="adel-c", owner="o", note="n")
    await WAccount.filter(key="adel-c").adelete(columns=("note",))
    got = await WAccount.aget(key="adel-c")
    assert (got.note, got.owner) == (None, "o")


def test_range_deletes(db: Any) -> None:
    for seq in range(8):
        WEvent.create(stream="rng", seq=seq, value=seq * 10)
    part = WEvent.filter(stream="rng")
    part.filter(seq__gte=2, seq__lt=4).delete()
    assert [e.seq for e in part] == [0, 1, 4, 5, 6, 7]
    part.filter(seq__in=[0, 7]).delete()
    assert [e.seq for e in part] == [1, 4, 5, 6]
    part.filter(seq__gt=5).delete()
    assert [(e.seq, e.value) for e in part] == [(1, 10), (4, 40), (5, 50)]
    with pytest.raises(NotSupported, match="cannot filter on value"):
        part.filter(value=10).delete()
    with pytest.raises(NotSupported, match="stream"):
        WEvent.filter(seq=1).delete()
    part.delete()
    assert part.count() == 0


async def test_arange_delete(db: Any) -> None:
    for seq in range(4):
        await WEvent.acreate(stream="arng", seq=seq)
    await WEvent.filter(stream="arng", seq__lte=1).adelete()
    assert [e.seq for e in await WEvent.filter(stream="arng")] == [2, 3]


def test_static_column_writes(db: Any) -> None:
    # A static value can be written before any clustered row exists.
    assert WEvent.filter(stream="st").update(owner="early") == 1
    assert [(e.seq, e.owner) for e in WEvent.filter(stream="st")] == [(None, "early")]
    WEvent.create(stream="st", seq=1, value=1)
    WEvent.create(stream="st", seq=2, value=2, owner="later")
    assert [(e.seq, e.owner) for e in WEvent.filter(stream="st")] == [(1, "later"), (2, "later")]
    # A clustering filter with a static-only update still changes the whole partition.
    WEvent.filter(stream="st", seq=1).update(owner="shared")
    WEvent.filter(stream="st", seq=2).update(owner="mixed", value=20)
    assert [(e.seq, e.value, e.owner) for e in WEvent.filter(stream="st")] == [(1, 1, "mixed"), (2, 20, "mixed")]
    WEvent.filter(stream="st").delete(columns=("owner",))
    assert [(e.seq, e.owner) for e in WEvent.filter(stream="st")] == [(1, None), (2, None)]
    # A condition on a static column, with the partition key alone.
    assert WEvent.filter(stream="st").if_(owner=None).update(owner="cas") == 1
    assert WEvent.filter(stream="st").if_(owner=None).update(owner="lost") == 0
    assert [e.owner for e in WEvent.filter(stream="st")] == ["cas", "cas"]


async def test_astatic_column_writes(db: Any) -> None:
    await WEvent.acreate(stream="ast", seq=1)
    await WEvent.filter(stream="ast").aupdate(owner="o")
    await WEvent.acreate(stream="ast", seq=2)
    assert [e.owner for e in await WEvent.filter(stream="ast")] == ["o", "o"]


# -- TTL and write timestamps ------------------------------------------------------------------

def test_default_ttl_and_per_write_ttl(db: Any) -> None:
    table = db.backend.table(WExpiring.__ormada__)
    rows = db.execute("SELECT default_time_to_live FROM system_schema.tables "
                      "WHERE keyspace_name = :ks AND table_name = :t", {"ks": table.keyspace, "t": table.schema.name})
    assert rows == [(3600,)]
    WExpiring.create(key="ttl-d", value="v")
    ttl, _ = _cells(db, WExpiring, "value", key="ttl-d")
    assert 3500 < ttl <= 3600
    WExpiring(key="ttl-w", value="v").save(ttl=50)
    ttl, _ = _cells(db, WExpiring, "value", key="ttl-w")
    assert 0 < ttl <= 50
    WExpiring.filter(key="ttl-u").ttl(120).update(value="u")
    ttl, _ = _cells(db, WExpiring, "value", key="ttl-u")
    assert 60 < ttl <= 120
    # TTL 0 overrides the table's default: the value never expires.
    WExpiring.filter(key="ttl-0").ttl(0).update(value="forever")
    assert _cells(db, WExpiring, "value", key="ttl-0")[0] is None
    assert WExpiring.get(key="ttl-0").value == "forever"


def test_ttl_refusals(db: Any) -> None:
    with pytest.raises(QueryError, match=r"(?s)A TTL must be greater or equal to 0.*CQL: UPDATE .*USING TTL"):
        WExpiring.filter(key="ttl-neg").ttl(-5).update(value="v")
    with pytest.raises(NotSupported, match="DELETE takes no TTL"):
        WExpiring.filter(key="ttl-neg").ttl(5).delete()
    assert WExpiring.get_or_none(key="ttl-neg") is None


@pytest.mark.parametrize(("option", "value"), [("ttl", "60"), ("ttl", 2.5), ("ttl", True), ("timestamp", "1"),
                                               ("timestamp", 1.5)])
def test_ttl_and_timestamp_must_be_whole_numbers(db: Any, option: str, value: Any) -> None:
    with pytest.raises(QueryError, match=f"{option} must be a whole number"):
        WExpiring.filter(key="ttl-type").options(**{option: value}).update(value="v")
    with pytest.raises(QueryError, match=f"{option} must be a whole number"):
        WExpiring(key="ttl-type").save(**{option: value})
    assert WExpiring.get_or_none(key="ttl-type") is None


async def test_attl_and_timestamp(db: Any) -> None:
    await WExpiring(key="attl", value="v").ainsert(ttl=90, timestamp=1_000_000)
    ttl, written = await _acells(db, WExpiring, "value", key="attl")
    assert 0 < ttl <= 90 and written == 1_000_000


def test_write_timestamp_orders_writes(db: Any) -> None:
    assert WAccount(key="ts", owner="newer").insert(timestamp=2_000_000) is True
    assert _cells(db, WAccount, "owner", key="ts")[1] == 2_000_000
    # An older write loses, whichever arrives last.
    WAccount.filter(key="ts").timestamp(1_000_000).update(owner="older")
    WAccount(key="ts", owner="older-insert").insert(timestamp=1_500_000)
    assert WAccount.get(key="ts").owner == "newer"
    # A delete older than the write does not remove it; a newer one does.
    WAccount.filter(key="ts").timestamp(1_999_999).delete()
    assert WAccount.get(key="ts").owner == "newer"
    WAccount.filter(key="ts").timestamp(2_000_001).delete()
    assert not WAccount.filter(key="ts").exists()
    loaded = WAccount(key="ts2", owner="a")
    loaded.save(timestamp=5_000_000)
    loaded.owner = "b"
    loaded.save(timestamp=4_000_000)
    assert WAccount.get(key="ts2").owner == "a"


# -- consistency and timeouts -------------------------------------------------------------------

@pytest.mark.parametrize("level", ["ONE", "LOCAL_ONE", "QUORUM", "LOCAL_QUORUM", "ALL", "all",
                                   ConsistencyLevel.ALL, ConsistencyLevel.ONE])
def test_consistency_levels_a_single_node_meets(db: Any, level: Any) -> None:
    key = f"cl-{level}"
    WAccount(key=key, owner="o").save(consistency=level)
    WAccount.filter(key=key).consistency(level).update(version=1)
    got = WAccount.filter(key=key).consistency(level).get()
    assert (got.owner, got.version) == ("o", 1)
    assert WAccount.filter(key=key).options(consistency=level, timeout=10).delete() == 1
    assert not WAccount.filter(key=key).exists()


async def test_aconsistency_and_timeout(db: Any) -> None:
    await WAccount(key="acl", owner="o").asave(consistency="QUORUM", timeout=10)
    got = await WAccount.filter(key="acl").options(consistency=ConsistencyLevel.ALL, timeout=2.5).aget()
    assert got.owner == "o"


def test_consistency_the_node_cannot_meet_is_a_named_error(db: Any) -> None:
    with pytest.raises(DatabaseError, match=r"(?s)cannot meet the consistency level.*CQL: UPDATE "):
        WAccount.filter(key="cl-two").consistency("TWO").update(owner="x")
    assert not WAccount.filter(key="cl-two").exists()


@pytest.mark.parametrize("level", ["NOPE", "quorum!", 99, ""])
def test_unknown_consistency_level_refused(db: Any, level: Any) -> None:
    with pytest.raises(QueryError, match="unknown consistency level"):
        WAccount.filter(key="cl-bad").consistency(level).update(owner="x")
    with pytest.raises(QueryError, match="unknown consistency level"):
        WAccount.filter(key="cl-bad").consistency(level).all()
    with pytest.raises(QueryError, match="unknown consistency level"):
        WAccount(key="cl-bad").save(consistency=level)
    with pytest.raises(QueryError, match="unknown consistency level"):
        batch(db, consistency=level)
    assert not WAccount.filter(key="cl-bad").exists()


@pytest.mark.parametrize("timeout", [0, -1, 0.0, -0.5, float("nan"), "5", True])
def test_timeout_must_be_positive_seconds(db: Any, timeout: Any) -> None:
    with pytest.raises(QueryError, match="timeout must be a positive number of seconds"):
        WAccount.filter(key="to-bad").timeout(timeout).update(owner="x")
    with pytest.raises(QueryError, match="timeout must be a positive number of seconds"):
        WAccount.filter(key="to-bad").timeout(timeout).all()
    with pytest.raises(QueryError, match="timeout must be a positive number of seconds"):
        WAccount(key="to-bad").save(timeout=timeout)
    with pytest.raises(QueryError, match="timeout must be a positive number of seconds"):
        batch(db, timeout=timeout)
    assert not WAccount.filter(key="to-bad").exists()


async def test_atimeout_must_be_positive(db: Any) -> None:
    with pytest.raises(QueryError, match="timeout must be a positive number of seconds"):
        await WAccount.filter(key="ato-bad").timeout(0).aupdate(owner="x")
    assert not await WAccount.filter(key="ato-bad").aexists()


# -- batches ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["logged", "unlogged"])
def test_batch_sends_every_write_at_once(db: Any, kind: Any) -> None:
    stream = f"b-{kind}"
    with batch(db, kind=kind) as b:
        WEvent.create(stream=stream, seq=1, value=1)
        WEvent.create(stream=stream, seq=2, value=2)
        assert WEvent.filter(stream=stream, seq=2).update(label="two") == 1
        WEvent.filter(stream=stream).update(owner="batch")
        # Nothing is sent before the block ends.
        assert WEvent.filter(stream=stream).count() == 0
    assert len(b.statements) == 4 and b.applied is None
    rows = [(e.seq, e.value, e.label, e.owner) for e in WEvent.filter(stream=stream)]
    assert rows == [(1, 1, None, "batch"), (2, 2, "two", "batch")]


def test_batch_timestamp_and_consistency(db: Any) -> None:
    with batch(db, timestamp=7_000_000, consistency="ALL", timeout=10):
        WAccount.create(key="b-ts1", owner="a")
        WAccount.create(key="b-ts2", owner="b")
    assert _cells(db, WAccount, "owner", key="b-ts1")[1] == 7_000_000
    assert _cells(db, WAccount, "owner", key="b-ts2")[1] == 7_000_000


def test_counter_batch(db: Any) -> None:
    with batch(db, kind="counter"):
        WCounter.filter(page="b-c").update(hits__incr=2)
        WCounter.filter(page="b-c").update(hits=F("hits") + 3, misses__incr=1)
        WCounter.create(page="b-c2", misses=4)
    assert (WCounter.get(page="b-c").hits, WCounter.get(page="b-c").misses) == (5, 1)
    assert WCounter.get(page="b-c2").misses == 4


async def test_async_batches(db: Any) -> None:
    async with batch(db, kind="unlogged") as b:
        await WEvent.acreate(stream="ab", seq=1)
        await WEvent.acreate(stream="ab", seq=2, label="x")
        assert await WEvent.filter(stream="ab").acount() == 0
    assert len(b.statements) == 2
    assert [(e.seq, e.label) for e in await WEvent.filter(stream="ab")] == [(1, None), (2, "x")]
    async with batch(db, kind="counter"):
        await WCounter.filter(page="ab-c").aupdate(hits__incr=7)
    assert (await WCounter.aget(page="ab-c")).hits == 7


def test_batch_with_conditions_reports_applied(db: Any) -> None:
    with batch(db) as b:
        WEvent(stream="b-lwt", seq=1, value=1).insert(if_not_exists=True)
        WEvent(stream="b-lwt", seq=2, value=2).insert(if_not_exists=True)
    assert b.applied is True
    # One condition fails: the whole conditional batch is refused, seq 3 included.
    with batch(db) as again:
        WEvent(stream="b-lwt", seq=1, value=100).insert(if_not_exists=True)
        WEvent(stream="b-lwt", seq=3, value=3).insert(if_not_exists=True)
    assert again.applied is False
    assert [(e.seq, e.value) for e in WEvent.filter(stream="b-lwt")] == [(1, 1), (2, 2)]


async def test_async_batch_with_conditions(db: Any) -> None:
    await WEvent.acreate(stream="ab-lwt", seq=1, value=1)
    async with batch(db) as b:
        await WEvent.filter(stream="ab-lwt", seq=1).if_(value=1).aupdate(value=2)
    assert b.applied is True
    async with batch(db) as b2:
        await WEvent.filter(stream="ab-lwt", seq=1).if_(value=1).aupdate(value=3)
    assert b2.applied is False
    assert (await WEvent.aget(stream="ab-lwt", seq=1)).value == 2


def test_batch_sends_nothing_when_the_block_raises(db: Any) -> None:
    with pytest.raises(RuntimeError, match="stop"), batch(db):
        WAccount.create(key="b-raise", owner="x")
        raise RuntimeError("stop")
    assert not WAccount.filter(key="b-raise").exists()
    # Mixing a counter update into a regular batch is refused as it is collected, and
    # the writes collected before it are not sent either.
    with pytest.raises(NotSupported, match="separate batches"), batch(db):
        WAccount.create(key="b-mixed", owner="x")
        WCounter.filter(page="b-mixed").update(hits__incr=1)
    assert not WAccount.filter(key="b-mixed").exists()
    assert WCounter.get_or_none(page="b-mixed") is None
    with pytest.raises(NotSupported, match="counter updates only"), batch(db, kind="counter"):
        WCounter.filter(page="b-mixed").update(hits__incr=1)
        WAccount.create(key="b-mixed", owner="x")
    assert WCounter.get_or_none(page="b-mixed") is None
    with pytest.raises(NotSupported, match="do not nest"), batch(db), batch(db):
        pass


async def test_async_batch_sends_nothing_when_the_block_raises(db: Any) -> None:
    with pytest.raises(RuntimeError):
        async with batch(db):
            await WAccount.acreate(key="ab-raise")
            raise RuntimeError
    assert not await WAccount.filter(key="ab-raise").aexists()


@pytest.mark.parametrize("own", [{"consistency": "TWO"}, {"timeout": 5}, {"serial_consistency": "SERIAL"}])
def test_batch_refuses_a_writes_own_settings(db: Any, own: dict[str, Any]) -> None:
    name = next(iter(own))
    with pytest.raises(NotSupported, match=rf"WAccount: inside a batch .*give {name} to batch"), batch(db):
        WAccount.create(key="b-own-ok")
        WAccount.filter(key="b-own-cl").options(**own).update(owner="x")
    assert not WAccount.filter(key="b-own-ok").exists()  # the whole batch was dropped
    assert not WAccount.filter(key="b-own-cl").exists()


def test_batch_settings_reach_the_node(db: Any) -> None:
    # TWO cannot be met by one node: the batch's own consistency is sent, so it fails.
    with pytest.raises(DatabaseError, match="consistency"), batch(db, consistency="TWO"):
        WAccount.create(key="b-two")
    assert not WAccount.filter(key="b-two").exists()
    with batch(db, serial_consistency="LOCAL_SERIAL") as b:
        WAccount(key="b-serial").insert(if_not_exists=True)
    assert b.applied is True and WAccount.filter(key="b-serial").exists()


def test_batch_the_server_refuses_names_the_cql_and_writes_nothing(db: Any) -> None:
    # Cassandra refuses a multi-partition batch over batch_size_fail_threshold (50 KiB).
    with pytest.raises(QueryError, match=r"(?s)Batch too large.*CQL \(batch of 200\): INSERT INTO \S+\.w_row"), \
            batch(db):
        for n in range(200):
            WRow.create(group=f"big-{n}", n=n, label="x" * 500)
    assert all(not WRow.filter(group=f"big-{n}").exists() for n in (0, 99, 199))
    # A conditional batch may not span partitions.
    with pytest.raises(QueryError, match=r"(?s)cannot span multiple partitions.*IF NOT EXISTS"), batch(db):
        WAccount(key="b-p1").insert(if_not_exists=True)
        WAccount(key="b-p2").insert(if_not_exists=True)
    assert not WAccount.filter(key="b-p1").exists() and not WAccount.filter(key="b-p2").exists()


async def test_async_batch_the_server_refuses(db: Any) -> None:
    with pytest.raises(QueryError, match=r"(?s)Batch too large.*CQL \(batch of 150\)"):
        async with batch(db):
            for n in range(150):
                await WRow.acreate(group=f"abig-{n}", n=n, label="y" * 600)
    assert not await WRow.filter(group="abig-0").aexists()


# -- bulk writes --------------------------------------------------------------------------------

def test_bulk_create_writes_every_row(db: Any) -> None:
    rows = WRow.bulk_create([WRow(group="bulk", n=n, score=n * n) for n in range(50)])
    assert len(rows) == 50
    assert [(r.n, r.score) for r in WRow.filter(group="bulk")] == [(n, n * n) for n in range(50)]
    # A CQL insert is an upsert: the same keys again overwrite instead of failing.
    WRow.bulk_create([WRow(group="bulk", n=n, score=-n) for n in range(3)])
    assert [r.score for r in WRow.filter(group="bulk").limit(3)] == [0, -1, -2]


async def test_abulk_create_writes_every_row(db: Any) -> None:
    await WRow.abulk_create([WRow(group="abulk", n=n, label=str(n)) for n in range(20)])
    assert [r.label for r in await WRow.filter(group="abulk")] == [str(n) for n in range(20)]


def test_bulk_create_refused_row_writes_nothing(db: Any) -> None:
    rows = [WRow(group="bulk-bad", n=n, score=n) for n in range(5)]
    rows[3].score = 2**40  # out of range for a CQL int: refused before anything is sent
    with pytest.raises(DataError, match="score"):
        WRow.bulk_create(rows)
    assert WRow.filter(group="bulk-bad").count() == 0


def test_bulk_writes_check_every_batch_before_sending_the_first(db: Any) -> None:
    # Cassandra has no transaction to roll back: a bad value in the last of five statements
    # must stop the write before the first is sent.
    rows = [WRow(group="bulk-late", n=n, score=n) for n in range(10)]
    rows[-1].score = 2**40
    with pytest.raises(DataError, match="score"):
        WRow.bulk_create(rows, batch_size=2)
    assert WRow.filter(group="bulk-late").count() == 0
    good = WRow.bulk_create([WRow(group="bulk-late", n=n, score=n) for n in range(10)], batch_size=2)
    for r in good:
        r.score = 7
    good[-1].score = 2**40
    with pytest.raises(DataError, match="score"):
        WRow.bulk_update(good, ["score"], batch_size=2)
    assert [r.score for r in WRow.filter(group="bulk-late")] == list(range(10))
    late = [WRow(group="bulk-late", n=n, score=-1) for n in range(10)]
    late[-1].score = 2**40
    with pytest.raises(DataError, match="score"):
        WRow.upsert(late, batch_size=2)
    assert [r.score for r in WRow.filter(group="bulk-late")] == list(range(10))


async def test_abulk_create_checks_every_batch_first(db: Any) -> None:
    rows = [WRow(group="abulk-late", n=n, score=n) for n in range(6)]
    rows[-1].score = 2**40
    with pytest.raises(DataError, match="score"):
        await WRow.abulk_create(rows, batch_size=2)
    assert await WRow.filter(group="abulk-late").acount() == 0


def test_upsert_overwrites_by_primary_key(db: Any) -> None:
    WRow.create(group="ups", n=1, label="old", score=1)
    WRow.upsert([WRow(group="ups", n=1, label="new", score=2), WRow(group="ups", n=2, label="fresh")])
    assert [(r.n, r.label, r.score) for r in WRow.filter(group="ups")] == [(1, "new", 2), (2, "fresh", 0)]


def test_upsert_on_other_columns_refused(db: Any) -> None:
    with pytest.raises(NotSupported, match="upsert on the primary key"):
        WRow.upsert([WRow(group="ups-c", n=1, label="x")], conflict=["label"])
    assert not WRow.filter(group="ups-c").exists()


def test_bulk_update_writes_the_named_fields(db: Any) -> None:
    for n in range(3):
        WRow.create(group="bupd", n=n, label="a", score=n)
    rows = list(WRow.filter(group="bupd"))
    for r in rows:
        r.label, r.score = "b", 100
    WRow.bulk_update(rows, ["label"])
    assert [(r.label, r.score) for r in WRow.filter(group="bupd")] == [("b", 0), ("b", 1), ("b", 2)]


def test_get_or_create_and_update_or_create(db: Any) -> None:
    made, created = WAccount.get_or_create(key="goc", defaults={"owner": "a"})
    assert created is True and made.owner == "a"
    found, created = WAccount.get_or_create(key="goc", defaults={"owner": "b"})
    assert created is False and found.owner == "a"
    changed, created = WAccount.update_or_create(key="goc", defaults={"owner": "c"})
    assert created is False and changed.owner == "c" and WAccount.get(key="goc").owner == "c"


async def test_aget_or_create(db: Any) -> None:
    made, created = await WAccount.aget_or_create(key="agoc", defaults={"owner": "a"})
    assert created is True and made.owner == (await WAccount.aget(key="agoc")).owner == "a"
