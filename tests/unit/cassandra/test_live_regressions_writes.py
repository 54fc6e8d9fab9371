"""Write-path defects a live node showed, pinned offline: UPDATE templates keyed by field
name, timeouts the driver silently treats as expired, TTLs and timestamps that were
truncated or failed as bare ValueErrors, batch timestamps the driver ignores, answers that
arrive after their event loop has closed, and one PREPARE per task on a new statement."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import struct
import threading
from typing import Any

import pytest
from cassandra import ConsistencyLevel
from cassandra.protocol import BatchMessage
from cassandra.query import BatchStatement, BatchType

from ormada import F, QueryError
from ormada._url import parse_url
from ormada.backends.cassandra import batch
from ormada.backends.cassandra.bridge import ResponseBridge
from ormada.backends.cassandra.executor import SessionHolder
from ormada.backends.cassandra.statements import timeout_seconds, whole_number

from .models import PageViews, Reading, db

DAY = dt.date(2024, 1, 1)
AT = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)


def _update(model: Any, state: Any, values: dict[str, Any]) -> str:
    text = db.backend.update(model.__ormada__, state, values).text
    assert isinstance(text, str)
    return text


def test_update_templates_follow_the_expression_not_the_field_name() -> None:
    state = Reading.filter(sensor="s-regr", day=DAY, at=AT, seq=0).state
    # Each of these shares the field "samples" with the one before it.
    assert "SET samples = ? + samples WHERE" in _update(Reading, state, {"samples": [0] + F("samples")})  # noqa: RUF005
    assert "SET samples = samples + ? WHERE" in _update(Reading, state, {"samples": F("samples") + [9]})  # noqa: RUF005
    assert "SET samples = samples - ? WHERE" in _update(Reading, state, {"samples": F("samples") - [9]})
    assert "SET samples = ? WHERE" in _update(Reading, state, {"samples": [1]})
    assert "SET tags = tags - ? WHERE" in _update(Reading, state, {"tags": F("tags") - {"a"}})
    assert "SET tags = ? WHERE" in _update(Reading, state, {"tags": set()})


def test_counter_decrement_is_not_served_the_increment_template() -> None:
    state = PageViews.filter(page="p-regr").state
    assert "SET views = views + ? WHERE" in _update(PageViews, state, {"views": F("views") + 1})
    assert "SET views = views - ? WHERE" in _update(PageViews, state, {"views": F("views") - 1})
    assert "SET views = views + ? WHERE" in _update(PageViews, state, {"views": F("views") + 1})


@pytest.mark.parametrize("value", [0, 0.0, -1, -0.001, float("nan"), "5", True, [1]])
def test_timeout_that_is_not_a_positive_number_is_refused(value: Any) -> None:
    with pytest.raises(QueryError, match="timeout must be a positive number of seconds"):
        timeout_seconds(value)
    state = Reading.filter(sensor="s-regr", day=DAY, at=AT, seq=0).options(timeout=value).state
    with pytest.raises(QueryError, match="timeout must be a positive number of seconds"):
        db.backend.update(Reading.__ormada__, state, {"value": 1.0})
    with pytest.raises(QueryError, match="timeout must be a positive number of seconds"):
        db.backend.select(Reading.__ormada__, state)
    with pytest.raises(QueryError, match="timeout must be a positive number of seconds"):
        batch(db, timeout=value)


def test_positive_timeouts_pass_as_seconds() -> None:
    assert timeout_seconds(None) is None
    assert timeout_seconds(2) == 2.0 and timeout_seconds(0.25) == 0.25
    state = Reading.filter(sensor="s-regr", day=DAY, at=AT, seq=0).timeout(3).state
    assert db.backend.update(Reading.__ormada__, state, {"value": 1.0}).timeout == 3.0
    assert batch(db, timeout=1).timeout == 1.0


@pytest.mark.parametrize("option", ["ttl", "timestamp"])
@pytest.mark.parametrize("value", ["60", 2.5, 60.0, True, [60]])
def test_ttl_and_timestamp_must_be_whole_numbers(option: str, value: Any) -> None:
    state = Reading.filter(sensor="s-regr", day=DAY, at=AT, seq=0).options(**{option: value}).state
    with pytest.raises(QueryError, match=f"{option} must be a whole number"):
        db.backend.update(Reading.__ormada__, state, {"value": 1.0})
    with pytest.raises(QueryError, match=f"{option} must be a whole number"):
        whole_number(value, option)


def test_whole_ttl_and_timestamp_are_bound_unchanged() -> None:
    state = Reading.filter(sensor="s-regr", day=DAY, at=AT, seq=0).ttl(60).timestamp(2**60).state
    assert db.backend.update(Reading.__ormada__, state, {"value": 1.0}).params[:2] == (60, 2**60)
    assert batch(db, timestamp=5).timestamp == 5
    with pytest.raises(QueryError, match="timestamp must be a whole number"):
        batch(db, timestamp=1.5)  # type: ignore[arg-type]


class _Future:
    """What ``Session._create_response_future`` hands back, as far as a batch uses it."""

    def __init__(self, message: BatchMessage) -> None:
        self.message = message
        self.sent = False
        self._protocol_handler: Any = None

    def send_request(self) -> None:
        self.sent = True


class _Session:
    """The few driver Session members a batch send touches; records what it is asked."""

    client_protocol_handler = object()
    default_timeout = 10.0

    def __init__(self) -> None:
        self.requests: list[_Future] = []
        self.plain: list[Any] = []

    def _create_response_future(self, query: Any, parameters: Any, trace: bool, custom_payload: Any,
                                timeout: float) -> _Future:
        # As the driver does: the message carries the session's generated timestamp.
        return _Future(BatchMessage(query.batch_type, [], ConsistencyLevel.ONE, None, 999))

    def _on_request(self, future: _Future) -> None:
        self.requests.append(future)

    def execute_async(self, query: Any, timeout: float) -> Any:
        self.plain.append((query, timeout))
        return query


def _flags_and_timestamp(message: BatchMessage) -> tuple[int, int]:
    buffer = io.BytesIO()
    message.send_body(buffer, 4)
    body = buffer.getvalue()
    return body[-9], struct.unpack(">q", body[-8:])[0]


def test_batch_timestamp_reaches_the_batch_message() -> None:
    session = _Session()
    driver_batch = BatchStatement(batch_type=BatchType.UNLOGGED)
    future = batch(db, timestamp=7_000_000)._start(session, driver_batch)
    assert session.requests == [future] and future.sent
    assert future._protocol_handler is session.client_protocol_handler
    flags, timestamp = _flags_and_timestamp(future.message)
    assert timestamp == 7_000_000 and flags & 0x20  # the protocol's "with timestamp" flag


def test_batch_without_timestamp_uses_the_plain_driver_call() -> None:
    session = _Session()
    driver_batch = BatchStatement()
    assert batch(db, timeout=4)._start(session, driver_batch) is driver_batch
    assert session.plain == [(driver_batch, 4.0)] and session.requests == []


class _HeldFuture:
    """A driver ResponseFuture stand-in that keeps its callbacks until told to answer."""

    def __init__(self) -> None:
        self.callbacks: list[Any] = []
        self.errbacks: list[Any] = []

    def add_callbacks(self, callback: Any, errback: Any) -> None:
        self.callbacks.append(callback)
        self.errbacks.append(errback)


def _from_driver_thread(call: Any) -> list[BaseException]:
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # what the driver's I/O thread would see
            raised.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return raised


@pytest.mark.parametrize("answer", ["result", "error"])
def test_answer_after_the_loop_closed_is_dropped_quietly(answer: str) -> None:
    loop = asyncio.new_event_loop()
    future = _HeldFuture()

    async def start() -> None:
        ResponseBridge(future)

    loop.run_until_complete(start())
    loop.close()
    deliver = future.callbacks[0] if answer == "result" else future.errbacks[0]
    assert _from_driver_thread(lambda: deliver([(1,)] if answer == "result" else RuntimeError("late"))) == []


class _Prepares:
    """Counts prepares; each one yields to the loop a few times, as a network round trip would."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.calls = 0
        self.error = error

    async def __call__(self) -> object:
        self.calls += 1
        for _ in range(5):
            await asyncio.sleep(0)
        if self.error is not None:
            raise self.error
        return object()


async def test_concurrent_first_use_prepares_once() -> None:
    holder = SessionHolder(parse_url("cassandra://127.0.0.1/ks"))
    prepares = _Prepares()
    results = await asyncio.gather(*(holder._prepare_once("SELECT a FROM ks.t", prepares) for _ in range(200)))
    assert prepares.calls == 1 and len({id(r) for r in results}) == 1
    assert holder._cached("SELECT a FROM ks.t") is results[0] and holder._preparing == {}


async def test_failed_prepare_reaches_every_waiter_and_is_retried() -> None:
    holder = SessionHolder(parse_url("cassandra://127.0.0.1/ks"))
    prepares = _Prepares(ValueError("refused"))
    results = await asyncio.gather(*(holder._prepare_once("SELECT b FROM ks.t", prepares) for _ in range(10)),
                                   return_exceptions=True)
    assert prepares.calls == 1 and all(isinstance(r, ValueError) for r in results)
    assert holder._preparing == {} and holder._cached("SELECT b FROM ks.t") is None
    prepares.error = None
    assert await holder._prepare_once("SELECT b FROM ks.t", prepares) is not None
    assert prepares.calls == 2


async def test_cancelled_waiter_does_not_cancel_the_shared_prepare() -> None:
    holder = SessionHolder(parse_url("cassandra://127.0.0.1/ks"))
    prepares = _Prepares()
    first = asyncio.ensure_future(holder._prepare_once("SELECT c FROM ks.t", prepares))
    second = asyncio.ensure_future(holder._prepare_once("SELECT c FROM ks.t", prepares))
    await asyncio.sleep(0)
    first.cancel()
    assert await second is not None and first.cancelled() and prepares.calls == 1
