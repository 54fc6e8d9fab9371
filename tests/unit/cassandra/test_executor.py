"""Execution plumbing that needs no server: batches, the asyncio bridge, result shapes,
driver settings from the URL, the prepared-statement cache and error mapping."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import pytest

from ormada import ConfigurationError, NotSupported, QueryError, Statement
from ormada._url import parse_url
from ormada.backends.cassandra import CassandraBackend, CqlStatement, batch
from ormada.backends.cassandra.batch import active_batch
from ormada.backends.cassandra.bridge import ResponseBridge
from ormada.backends.cassandra.executor import (
    AsyncCassandraConnection,
    CassandraConnection,
    SessionHolder,
    as_cql,
    configure,
    shape,
    translate,
)
from ormada.backends.cassandra.paging import Page, PageRows, unseal

from .models import Metric, PageViews, User, db, other_db

UID = uuid.UUID(int=3)


def user_insert() -> CqlStatement:
    s = db.backend.insert(User.__ormada__, ("id", "email"), [(UID, "e")])
    assert isinstance(s, CqlStatement)
    return s


def test_batch_collects_writes_and_sends_nothing_on_error() -> None:
    conn = CassandraConnection(db.backend.holder)
    with pytest.raises(RuntimeError), batch(db, kind="unlogged") as b:
        assert conn.execute(user_insert()) == 1
        assert len(b.statements) == 1
        raise RuntimeError("boom")
    assert active_batch() is None
    assert db.backend.holder._session is None  # nothing was sent: never even connected


def test_batch_routes_per_database_and_refuses_foreign_writes() -> None:
    mine, theirs = CassandraConnection(db.backend.holder), CassandraConnection(other_db.backend.holder)
    metric = other_db.backend.insert(Metric.__ormada__, ("name", "value"), [("m", 1.0)])
    b = batch(kind="logged")
    b._enter()
    try:
        mine.execute(user_insert())
        theirs.execute(metric)
        assert len(b._groups) == 2 and len(b.statements) == 2
    finally:
        b._exit()
    restricted = batch(db)
    restricted._enter()
    try:
        with pytest.raises(NotSupported, match=r"batch\(\) without a database"):
            theirs.execute(metric)
    finally:
        restricted._exit()


def test_counter_batches_keep_counters_apart() -> None:
    conn = CassandraConnection(db.backend.holder)
    incr = db.backend.update(PageViews.__ormada__, PageViews.filter(page="p").state, {"views__incr": 1})
    b = batch(kind="counter")
    b._enter()
    try:
        conn.execute(incr)
        with pytest.raises(NotSupported, match="counter batch holds counter updates only"):
            conn.execute(user_insert())
    finally:
        b._exit()
    logged = batch()
    logged._enter()
    try:
        with pytest.raises(NotSupported, match="kind='counter'"):
            conn.execute(incr)
    finally:
        logged._exit()
    with pytest.raises(ConfigurationError):
        batch(kind="atomic")  # type: ignore[arg-type]


async def test_async_batch_collects_in_task() -> None:
    conn = AsyncCassandraConnection(db.backend.holder)
    with pytest.raises(KeyError):
        async with batch(db) as b:
            assert await conn.execute(user_insert()) == 1
            assert active_batch() is b
            raise KeyError("stop")
    assert active_batch() is None


class StandInFuture:
    """Only the callback API of cassandra-driver's ResponseFuture; results come from another thread."""

    def __init__(self, pages: list[list[tuple[Any, ...]]], error: BaseException | None = None) -> None:
        self.pages = pages
        self.error = error
        self.callbacks: list[Any] = []
        self.errbacks: list[Any] = []
        self.index = 0
        self._paging_state: bytes | None = None

    def add_callbacks(self, callback: Any, errback: Any) -> None:
        self.callbacks.append(callback)
        self.errbacks.append(errback)
        self._deliver()

    def _deliver(self) -> None:
        def run() -> None:
            if self.error is not None:
                for fn in self.errbacks:
                    fn(self.error)
                return
            page = self.pages[self.index]
            self._paging_state = f"p{self.index}".encode() if self.index + 1 < len(self.pages) else None
            for fn in self.callbacks:
                fn(page)

        threading.Thread(target=run).start()

    @property
    def has_more_pages(self) -> bool:
        return self._paging_state is not None

    def start_fetching_next_page(self) -> None:
        self.index += 1
        self._deliver()


async def test_bridge_awaits_every_page_from_driver_threads() -> None:
    future = StandInFuture([[(1,)], [(2,)], [(3,)]])
    pages = ResponseBridge(future)
    rows = list(await pages.result())
    assert pages.paging_state == b"p0"
    while pages.has_more_pages:
        rows += await pages.next_page()
    assert rows == [(1,), (2,), (3,)] and pages.paging_state is None
    assert threading.active_count() >= 1


async def test_bridge_raises_driver_errors() -> None:
    from cassandra import InvalidRequest

    with pytest.raises(InvalidRequest):
        await ResponseBridge(StandInFuture([], InvalidRequest("bad"))).result()


async def test_bridge_survives_cancelled_waiter() -> None:
    future = StandInFuture([[(1,)]])
    pages = ResponseBridge(future)
    task = asyncio.ensure_future(pages.result())
    task.cancel()
    await asyncio.sleep(0.05)  # the late callback must not raise InvalidStateError
    assert task.cancelled()


def test_result_shapes() -> None:
    read = CqlStatement("SELECT a FROM t", fetch="rows")
    assert shape(read, [[(1,), (2,)]]) == [(1,), (2,)]
    paged = shape(CqlStatement("SELECT a FROM t", page=True), [[(1,)]], b"next")
    assert isinstance(paged, PageRows) and unseal("T", "SELECT a FROM t", (), paged.paging_state) == b"next"
    page = Page(list(paged), paged.paging_state)
    assert page.has_more and len(page) == 1
    lwt = CqlStatement("UPDATE t SET a = ? WHERE k = ? IF EXISTS", fetch="rowcount", conditional=True, write=True)
    assert shape(lwt, [[(True,)]]) == 1 and shape(lwt, [[(False, 5)]]) == 0
    many = CqlStatement("INSERT", fetch="rowcount", many=True, write=True)
    assert shape(many, [[], [], []]) == 3
    assert shape(CqlStatement("INSERT", fetch="none", write=True), [[]]) is None


def test_settings_applied_to_driver_statement() -> None:
    from cassandra import ConsistencyLevel
    from cassandra.query import SimpleStatement

    s = CqlStatement("SELECT a FROM t", consistency="LOCAL_QUORUM", serial_consistency="SERIAL", fetch_size=10,
                     idempotent=True)
    driver = configure(SimpleStatement(s.text), s)
    assert driver.consistency_level == ConsistencyLevel.LOCAL_QUORUM
    assert driver.serial_consistency_level == ConsistencyLevel.SERIAL
    assert driver.fetch_size == 10 and driver.is_idempotent


def test_cluster_options_from_url() -> None:
    holder = SessionHolder(parse_url(
        "cassandra://app:s3cret@h1,h2:9142/ks?local_dc=dc1&protocol_version=5&ssl=true&prepared_cache_size=2"))
    options = holder.cluster_options()
    assert options["contact_points"] == ["h1", "h2"] and options["port"] == 9142
    assert options["protocol_version"] == 5 and "ssl_context" in options
    assert options["auth_provider"].username == "app"
    assert "s3cret" not in holder.describe
    assert options["reconnection_policy"].max_delay == 30.0  # not the driver's 600 s
    quick = SessionHolder(parse_url("cassandra://h/ks?reconnect_max_delay=0.5")).cluster_options()
    assert quick["reconnection_policy"].base_delay == quick["reconnection_policy"].max_delay == 0.5
    with pytest.raises(ConfigurationError, match=r"reconnect_max_delay='soon' must be a number above 0"):
        SessionHolder(parse_url("cassandra://h/ks?reconnect_max_delay=soon"))
    with pytest.raises(ConfigurationError, match="same port"):
        SessionHolder(parse_url("cassandra://h1:1,h2:2/ks")).cluster_options()
    assert CassandraBackend(parse_url("scylla://h/ks")).keyspace == "ks"


@pytest.mark.parametrize(("query", "message"), [
    ("request_timout=5", r"unknown option 'request_timout'; did you mean 'request_timeout'\?.*cassandra URLs take "
                         r"connect_timeout, index_build_timeout, local_dc"),
    ("protocol_version=five", r"protocol_version='five' must be a whole number"),
    ("ssl=maybe", r"ssl='maybe' must be true or false"),
    ("request_timeout=0", r"request_timeout='0' must be a number above 0"),
    ("connect_timeout=-1", r"connect_timeout='-1' must be a number above 0"),
    ("prepared_cache_size=0", r"prepared_cache_size='0' must be a whole number of at least 1"),
    ("statement_cache_size=big", r"statement_cache_size='big' must be a whole number"),
    ("index_build_timeout=-2", r"index_build_timeout='-2' must be 0 or a number of seconds above 0"),
    ("local_dc=", r"local_dc='' must not be empty"),
])
def test_url_options_are_checked_when_connecting(query: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        CassandraBackend(parse_url(f"cassandra://h/ks?{query}"))


def test_url_options_are_parsed() -> None:
    backend = CassandraBackend(parse_url(
        "cassandra://h/ks?request_timeout=2.5&connect_timeout=3&index_build_timeout=0&statement_cache_size=7"))
    assert backend.holder.options["request_timeout"] == 2.5
    assert backend.holder.cluster_options()["connect_timeout"] == 3.0
    assert backend.holder.index_build_timeout == 0.0
    assert backend.templates.maxsize == 7


def test_prepared_cache_is_bounded_lru() -> None:
    holder = SessionHolder(parse_url("cassandra://h/ks?prepared_cache_size=2"))
    for text in ("a", "b"):
        holder._store(text, object())
    holder._cached("a")  # a is now most recent
    holder._store("c", object())
    assert holder._cached("b") is None and holder._cached("a") is not None and holder.prepared_count == 2


def test_error_mapping_and_sql_only_statements() -> None:
    from cassandra import InvalidRequest, ReadTimeout, Unavailable
    from cassandra.cluster import NoHostAvailable

    holder = db.backend.holder
    assert type(translate(NoHostAvailable("x", {}), holder)).__name__ == "ConnectionFailed"
    assert isinstance(translate(InvalidRequest("x"), holder), QueryError)
    assert type(translate(ReadTimeout("x"), holder)).__name__ == "QueryTimeout"
    # The retry policy turns a replica's Unavailable into "no host available": the answer wins.
    refused = translate(NoHostAvailable("x", {"h": Unavailable("not enough replicas")}), holder)
    assert type(refused).__name__ == "DatabaseError" and "cannot meet the consistency level" in str(refused)
    named = translate(InvalidRequest("no table"), holder,
                      (CqlStatement("SELECT a FROM ks.t WHERE k = ?", (1,), model="Thing"),))
    assert str(named).startswith("Thing: ") and "\n  CQL: SELECT a FROM ks.t WHERE k = ?\n" in str(named)
    with pytest.raises(QueryError, match="no transactions"):
        as_cql(Statement("SAVEPOINT x", (), "none"))
    raw = db.backend.raw("SELECT * FROM t WHERE k = :k", {"k": 1})
    assert raw.params == {"k": 1} and raw.prepare


def test_compiling_never_connects() -> None:
    User.filter(id=UID).statement()
    db.backend.create_tables([User.__ormada__])
    assert db.backend.holder._session is None
    with pytest.raises(NotSupported, match="EXPLAIN"):
        db.backend.explain(User.filter(id=UID).statement())
