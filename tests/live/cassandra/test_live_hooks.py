"""Model hooks and signals on a real Cassandra node, sync and async: the same write paths call
them as on SQL, without a transaction around them (Cassandra has none)."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

import ormada
from ormada import PrimaryKey, signals

LOG: list[tuple[Any, ...]] = []


class HNote(ormada.Model):
    key: Annotated[str, PrimaryKey()]
    title: str = ""
    slug: str = ""

    def before_save(self, created: bool) -> None:
        self.slug = self.title.lower().replace(" ", "-")
        LOG.append(("before_save", self.key, created))

    def after_save(self, created: bool) -> None:
        LOG.append(("after_save", self.key, created))

    async def after_delete(self) -> None:
        LOG.append(("after_delete", self.key))

    class Meta:
        database = "cassandra_live"


@pytest.fixture(scope="module")
def db(keyspace: str) -> Any:
    database = ormada.get_database("cassandra_live")
    database.create_all([HNote])
    return database


@pytest.fixture(autouse=True)
def log() -> Any:
    LOG.clear()

    def bulk(sender: type, action: str, count: int, **kwargs: Any) -> None:
        LOG.append(("post_bulk", action, count))

    signals.post_bulk.connect(bulk, sender=HNote, weak=False)
    yield LOG
    signals.post_bulk.disconnect(bulk, HNote)
    LOG.clear()


def test_sync_writes_call_the_hooks(db: Any) -> None:
    note = HNote.create(key="s1", title="Sync Note")
    assert HNote.get(key="s1").slug == "sync-note"
    note.title = "Sync Again"
    note.save()
    HNote.bulk_create([HNote(key="s2", title="b")])
    assert LOG == [("before_save", "s1", True), ("after_save", "s1", True), ("before_save", "s1", False),
                   ("after_save", "s1", False), ("post_bulk", "bulk_create", 1)]
    with pytest.raises(ormada.NotSupported, match="after_delete is async"):
        note.delete()
    assert HNote.get_or_none(key="s1") is not None  # refused before anything was sent


async def test_async_writes_await_the_hooks(db: Any) -> None:
    note = await HNote.acreate(key="a1", title="Async Note")
    assert (await HNote.aget(key="a1")).slug == "async-note"
    assert await note.adelete() == 1
    assert LOG == [("before_save", "a1", True), ("after_save", "a1", True), ("after_delete", "a1")]
    assert await HNote.aget_or_none(key="a1") is None
