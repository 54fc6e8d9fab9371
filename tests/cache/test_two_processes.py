"""Two real processes, one Redis: every write path run in one process is seen by the
next cached read of the other (each table's version lives in Redis and is part of
every entry's key)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ormada
import ormada.cache
from ormada.cache import RedisCache
from tests.cache.shared import MODELS, STEPS, Bin, Item
from tests.conftest import IN_CI, Api, database_url, models_database

ROOT = Path(__file__).resolve().parents[2]


class Writer:
    """The other process, running :mod:`tests.cache.writer`."""

    def __init__(self, url: str, prefix: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "tests.cache.writer", url, prefix], cwd=ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._answer() == "ready"

    def _answer(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def run(self, step: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(step + "\n")
        self.process.stdin.flush()
        answer = self._answer()
        assert answer == "ok", f"the writer failed {step}: {answer}"

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"ormada-test-{uuid.uuid4().hex}"
    store = RedisCache(prefix=name)
    try:
        store._client.ping()
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"Redis at 127.0.0.1:6379 is unreachable: {exc}")
        pytest.skip(f"Redis at 127.0.0.1:6379 is unreachable ({exc}); start it with make services")
    ormada.cache.configure(store)
    try:
        yield name
    finally:
        store.clear()
        ormada.cache.reset()


def snapshot(rows: list[Any]) -> list[tuple[Any, ...]]:
    return [(i.label, i.grams, i.bin_id, sorted(t.name for t in i.tags)) for i in rows]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_every_write_in_one_process_is_seen_by_the_next_read_in_the_other(
        backend: str, api: Api, prefix: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    async with models_database(backend, request, tmp_path, MODELS):
        shelf = await api(Bin, "create", name="main")
        await api(Item, "bulk_create", [Item(label="a", bin_id=shelf.id), Item(label="b", bin_id=shelf.id)])
        store = ormada.cache.store()
        assert isinstance(store, RedisCache)
        writer = Writer(database_url(backend, request, tmp_path), prefix)  # the same file or schema
        items = Item.prefetch_related("tags").order_by("label")
        try:
            for step in STEPS:
                before = snapshot(await api(items, "all"))
                hits = store.hits
                assert snapshot(await api(items, "all")) == before
                assert store.hits > hits, f"{step}: the read before the write was not cached"
                await api(Item, "count")  # cached too
                writer.run(step)
                after = snapshot(await api(items, "all"))
                assert after == snapshot(await api(items.cache(False), "all")), f"{step}: a stale read"
                assert after != before, f"{step} changed nothing the reader can see"
                assert await api(Item, "count") == len(after), f"{step}: a stale count"
        finally:
            writer.close()
