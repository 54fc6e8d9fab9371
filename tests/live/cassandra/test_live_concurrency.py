"""Concurrency against a real node: the asyncio bridge under a thousand tasks, the sync API
from eight threads at once, and one Database used from several event loops in turn."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from live_write_models import WRITE_MODELS, WAccount, WCounter, WEvent, WRow

import ormada
from ormada import F
from ormada.backends.cassandra import batch

TASKS = 1000
THREADS = 8


@pytest.fixture(scope="module")
def db(keyspace: str) -> Any:
    database = ormada.get_database("cassandra_live")
    database.create_all(list(WRITE_MODELS))
    return database


def _group(i: int) -> str:
    return f"conc-{i % 10}"


async def test_thousand_concurrent_creates_then_gets(db: Any) -> None:
    created = await asyncio.gather(*(WRow.acreate(group=_group(i), n=i, label=f"row {i}", score=i * 3)
                                     for i in range(TASKS)))
    assert [r.n for r in created] == list(range(TASKS))
    got = await asyncio.gather(*(WRow.aget(group=_group(i), n=i) for i in range(TASKS)))
    assert [(r.n, r.label, r.score) for r in got] == [(i, f"row {i}", i * 3) for i in range(TASKS)]
    # No lost writes: every partition holds exactly its hundred rows, in clustering order.
    counts = await asyncio.gather(*(WRow.filter(group=f"conc-{g}").acount() for g in range(10)))
    assert counts == [TASKS // 10] * 10
    assert [r.n for r in await WRow.filter(group="conc-7")] == list(range(7, TASKS, 10))


async def test_concurrent_updates_and_counter_increments_are_not_lost(db: Any) -> None:
    await asyncio.gather(*(WCounter.filter(page="conc-c").aupdate(hits__incr=1) for _ in range(200)),
                         *(WCounter.filter(page="conc-c").aupdate(misses=F("misses") + 2) for _ in range(100)))
    got = await WCounter.aget(page="conc-c")
    assert (got.hits, got.misses) == (200, 200)
    # Concurrent set additions of distinct elements all survive.
    await asyncio.gather(*(WAccount.filter(key="conc-set").aupdate(tags__add={f"t{i}"}) for i in range(200)))
    assert (await WAccount.aget(key="conc-set")).tags == {f"t{i}" for i in range(200)}


async def test_concurrent_conditional_inserts_have_one_winner(db: Any) -> None:
    results = await asyncio.gather(*(WAccount(key="conc-lwt", owner=f"task {i}").ainsert(if_not_exists=True)
                                     for i in range(8)))
    assert results.count(True) == 1
    winner = results.index(True)
    assert (await WAccount.aget(key="conc-lwt")).owner == f"task {winner}"


async def test_concurrent_batches_each_send_their_own_writes(db: Any) -> None:
    async def one(stream: str) -> None:
        async with batch(db, kind="unlogged"):
            for seq in range(5):
                await WEvent.acreate(stream=stream, seq=seq, value=seq)

    # Each task has its own batch (the active batch is a context variable).
    await asyncio.gather(*(one(f"conc-b{t}") for t in range(20)))
    counts = await asyncio.gather(*(WEvent.filter(stream=f"conc-b{t}").acount() for t in range(20)))
    assert counts == [5] * 20


def _thread_work(db: Any, t: int, start: threading.Barrier) -> dict[str, Any]:
    """Mixed sync work for one thread: its own rows, shared counters, a shared set, one LWT race."""
    start.wait()  # every thread begins together, so first prepares and writes overlap
    group = f"thr-{t}"
    for n in range(40):
        WRow.create(group=group, n=n, label="new", score=t)
    for n in range(0, 40, 2):
        WRow.filter(group=group, n=n).update(label="even")
    for _ in range(25):
        WCounter.filter(page="thr-shared").update(hits__incr=1)
    WCounter.filter(page="thr-shared").update(misses=F("misses") + t)
    for i in range(10):
        WAccount.filter(key="thr-set").update(tags__add={f"{t}-{i}"})
    won = WAccount(key="thr-lwt", owner=f"thread {t}").insert(if_not_exists=True)
    with batch(db, kind="unlogged"):
        WEvent.create(stream=f"thr-b{t}", seq=1, value=t)
        WEvent.create(stream=f"thr-b{t}", seq=2, value=t * 2)
    rows = WRow.filter(group=group).all()
    return {"won": won, "rows": [(r.n, r.label, r.score) for r in rows],
            "count": WRow.filter(group=group).count()}


def test_eight_threads_of_mixed_sync_calls(db: Any) -> None:
    start = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda t: _thread_work(db, t, start), range(THREADS)))
    for t, result in enumerate(results):
        expected = [(n, "even" if n % 2 == 0 else "new", t) for n in range(40)]
        assert result["rows"] == expected and result["count"] == 40
        assert [(e.seq, e.value) for e in WEvent.filter(stream=f"thr-b{t}")] == [(1, t), (2, t * 2)]
    counter = WCounter.get(page="thr-shared")
    assert (counter.hits, counter.misses) == (THREADS * 25, sum(range(THREADS)))
    assert WAccount.get(key="thr-set").tags == {f"{t}-{i}" for t in range(THREADS) for i in range(10)}
    winners = [t for t, r in enumerate(results) if r["won"]]
    assert len(winners) == 1
    assert WAccount.get(key="thr-lwt").owner == f"thread {winners[0]}"


def test_event_loops_in_threads_at_the_same_time(db: Any) -> None:
    async def work(t: int) -> list[int]:
        await asyncio.gather(*(WRow.acreate(group=f"loop-{t}", n=n, score=n + t) for n in range(50)))
        return [r.score for r in await WRow.filter(group=f"loop-{t}")]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda t: asyncio.run(work(t)), range(4)))
    assert results == [[n + t for n in range(50)] for t in range(4)]


def test_async_calls_from_two_event_loops_one_after_another(db: Any) -> None:
    async def write() -> None:
        await asyncio.gather(*(WRow.acreate(group="loops", n=n, label="first") for n in range(30)))
        assert await WAccount(key="loops-lwt", version=1).ainsert(if_not_exists=True) is True

    async def read_and_change() -> tuple[list[str], int, bool, int]:
        labels = [r.label for r in await WRow.filter(group="loops")]
        await asyncio.gather(*(WRow.filter(group="loops", n=n).aupdate(label="second") for n in range(0, 30, 3)))
        applied = await WAccount.filter(key="loops-lwt").if_(version=1).aupdate(version=2)
        async with batch(db, kind="counter"):
            await WCounter.filter(page="loops").aupdate(hits__incr=4)
        again = await WAccount(key="loops-lwt").ainsert(if_not_exists=True)
        return labels, applied, again, (await WCounter.aget(page="loops")).hits

    asyncio.run(write())
    labels, applied, again, hits = asyncio.run(read_and_change())
    assert labels == ["first"] * 30 and applied == 1 and again is False and hits == 4
    # And a third loop, plus the sync API, see what the second one wrote.
    changed = asyncio.run(WRow.filter(group="loops").filter(label="second").allow_filtering().acount())
    assert changed == 10
    assert WAccount.get(key="loops-lwt").version == 2


def test_loop_closing_with_requests_in_flight(db: Any, caplog: pytest.LogCaptureFixture) -> None:
    for n in range(20):
        WRow.create(group="inflight", n=n, score=n)

    async def abandon() -> int:
        # Requests are sent when each task first runs; the loop then ends under them.
        tasks = [asyncio.create_task(WRow.aget(group="inflight", n=n % 20)) for n in range(TASKS)]
        await asyncio.sleep(0)
        return len(tasks)

    with caplog.at_level(logging.ERROR, logger="cassandra"):
        assert asyncio.run(abandon()) == TASKS
        # The next loop and the sync API keep working on the same session.
        got = asyncio.run(asyncio.wait_for(WRow.filter(group="inflight").acount(), 30))
        assert got == 20
        assert [r.score for r in WRow.filter(group="inflight")] == list(range(20))
    # Answers that arrive after their loop closed are dropped, not logged as driver errors.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
