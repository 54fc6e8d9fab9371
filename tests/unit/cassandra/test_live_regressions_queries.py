"""Read-path defects first seen against a live node, pinned offline (nothing is sent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ormada import NotSupported

from .models import Reading

DAY = dt.date(2024, 1, 1)
AT = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)


def test_limit_zero_answers_without_sending() -> None:
    # CQL refuses LIMIT 0 ("LIMIT must be strictly positive"); the unit database's hosts
    # do not exist, so any statement sent here would fail instead of answering.
    none = Reading.filter(sensor="s1", day=DAY).limit(0)
    assert none.all() == []
    assert list(none) == []
    assert none.first() is None and none.last() is None
    assert none.count() == 0
    assert none.exists() is False
    assert list(none.iterator(chunk_size=10)) == []
    assert none.values_list("value", flat=True).all() == []
    assert Reading.filter(sensor="s1", day=DAY)[:0].all() == []


async def test_limit_zero_answers_without_sending_async() -> None:
    none = Reading.filter(sensor="s1", day=DAY).limit(0)
    assert await none == []
    assert await none.afirst() is None and await none.alast() is None
    assert await none.acount() == 0
    assert await none.aexists() is False
    assert [r async for r in none.aiterator(chunk_size=10)] == []


def part() -> Any:
    return Reading.filter(sensor="s1", day=DAY)


@pytest.mark.parametrize("allow", [False, True])
def test_partition_in_with_an_indexed_filter_is_refused(allow: bool) -> None:
    # The server refuses it even with ALLOW FILTERING: "Select on indexed columns and with
    # IN clause for the PRIMARY KEY are not supported".
    for lookups in ({"level__gte": 3}, {"kind": "k"}, {"note__contains": "x"}):
        qs = Reading.filter(sensor__in=["a", "b"], day=DAY, **lookups)
        with pytest.raises(NotSupported, match=r"cannot combine __in on the partition key \(sensor\) with a filter "
                                               r"an index answers \((level__gte|kind|note__contains)\)"):
            (qs.allow_filtering() if allow else qs).statement()


def test_partition_in_with_a_scanned_filter_still_compiles(check: Any) -> None:
    s = Reading.filter(sensor__in=["a", "b"], day=DAY, value__gt=1.0).allow_filtering().statement()
    assert s.text.endswith("WHERE sensor IN ? AND day = ? AND value > ? ALLOW FILTERING")
    check(s)
    check(Reading.filter(sensor="a", day=DAY, at__in=[AT], level=3).statement())  # IN on clustering is fine


def test_order_by_on_an_indexed_read_is_refused() -> None:
    # "ORDER BY with 2ndary indexes is not supported, except for ANN queries", with or without
    # ALLOW FILTERING; reverse() and last() order by the clustering columns too.
    indexed = (part().filter(level__gte=3), part().filter(kind="k"), part().filter(note__startswith="x"),
               part().filter(labels__contains_key="z"), part().filter(kind="k", level=3).allow_filtering())
    for qs in indexed:
        for ordered in (qs.order_by("-at"), qs.order_by("at"), qs.reverse(), qs.allow_filtering().order_by("at")):
            with pytest.raises(NotSupported, match="cannot order a query an index answers"):
                ordered.statement()
        with pytest.raises(NotSupported, match="cannot order a query an index answers"):
            qs.last()


def test_unordered_indexed_and_ordered_scanned_reads_still_compile(check: Any) -> None:
    check(part().filter(level__gte=3).statement())
    s = part().filter(value__gt=1.0).allow_filtering().order_by("at").statement()
    assert "ORDER BY at ASC" in s.text
    check(s)


def test_distinct_filters_only_on_partition_and_static_columns(check: Any) -> None:
    keys = Reading.query().values_list("sensor", "day").distinct()
    for lookups in ({"level": 3}, {"kind": "k"}, {"sensor": "s", "day": DAY, "at": AT}):
        with pytest.raises(NotSupported, match="DISTINCT filters only on partition-key and static columns"):
            keys.filter(**lookups).allow_filtering().statement()
    with pytest.raises(NotSupported, match="DISTINCT filters only"):
        keys.filter(level=3).count()  # count() of a distinct() reads the keys the same way
    check(keys.filter(site="x").allow_filtering().statement())
    check(keys.filter(sensor="s", day=DAY).statement())
    check(keys.token(gt=0).statement())


def test_bare_token_lookup_means_exact() -> None:
    bare = Reading.filter(token=42).statement()
    assert bare.text == Reading.filter(token__exact=42).statement().text
    assert "token(" in bare.text and list(bare.params) == [42]
