"""Model hooks and signals: which writes call them, with what, in which order, in which mode,
and that a hook or receiver that raises rolls the write back, on every SQL backend."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest

import ormada
from ormada import ManyToMany, Model, NotSupported, PrimaryKey, Unique, signals
from tests.conftest import Api, models_database

LOG: list[tuple[Any, ...]] = []


class Note(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: Annotated[str, Unique()]
    slug: str = ""
    words: int = 0

    def before_save(self, created: bool) -> None:
        LOG.append(("before_save", self.title, created))
        self.slug = self.title.lower().replace(" ", "-")  # a change made here is written

    def after_save(self, created: bool) -> None:
        LOG.append(("after_save", self.title, created, self.id is not None))
        if self.title.startswith("refused"):
            raise RuntimeError(f"after_save refused {self.title}")

    def before_delete(self) -> None:
        LOG.append(("before_delete", self.title))

    def after_delete(self) -> None:
        LOG.append(("after_delete", self.title))


class Draft(Model):
    """Async hooks: awaited by the async writes, refused by the sync ones."""

    id: Annotated[int | None, PrimaryKey()] = None
    title: str

    async def before_save(self, created: bool) -> None:
        LOG.append(("async before_save", self.title, created))

    async def after_save(self, created: bool) -> None:
        await Audit.acreate(what=f"draft {self.title}")  # joins the write's transaction
        LOG.append(("async after_save", self.title, created))


class Audit(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    what: str


class Stamped(Model):
    """An abstract base whose hook its models inherit."""

    stamp: int = 0

    def before_save(self, created: bool) -> None:
        self.stamp += 1

    class Meta:
        abstract = True


class Memo(Stamped):
    id: Annotated[int | None, PrimaryKey()] = None
    body: str


class Topic(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str


class Essay(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    topics: Annotated[list[Topic], ManyToMany(related_name="essays")] = []


JUNCTIONS = [r.through for r in Essay.__ormada__.relations.values() if r.through is not None]
MODELS = [Note, Draft, Audit, Memo, Topic, Essay, *JUNCTIONS]


@pytest.fixture
async def hdb(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    LOG.clear()
    async with models_database(backend, request, tmp_path, MODELS) as database:
        yield database
    LOG.clear()


@pytest.fixture
def listen() -> Iterator[Any]:
    """Connects receivers for the test, writing what they get to LOG, and disconnects them after."""
    connected: list[tuple[signals.Signal, Any, Any]] = []

    def connect(signal: signals.Signal, sender: Any = Note, receiver: Any = None) -> Any:
        def record(sender: type, **kwargs: Any) -> None:
            LOG.append((signal.name, sender.__name__, kwargs))

        receiver = receiver or record
        signal.connect(receiver, sender=sender, weak=False)
        connected.append((signal, receiver, sender))
        return receiver

    yield connect
    for signal, receiver, sender in connected:
        signal.disconnect(receiver, sender)


def names() -> list[str]:
    return [entry[0] for entry in LOG]


async def test_save_calls_the_hooks_then_the_signals_in_order(hdb: ormada.Database, api: Api, listen: Any) -> None:
    listen(signals.pre_save)
    listen(signals.post_save)
    note = Note(title="First Note")
    await api(note, "save")
    assert names() == ["before_save", "pre_save", "after_save", "post_save"]
    assert LOG[0] == ("before_save", "First Note", True)
    assert LOG[2] == ("after_save", "First Note", True, True)  # after the insert: the key is known
    assert LOG[1][2] == {"instance": note, "created": True, "update_fields": None}
    stored = await api(Note, "get", id=note.id)
    assert stored.slug == "first-note"  # written although before_save set it

    LOG.clear()
    note.title = "First Note Again"
    await api(note, "save")
    assert [e[:3] for e in LOG if e[0] in ("before_save", "after_save")] == [
        ("before_save", "First Note Again", False), ("after_save", "First Note Again", False)]
    assert LOG[3][2]["created"] is False
    assert (await api(Note, "get", id=note.id)).slug == "first-note-again"


async def test_create_update_insert_and_delete(hdb: ormada.Database, api: Api, listen: Any) -> None:
    for signal in (signals.pre_save, signals.post_save, signals.pre_delete, signals.post_delete):
        listen(signal)
    note = await api(Note, "create", title="Made")
    assert names() == ["before_save", "pre_save", "after_save", "post_save"]
    assert LOG[3][2]["created"] is True

    LOG.clear()
    await api(note, "update", words=12)
    assert names() == ["before_save", "pre_save", "after_save", "post_save"]
    assert LOG[1][2]["update_fields"] == ("words",) and LOG[1][2]["created"] is False

    LOG.clear()
    copy = Note(id=note.id, title="Made")
    assert await api(copy, "insert", if_not_exists=True) is False  # the key is taken: nothing written
    assert names() == ["before_save", "pre_save"]  # so no after-hooks

    LOG.clear()
    assert await api(note, "delete") == 1
    assert names() == ["before_delete", "pre_delete", "after_delete", "post_delete"]
    assert LOG[1] == ("pre_delete", "Note", {"instance": note})
    assert await api(Note.filter(), "count") == 0


async def test_get_or_create_and_update_or_create(hdb: ormada.Database, api: Api, listen: Any) -> None:
    listen(signals.post_save)
    note, created = await api(Note, "get_or_create", title="Once", defaults={"words": 3})
    assert created and names() == ["before_save", "after_save", "post_save"]
    assert (await api(Note, "get", title="Once")).slug == "once"

    LOG.clear()
    again, created = await api(Note, "get_or_create", title="Once")
    assert not created and again.id == note.id and LOG == []  # nothing written, nothing called

    updated, created = await api(Note, "update_or_create", title="Once", defaults={"words": 9})
    assert not created and updated.words == 9
    assert names() == ["before_save", "after_save", "post_save"] and LOG[2][2]["created"] is False

    LOG.clear()
    _, created = await api(Note, "update_or_create", title="Twice", defaults={"words": 1})
    assert created and LOG[0] == ("before_save", "Twice", True)


async def test_bulk_writes_send_post_bulk_and_call_no_instance_hook(hdb: ormada.Database, api: Api,
                                                                   listen: Any) -> None:
    listen(signals.post_bulk)
    listen(signals.post_save)
    notes = [Note(title=f"n{i}", slug=f"n{i}") for i in range(3)]
    await api(Note, "bulk_create", notes)
    assert names() == ["post_bulk"]
    arguments = LOG[0][2]
    assert arguments["action"] == "bulk_create" and arguments["count"] == 3 and arguments["instances"] == notes

    LOG.clear()
    for note in notes:
        note.words = 5
    assert await api(Note, "bulk_update", notes, ["words"]) == 3
    assert [("post_bulk", "Note", {"action": "bulk_update", "instances": notes, "fields": ("words",),
                                          "count": 3, "queryset": None})] == LOG

    LOG.clear()
    queryset = Note.filter(words=5)
    assert await api(queryset, "update", words=6) == 3
    assert LOG[0][2]["action"] == "update" and LOG[0][2]["fields"] == ("words",) and LOG[0][2]["count"] == 3
    assert LOG[0][2]["instances"] is None and LOG[0][2]["queryset"] is queryset

    LOG.clear()
    assert await api(Note.filter(title="n0"), "delete") == 1
    assert names() == ["post_bulk"] and LOG[0][2]["action"] == "delete" and LOG[0][2]["count"] == 1


@pytest.mark.requires("upsert")
async def test_upsert_sends_post_bulk(hdb: ormada.Database, api: Api, listen: Any) -> None:
    listen(signals.post_bulk)
    await api(Note, "upsert", [Note(title="u", words=1)], conflict=["title"])
    assert LOG[0][2]["action"] == "upsert" and LOG[0][2]["count"] == 1


async def test_an_after_hook_that_raises_rolls_the_write_back(hdb: ormada.Database, api: Api) -> None:
    with pytest.raises(RuntimeError, match="refused one"):
        await api(Note, "create", title="refused one")
    assert await api(Note.filter(), "count") == 0
    note = await api(Note, "create", title="kept")
    note.title = "refused change"
    with pytest.raises(RuntimeError):
        await api(note, "save")
    assert (await api(Note, "get", id=note.id)).title == "kept"


@pytest.mark.requires("savepoints")
async def test_a_hook_that_raises_inside_a_transaction_undoes_only_its_write(hdb: ormada.Database,
                                                                           api: Api) -> None:
    async with api.transaction(hdb):
        await api(Note, "create", title="before")
        with pytest.raises(RuntimeError):
            await api(Note, "create", title="refused inside")
        await api(Note, "create", title="after")
    assert sorted(await api(Note.values_list("title", flat=True), "all")) == ["after", "before"]

    with pytest.raises(RuntimeError):  # and escaping the block, it rolls the whole transaction back
        async with api.transaction(hdb):
            await api(Note, "create", title="lost")
            await api(Note, "create", title="refused too")
    assert await api(Note.filter(title="lost"), "count") == 0


async def test_a_receiver_that_raises_rolls_back_the_write_and_the_receivers_own_writes(
        hdb: ormada.Database, api: Api, listen: Any) -> None:
    def audit(sender: type, instance: Note, **kwargs: Any) -> None:
        Audit.create(what=f"saved {instance.title}")
        raise ValueError("audit refused")

    async def aaudit(sender: type, instance: Note, **kwargs: Any) -> None:
        await Audit.acreate(what=f"saved {instance.title}")
        raise ValueError("audit refused")

    listen(signals.post_save, Note, aaudit if api.is_async else audit)
    with pytest.raises(ValueError, match="audit refused"):
        await api(Note, "create", title="audited")
    assert await api(Note.filter(), "count") == 0
    assert await api(Audit.filter(), "count") == 0


async def test_async_hooks_and_receivers_are_awaited_by_the_async_writes(hdb: ormada.Database,
                                                                         listen: Any) -> None:
    async def received(sender: type, instance: Draft, created: bool, **kwargs: Any) -> None:
        LOG.append(("async post_save", instance.title, created))

    listen(signals.post_save, Draft, received)
    draft = await Draft.acreate(title="d")
    assert LOG == [("async before_save", "d", True), ("async after_save", "d", True), ("async post_save", "d", True)]
    assert await Audit.filter(what="draft d").aexists()
    await draft.adelete()


async def test_a_sync_write_meeting_an_async_hook_or_receiver_refuses_before_writing(hdb: ormada.Database,
                                                                                     listen: Any) -> None:
    with pytest.raises(NotSupported, match=r"Draft\.before_save is async.*asave"):
        Draft.create(title="sync")
    assert Draft.count() == 0 and LOG == []

    async def received(sender: type, **kwargs: Any) -> None:
        pass

    listen(signals.post_save, Note, received)
    with pytest.raises(NotSupported, match="post_save receiver"):
        Note.create(title="sync")
    assert Note.count() == 0 and LOG == []
    listen(signals.post_bulk, Note, received)
    with pytest.raises(NotSupported, match="post_bulk receiver"):
        Note.bulk_create([Note(title="bulk")])
    assert Note.count() == 0


async def test_many_to_many_writes_send_m2m_changed(hdb: ormada.Database, api: Api, listen: Any) -> None:
    listen(signals.m2m_changed, Essay)
    essay = await api(Essay, "create", title="On hooks")
    first, second = await api(Topic, "create", name="first"), await api(Topic, "create", name="second")
    await api(essay.topics, "add", first, second.id)
    await api(essay.topics, "remove", first)
    await api(essay.topics, "set", [first])
    await api(essay.topics, "clear")
    assert [(e[0], e[1], e[2]["action"], e[2]["keys"], e[2]["relation"]) for e in LOG] == [
        ("m2m_changed", "Essay", "add", [first.id, second.id], "topics"),
        ("m2m_changed", "Essay", "remove", [first.id], "topics"),
        ("m2m_changed", "Essay", "set", [first.id], "topics"),
        ("m2m_changed", "Essay", "clear", None, "topics"),
    ]
    assert all(e[2]["instance"] is essay for e in LOG)

    def refuse(sender: type, **kwargs: Any) -> None:
        raise LookupError("links refused")

    async def arefuse(sender: type, **kwargs: Any) -> None:
        raise LookupError("links refused")

    listen(signals.m2m_changed, Essay, arefuse if api.is_async else refuse)
    with pytest.raises(LookupError):
        await api(essay.topics, "add", first, second)
    assert await api(Topic.filter(essays__id=essay.id), "count") == 0  # the links were rolled back


async def test_hooks_are_inherited_from_an_abstract_base(hdb: ormada.Database, api: Api) -> None:
    memo = await api(Memo, "create", body="x")
    memo.body = "y"
    await api(memo, "save")
    assert (await api(Memo, "get", id=memo.id)).stamp == 2


def test_signal_arguments_are_checked() -> None:
    signal = signals.Signal("checked")
    assert repr(signal) == "<Signal checked (0 receivers)>"
    with pytest.raises(TypeError, match="callable receiver"):
        signal.connect("not a function")  # type: ignore[type-var]
    with pytest.raises(TypeError, match="the receiver or its dispatch_uid"):
        signal.disconnect()
    assert signal.send(Note) == [] and not signal.has_receivers(Note)


def test_receivers_filter_by_sender_connect_once_and_can_be_weak() -> None:
    got: list[str] = []

    def on_note(sender: type, **kwargs: Any) -> None:
        got.append(sender.__name__)

    signal = signals.Signal("test")
    signal.connect(on_note, sender=Note)
    signal.connect(on_note, sender=Note)  # twice: still once
    assert signal.has_receivers(Note) and not signal.has_receivers(Draft)
    signal.send(Note)
    signal.send(Draft)
    assert got == ["Note"]

    class Listener:
        def on_any(self, sender: type, **kwargs: Any) -> None:
            got.append(f"listener {sender.__name__}")

    listener = Listener()
    signal.connect(listener.on_any)  # weak by default: held only as long as the listener lives
    signal.send(Draft)
    assert got[-1] == "listener Draft"
    del listener
    gc.collect()
    assert signal.receivers(Draft) == []
    assert signal.disconnect(on_note, Note) and not signal.disconnect(on_note, Note)

    @signals.receiver(signal, dispatch_uid="one")
    def first(sender: type, **kwargs: Any) -> None:
        got.append("first")

    signal.connect(lambda sender, **kwargs: got.append("second"), dispatch_uid="one", weak=False)  # same uid
    signal.send(Note)
    assert got[-1] == "first" and "second" not in got
