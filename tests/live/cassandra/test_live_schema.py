"""Schema against a real node: create_all, migrate_schema, keyspaces, materialized views,
and polymorphic models, each checked in system_schema and by reading data back."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from live_types_models import (
    SCHEMA_DB,
    SCHEMA_MODELS,
    TYPE_MODELS,
    TAddress,
    TAuthor,
    TAuthorByCountry,
    TClick,
    TEvent,
    TGeo,
    TIndexed,
    TMigAddV1,
    TMigAddV2,
    TMigAsyncV1,
    TMigAsyncV2,
    TMigColumnDropped,
    TMigDryV1,
    TMigDryV2,
    TMigIndexV1,
    TMigIndexV2,
    TMigKeyAdded,
    TMigKeyDropped,
    TMigKeysV1,
    TMigOrderChanged,
    TMigPartitionChanged,
    TMigTypeChanged,
    TMigUdtRetyped,
    TMigUdtV1,
    TMigUdtV2,
    TProfV1,
    TProfV2,
    TPurchase,
    TUdts,
)

import ormada
from conftest import HOSTS
from ormada import NotSupported, QueryTimeout

ALL_LIVE = (*TYPE_MODELS, *SCHEMA_MODELS)
POLL = 200  # bounded retries (at most ~10 s) while a view or an index catches up with its table


@pytest.fixture(scope="module")
def db(keyspace: str) -> Any:
    database = ormada.get_database("cassandra_live")
    database.create_all(list(ALL_LIVE))
    return database


@pytest.fixture(scope="module")
def sdb(keyspace: str) -> Iterator[Any]:
    """A database on a keyspace of its own, where tables change between model versions."""
    name = f"t_schema_{uuid.uuid4().hex[:8]}"
    database: Any = ormada.connect(f"cassandra://{HOSTS}/{name}", name=SCHEMA_DB)
    database.execute_statement(database.backend.create_keyspace(replication_factor=1))
    yield database
    database.execute_statement(database.backend.drop_keyspace())
    database.close()


def infos(*models: Any) -> list[Any]:
    return [m.__ormada__ for m in models]


def columns(database: Any, table: str) -> dict[str, tuple[str, str]]:
    """column → (type, kind), from system_schema."""
    rows = database.execute(
        "SELECT column_name, type, kind FROM system_schema.columns WHERE keyspace_name = :ks AND table_name = :t",
        {"ks": database.backend.keyspace, "t": table})
    return {name: (ctype, kind) for name, ctype, kind in rows}


def udt_fields(database: Any, name: str) -> dict[str, str]:
    rows = database.execute(
        "SELECT field_names, field_types FROM system_schema.types WHERE keyspace_name = :ks AND type_name = :t",
        {"ks": database.backend.keyspace, "t": name})
    return {n: t for row in rows for n, t in zip(row[0], row[1], strict=True)}


def sai_queryable(database: Any, index: str) -> bool:
    rows = database.execute("SELECT is_queryable FROM system_views.sai_column_indexes WHERE keyspace_name = :ks "
                            "AND index_name = :i ALLOW FILTERING", {"ks": database.backend.keyspace, "i": index})
    return bool(rows) and bool(rows[0][0])


def migrate(database: Any, *models: Any, **options: Any) -> Any:
    return database.run(database.backend.migrate_schema(infos(*models), **options))


def poll(read: Any, want: Any) -> Any:
    """Reads until the value is ``want`` or the retries run out; returns the last value."""
    got = read()
    for _ in range(POLL):
        if got == want:
            break
        time.sleep(0.05)
        got = read()
    return got


# -- create_all ---------------------------------------------------------------------------

def test_create_all_creates_types_in_dependency_order_tables_indexes_and_views(db: Any) -> None:
    statements = [s.text for s in db.create_all(list(ALL_LIVE), dry_run=True)]
    ks = db.backend.keyspace
    position = {name: next(i for i, t in enumerate(statements)
                           if t.startswith(f"CREATE TYPE IF NOT EXISTS {ks}.{name} "))
                for name in ("t_geo", "t_address", "t_person")}
    assert position["t_geo"] < position["t_address"] < position["t_person"]
    first_table = next(i for i, t in enumerate(statements) if t.startswith("CREATE TABLE"))
    assert max(position.values()) < first_table
    assert statements[-1].startswith(f"CREATE MATERIALIZED VIEW IF NOT EXISTS {ks}.t_author_by_country")

    assert udt_fields(db, "t_geo") == {"lat": "double", "lon": "double"}
    assert udt_fields(db, "t_address") == {"street": "text", "zip": "int", "geo": "frozen<t_geo>"}
    assert udt_fields(db, "t_person")["others"] == "frozen<list<frozen<t_address>>>"
    tables = {row[0] for row in db.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = :ks", {"ks": ks})}
    assert {m.__ormada__.table.name for m in ALL_LIVE if m not in (TAuthorByCountry, TClick, TPurchase)} <= tables
    assert not {"t_click", "t_purchase"} & tables  # subclasses share their base's table
    udts = columns(db, "t_udts")
    assert udts["person"] == ("t_person", "regular") and udts["by_geo"][0] == "map<text, frozen<list<frozen<t_geo>>>>"
    keys = columns(db, "t_keys")
    assert (keys["region"][1], keys["bucket"][1], keys["year"][1], keys["value"][1]) == (
        "partition_key", "partition_key", "clustering", "regular")
    assert columns(db, "t_static")["motto"] == ("text", "static")
    assert columns(db, "t_vector")["embedding"][0] == "vector<float, 3>"
    assert columns(db, "t_counter")["views"][0] == "counter"

    indexes = {name: (kind, dict(options)) for name, kind, options in db.execute(
        "SELECT index_name, kind, options FROM system_schema.indexes WHERE keyspace_name = :ks AND table_name = :t",
        {"ks": ks, "t": "t_indexed"})}
    assert indexes["t_indexed_kind_idx"] == ("COMPOSITES", {"target": "kind"})
    assert indexes["t_indexed_level_idx"][0] == "CUSTOM"
    assert indexes["t_indexed_level_idx"][1]["class_name"].endswith("StorageAttachedIndex")
    assert indexes["t_indexed_note_idx"][1]["class_name"] == "org.apache.cassandra.index.sasi.SASIIndex"
    assert indexes["t_indexed_note_idx"][1]["mode"] == "CONTAINS"
    assert {indexes[f"t_indexed_{c}_idx"][1]["target"] for c in ("labels", "scores", "pairs", "parts")} == {
        "keys(labels)", "values(scores)", "entries(pairs)", "full(parts)"}
    (view,) = db.execute("SELECT base_table_name FROM system_schema.views WHERE keyspace_name = :ks "
                         "AND view_name = :v", {"ks": ks, "v": "t_author_by_country"})
    assert view == ("t_author",)
    db.create_all(list(ALL_LIVE))  # again: every statement is IF NOT EXISTS


def test_every_index_kind_serves_its_queries(db: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    base = int(tag, 16)  # unique SAI values, so rows of other tests never match
    row = TIndexed.create(kind=f"k1{tag}", level=base + 7, rank=-base, note=f"the engine{tag} runs hot",
                          labels={f"zone{tag}": "eu"}, scores={"math": base}, pairs={tag: 1}, parts=["x", tag])
    TIndexed.create(kind=f"k2{tag}", level=base + 7, rank=-base + 1, note=f"cold{tag} start",
                    labels={f"area{tag}": "us"}, scores={"math": base + 1}, pairs={tag: 2}, parts=[tag])
    assert [r.id for r in TIndexed.filter(kind=f"k1{tag}")] == [row.id]
    assert [r.id for r in TIndexed.filter(level__gte=base + 5, rank__lt=-base + 1)] == [row.id]  # SAI with SAI
    assert [r.id for r in TIndexed.filter(note__contains=f"engine{tag}")] == [row.id]
    assert [r.id for r in TIndexed.filter(labels__contains_key=f"zone{tag}")] == [row.id]
    assert [r.id for r in TIndexed.filter(scores__contains=base)] == [row.id]  # a map's values
    assert [r.id for r in TIndexed.filter(parts=["x", tag])] == [row.id]
    ks = db.backend.keyspace
    assert db.execute(f"SELECT id FROM {ks}.t_indexed WHERE pairs[:k] = :v", {"k": tag, "v": 1}) == [(row.id,)]


@pytest.mark.parametrize("lookups", [
    {"labels__contains_key": "zone", "level": 7},  # secondary index and SAI
    {"kind": "k1", "note__contains": "engine"},  # secondary index and SASI
    {"note__contains": "engine", "rank": 1},  # SASI and SAI
    {"kind": "k1", "scores__contains": 91},  # two secondary indexes
])
def test_indexes_of_other_kinds_than_sai_serve_a_query_alone(db: Any, lookups: dict[str, Any]) -> None:
    row = TIndexed.create(kind="k1", level=7, rank=1, note="the engine runs hot", labels={"zone": "eu"},
                          scores={"math": 91})
    with pytest.raises(NotSupported, match="an index other than SAI serves a query only alone"):
        TIndexed.filter(**lookups).all()
    assert row.id in [r.id for r in TIndexed.filter(**lookups).allow_filtering()]


def test_sasi_on_text_serves_no_range(db: Any) -> None:
    with pytest.raises(NotSupported, match="note__gt"):
        TIndexed.filter(note__gt="a").all()


async def test_every_index_kind_serves_its_queries_async(db: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    level = -int(tag, 16) - 10  # below every other test's values
    row = await TIndexed.acreate(kind=f"ak{tag}", level=level, note=f"async{tag} only", scores={"art": level})
    assert [r.id for r in await TIndexed.filter(kind=f"ak{tag}")] == [row.id]
    assert [r.id for r in await TIndexed.filter(level__lte=level, level__gt=level - 1)] == [row.id]
    assert [r.id for r in await TIndexed.filter(note__contains=f"sync{tag} on")] == [row.id]
    assert [r.id for r in await TIndexed.filter(scores__contains=level)] == [row.id]


# -- migrate_schema ----------------------------------------------------------------------

def test_migrate_schema_on_an_up_to_date_keyspace_is_a_no_op(db: Any) -> None:
    plan = migrate(db, *ALL_LIVE)
    assert (plan.statements, plan.conflicts, plan.extra_columns) == ([], [], [])


async def test_migrate_schema_on_an_up_to_date_keyspace_is_a_no_op_async(db: Any) -> None:
    plan = await db.arun(db.backend.migrate_schema(infos(*ALL_LIVE)))
    assert (plan.statements, plan.conflicts, plan.extra_columns) == ([], [], [])


def test_adding_fields_adds_columns_types_and_indexes(sdb: Any) -> None:
    sdb.create_all([TMigAddV1])
    TMigAddV1.create(id=1, name="old")
    plan = migrate(sdb, TMigAddV2)
    texts = [s.text for s in plan.statements]
    ks = sdb.backend.keyspace
    assert texts == [
        f"CREATE TYPE IF NOT EXISTS {ks}.t_geo (lat double, lon double)",
        f"CREATE TYPE IF NOT EXISTS {ks}.t_address (street text, zip int, geo frozen<t_geo>)",
        f"ALTER TABLE {ks}.t_mig_add ADD age int",
        f"ALTER TABLE {ks}.t_mig_add ADD tags set<text>",
        f"ALTER TABLE {ks}.t_mig_add ADD home t_address",
        f"ALTER TABLE {ks}.t_mig_add ADD kind text",
        f"CREATE INDEX IF NOT EXISTS t_mig_add_kind_idx ON {ks}.t_mig_add (kind)",
    ]
    assert plan.conflicts == [] and plan.extra_columns == []
    assert set(columns(sdb, "t_mig_add")) == {"id", "name", "age", "tags", "home", "kind"}
    old = TMigAddV2.get(id=1)
    assert (old.name, old.age, old.tags, old.home, old.kind) == ("old", None, set(), None, None)
    home = TAddress(street="s", zip=1, geo=TGeo(lat=1, lon=1))
    TMigAddV2.create(id=2, name="new", age=30, tags={"t"}, home=home, kind="k")
    new = TMigAddV2.get(id=2)
    assert (new.age, new.tags, new.home) == (30, {"t"}, home)
    assert [r.id for r in TMigAddV2.filter(kind="k")] == [2]
    again = migrate(sdb, TMigAddV2)
    assert again.statements == [] and again.conflicts == []


def _fill(model: Any, rows: int) -> None:
    model.bulk_create([model(id=n, kind=f"k{n % 7}", level=n % 11) for n in range(rows)], batch_size=500)


def test_new_indexes_answer_as_soon_as_migrate_returns(sdb: Any) -> None:
    # A new index on a table that holds rows is built in the background; a read through it
    # before the build ends fails on the node ("received 0 responses and 1 failures").
    sdb.create_all([TMigIndexV1])
    _fill(TMigIndexV1, 3000)
    migrate(sdb, TMigIndexV2)
    assert TMigIndexV2.filter(kind="k3").count() == len([n for n in range(3000) if n % 7 == 3])
    assert TMigIndexV2.filter(level=4).count() == len([n for n in range(3000) if n % 11 == 4])
    built = sdb.execute('SELECT index_name FROM system."IndexInfo" WHERE table_name = :ks',
                        {"ks": sdb.backend.keyspace})
    assert {"t_mig_index_kind_idx", "t_mig_index_level_idx"} <= {r[0] for r in built}
    sdb.drop_all([TMigIndexV2])


def test_index_still_building_after_index_build_timeout_says_so() -> None:
    name = f"t_idx_{uuid.uuid4().hex[:8]}"
    hasty: Any = ormada.connect(f"cassandra://{HOSTS}/{name}?index_build_timeout=0.001", name="t_index_hasty")
    hasty.execute_statement(hasty.backend.create_keyspace(replication_factor=1))
    try:
        for statement in hasty.backend.create_tables(infos(TMigIndexV1)):
            hasty.execute_statement(statement)
        for n in range(3000):
            hasty.execute(f"INSERT INTO {name}.t_mig_index (id, kind) VALUES (?, ?)", [n, f"k{n % 7}"])
        index = next(s for s in hasty.backend.create_tables(infos(TMigIndexV2)) if s.builds_index)
        with pytest.raises(QueryTimeout, match=rf"index {name}.t_mig_index_\w+_idx on .* was still being built "
                                               r"after 0.001 s.*index_build_timeout=<seconds>"):
            hasty.execute_statement(index)
    finally:
        hasty.execute_statement(hasty.backend.drop_keyspace())
        hasty.close()


async def test_new_index_async_waits_for_the_build(sdb: Any) -> None:
    await sdb.adrop_all([TMigIndexV2])
    await sdb.acreate_all([TMigIndexV1])
    await TMigIndexV1.abulk_create([TMigIndexV1(id=n, kind=f"k{n % 5}") for n in range(2000)], batch_size=500)
    await sdb.arun(sdb.backend.migrate_schema(infos(TMigIndexV2)))
    assert await TMigIndexV2.filter(kind="k1").acount() == 400
    await sdb.adrop_all([TMigIndexV2])


def test_dry_run_returns_the_statements_and_changes_nothing(sdb: Any) -> None:
    sdb.create_all([TMigDryV1])
    plan = migrate(sdb, TMigDryV2, dry_run=True)
    ks = sdb.backend.keyspace
    assert [s.text for s in plan.statements] == [
        f"ALTER TABLE {ks}.t_mig_dry ADD extra int",
        f"ALTER TABLE {ks}.t_mig_dry ADD level int",
        f"CREATE CUSTOM INDEX IF NOT EXISTS t_mig_dry_level_idx ON {ks}.t_mig_dry (level) USING 'StorageAttachedIndex'",
    ]
    assert set(columns(sdb, "t_mig_dry")) == {"id"}
    assert sdb.execute("SELECT index_name FROM system_schema.indexes WHERE keyspace_name = :ks AND table_name = :t",
                       {"ks": ks, "t": "t_mig_dry"}) == []
    assert [s.text for s in migrate(sdb, TMigDryV2, dry_run=True).statements] == [s.text for s in plan.statements]


async def test_migrate_async_applies_the_plan(sdb: Any) -> None:
    await sdb.acreate_all([TMigAsyncV1])
    await TMigAsyncV1.acreate(id=1)
    plan = await sdb.arun(sdb.backend.migrate_schema(infos(TMigAsyncV2)))
    assert plan.conflicts == [] and len(plan.statements) == 3
    assert set(columns(sdb, "t_mig_async")) == {"id", "extra", "level"}
    # An index added to a table that holds rows is built in the background; the node
    # answers INDEX_NOT_AVAILABLE until then.
    assert poll(lambda: sai_queryable(sdb, "t_mig_async_level_idx"), True) is True
    await TMigAsyncV2.acreate(id=2, extra=5, level=3)
    assert [r.extra for r in await TMigAsyncV2.filter(level__gte=3)] == [5]
    assert (await TMigAsyncV2.aget(id=1)).extra is None


@pytest.mark.parametrize(("model", "conflict"), [
    (TMigTypeChanged, "t_mig_keys.c is text in the database, int in the model; CQL cannot change a column's type"),
    (TMigPartitionChanged, "t_mig_keys.b is clustering column 1 (ASC) in the database, partition key column 2 "
                           "in the model"),
    (TMigPartitionChanged, "t_mig_keys.s is a static column in the database, a regular column in the model"),
    (TMigOrderChanged, "t_mig_keys.b is clustering column 1 (ASC) in the database, clustering column 1 (DESC) "
                       "in the model"),
    (TMigKeyAdded, "t_mig_keys.e: a key column cannot be added to an existing table"),
    (TMigKeyDropped, "t_mig_keys.b is a clustering column in the database but not a field of the model"),
])
def test_conflicting_changes_are_reported_and_not_applied(sdb: Any, model: Any, conflict: str) -> None:
    sdb.create_all([TMigKeysV1])
    before = columns(sdb, "t_mig_keys")
    with pytest.raises(NotSupported, match="cannot make these changes") as caught:
        migrate(sdb, model)
    assert conflict in str(caught.value)
    plan = migrate(sdb, model, strict=False, dry_run=True)
    assert any(conflict in c for c in plan.conflicts)
    assert columns(sdb, "t_mig_keys") == before


def test_removed_fields_are_listed_and_left_in_place(sdb: Any) -> None:
    sdb.create_all([TMigKeysV1])
    TMigKeysV1.create(a="x", b=1, c="kept", d=4)
    plan = migrate(sdb, TMigColumnDropped)
    assert (plan.statements, plan.conflicts, plan.extra_columns) == ([], [], ["t_mig_keys.d"])
    assert "d" in columns(sdb, "t_mig_keys") and TMigKeysV1.get(a="x", b=1).d == 4
    assert TMigColumnDropped.get(a="x", b=1).c == "kept"


def test_user_type_fields_are_added_and_retyping_is_a_conflict(sdb: Any) -> None:
    sdb.create_all([TMigUdtV1])
    TMigUdtV1.create(id=1, prof=TProfV1(a="old"))
    plan = migrate(sdb, TMigUdtV2)
    assert [s.text for s in plan.statements] == [f"ALTER TYPE {sdb.backend.keyspace}.t_prof ADD b int"]
    assert udt_fields(sdb, "t_prof") == {"a": "text", "b": "int"}
    assert TMigUdtV2.get(id=1).prof == TProfV2(a="old", b=None)
    TMigUdtV2.create(id=2, prof=TProfV2(a="new", b=2))
    assert TMigUdtV2.get(id=2).prof == TProfV2(a="new", b=2)
    with pytest.raises(NotSupported, match=r"type t_prof\.a is text in the database, int in the model"):
        migrate(sdb, TMigUdtRetyped)
    assert udt_fields(sdb, "t_prof") == {"a": "text", "b": "int"}


# -- keyspaces ---------------------------------------------------------------------------

def _keyspace_row(database: Any, name: str) -> list[Any]:
    return list(database.execute(
        "SELECT durable_writes, replication FROM system_schema.keyspaces WHERE keyspace_name = :ks", {"ks": name}))


def test_create_and_drop_keyspace(db: Any) -> None:
    simple, nts = f"t_ks_{uuid.uuid4().hex[:8]}", f"t_ks_{uuid.uuid4().hex[:8]}"
    try:
        db.execute_statement(db.backend.create_keyspace(simple, replication_factor=1))
        db.execute_statement(db.backend.create_keyspace(nts, datacenters={"datacenter1": 1}, durable_writes=False))
        db.execute_statement(db.backend.create_keyspace(simple, replication_factor=1))  # IF NOT EXISTS
        ((durable, replication),) = _keyspace_row(db, simple)
        assert durable is True and replication["class"].endswith("SimpleStrategy")
        assert replication["replication_factor"] == "1"
        ((durable, replication),) = _keyspace_row(db, nts)
        assert durable is False and replication["class"].endswith("NetworkTopologyStrategy")
        assert replication["datacenter1"] == "1"
    finally:
        db.execute_statement(db.backend.drop_keyspace(simple))
        db.execute_statement(db.backend.drop_keyspace(nts))
    assert _keyspace_row(db, simple) == [] and _keyspace_row(db, nts) == []
    db.execute_statement(db.backend.drop_keyspace(simple))  # IF EXISTS


async def test_create_and_drop_keyspace_async(db: Any) -> None:
    name = f"t_ks_{uuid.uuid4().hex[:8]}"
    await db.aexecute_statement(db.backend.create_keyspace(name, replication_factor=1))
    try:
        assert len(_keyspace_row(db, name)) == 1
    finally:
        await db.aexecute_statement(db.backend.drop_keyspace(name))
    assert _keyspace_row(db, name) == []


# -- materialized views -------------------------------------------------------------------

def test_materialized_view_is_filled_from_its_base(db: Any) -> None:
    country = f"c{uuid.uuid4().hex[:6]}"
    authors = [TAuthor.create(name=f"a{i}", country=country, born=1900 + i) for i in range(3)]
    ids = sorted(a.id for a in authors)

    def read() -> list[Any]:
        return [(r.id, r.name, r.born) for r in TAuthorByCountry.filter(country=country)]

    want = sorted((a.id, a.name, a.born) for a in authors)
    assert poll(read, want) == want
    assert sorted(r.id for r in TAuthorByCountry.filter(country=country)) == ids
    moved = authors[0]
    moved.country = f"{country}x"
    moved.save()
    assert poll(lambda: len(read()), 2) == 2
    assert poll(lambda: [r.id for r in TAuthorByCountry.filter(country=f"{country}x")], [moved.id]) == [moved.id]
    with pytest.raises(NotSupported, match="materialized view"):
        TAuthorByCountry.create(country=country, id=uuid.uuid4(), name="x")


async def test_materialized_view_is_filled_from_its_base_async(db: Any) -> None:
    country = f"c{uuid.uuid4().hex[:6]}"
    author = await TAuthor.acreate(name="async", country=country)
    got: list[Any] = []
    for _ in range(POLL):
        got = [r.name for r in await TAuthorByCountry.filter(country=country)]
        if got:
            break
        await asyncio.sleep(0.05)
    assert got == ["async"] and author.country == country


# -- polymorphic models ---------------------------------------------------------------------

def test_polymorphic_models_share_one_table(db: Any) -> None:
    source = f"s{uuid.uuid4().hex[:6]}"
    TClick.create(source=source, at=1, x=3, y=4)
    TPurchase.create(source=source, at=2, amount=Decimal("9.99"))
    assert sorted(columns(db, "t_event")) == ["amount", "at", "source", "type", "x", "y"]
    rows = TEvent.filter(source=source).all()
    assert [type(r) for r in rows] == [TClick, TPurchase]
    click, purchase = rows
    assert isinstance(click, TClick) and (click.x, click.y, click.type) == (3, 4, "click")
    assert isinstance(purchase, TPurchase) and purchase.amount == Decimal("9.99") and purchase.type == "purchase"
    assert [r.at for r in TClick.filter(source=source)] == [1]
    assert [r.at for r in TPurchase.filter(source=source)] == [2]
    assert TClick.filter(source=source).count() == 1
    with pytest.raises(TClick.DoesNotExist):
        TClick.get(source=source, at=2)
    ks = db.backend.keyspace
    assert db.execute(f"SELECT type, x, amount FROM {ks}.t_event WHERE source = :s", {"s": source}) == [
        ("click", 3, None), ("purchase", None, Decimal("9.99"))]
    click.x = 30
    click.save()
    assert TClick.get(source=source, at=1).x == 30
    again = TClick.get(source=source, at=1)
    again.y = 40
    again.save()
    assert (TClick.get(source=source, at=1).x, TClick.get(source=source, at=1).y) == (30, 40)
    TClick.filter(source=source, at=1).update(x=31)
    through_base = TEvent.get(source=source, at=1)
    assert isinstance(through_base, TClick) and through_base.x == 31
    with pytest.raises(NotSupported, match="whole primary key"):
        TClick.filter(source=source).delete()  # would delete the purchases too
    purchase.delete()
    assert [type(r) for r in TEvent.filter(source=source)] == [TClick]


async def test_polymorphic_models_async(db: Any) -> None:
    source = f"s{uuid.uuid4().hex[:6]}"
    await TPurchase.acreate(source=source, at=5, amount=Decimal("1.50"))
    await TClick.acreate(source=source, at=6)
    rows = await TEvent.filter(source=source)
    assert [type(r) for r in rows] == [TPurchase, TClick]
    assert [r.at for r in await TPurchase.filter(source=source)] == [5]


def test_udts_survive_a_second_create_all(db: Any) -> None:
    TUdts.create(id=100, homes=[TAddress(street="a", zip=1)])
    db.create_all([TUdts])
    assert TUdts.get(id=100).homes == [TAddress(street="a", zip=1)]
