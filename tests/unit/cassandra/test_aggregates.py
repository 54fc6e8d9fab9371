"""Aggregates on Cassandra: ``aggregate()`` with CQL's own count/sum/avg/min/max within
what the WHERE allows; ``annotate()`` (GROUP BY across rows, joins) and what CQL cannot
aggregate are refused before anything is sent, saying what to do instead."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ormada import Avg, Count, Max, Min, NotSupported, Q, StdDev, Sum

from .models import Reading, User


def _sent(qs: Any, *args: Any, **named: Any) -> Any:
    return next(qs._aggregate(qs._db, args, named))


def test_aggregate_maps_to_cql_aggregates_within_one_partition() -> None:
    qs = Reading.filter(sensor="s1", day=dt.date(2024, 1, 2))
    statement = _sent(qs, n=Count("*"), total=Sum("seq"), mean=Avg("value"), low=Min("at"), high=Max("value"))
    assert statement.text == (
        "SELECT count(*), sum(CAST(seq AS varint)), avg(CAST(value AS double)), min(at), max(value), count(*) "
        "FROM shop.reading WHERE sensor = ? AND day = ?")
    assert next(iter(statement.params)) == "s1"


def test_an_empty_result_gives_none_but_for_count() -> None:
    qs = Reading.filter(sensor="s1", day=dt.date(2024, 1, 2))
    specs_op = qs._aggregate(qs._db, (), {"n": Count("*"), "total": Sum("seq"), "mean": Avg("value")})
    next(specs_op)
    with pytest.raises(StopIteration) as stop:
        specs_op.send([(0, 0, 0.0, 0)])  # CQL sums and averages no rows to 0
    assert stop.value.value == {"n": 0, "total": None, "mean": None}


def test_what_cql_cannot_aggregate_is_refused() -> None:
    qs = Reading.filter(sensor="s1", day=dt.date(2024, 1, 2))
    with pytest.raises(NotSupported, match=r"Reading\.aggregate\(sd\): CQL has no such aggregate.*in Python"):
        _sent(qs, sd=StdDev("value"))
    with pytest.raises(NotSupported, match="no DISTINCT"):
        _sent(qs, n=Count("seq", distinct=True))
    with pytest.raises(NotSupported, match="no FILTER"):
        _sent(qs, n=Count("seq", filter=Q(seq__gt=1)))
    with pytest.raises(NotSupported, match="whatever a LIMIT"):
        _sent(qs[:10], n=Count("*"))


def test_annotate_is_refused_with_the_cql_alternatives() -> None:
    qs = User.annotate(n=Count("version"))
    with pytest.raises(NotSupported, match=r"User\.annotate\(n\): cassandra has no GROUP BY.*table of its own.*Python"):
        qs.statement()
    with pytest.raises(NotSupported, match="no GROUP BY"):
        next(qs._count(qs._db))
