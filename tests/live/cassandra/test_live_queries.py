"""Read paths against a real node, sync and async: indexes, keys, limits, projections,
paging (also resumed in another process), token scans and materialized views.

Every test reads rows a module fixture wrote into this module's own tables, so the
expected results are exact.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from live_query_models import QUERY_MODELS, QBulk, QEvent, QFeed, QItem, QPerson, QPersonByCity, QSpread

import ormada
from conftest import HOSTS
from ormada import DeferredFieldError, NotSupported, QueryError
from ormada.backends.cassandra import Page
from ormada.backends.cassandra.paging import MAX_TOKEN, MIN_TOKEN

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
BULK = 250
SPREAD = 250


@pytest.fixture(scope="module")
def db(keyspace: str) -> Any:
    database = ormada.get_database("cassandra_live")
    database.create_all(list(QUERY_MODELS))
    return database


def _save_all(rows: list[Any]) -> None:
    """Writes the rows one INSERT each (bulk_create on Cassandra is covered by its own test below)."""
    for row in rows:
        row.save()


ITEMS: dict[str, dict[str, Any]] = {
    "a": {"kind": "red", "level": 1, "rank": 10, "code": "alpha", "note": "engine hot", "weight": 5,
          "tags": {"x", "y"}, "flags": {"f1"}, "attrs": {"k": 1}, "labels": {"zone": "n"}, "plain": 1},
    "b": {"kind": "red", "level": 5, "rank": 20, "code": "beta", "note": "engine cold", "weight": 15,
          "tags": {"y"}, "flags": {"f2"}, "attrs": {"k": 2, "j": 3}, "labels": {"dc": "e"}, "plain": 2},
    "c": {"kind": "blue", "level": 9, "rank": 30, "code": "gamma", "note": "hotel room", "weight": 25,
          "tags": {"z"}, "flags": {"f1", "f2"}, "attrs": {"j": 1}, "labels": {"zone": "s", "dc": "w"}, "plain": 3},
    "d": {"kind": "blue", "level": 5, "rank": 40, "code": "delta", "note": "cold engine", "weight": 35,
          "plain": 2},
}


@pytest.fixture(scope="module")
def items(db: Any) -> None:
    _save_all([QItem(id=key, **values) for key, values in ITEMS.items()])


# s1: seq 1..5 with sub 0 and 1; s2: seq 1..3; s3: seq 1..2. value = 10 * seq + sub.
EVENTS = [("s1", seq, sub) for seq in range(1, 6) for sub in (0, 1)] + \
         [("s2", seq, 0) for seq in range(1, 4)] + [("s3", seq, 0) for seq in range(1, 3)]
FEEDS = {"f1": (1, 3, 5), "f2": (2, 4, 6)}


@pytest.fixture(scope="module")
def events(db: Any) -> None:
    _save_all([QEvent(stream=s, seq=seq, sub=sub, value=10 * seq + sub, label=f"{s}-{seq}-{sub}")
                        for s, seq, sub in EVENTS])
    _save_all([QFeed(feed=feed, at=at, body=f"{feed}@{at}") for feed, ats in FEEDS.items() for at in ats])


@pytest.fixture(scope="module")
def bulk(db: Any) -> None:
    _save_all([QBulk(bucket="b", n=n, payload=f"p{n}") for n in range(BULK)])
    _save_all([QBulk(bucket="c", n=n) for n in range(3)])


@pytest.fixture(scope="module")
def spread(db: Any) -> None:
    _save_all([QSpread(id=i, value=i * 2) for i in range(SPREAD)])


def ids(rows: Any) -> set[str]:
    return {r.id for r in rows}


def keys(rows: Any) -> list[tuple[int, int]]:
    return [(r.seq, r.sub) for r in rows]


# -- indexes --------------------------------------------------------------------------------


def test_secondary_index_equality(items: None) -> None:
    assert ids(QItem.filter(kind="red")) == {"a", "b"}
    assert ids(QItem.filter(kind="blue").all()) == {"c", "d"}
    assert QItem.filter(kind="green").all() == []
    assert QItem.filter(kind="red").count() == 2


def test_sai_equality_and_ranges(items: None) -> None:
    assert ids(QItem.filter(level=5)) == {"b", "d"}
    assert ids(QItem.filter(level__gte=5)) == {"b", "c", "d"}
    assert ids(QItem.filter(level__gt=5)) == {"c"}
    assert ids(QItem.filter(level__lt=5)) == {"a"}
    assert ids(QItem.filter(level__lte=5, level__gt=1)) == {"b", "d"}
    assert ids(QItem.filter(level__range=(2, 9))) == {"b", "c", "d"}
    assert ids(QItem.filter(code="gamma")) == {"c"}


def test_several_sai_filters_combine_without_allow_filtering(items: None) -> None:
    assert ids(QItem.filter(level__gte=5, rank__lt=40)) == {"b", "c"}
    assert ids(QItem.filter(level=5, rank__gte=40, code="delta")) == {"d"}


def test_sasi_like_patterns_and_equality(items: None) -> None:
    assert ids(QItem.filter(note__startswith="engine")) == {"a", "b"}
    assert ids(QItem.filter(note__contains="engine")) == {"a", "b", "d"}
    assert ids(QItem.filter(note__contains="hot")) == {"a", "c"}
    assert ids(QItem.filter(note__endswith="cold")) == {"b"}
    assert ids(QItem.filter(note__like="cold%")) == {"d"}
    assert ids(QItem.filter(note="hotel room")) == {"c"}
    assert QItem.filter(note__startswith="zzz").all() == []


def test_sasi_ranges_on_a_number(items: None) -> None:
    assert ids(QItem.filter(weight__gte=15, weight__lt=35)) == {"b", "c"}
    assert ids(QItem.filter(weight=35)) == {"d"}


def test_collection_indexes_contains_and_contains_key(items: None) -> None:
    assert ids(QItem.filter(tags__contains="y")) == {"a", "b"}       # secondary index on a set
    assert ids(QItem.filter(flags__contains="f2")) == {"b", "c"}     # SAI on a set
    assert ids(QItem.filter(attrs__contains=1)) == {"a", "c"}        # VALUES(map)
    assert ids(QItem.filter(labels__contains_key="zone")) == {"a", "c"}  # KEYS(map)
    assert ids(QItem.filter(labels__contains_key="dc")) == {"b", "c"}


async def test_indexes_async(items: None) -> None:
    assert ids(await QItem.filter(kind="red")) == {"a", "b"}
    assert ids(await QItem.filter(level__gte=5, rank__lt=40).aall()) == {"b", "c"}
    assert ids(await QItem.filter(note__contains="hot")) == {"a", "c"}
    assert ids([r async for r in QItem.filter(labels__contains_key="zone")]) == {"a", "c"}
    assert await QItem.filter(flags__contains="f1").acount() == 2
    assert await QItem.filter(weight__gt=30).aexists()
    assert not await QItem.filter(code="nope").aexists()


def test_like_on_sai_text_is_refused_before_sending(db: Any, keyspace: str, items: None) -> None:
    for lookup in ("code__startswith", "code__contains", "code__endswith", "code__like"):
        with pytest.raises(NotSupported, match=r"QItem\.code__\w+: CQL matches text patterns \(LIKE\) only on a "
                                               r"SASI index \(an SAI index serves = and ranges, not LIKE\)"):
            QItem.filter(**{lookup: "al"}).all()
    # The refusal is right: Apache Cassandra 5's SAI does refuse LIKE.
    with pytest.raises(QueryError):
        db.execute(f"SELECT id FROM {keyspace}.q_item WHERE code LIKE :p", {"p": "al%"})


async def test_like_on_sai_text_is_refused_async(items: None) -> None:
    with pytest.raises(NotSupported, match="only on a SASI index"):
        await QItem.filter(code__startswith="al").aall()


def test_mixed_index_kinds_need_allow_filtering(items: None) -> None:
    alone = "an index other than SAI serves a query only alone"
    with pytest.raises(NotSupported, match=rf"QItem: filtering on level \({alone}\)"):
        QItem.filter(kind="red", level=5).all()                    # secondary index + SAI
    with pytest.raises(NotSupported, match=alone):
        QItem.filter(note__contains="engine", level__gte=5).all()  # SASI + SAI
    with pytest.raises(NotSupported, match=alone):
        QItem.filter(kind="blue", weight=35).all()                 # secondary index + SASI
    assert ids(QItem.filter(kind="red", level=5).allow_filtering()) == {"b"}
    assert ids(QItem.filter(note__contains="engine", level__gte=5).allow_filtering()) == {"b", "d"}
    assert ids(QItem.filter(kind="blue", weight=35).allow_filtering()) == {"d"}


def test_ranges_refused_where_the_index_cannot_serve_them(items: None) -> None:
    with pytest.raises(NotSupported, match=r"QItem: filtering on note__gt needs ALLOW FILTERING"):
        QItem.filter(note__gt="a").all()                           # SASI on text: no ranges
    with pytest.raises(NotSupported, match=r"kind__gte needs ALLOW FILTERING"):
        QItem.filter(kind__gte="b").all()                          # secondary index: = only
    with pytest.raises(NotSupported, match="case-sensitive"):
        QItem.filter(note__icontains="ENGINE").all()
    assert ids(QItem.filter(kind__gte="c").allow_filtering()) == {"a", "b"}


def test_partition_in_with_an_indexed_filter_is_refused(db: Any, keyspace: str, items: None) -> None:
    with pytest.raises(NotSupported, match=r"QItem: CQL cannot combine __in on the partition key \(id\) with a "
                                           r"filter an index answers \(level__gt\)"):
        QItem.filter(id__in=["a", "b"], level__gt=1).all()
    with pytest.raises(NotSupported, match="cannot combine __in on the partition key"):
        QItem.filter(id__in=["a", "b"], kind="red").allow_filtering().all()
    # The refusal is right: the server refuses it whatever ALLOW FILTERING says.
    with pytest.raises(QueryError, match="IN clause for the PRIMARY KEY are not supported"):
        db.execute(f"SELECT id FROM {keyspace}.q_item WHERE id IN ('a', 'b') AND level > 1 ALLOW FILTERING")
    assert ids(QItem.filter(id__in=["a", "b", "c"], plain=2).allow_filtering()) == {"b"}  # a scan, not an index
    assert ids(QItem.filter(id="b", level__gt=1)) == {"b"}


# -- allow_filtering ---------------------------------------------------------------------------


def test_non_key_filter_needs_allow_filtering(items: None) -> None:
    with pytest.raises(NotSupported) as caught:
        QItem.filter(plain=2).all()
    message = str(caught.value)
    assert message.startswith("QItem: filtering on plain needs ALLOW FILTERING")
    assert ".allow_filtering()" in message
    assert ids(QItem.filter(plain=2).allow_filtering()) == {"b", "d"}
    assert ids(QItem.filter(plain__gt=1).allow_filtering()) == {"b", "c", "d"}
    assert QItem.filter(plain=2).allow_filtering().count() == 2
    assert not QItem.filter(plain=99).allow_filtering().exists()


async def test_non_key_filter_needs_allow_filtering_async(items: None) -> None:
    with pytest.raises(NotSupported, match="QItem: filtering on plain"):
        await QItem.filter(plain=2).acount()
    assert ids(await QItem.filter(plain=2).allow_filtering()) == {"b", "d"}
    assert await QItem.filter(plain__lt=2).allow_filtering().acount() == 1


# -- partition and clustering keys -------------------------------------------------------------

S1 = [(seq, sub) for seq in range(1, 6) for sub in (1, 0)]  # the clustering order: seq ASC, sub DESC


def test_partition_and_clustering_equality(events: None) -> None:
    assert keys(QEvent.filter(stream="s1")) == S1
    assert keys(QEvent.filter(stream="s1", seq=2)) == [(2, 1), (2, 0)]
    got = QEvent.get(stream="s1", seq=2, sub=0)
    assert (got.value, got.label) == (20, "s1-2-0")
    assert QEvent.filter(stream="s1", seq=2, sub=1).get().value == 21
    assert QEvent.get_or_none(stream="s1", seq=9, sub=0) is None
    with pytest.raises(QEvent.DoesNotExist):
        QEvent.get(stream="nope", seq=1, sub=0)
    with pytest.raises(QEvent.MultipleObjectsReturned):
        QEvent.filter(stream="s1", seq=2).get()


def test_in_on_partition_key(events: None) -> None:
    rows = QEvent.filter(stream__in=["s2", "s3"]).all()
    assert sorted((r.stream, r.seq) for r in rows) == [("s2", 1), ("s2", 2), ("s2", 3), ("s3", 1), ("s3", 2)]
    assert QEvent.filter(stream__in=["s3", "nope"]).count() == 2
    assert keys(QEvent.filter(stream="s1", seq__in=[4, 2])) == [(2, 1), (2, 0), (4, 1), (4, 0)]


def test_clustering_ranges(events: None) -> None:
    part = QEvent.filter(stream="s1")
    assert keys(part.filter(seq__gte=2, seq__lt=4)) == [(2, 1), (2, 0), (3, 1), (3, 0)]
    assert keys(part.filter(seq__gt=4)) == [(5, 1), (5, 0)]
    assert keys(part.filter(seq__range=(1, 2))) == [(1, 1), (1, 0), (2, 1), (2, 0)]
    assert keys(part.filter(seq=3, sub__lt=1)) == [(3, 0)]
    with pytest.raises(NotSupported, match="clustering columns before it"):
        part.filter(sub=1).all()


def test_order_by_clustering_both_directions(events: None) -> None:
    part = QEvent.filter(stream="s1")
    assert keys(part.order_by("seq")) == S1
    assert keys(part.order_by("seq", "-sub")) == S1
    assert keys(part.order_by("-seq")) == S1[::-1]
    assert keys(part.order_by("-seq", "sub")) == S1[::-1]
    assert keys(part.filter(seq__gte=4).order_by("-seq").limit(3)) == [(5, 0), (5, 1), (4, 0)]
    with pytest.raises(NotSupported, match="declared direction or reverse them all"):
        part.order_by("seq", "sub").all()
    with pytest.raises(NotSupported, match="CQL sorts only by clustering columns"):
        part.order_by("value").all()
    feed = QFeed.filter(feed="f1")
    assert [r.at for r in feed] == [5, 3, 1]
    assert [r.at for r in feed.order_by("at")] == [1, 3, 5]
    assert [r.at for r in feed.order_by("-at")] == [5, 3, 1]


def test_first_last_reverse_follow_clustering_order(events: None) -> None:
    part = QEvent.filter(stream="s1")
    first, last = part.first(), part.last()
    assert first is not None and last is not None
    assert ((first.seq, first.sub), (last.seq, last.sub)) == ((1, 1), (5, 0))
    assert keys(part.reverse()) == S1[::-1]
    assert keys(part.reverse().reverse()) == S1
    assert keys(part.order_by("-seq").reverse()) == S1
    feed = QFeed.filter(feed="f2")
    assert (feed.first().at, feed.last().at) == (6, 2)  # type: ignore[union-attr]
    assert [r.at for r in feed.reverse()] == [2, 4, 6]
    assert QFeed.filter(feed="nope").first() is None and QFeed.filter(feed="nope").last() is None
    with pytest.raises(NotSupported, match="partition key"):
        QEvent.query().last()  # no partition: CQL cannot order


async def test_keys_and_ordering_async(events: None) -> None:
    part = QEvent.filter(stream="s1")
    assert keys(await part) == S1
    assert keys(await part.order_by("-seq").aall()) == S1[::-1]
    first, last = await part.afirst(), await part.alast()
    assert first is not None and last is not None
    assert ((first.seq, first.sub), (last.seq, last.sub)) == ((1, 1), (5, 0))
    assert (await QEvent.aget(stream="s2", seq=3, sub=0)).value == 30
    assert keys(await part.filter(seq__gt=4)) == [(5, 1), (5, 0)]
    assert sorted(r.stream for r in await QEvent.filter(stream__in=["s2", "s3"])) == ["s2"] * 3 + ["s3"] * 2


def test_indexed_reads_keep_clustering_order_and_refuse_ordering(db: Any, keyspace: str, events: None) -> None:
    part = QEvent.filter(stream="s1")
    assert keys(part.filter(value__gte=30)) == [(3, 1), (3, 0), (4, 1), (4, 0), (5, 1), (5, 0)]
    assert keys(QEvent.filter(value__gte=50)) == [(5, 1), (5, 0)]
    assert [(r.stream, r.seq) for r in QEvent.filter(label="s2-3-0")] == [("s2", 3)]
    first = part.filter(value__gte=30).first()
    assert first is not None and (first.seq, first.sub) == (3, 1)
    refused = r"QEvent: CQL cannot order a query an index answers \(value__gte\)"
    with pytest.raises(NotSupported, match=refused):
        part.filter(value__gte=30).order_by("-seq").all()
    with pytest.raises(NotSupported, match=refused):
        part.filter(value__gte=30).last()
    with pytest.raises(NotSupported, match=refused):
        part.filter(value__gte=30).reverse().all()
    with pytest.raises(NotSupported, match=r"index answers \(label\)"):
        part.filter(label="s1-2-0").order_by("seq").all()
    # The refusal is right: the server refuses ORDER BY on any indexed read.
    with pytest.raises(QueryError, match="ORDER BY with 2ndary indexes is not supported"):
        db.execute(f"SELECT seq FROM {keyspace}.q_event WHERE stream = 's1' AND value >= 30 ORDER BY seq DESC "
                   "ALLOW FILTERING")


async def test_indexed_reads_refuse_ordering_async(events: None) -> None:
    part = QEvent.filter(stream="s1", value__gte=30)
    assert keys(await part) == [(3, 1), (3, 0), (4, 1), (4, 0), (5, 1), (5, 0)]
    with pytest.raises(NotSupported, match="cannot order a query an index answers"):
        await part.alast()
    with pytest.raises(NotSupported, match="cannot order a query an index answers"):
        await part.order_by("-seq")


def test_in_with_order_by_is_read_unpaged(events: None) -> None:
    both = QFeed.filter(feed__in=["f1", "f2"])
    assert [r.at for r in both.order_by("at")] == [1, 2, 3, 4, 5, 6]
    assert [r.at for r in both.order_by("-at").all()] == [6, 5, 4, 3, 2, 1]
    assert [r.at for r in both.order_by("at").limit(4)] == [1, 2, 3, 4]
    assert [r.at for r in both.order_by("at").iterator(chunk_size=2)] == [1, 2, 3, 4, 5, 6]
    assert both.order_by("at").last().at == 6  # type: ignore[union-attr]
    with pytest.raises(NotSupported, match="cannot page a read ordered across the partitions of an __in"):
        both.order_by("at").page(2)
    with pytest.raises(NotSupported, match="drop page\\(\\)/fetch_size\\(\\)"):
        both.order_by("at").fetch_size(2).all()
    assert sorted(r.at for r in both.fetch_size(2)) == [1, 2, 3, 4, 5, 6]  # no ORDER BY: pages fine


async def test_in_with_order_by_is_read_unpaged_async(events: None) -> None:
    both = QFeed.filter(feed__in=["f1", "f2"]).order_by("-at")
    assert [r.at for r in await both] == [6, 5, 4, 3, 2, 1]
    assert [r.at async for r in both.aiterator(chunk_size=2)] == [6, 5, 4, 3, 2, 1]
    with pytest.raises(NotSupported, match="__in"):
        await both.apage(2)


# -- limits, counts, exists, distinct ------------------------------------------------------------


def test_limit_and_per_partition_limit(events: None) -> None:
    assert keys(QEvent.filter(stream="s1").limit(3)) == [(1, 1), (1, 0), (2, 1)]
    assert QEvent.filter(stream="s1").limit(0).all() == []
    firsts = QEvent.filter(stream__in=["s1", "s2", "s3"]).per_partition_limit(1).all()
    assert sorted((r.stream, r.seq, r.sub) for r in firsts) == [("s1", 1, 1), ("s2", 1, 0), ("s3", 1, 0)]
    two = QEvent.query().per_partition_limit(2).all()
    assert sorted((r.stream, r.seq, r.sub) for r in two) == [
        ("s1", 1, 0), ("s1", 1, 1), ("s2", 1, 0), ("s2", 2, 0), ("s3", 1, 0), ("s3", 2, 0)]
    assert len(QEvent.query().per_partition_limit(2).limit(4).all()) == 4


def test_counts_honour_limit_distinct_and_per_partition_limit(events: None) -> None:
    assert QEvent.query().count() == len(EVENTS)
    assert QEvent.filter(stream="s1").count() == 10
    assert QEvent.filter(stream="s1", seq__gte=4).count() == 4
    assert QEvent.filter(stream="s1").limit(4).count() == 4
    assert QEvent.filter(stream="s1").limit(100).count() == 10
    assert QEvent.query().per_partition_limit(1).count() == 3
    assert QEvent.query().per_partition_limit(2).count() == 6
    assert QEvent.query().per_partition_limit(2).limit(5).count() == 5
    assert QEvent.query().values_list("stream").distinct().count() == 3
    assert QEvent.filter(stream="nope").count() == 0


def test_exists(events: None) -> None:
    assert QEvent.filter(stream="s3").exists()
    assert QEvent.filter(stream="s1", seq=5, sub=1).exists()
    assert not QEvent.filter(stream="s1", seq=6).exists()
    assert not QEvent.filter(stream="nope").exists()


def test_distinct_partition_keys(events: None) -> None:
    assert sorted(QEvent.query().values_list("stream", flat=True).distinct()) == ["s1", "s2", "s3"]
    assert sorted(QEvent.query().values_list("stream").distinct().all()) == [("s1",), ("s2",), ("s3",)]
    assert sorted(d["stream"] for d in QEvent.query().values("stream").distinct()) == ["s1", "s2", "s3"]
    with pytest.raises(NotSupported, match="DISTINCT selects partition-key"):
        QEvent.query().values_list("seq").distinct().all()


def test_distinct_filters_only_on_partition_keys(db: Any, keyspace: str, events: None) -> None:
    streams = QEvent.query().values_list("stream", flat=True).distinct()
    assert sorted(streams.filter(stream__in=["s1", "s3"])) == ["s1", "s3"]
    assert sorted(streams.token(gt=MIN_TOKEN)) == ["s1", "s2", "s3"]
    with pytest.raises(NotSupported, match=r"QEvent: CQL DISTINCT filters only on partition-key and static columns "
                                           r"\(and token\), not on value"):
        streams.filter(value=20).all()
    with pytest.raises(NotSupported, match="DISTINCT filters only"):
        streams.filter(value=20).count()
    # The refusal is right: the server refuses it.
    with pytest.raises(QueryError, match="SELECT DISTINCT with WHERE clause only supports restriction"):
        db.execute(f"SELECT DISTINCT stream FROM {keyspace}.q_event WHERE value = 20")


async def test_limits_counts_distinct_async(events: None) -> None:
    assert await QEvent.query().acount() == len(EVENTS)
    assert await QEvent.filter(stream="s1").limit(3).acount() == 3
    assert await QEvent.query().per_partition_limit(1).acount() == 3
    assert await QEvent.query().values_list("stream").distinct().acount() == 3
    assert sorted(await QEvent.query().values_list("stream", flat=True).distinct()) == ["s1", "s2", "s3"]
    assert keys(await QEvent.filter(stream="s1").limit(2)) == [(1, 1), (1, 0)]
    assert await QEvent.filter(stream="s2").aexists()
    assert not await QEvent.filter(stream="s2", seq=4).aexists()


# -- projections -------------------------------------------------------------------------------


def test_only_and_defer(events: None) -> None:
    rows = QEvent.filter(stream="s2").only("value").all()
    assert [(r.stream, r.seq, r.sub, r.value) for r in rows] == [("s2", 1, 0, 10), ("s2", 2, 0, 20), ("s2", 3, 0, 30)]
    with pytest.raises(DeferredFieldError, match=r"QEvent\.label was not loaded"):
        _ = rows[0].label
    deferred = QEvent.filter(stream="s2", seq=1).defer("label").get()
    assert (deferred.seq, deferred.value) == (1, 10)
    with pytest.raises(DeferredFieldError):
        _ = deferred.label


def test_values_and_values_list(events: None) -> None:
    part = QEvent.filter(stream="s2")
    assert part.values("seq", "value").all() == [{"seq": 1, "value": 10}, {"seq": 2, "value": 20},
                                                  {"seq": 3, "value": 30}]
    assert part.filter(seq=1).values().all() == [
        {"stream": "s2", "seq": 1, "sub": 0, "value": 10, "label": "s2-1-0"}]
    assert part.values_list("seq", "label").all() == [(1, "s2-1-0"), (2, "s2-2-0"), (3, "s2-3-0")]
    assert part.values_list("value", flat=True).all() == [10, 20, 30]
    assert part.order_by("-seq").values_list("value", flat=True).limit(2).all() == [30, 20]


async def test_projections_async(events: None) -> None:
    part = QEvent.filter(stream="s2")
    assert await part.values("seq", "value") == [{"seq": 1, "value": 10}, {"seq": 2, "value": 20},
                                                 {"seq": 3, "value": 30}]
    assert await part.values_list("value", flat=True) == [10, 20, 30]
    assert await part.values_list("seq", "sub").aall() == [(1, 0), (2, 0), (3, 0)]
    only = await part.only("label").afirst()
    assert only is not None and only.label == "s2-1-0"
    with pytest.raises(DeferredFieldError):
        _ = only.value


# -- paging ---------------------------------------------------------------------------------------


def test_fetch_size_and_iterator_read_every_row_once(bulk: None, spread: None) -> None:
    part = QBulk.filter(bucket="b")
    assert [r.n for r in part.fetch_size(40).all()] == list(range(BULK))
    assert [r.n for r in part.iterator(chunk_size=37)] == list(range(BULK))
    assert [n for n in part.values_list("n", flat=True).iterator(chunk_size=100)] == list(range(BULK))
    assert sorted(r.id for r in QSpread.query().iterator(chunk_size=64)) == list(range(SPREAD))


async def test_fetch_size_and_iterator_async(bulk: None) -> None:
    part = QBulk.filter(bucket="b")
    assert [r.n for r in await part.fetch_size(40)] == list(range(BULK))
    assert [r.n async for r in part.aiterator(chunk_size=37)] == list(range(BULK))


def test_pages_resume_with_no_overlap_and_no_gap(bulk: None) -> None:
    part = QBulk.filter(bucket="b")
    first = part.page(100)
    assert isinstance(first, Page)
    assert [r.n for r in first] == list(range(100)) and first.has_more
    assert isinstance(first.paging_state, bytes)
    second = part.page(100, first.paging_state)
    assert [r.n for r in second.rows] == list(range(100, 200)) and second.has_more
    third = part.page(100, second.paging_state)
    assert [r.n for r in third] == list(range(200, BULK))
    assert third.paging_state is None and not third.has_more
    # A state resumes the same query again and again, with any page size.
    assert [r.n for r in part.page(5, first.paging_state)] == list(range(100, 105))
    assert [r.n for r in part.paging_state(first.paging_state).fetch_size(3).page(3, first.paging_state)] == \
        [100, 101, 102]


def test_pages_across_partitions_cover_the_table(spread: None) -> None:
    seen: list[int] = []
    page = QSpread.query().page(100)
    sizes = [len(page)]
    seen += [r.id for r in page]
    while page.has_more:
        page = QSpread.query().page(100, page.paging_state)
        sizes.append(len(page))
        seen += [r.id for r in page]
    assert sorted(seen) == list(range(SPREAD))  # every row once: no overlap, no gap
    assert sizes[:2] == [100, 100] and sum(sizes) == SPREAD


async def test_pages_async(bulk: None) -> None:
    part = QBulk.filter(bucket="b")
    first = await part.apage(120)
    second = await part.apage(120, first.paging_state)
    third = await part.apage(120, second.paging_state)
    assert [r.n for r in [*first, *second, *third]] == list(range(BULK))
    assert [len(first), len(second), len(third)] == [120, 120, 10] and not third.has_more
    mixed = part.page(120, first.paging_state)  # an async page's state resumes a sync read
    assert [r.n for r in mixed] == [r.n for r in second]


RESUME = """
import json, sys
root, here, hosts, keyspace, bucket, size, state = sys.argv[1:8]
sys.path[:0] = [root, here]
import ormada
ormada.connect(f"cassandra://{hosts}/{keyspace}", name="cassandra_live")
from live_query_models import QBulk
page = QBulk.filter(bucket=bucket).page(int(size), bytes.fromhex(state))
print(json.dumps({"n": [r.n for r in page], "state": page.paging_state.hex() if page.paging_state else None}))
"""


def _resume_elsewhere(keyspace: str, bucket: str, size: int, state: str) -> dict[str, Any]:
    """Reads one page in a new Python process, resuming from ``state`` (hex)."""
    args = [sys.executable, "-c", RESUME, str(ROOT), str(HERE), HOSTS, keyspace, bucket, str(size), state]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ})
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_paging_state_resumes_in_another_process(keyspace: str, bulk: None) -> None:
    part = QBulk.filter(bucket="b")
    first = part.page(90)
    assert first.paging_state is not None
    there = _resume_elsewhere(keyspace, "b", 90, first.paging_state.hex())
    assert there["n"] == list(range(90, 180)) and there["state"] is not None
    # And back: the other process's state resumes here.
    last = part.page(90, bytes.fromhex(there["state"]))
    assert [r.n for r in last] == list(range(180, BULK)) and not last.has_more


def test_damaged_or_foreign_paging_state_is_refused(spread: None, bulk: None) -> None:
    part = QBulk.filter(bucket="b")
    state = part.page(10).paging_state
    assert state is not None
    flipped = state[:-1] + bytes([state[-1] ^ 0xFF])
    foreign = QSpread.query().page(10).paging_state
    other_values = QBulk.filter(bucket="c").page(1).paging_state
    assert foreign is not None and other_values is not None
    for bad in (flipped, state[:-3], state[:5], b"", foreign, b"\x00" * len(state)):
        with pytest.raises(QueryError, match="QBulk: this paging state does not belong to this query"):
            part.page(10, bad)
    with pytest.raises(QueryError, match="does not belong to this query"):
        part.page(10, state.hex())  # type: ignore[arg-type]  # text, not the bytes it encodes
    with pytest.raises(QueryError, match="does not belong to this query"):
        QBulk.filter(bucket="c").page(10, state)  # the same query with another value
    with pytest.raises(QueryError, match="does not belong to this query"):
        part.page(10, other_values)
    with pytest.raises(QueryError, match="does not belong to this query"):
        part.filter(n__gte=0).page(10, state)  # another filter
    assert [r.n for r in part.page(10, state)] == list(range(10, 20))  # the good state still works


async def test_damaged_paging_state_is_refused_async(bulk: None) -> None:
    part = QBulk.filter(bucket="b")
    state = (await part.apage(10)).paging_state
    assert state is not None
    with pytest.raises(QueryError, match="does not belong to this query"):
        await part.apage(10, state[:-1] + bytes([state[-1] ^ 1]))


# -- token ranges -----------------------------------------------------------------------------------


def _tokens(db: Any, keyspace: str) -> dict[int, int]:
    """Each row's partition token, as the server computes it."""
    return dict(db.execute(f"SELECT id, token(id) FROM {keyspace}.q_spread"))


def test_scan_reads_every_row_exactly_once(db: Any, keyspace: str, spread: None) -> None:
    tokens = _tokens(db, keyspace)
    assert sorted(tokens) == list(range(SPREAD))
    parts = QSpread.query().scan(8)
    assert len(parts) == 8
    seen: list[int] = []
    for part in parts:
        rows = part.all()
        low, high = part.state.options["token_gt"], part.state.options["token_lte"]
        assert all(low < tokens[r.id] <= high for r in rows)
        seen += [r.id for r in rows]
    assert sorted(seen) == list(range(SPREAD))
    assert sum(part.count() for part in parts) == SPREAD


def test_token_lookups_split_the_ring(db: Any, keyspace: str, spread: None) -> None:
    tokens = _tokens(db, keyspace)
    low = {i for i, t in tokens.items() if t <= 0}
    assert ids(QSpread.query().token(gt=MIN_TOKEN, lte=0)) == low
    assert ids(QSpread.query().token(gt=0, lte=MAX_TOKEN)) == set(tokens) - low
    assert ids(QSpread.filter(token__gt=0)) == set(tokens) - low
    assert ids(QSpread.filter(token__lte=0)) == low
    assert ids(QSpread.query().token(gte=tokens[17], lte=tokens[17])) == {17}
    assert ids(QSpread.filter(token__gte=tokens[17], token__lte=tokens[17])) == {17}
    assert ids(QSpread.filter(token__exact=tokens[17])) == {17}


def test_token_equality_lookup(db: Any, keyspace: str, spread: None) -> None:
    tokens = _tokens(db, keyspace)
    assert ids(QSpread.filter(token=tokens[17])) == {17}


async def test_scan_async(spread: None) -> None:
    parts = QSpread.query().scan(5)
    found = await asyncio.gather(*(part.aall() for part in parts))
    assert sorted(r.id for rows in found for r in rows) == list(range(SPREAD))
    assert sum([await part.acount() for part in parts]) == SPREAD


# -- materialized views -------------------------------------------------------------------------------


def _poll(read: Any, want: int) -> Any:
    """Reads until the view shows ``want`` rows: views are updated asynchronously."""
    rows = read()
    for _ in range(200):
        if len(rows) >= want:
            break
        time.sleep(0.05)
        rows = read()
    return rows


def test_materialized_view_reads_the_base_table_rows(db: Any) -> None:
    city = f"city-{uuid.uuid4().hex[:8]}"
    people = [QPerson.create(city=city, name=name) for name in ("ann", "bob", "cy")]
    QPerson.create(city=f"{city}-other", name="dee")
    rows = _poll(lambda: QPersonByCity.filter(city=city).all(), 3)
    assert sorted((r.id, r.name) for r in rows) == sorted((p.id, p.name) for p in people)
    assert [r.id for r in rows] == sorted(p.id for p in people)  # clustered by id
    assert QPersonByCity.get(city=city, id=people[1].id).name == "bob"
    assert sorted(QPersonByCity.filter(city=city).values_list("name", flat=True)) == ["ann", "bob", "cy"]


async def test_materialized_view_async(db: Any) -> None:
    city = f"city-{uuid.uuid4().hex[:8]}"
    person = await QPerson.acreate(city=city, name="eve")
    rows: list[Any] = await QPersonByCity.filter(city=city)
    for _ in range(200):
        if rows:
            break
        await asyncio.sleep(0.05)
        rows = await QPersonByCity.filter(city=city)
    assert [(r.id, r.name) for r in rows] == [(person.id, "eve")]
    assert await QPersonByCity.filter(city=city).acount() == 1


# -- defects shown on the read fixtures' write path ---------------------------------------------------


def test_bulk_create_then_read_back(db: Any) -> None:
    QSpread.bulk_create([QSpread(id=SPREAD + i, value=-1) for i in range(3)])
    assert ids(QSpread.filter(id__in=[SPREAD, SPREAD + 1, SPREAD + 2])) == {SPREAD, SPREAD + 1, SPREAD + 2}
