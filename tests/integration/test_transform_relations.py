"""Transform lookups across relations: forward (``event__created__year``), reverse, and
under ``exclude()``, where a reverse path means "no related row matches"."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import pytest

import ormada
from ormada import ForeignKey, Json, Model, PrimaryKey
from tests.conftest import Api

UTC = dt.UTC


class Meetup(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str
    info: Annotated[dict[str, Any], Json()] = {}

    class Meta:
        table = "tr_meetups"


class Talk(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    given: dt.datetime
    meetup: Annotated[Meetup, ForeignKey(related_name="talks", on_delete="cascade")]

    class Meta:
        table = "tr_talks"


@pytest.fixture
async def talks(db: ormada.Database, api: Api) -> None:
    db.create_all([Meetup, Talk])
    old = await api(Meetup, "create", name="old", info={"city": "Oslo", "size": 10})
    new = await api(Meetup, "create", name="new", info={"city": "Lima", "size": 40})
    await api(Meetup, "create", name="empty")
    await api(Talk, "bulk_create", [
        Talk(title="a", given=dt.datetime(2019, 5, 1, tzinfo=UTC), meetup_id=old.id),
        Talk(title="b", given=dt.datetime(2024, 5, 1, tzinfo=UTC), meetup_id=old.id),
        Talk(title="c", given=dt.datetime(2024, 6, 1, 20, tzinfo=UTC), meetup_id=new.id),
    ])


async def names(api: Api, queryset: ormada.QuerySet[Any]) -> set[str]:
    return {getattr(row, "name", None) or row.title for row in await api.list(queryset)}


async def test_forward_and_reverse_transforms(talks: None, api: Api) -> None:
    assert await names(api, Talk.filter(meetup__info__city="Oslo", given__year=2024)) == {"b"}
    assert await names(api, Talk.filter(meetup__info__size__gt=20)) == {"c"}
    assert await names(api, Meetup.filter(talks__given__year=2024).distinct()) == {"old", "new"}
    assert await names(api, Meetup.filter(talks__given__hour=20)) == {"new"}
    assert await names(api, Meetup.exclude(talks__given__year=2019)) == {"new", "empty"}
    assert await names(api, Meetup.exclude(talks__given__date__gte=dt.date(2024, 6, 1))) == {"old", "empty"}
