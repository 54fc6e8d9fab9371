"""Compiled CQL for fields mapped with ``Column(...)``: the CQL names the columns, quoted where
their case must be kept; the model, its errors and ``values()`` keep the field names."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ormada import ClusteringKey, Column, F, Indexed, Model, PartitionKey
from ormada.backends.cassandra import migrate

from .models import DB

AT = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)


class Play(Model):
    track_id: Annotated[int, PartitionKey(), Column("TrackId")]
    played_at: Annotated[dt.datetime, ClusteringKey(order="desc"), Column("PlayedAt")]
    seconds: Annotated[int, Column("seconds_played")] = 0
    device: Annotated[str | None, Indexed(), Column("DeviceName")] = None
    plays: Annotated[int, Column("Plays")] = 0
    tags: Annotated[set[str], Column("TagSet")] = set()

    class Meta:
        database = DB
        table = "play"


def test_create_table_and_index_name_columns(backend: Any, check: Any) -> None:
    statements = backend.create_tables([Play.__ormada__])
    table, index = (s.text for s in statements)
    assert table.startswith('CREATE TABLE IF NOT EXISTS shop.play ("TrackId" int, "PlayedAt" timestamp, '
                            'seconds_played int, "DeviceName" text, "Plays" int, "TagSet" set<text>, ')
    assert 'PRIMARY KEY ("TrackId", "PlayedAt")) WITH CLUSTERING ORDER BY ("PlayedAt" DESC)' in table
    assert index == 'CREATE INDEX IF NOT EXISTS play_devicename_idx ON shop.play ("DeviceName")'
    for s in statements:
        check(s)


def test_reads_name_columns(check: Any) -> None:
    s = Play.filter(track_id=1, played_at__gte=AT).order_by("played_at").limit(5).statement()
    assert s.text == ('SELECT "TrackId", "PlayedAt", seconds_played, "DeviceName", "Plays", "TagSet" FROM shop.play '
                      'WHERE "TrackId" = ? AND "PlayedAt" >= ? ORDER BY "PlayedAt" ASC LIMIT ?')
    check(s)
    only = Play.filter(track_id=1).values_list("seconds", flat=True).statement()
    assert only.text == 'SELECT seconds_played FROM shop.play WHERE "TrackId" = ?'
    check(Play.filter(device="phone").statement())
    assert '"DeviceName" = ?' in Play.filter(device="phone").statement().text


def test_writes_name_columns(backend: Any, check: Any) -> None:
    info = Play.__ormada__
    row = Play(track_id=1, played_at=AT, seconds=30)
    insert = backend.insert(info, info.field_names, [tuple(row.__dict__[c] for c in info.field_names)], (), {})
    assert insert.text.startswith('INSERT INTO shop.play ("TrackId", "PlayedAt", seconds_played, "DeviceName"')
    check(insert)
    update = backend.update(info, Play.filter(track_id=1, played_at=AT).state, {"seconds": 31, "device": "tv"})
    assert update.text == ('UPDATE shop.play SET seconds_played = ?, "DeviceName" = ? '
                           'WHERE "TrackId" = ? AND "PlayedAt" = ?')
    check(update)
    delete = backend.delete(info, Play.filter(track_id=1).state)
    assert delete.text == 'DELETE FROM shop.play WHERE "TrackId" = ?'
    check(delete)
    conditional = backend.update(info, Play.filter(track_id=1, played_at=AT).if_(plays=0).state, {"plays": 1})
    assert conditional.text.endswith('IF "Plays" = ?')


def test_keyed_get_names_columns(backend: Any) -> None:
    plan = backend.keyed_select(Play.__ormada__, ("track_id", "played_at"))
    assert plan is not None
    assert 'WHERE "TrackId" = ? AND "PlayedAt" = ?' in plan.text


def test_migration_adds_missing_columns_by_column_name(backend: Any) -> None:
    columns = [("play", c, t, k) for c, t, k in [
        ("TrackId", "int", "partition_key"), ("PlayedAt", "timestamp", "clustering"),
        ("seconds_played", "int", "regular"), ("Plays", "int", "regular"), ("legacy", "text", "regular"),
    ]]
    plan = migrate.plan([backend.table(Play.__ormada__)], migrate.live_schema(columns, [], [], []), "shop")
    texts = [s.text for s in plan.statements]
    assert 'ALTER TABLE shop.play ADD "DeviceName" text' in texts
    assert not any("seconds_played" in t or "Plays" in t for t in texts if "ALTER" in t)
    assert plan.extra_columns == ["play.legacy"] and plan.conflicts == []


def test_expressions_name_columns(backend: Any) -> None:
    info = Play.__ormada__
    update = backend.update(info, Play.filter(track_id=1, played_at=AT).state, {"tags": F("tags") + {"y"}})
    assert update.text.startswith('UPDATE shop.play SET "TagSet" = "TagSet" + ? WHERE')
