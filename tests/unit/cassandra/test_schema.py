"""Schema statements (dry run, no connection) and migration plans from system_schema rows."""

from __future__ import annotations

from typing import Any

import pytest

from ormada import ConfigurationError, NotSupported
from ormada.backends.cassandra import ddl, migrate

from . import cqlcheck
from .models import ALL_MODELS, AllTypes, Click, Event, PageViews, Reading, User, UserByName


def infos(*models: Any) -> list[Any]:
    return [m.__ormada__ for m in models]


def test_create_tables_in_dependency_order_and_grammar(backend: Any, check: Any) -> None:
    statements = backend.create_tables(infos(Reading, AllTypes, PageViews, User, UserByName, Event, Click))
    texts = [s.text for s in statements]
    assert texts.index("CREATE TYPE IF NOT EXISTS shop.geo (lat double, lon double)") < texts.index(
        "CREATE TYPE IF NOT EXISTS shop.address (street text, zip int, geo frozen<geo>)")
    assert not any("accounts.geo" in t for t in texts)  # types go only where they are used
    assert sum(t.startswith("CREATE TABLE IF NOT EXISTS shop.event ") for t in texts) == 1  # subclasses share it
    assert texts[-1].startswith("CREATE MATERIALIZED VIEW IF NOT EXISTS accounts.user_by_name AS SELECT")
    gaps: set[str] = set()
    for s in statements:
        assert s.fetch == "none" and not s.params
        gaps.update(check(s))
    assert gaps <= {"frozen user type", "tuple type", "index target function", "nested frozen collection"}


def test_table_ddl_keys_static_options(backend: Any) -> None:
    (reading,) = [s.text for s in backend.create_tables(infos(Reading)) if "TABLE" in s.text]
    assert "site text static" in reading
    assert "PRIMARY KEY ((sensor, day), at, seq)) WITH CLUSTERING ORDER BY (at DESC, seq ASC)" in reading
    assert "default_time_to_live = 86400" in reading
    assert "compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_size': '1'}" in reading
    assert "comment = 'sensor''s readings'" in reading  # quotes escaped, never spliced raw


def test_indexes_secondary_sai_sasi_keys(backend: Any) -> None:
    texts = [s.text for s in backend.create_tables(infos(Reading)) if "INDEX" in s.text]
    assert "CREATE INDEX IF NOT EXISTS reading_kind_idx ON shop.reading (kind)" in texts
    assert ("CREATE CUSTOM INDEX IF NOT EXISTS reading_level_idx ON shop.reading (level) "
            "USING 'StorageAttachedIndex'") in texts
    assert any("SASIIndex' WITH OPTIONS = {'mode': 'CONTAINS'}" in t for t in texts)
    assert "CREATE INDEX IF NOT EXISTS reading_labels_idx ON shop.reading (KEYS(labels))" in texts


def test_drop_tables_views_first(backend: Any, check: Any) -> None:
    texts = [s.text for s in backend.drop_tables(infos(User, UserByName))]
    assert texts == ["DROP MATERIALIZED VIEW IF EXISTS accounts.user_by_name", "DROP TABLE IF EXISTS accounts.user"]
    for s in backend.drop_tables(infos(User, UserByName)):
        check(s)


def test_keyspaces(backend: Any, check: Any) -> None:
    simple = backend.create_keyspace(replication_factor=3)
    assert simple.text == ("CREATE KEYSPACE IF NOT EXISTS shop WITH replication = {'class': 'SimpleStrategy', "
                           "'replication_factor': 3} AND durable_writes = true")
    nts = backend.create_keyspace("geo", datacenters={"dc1": 3, "dc2": 2})
    assert "{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 2}" in nts.text
    drop = backend.drop_keyspace()
    assert drop.text == "DROP KEYSPACE IF EXISTS shop"
    for s in (simple, nts, drop):
        check(s)


def test_model_errors() -> None:
    with pytest.raises(ConfigurationError, match="literal"):
        ddl.literal(object())


def live_rows(backend: Any) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """system_schema rows for a keyspace holding an older Reading and the user types."""
    columns = [("reading", c, t, k) for c, t, k in [
        ("sensor", "text", "partition_key"), ("day", "date", "partition_key"), ("at", "timestamp", "clustering"),
        ("seq", "int", "clustering"), ("value", "double", "regular"), ("legacy", "text", "regular"),
        ("tags", "set<text>", "regular"), ("samples", "list<int>", "regular"), ("attrs", "map<text, int>", "regular"),
        ("home", "address", "regular"), ("note", "text", "regular"),
    ]]
    indexes = [("reading", "reading_note_idx")]
    types = [("geo", ["lat", "lon"], ["double", "double"]), ("address", ["street", "zip"], ["text", "int"])]
    return columns, indexes, types, []


def test_migration_plan_adds_without_dropping(backend: Any, check: Any) -> None:
    live = migrate.live_schema(*live_rows(backend))
    tables = [backend.table(i) for i in infos(Reading, PageViews)]
    plan = migrate.plan(tables, live, "shop")
    texts = [s.text for s in plan.statements]
    assert "ALTER TYPE shop.address ADD geo frozen<geo>" in texts
    assert "ALTER TABLE shop.reading ADD site text static" in texts
    assert "ALTER TABLE shop.reading ADD labels map<text, text>" in texts
    assert any(t.startswith("CREATE INDEX IF NOT EXISTS reading_kind_idx") for t in texts)
    assert not any("reading_note_idx" in t for t in texts)
    assert any(t.startswith("CREATE TABLE IF NOT EXISTS shop.page_views") for t in texts)
    assert plan.extra_columns == ["reading.legacy"] and plan.conflicts == []
    assert not any("DROP" in t for t in texts)
    for s in plan.statements:
        check(s)


def test_migration_conflicts_refused(backend: Any) -> None:
    columns, indexes, types, views = live_rows(backend)
    columns = [(t, c, "bigint" if c == "value" else ty, k) for t, c, ty, k in columns]
    gen = backend.migrate_schema(infos(Reading))
    reads = [next(gen)]
    for rows in (columns, indexes, types):
        reads.append(gen.send(rows))
    assert [r.text.split(" FROM ")[1].split()[0] for r in reads] == [
        "system_schema.columns", "system_schema.indexes", "system_schema.types", "system_schema.views"]
    assert reads[0].params == ("shop",)
    with pytest.raises(NotSupported, match="cannot change a column's type"):
        gen.send(views)


def test_migration_dry_run_returns_plan(backend: Any) -> None:
    gen = backend.migrate_schema(infos(Reading), dry_run=True)
    next(gen)
    for rows in live_rows(backend)[:3]:
        gen.send(rows)
    with pytest.raises(StopIteration) as stop:
        gen.send([])
    assert stop.value.value.statements


@pytest.mark.parametrize("gap", sorted(cqlcheck.GRAMMAR_GAPS))
def test_each_grammar_gap_is_real(gap: str) -> None:
    samples = {
        "frozen user type": "CREATE TABLE t (a int PRIMARY KEY, b frozen<addr>)",
        "tuple type": "CREATE TABLE t (a int PRIMARY KEY, b frozen<tuple<int, text>>)",
        "LIKE relation": "SELECT a FROM t WHERE b LIKE 'x%'",
        "ANN OF ordering": "SELECT a FROM t ORDER BY v ANN OF [0.5] LIMIT 1",
        "collection add/remove": "UPDATE t SET tags = tags + {'x'} WHERE a = 1",
        "index target function": "CREATE INDEX i ON t (KEYS(m))",
        "nested frozen collection": "CREATE TABLE t (a int PRIMARY KEY, b map<text, frozen<list<int>>>)",
    }
    text = samples[gap]
    assert not cqlcheck.parses(text)
    bridged, used = cqlcheck.bridge_gaps(text)
    assert used == [gap] and cqlcheck.parses(bridged)


def test_every_model_compiles(backend: Any) -> None:
    for model in ALL_MODELS:
        if model.__ormada__.database != "cassandra_unit":
            continue
        assert model.query().statement().text.startswith("SELECT")


def test_plain_address_and_duration_types_map_to_inet_and_duration(check: Any) -> None:
    import datetime as dt
    import ipaddress
    from typing import Annotated

    import ormada
    from ormada import PrimaryKey

    from .models import DB, db

    class Visit(ormada.Model):
        id: Annotated[int, PrimaryKey()]
        client: ipaddress.IPv4Address | ipaddress.IPv6Address
        length: dt.timedelta | None = None

        class Meta:
            database = DB

    (create,) = db.backend.create_tables([Visit.__ormada__])
    assert "client inet" in create.text and "length duration" in create.text
    check(create)
