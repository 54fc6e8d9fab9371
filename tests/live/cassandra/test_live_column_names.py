"""Fields mapped with ``Column(...)`` to mixed-case and snake_case columns, against a real node."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import pytest

import ormada
from ormada import ClusteringKey, Column, F, Indexed, PartitionKey

T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


class WPlay(ormada.Model):
    track_id: Annotated[int, PartitionKey(), Column("TrackId")]
    played_at: Annotated[dt.datetime, ClusteringKey(order="desc"), Column("PlayedAt")]
    seconds: Annotated[int, Column("seconds_played")] = 0
    device: Annotated[str | None, Indexed(), Column("DeviceName")] = None
    tags: Annotated[set[str], Column("TagSet")] = set()

    class Meta:
        database = "cassandra_live"
        table = "w_play"


@pytest.fixture(scope="module")
def db(keyspace: str) -> Any:
    database = ormada.get_database("cassandra_live")
    database.create_all([WPlay])
    return database


def test_migrate_schema_matches_live_columns_by_column_name(db: Any) -> None:
    plan = db.run(db.backend.migrate_schema([WPlay.__ormada__], dry_run=True))
    assert (plan.statements, plan.conflicts, plan.extra_columns) == ([], [], [])


def at(minute: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minute)


def test_round_trip(db: Any) -> None:
    WPlay.create(track_id=1, played_at=at(0), seconds=30, device="phone")
    WPlay.bulk_create([WPlay(track_id=1, played_at=at(i), seconds=i) for i in range(1, 6)])
    table = db.backend.table(WPlay.__ormada__).name
    raw = db.execute(f'SELECT "TrackId", "PlayedAt", seconds_played, "DeviceName" FROM {table} '
                     'WHERE "TrackId" = :t AND "PlayedAt" = :p', {"t": 1, "p": at(0)})
    assert [(r[0], r[2], r[3]) for r in raw] == [(1, 30, "phone")]

    got = WPlay.get(track_id=1, played_at=at(0))
    assert (got.seconds, got.device) == (30, "phone")
    assert WPlay.filter(device="phone").get() == got
    assert [p.seconds for p in WPlay.filter(track_id=1, played_at__gte=at(4))] == [5, 4]
    assert WPlay.filter(track_id=1).count() == 6
    assert WPlay.filter(track_id=1).values("seconds").order_by("played_at").limit(2).all() == [
        {"seconds": 30}, {"seconds": 1}]

    got.seconds = 31
    got.save()
    WPlay.filter(track_id=1, played_at=at(0)).update(tags=F("tags") + {"live"})
    fresh = WPlay.get(track_id=1, played_at=at(0))
    assert (fresh.seconds, fresh.tags) == (31, {"live"})

    first = WPlay.filter(track_id=1).page(4)
    assert len(first) == 4 and first.paging_state is not None
    second = WPlay.filter(track_id=1).page(4, first.paging_state)
    assert [p.played_at for p in [*first, *second]] == [at(i) for i in range(5, -1, -1)]

    assert WPlay.filter(track_id=1, played_at=at(5)).delete() >= 0
    fresh.delete()
    assert WPlay.filter(track_id=1).count() == 4


async def test_round_trip_async(db: Any) -> None:
    await WPlay.acreate(track_id=2, played_at=at(0), seconds=7, device="tv")
    got = await WPlay.aget(track_id=2, played_at=at(0))
    assert got.device == "tv"
    assert await WPlay.filter(track_id=2).values_list("seconds", flat=True).aall() == [7]
    await WPlay.filter(track_id=2, played_at=at(0)).aupdate(seconds=8)
    assert (await WPlay.aget(track_id=2, played_at=at(0))).seconds == 8
    await got.adelete()
    assert await WPlay.filter(track_id=2).acount() == 0
