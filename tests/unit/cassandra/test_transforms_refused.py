"""Date parts and JSON key lookups on Cassandra: CQL has no server-side transforms of
non-key columns, so they are refused before anything is sent, saying what to do instead."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ormada import NotSupported

from .models import Reading

DAY = dt.date(2024, 1, 1)


@pytest.mark.parametrize("lookup", [{"at__year": 2024}, {"at__date": DAY}, {"at__hour__gte": 3},
                                    {"day__week_day": 1}])
def test_date_parts_are_refused_with_the_alternative(lookup: dict[str, Any]) -> None:
    qs = Reading.filter(sensor="s1", day=DAY, **lookup)
    with pytest.raises(NotSupported, match=r"Reading\.\w+__\w+: CQL has no server-side transforms .*"
                                           r"filter on a range of the column itself"):
        qs.statement()


@pytest.mark.parametrize("lookup", [{"attrs__size": 3}, {"labels__zone__isnull": True},
                                    {"labels__has_key": "zone"}])
def test_json_keys_are_refused_with_the_alternative(lookup: dict[str, Any]) -> None:
    qs = Reading.filter(sensor="s1", day=DAY, **lookup).allow_filtering()
    with pytest.raises(NotSupported, match=r"Reading\.\w+__\w+: CQL cannot read inside a JSON value.*"
                                           r"columns of their own"):
        qs.statement()


def test_writes_refuse_them_too(backend: Any) -> None:
    state = Reading.filter(sensor="s1", day=DAY, at__year=2024).state
    with pytest.raises(NotSupported, match="no server-side transforms"):
        backend.delete(Reading.__ormada__, state)
