"""A hypothesis state machine of reads and writes through the read cache: every cached read
(get, filter().all(), count(), a prefetch) equals the same read with the cache bypassed,
whatever writes, transactions and rollbacks came before. In memory and in Redis, on SQLite."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

import ormada
import ormada.cache
from ormada.cache import MemoryCache, RedisCache
from tests.cache.shared import MODELS, Bin, Item, Sticker
from tests.conftest import IN_CI

LABELS = st.sampled_from([f"item-{i}" for i in range(6)])
GRAMS = st.integers(min_value=0, max_value=5)


class Rollback(Exception):
    pass


class CacheMachine(RuleBasedStateMachine):
    store_kind = "memory"

    @initialize()
    def open(self) -> None:
        self.folder = tempfile.TemporaryDirectory()
        self.db = ormada.connect(f"sqlite:///{Path(self.folder.name) / 'machine.db'}")
        self.db.create_all(MODELS)
        self.store: Any = MemoryCache(max_entries=50) if self.store_kind == "memory" else RedisCache(
            prefix=f"ormada-test-{uuid.uuid4().hex}")
        ormada.cache.configure(self.store)
        self.bin = Bin.create(name="main")
        # Rows from the start, so that every write rule finds rows to change.
        Item.bulk_create([Item(label=f"item-{i}", grams=i % 3, bin_id=self.bin.id) for i in range(4)])

    def teardown(self) -> None:
        if hasattr(self, "store") and isinstance(self.store, RedisCache):
            self.store.clear()
        ormada.cache.reset()
        if hasattr(self, "db"):
            self.db.close()
            self.folder.cleanup()

    # -- writes ----------------------------------------------------------------------------
    @rule(label=LABELS, grams=GRAMS)
    def create(self, label: str, grams: int) -> None:
        Item.get_or_create(label=label, defaults={"grams": grams, "bin_id": self.bin.id})

    @rule(label=LABELS, grams=GRAMS)
    def save(self, label: str, grams: int) -> None:
        item = Item.get_or_none(label=label)  # possibly from the cache: save() must still write
        if item is not None:
            item.grams = grams
            item.save()

    @rule(grams=GRAMS, to=GRAMS)
    def update(self, grams: int, to: int) -> None:
        Item.filter(grams=grams).update(grams=to)

    @rule(label=LABELS)
    def delete(self, label: str) -> None:
        Item.filter(label=label).delete()

    @rule(labels=st.lists(LABELS, max_size=3, unique=True))
    def bulk(self, labels: list[str]) -> None:
        taken = set(Item.filter(label__in=labels).values_list("label", flat=True).all())
        Item.bulk_create([Item(label=x, bin_id=self.bin.id) for x in labels if x not in taken])

    @rule(label=LABELS, colour=st.sampled_from(["red", "blue"]))
    def tag(self, label: str, colour: str) -> None:
        item = Item.get_or_none(label=label)
        if item is not None:
            item.tags.add(Sticker.create(name=colour))

    @rule(grams=GRAMS)
    def raw(self, grams: int) -> None:
        self.db.execute("UPDATE item SET grams = grams + 1 WHERE grams = :g", {"g": grams})

    @rule(label=LABELS, grams=GRAMS, commit=st.booleans())
    def transaction(self, label: str, grams: int, commit: bool) -> None:
        try:
            with self.db.transaction():
                Item.filter(label=label).update(grams=grams)
                Item.get_or_create(label=label + "-tx", defaults={"grams": grams, "bin_id": self.bin.id})
                self.check_reads(label, grams)  # inside: the transaction's own writes
                if not commit:
                    raise Rollback
        except Rollback:
            pass

    # -- reads, each checked against the database -----------------------------------------
    @rule(label=LABELS, grams=GRAMS)
    def read(self, label: str, grams: int) -> None:
        self.check_reads(label, grams)

    def check_reads(self, label: str, grams: int) -> None:
        def same(qs: Any) -> None:
            got = [(i.label, i.grams) for i in qs.all()]
            assert got == [(i.label, i.grams) for i in qs.cache(False).all()]

        same(Item.filter(grams__gte=grams).order_by("label"))
        same(Item.order_by("label"))
        assert Item.filter(grams__gte=grams).count() == Item.filter(grams__gte=grams).cache(False).count()
        found = Item.get_or_none(label=label)
        fresh = Item.query().cache(False).get_or_none(label=label)
        assert (found and found.model_dump(exclude={"tags"})) == (fresh and fresh.model_dump(exclude={"tags"}))
        tagged = [(i.label, sorted(t.name for t in i.tags)) for i in Item.prefetch_related("tags").order_by("label")]
        assert tagged == [(i.label, sorted(t.name for t in i.tags))
                          for i in Item.prefetch_related("tags").order_by("label").cache(False)]

    @invariant()
    def whole_table(self) -> None:
        if hasattr(self, "db"):
            assert Item.count() == Item.query().cache(False).count()


class RedisCacheMachine(CacheMachine):
    store_kind = "redis"


MACHINE_SETTINGS = settings(max_examples=30, stateful_step_count=25, deadline=None,
                            suppress_health_check=[HealthCheck.too_slow])


def test_every_cached_read_equals_the_database_in_memory() -> None:
    run_state_machine_as_test(CacheMachine, settings=MACHINE_SETTINGS)


def test_every_cached_read_equals_the_database_in_redis() -> None:
    probe = RedisCache(prefix="ormada-test-probe")
    try:
        probe._client.ping()
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"Redis at 127.0.0.1:6379 is unreachable: {exc}")
        pytest.skip(f"Redis at 127.0.0.1:6379 is unreachable ({exc}); start it with make services")
    run_state_machine_as_test(RedisCacheMachine, settings=MACHINE_SETTINGS)
