"""Compiling reads: SELECT text, bound values, and the filters CQL refuses."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

import pytest

from ormada import NotSupported, Q
from ormada.backends.cassandra import CqlStatement, page_state, scan_states, token_ranges
from ormada.backends.cassandra.paging import seal
from ormada.query.expressions import Lookup

from .models import AllTypes, Event, PageViews, Purchase, Reading, User

DAY = dt.date(2024, 1, 1)
AT = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)
COLS = "sensor, day, at, seq, value, site, tags, samples, attrs, home, note, kind, level, labels"


def part() -> Any:
    return Reading.filter(sensor="s1", day=DAY)


def test_select_by_partition_with_clustering_range_order_and_limit(check: Any) -> None:
    qs = part().filter(at__gte=AT).order_by("-at").limit(10)
    s = qs.statement()
    assert isinstance(s, CqlStatement)
    assert s.text == (f"SELECT {COLS} FROM shop.reading WHERE sensor = ? AND day = ? AND at >= ? "
                      "ORDER BY at DESC LIMIT ?")
    assert s.params == ("s1", DAY, AT, 10)
    assert s.types == ("text", "date", "timestamp", "int")
    assert s.fetch == "rows" and s.idempotent and not s.write
    assert check(s) == []


def test_reversed_order_and_range_lookup(check: Any) -> None:
    s = part().filter(at__range=(AT, AT)).order_by("at", "-seq").statement()
    assert "WHERE sensor = ? AND day = ? AND at >= ? AND at <= ? ORDER BY at ASC, seq DESC" in s.text
    assert s.params == ("s1", DAY, AT, AT)
    check(s)


def test_in_on_partition_and_clustering(check: Any) -> None:
    s = Reading.filter(sensor__in=["a", "b"], day=DAY, at__in=[AT]).statement()
    assert "WHERE sensor IN ? AND day = ? AND at IN ?" in s.text
    assert s.params[0] == ["a", "b"] and s.types[0] == "list<text>"
    check(s)


def test_only_defer_values_list(check: Any) -> None:
    assert part().only("value").statement().text.startswith("SELECT sensor, day, at, seq, value FROM")
    deferred = part().defer("home", "labels").statement().text
    assert "home" not in deferred and "labels" not in deferred
    s = part().values_list("value", flat=True).statement()
    assert s.text.startswith("SELECT value FROM shop.reading")
    check(s)


def test_count_and_exists(backend: Any, check: Any) -> None:
    info = Reading.__ormada__
    c = backend.count(info, part().state)
    assert c.text == "SELECT count(*) FROM shop.reading WHERE sensor = ? AND day = ?"
    e = backend.exists(info, part().state)
    assert e.text == "SELECT sensor, day FROM shop.reading WHERE sensor = ? AND day = ? LIMIT 1"
    check(c)
    check(e)


def test_per_partition_limit_and_allow_filtering(check: Any) -> None:
    s = Reading.filter(value__gt=1.5).per_partition_limit(2).allow_filtering().limit(5).statement()
    assert s.text.endswith("WHERE value > ? PER PARTITION LIMIT ? LIMIT ? ALLOW FILTERING")
    assert s.params == (1.5, 2, 5)
    check(s)


def test_collection_contains_and_contains_key(check: Any) -> None:
    s = part().filter(tags__contains="hot").allow_filtering().statement()
    assert "tags CONTAINS ?" in s.text and s.types[-1] == "text"
    check(s)
    lk = Lookup("labels", "contains_key", "zone")
    from dataclasses import replace

    from ormada.query.resolve import conjoin

    state = replace(Reading.query().state, where=conjoin(None, lk))
    s2 = Reading.__ormada__.model.database().backend.select(Reading.__ormada__, state).statement
    assert s2.text.endswith("WHERE labels CONTAINS KEY ?")
    check(s2)
    # A collection index without allow_filtering on a non-indexed collection is refused.
    with pytest.raises(NotSupported, match="samples__contains"):
        Reading.filter(samples__contains=3).statement()


def test_like_on_sasi_and_sai(check: Any) -> None:
    s = Reading.filter(note__startswith="eng").statement()
    assert s.text.endswith("WHERE note LIKE ?") and s.params == ("eng%",)
    assert check(s) == ["LIKE relation"]
    assert Reading.filter(note__contains="x").statement().params == ("%x%",)
    assert Reading.filter(note__endswith="x").statement().params == ("%x",)
    with pytest.raises(NotSupported, match="only on a SASI index"):
        User.filter(name__startswith="a").statement()


def test_secondary_and_sai_indexes_serve_filters(check: Any) -> None:
    check(Reading.filter(kind="k").statement())
    check(Reading.filter(level__gte=3).statement())  # SAI serves ranges
    with pytest.raises(NotSupported, match="kind__gt"):
        Reading.filter(kind__gt="k").statement()  # a regular secondary index serves = only
    s = User.filter(email="a@b.c").statement()
    assert s.text == "SELECT id, email, name, version FROM accounts.user WHERE email = ?"
    check(s)


def test_token_ranges_and_scans(check: Any) -> None:
    s = Reading.query().options(token_gt=-5, token_lte=100).statement()
    assert s.text.endswith("WHERE token(sensor, day) > ? AND token(sensor, day) <= ?")
    assert s.types == ("bigint", "bigint")
    check(s)
    ranges = token_ranges(4)
    assert ranges[0][0] == -(2**63) and ranges[-1][1] == 2**63 - 1
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    states = scan_states(Reading.query().state, 3)
    assert [st.options["token_gt"] for st in states] == [r[0] for r in token_ranges(3)]


def test_paging_options(check: Any) -> None:
    plain = part().statement()
    state = page_state(part().state, 50, seal(plain.text, plain.params, b"\x01\x02"))
    s = Reading.database().backend.select(Reading.__ormada__, state).statement
    assert s.fetch_size == 50 and s.paging_state == b"\x01\x02" and s.page
    s2 = part().fetch_size(100).statement()
    assert s2.fetch_size == 100 and not s2.page


def test_consistency_timeout_on_reads() -> None:
    s = part().consistency("local_quorum").timeout(2.5).statement()
    assert s.consistency == "LOCAL_QUORUM" and s.timeout == 2.5
    from ormada import QueryError

    with pytest.raises(QueryError, match="unknown consistency"):
        part().consistency("MOST").statement()


@pytest.mark.parametrize(("qs", "match"), [
    (lambda: Reading.filter(value__gt=1), "ALLOW FILTERING"),
    (lambda: Reading.filter(sensor="a"), "sensor"),  # half a partition key
    (lambda: Reading.filter(at=AT), "partition key not given"),
    (lambda: part().filter(seq=1), "clustering columns before it"),
    (lambda: Reading.filter(note__icontains="x"), "case-sensitive"),
    (lambda: Reading.filter(note__iexact="x"), "case-sensitive"),
    (lambda: Reading.filter(Q(sensor="a") | Q(sensor="b")), "no OR"),
    (lambda: Reading.query().exclude(sensor="a"), "no NOT"),
    (lambda: part().offset(5), "OFFSET"),
    (lambda: part().order_by("value"), "clustering columns"),
    (lambda: part().order_by("seq"), "from the first column"),
    (lambda: part().order_by("at", "seq"), "declared direction"),
    (lambda: Reading.query().order_by("at"), "partition key"),
    (lambda: Reading.query().distinct(), "DISTINCT"),
    (lambda: Reading.filter(note=None), "isnull"),
    (lambda: part().ttl(5), "applies to writes"),
])
def test_refused_before_sending(qs: Any, match: str) -> None:
    with pytest.raises(NotSupported, match=match):
        qs().statement()


def test_allow_filtering_lifts_scan_refusal(check: Any) -> None:
    check(Reading.filter(sensor="a").allow_filtering().statement())
    check(Reading.filter(at=AT).allow_filtering().statement())


def test_distinct_partition_keys(check: Any) -> None:
    s = Reading.query().values_list("sensor", "day").distinct().statement()
    assert s.text == "SELECT DISTINCT sensor, day FROM shop.reading"
    check(s)


def test_first_on_one_partition_uses_natural_order(check: Any) -> None:
    # QuerySet.first() orders by the primary key; within one partition that is CQL's own order.
    from dataclasses import replace

    from ormada.query.state import OrderBy

    qs = PageViews.filter(page="home")
    state = replace(qs.state, order_by=(OrderBy("page"),), limit=1)
    s = PageViews.database().backend.select(PageViews.__ormada__, state).statement
    assert s.text == "SELECT page, views, likes FROM shop.page_views WHERE page = ? LIMIT ?"
    check(s)


def test_polymorphic_subclass_filters_on_discriminator(check: Any) -> None:
    s = Purchase.filter(id=uuid.UUID(int=1)).statement()
    assert s.text == "SELECT id, at, type, x, y, amount FROM shop.event WHERE id = ? AND type = ?"
    assert s.params[-1] == "purchase"
    check(s)
    base = Event.filter(id=uuid.UUID(int=1)).statement()
    assert base.text == "SELECT id, at, type, x, y, amount FROM shop.event WHERE id = ?"


def test_ann_vector_search(check: Any) -> None:
    s = AllTypes.query().options(ann_of=("t_vector", [0.1, 0.2, 0.3])).limit(3).statement()
    assert s.text.endswith("ORDER BY t_vector ANN OF ? LIMIT ?")
    assert s.types[-2:] == ("vector<float, 3>", "int")
    assert check(s) == ["ANN OF ordering"]
    with pytest.raises(NotSupported, match="limit"):
        AllTypes.query().options(ann_of=("t_vector", [0.1, 0.2, 0.3])).statement()


def test_templates_cached_by_shape_not_values(backend: Any) -> None:
    before = len(backend.templates)
    a = part().filter(at__gte=AT).limit(3).statement()
    mid = len(backend.templates)
    b = Reading.filter(sensor="other", day=dt.date(2020, 5, 5)).filter(at__gte=AT).limit(9).statement()
    assert len(backend.templates) == mid and mid <= before + 1
    assert a.text == b.text and a.params != b.params


def test_polymorphic_rows_become_their_subclass(backend: Any) -> None:
    from ormada import _hydrate
    from tests.unit.cassandra.models import Click, Event, Purchase

    assert Click(id=uuid.uuid4(), at=dt.datetime(2024, 1, 1)).type == "click"
    compiled = backend.select(Event.__ormada__, Event.query().state)
    names = [c.name for c in compiled.columns]
    values = {"id": uuid.uuid4(), "at": dt.datetime(2024, 1, 1), "x": 3, "y": 4, "amount": None}
    rows = [tuple({**values, "type": kind}.get(n) for n in names) for kind in ("click", "purchase", "other")]
    click, purchase, other = _hydrate.shape_rows(backend, Event.__ormada__, "models", compiled.columns, rows)
    assert type(click) is Click and (click.x, click.y) == (3, 4)
    assert type(purchase) is Purchase and "x" not in purchase.__dict__
    assert type(other) is Event


def test_queryset_shortcuts_build_the_same_cql(backend: Any) -> None:
    by_option = Reading.query().options(token_gt=-5, token_lte=100).statement()
    assert Reading.query().token(gt=-5, lte=100).statement().text == by_option.text
    assert Reading.filter(token__gt=-5).statement().text.endswith("WHERE token(sensor, day) > ?")
    assert [qs.state.options["token_gt"] for qs in Reading.query().scan(3)] == [r[0] for r in token_ranges(3)]
    conditional = User.filter(id=uuid.uuid4()).if_(version=3)
    assert conditional.state.options["if_"] == {"version": 3}
    assert backend.update(User.__ormada__, conditional.state, {"version": 4}).text.endswith("IF version = ?")
    assert User.filter(id=uuid.uuid4()).if_exists().state.options["if_exists"] is True


def test_get_by_the_whole_primary_key_is_compiled_once(backend: Any, check: Any) -> None:
    info = Reading.__ormada__
    plan = backend.keyed_select(info, ("seq", "at", "day", "sensor"))
    assert plan is not None and backend.keyed_select(info, ("seq", "at", "day", "sensor")) is plan
    statement = plan.statement((0, dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.date(2024, 1, 1), "s1"))
    assert statement.text.startswith("SELECT ") and "LIMIT" not in statement.text
    assert statement.text.endswith(" WHERE seq = ? AND at = ? AND day = ? AND sensor = ?")
    assert statement.model == "Reading" and statement.idempotent and statement.quick
    check(statement)
    # A partial key can match several rows: it takes the general path, which also checks names.
    assert backend.keyed_select(info, ("sensor", "day")) is None
    assert backend.keyed_select(info, ("sensor", "day", "at", "nope")) is None
