"""Foreign-key relations: declaration, forward and self references, the key without I/O,
assignment of instances and keys, not-loaded errors, and what the database enforces."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import ValidationError

import ormada
from ormada import Column, ForeignKey, Model, OneToOne, PrimaryKey
from tests.conftest import Api, models_database


class Writer(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str


class Press(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str


class Novel(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    writer: Annotated[Writer, ForeignKey(related_name="novels", on_delete="cascade")]
    editor: Annotated[Reader | None, ForeignKey(related_name="edited", on_delete="set null")] = None
    press_id: Annotated[int | None, ForeignKey(Press)] = None  # a key declared by hand


class Reader(Model):
    """Defined after Novel, which refers to it by name."""

    id: Annotated[int | None, PrimaryKey()] = None
    name: str


class Topic(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str
    parent: Annotated[Topic | None, ForeignKey("self", related_name="children"), Column("ParentRef")] = None


class Review(Model):
    """Refers to a Novel without a FOREIGN KEY in the database."""

    id: Annotated[int | None, PrimaryKey()] = None
    novel: Annotated[Novel, ForeignKey(related_name="reviews", db_constraint=False)]


class Lending(Model):
    """Two keys to one model: each joined under an alias of its own."""

    id: Annotated[int | None, PrimaryKey()] = None
    lender: Annotated[Reader, ForeignKey(related_name="lent")]
    borrower: Annotated[Reader, ForeignKey(related_name="borrowed")]


class Passport(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    holder: Annotated[Reader, OneToOne(related_name="passport")]


MODELS = [Writer, Press, Reader, Novel, Topic, Passport, Review, Lending]


@pytest.fixture
async def rdb(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with models_database(backend, request, tmp_path, MODELS) as database:
        yield database


def test_a_relation_field_becomes_its_key_field_and_an_attribute() -> None:
    assert "writer_id" in Novel.model_fields and "writer" not in Novel.model_fields
    assert Novel.model_fields["writer_id"].is_required()
    assert not Novel.model_fields["editor_id"].is_required()
    relations = Novel.__ormada__.relations
    assert {name: (r.kind, r.target.__name__, r.key) for name, r in relations.items()} == {
        "writer": ("forward", "Writer", "writer_id"),
        "editor": ("forward", "Reader", "editor_id"),
        "press": ("forward", "Press", "press_id"),
        "reviews": ("reverse", "Review", "novel_id"),  # the reverse side of Review.novel
    }
    assert Writer.__ormada__.relations["novels"].many
    assert Writer.__ormada__.relations["novels"].partner is relations["writer"]
    assert not Reader.__ormada__.relations["passport"].many
    assert Press.__ormada__.relations["novel_set"].target is Novel  # Django's default name
    assert Topic.__ormada__.relations["children"].target is Topic


def test_the_key_has_the_targets_type_and_a_foreign_key_in_the_ddl(tmp_path: Path) -> None:
    database = ormada.connect(f"sqlite:///{tmp_path / 'ddl.db'}")
    try:
        texts = " ".join(s.text for s in database.create_all(MODELS, dry_run=True))
        assert "FOREIGN KEY(writer_id) REFERENCES writer (id) ON DELETE CASCADE" in texts
        assert "FOREIGN KEY(editor_id) REFERENCES reader (id) ON DELETE SET NULL" in texts
        assert 'FOREIGN KEY("ParentRef") REFERENCES topic (id)' in texts
        assert "FOREIGN KEY(press_id) REFERENCES press (id)" in texts
        assert "REFERENCES novel" not in texts.split("CREATE TABLE IF NOT EXISTS review")[1].split(")")[0]
        with pytest.raises(ValidationError, match="writer_id"):
            Novel(title="x", writer_id="not a number")
    finally:
        database.close()


async def test_create_with_an_instance_and_read_the_key_without_loading(rdb: ormada.Database, api: Api) -> None:
    le_guin = await api(Writer, "create", name="Ursula K. Le Guin")
    novel = await api(Novel, "create", title="The Dispossessed", writer=le_guin)
    assert novel.writer_id == le_guin.id
    assert novel.writer is le_guin  # given, so loaded
    fetched = await api(Novel, "get", id=novel.id)
    assert fetched.writer_id == le_guin.id
    assert fetched.editor is None  # no key: known to be None without a query
    with pytest.raises(ormada.RelationNotLoaded, match=r"Novel\.writer is not loaded.*select_related\('writer'\)"):
        _ = fetched.writer
    with pytest.raises(ormada.RelationNotLoaded, match=r"Writer\.novels is not loaded"):
        _ = le_guin.novels
    assert getattr(fetched, "writer", "absent") == "absent"  # an AttributeError: absent, not faked


async def test_assign_an_instance_or_a_key_then_save(rdb: ormada.Database, api: Api) -> None:
    first = await api(Writer, "create", name="first")
    second = await api(Writer, "create", name="second")
    editor = await api(Reader, "create", name="ed")
    novel = await api(Novel, "create", title="t", writer_id=first.id)
    novel.writer = second
    novel.editor = editor
    assert (novel.writer_id, novel.editor_id) == (second.id, editor.id)
    await api(novel, "save")
    stored = await api(Novel, "get", id=novel.id)
    assert (stored.writer_id, stored.editor_id) == (second.id, editor.id)
    stored.writer = second
    stored.writer_id = first.id  # a new key: the row loaded for the old one is dropped
    with pytest.raises(ormada.RelationNotLoaded):
        _ = stored.writer
    stored.editor = None
    assert stored.editor_id is None and stored.editor is None
    await api(stored, "save")
    assert (await api(Novel, "get", id=novel.id)).writer_id == first.id


async def test_unsaved_or_wrong_instances_are_refused_before_anything_is_written(rdb: ormada.Database,
                                                                               api: Api) -> None:
    with pytest.raises(ormada.DataError, match=r"Novel\.writer: the Writer assigned is not saved yet"):
        Novel(title="t", writer=Writer(name="new"))
    press = await api(Press, "create", name="p")
    with pytest.raises(ormada.DataError, match=r"Novel\.writer takes a Writer \(or its key\), not a Press"):
        Novel(title="t", writer=press)
    writer = await api(Writer, "create", name="w")
    novel = Novel(title="t", writer=writer)
    with pytest.raises(ormada.DataError, match=r"Novel\.writer cannot be None"):
        novel.writer = None
    with pytest.raises(ormada.QueryError, match="give writer or writer_id, not both"):
        Novel(title="t", writer=writer, writer_id=writer.id)
    assert await api(Novel.query(), "count") == 0


@pytest.mark.requires("foreign_key_actions")
async def test_the_database_enforces_the_key_and_on_delete(rdb: ormada.Database, api: Api) -> None:
    writer = await api(Writer, "create", name="w")
    editor = await api(Reader, "create", name="e")
    novel = await api(Novel, "create", title="t", writer=writer, editor=editor)
    with pytest.raises(ormada.IntegrityError):
        await api(Novel, "create", title="orphan", writer_id=10_000)
    await api(editor, "delete")  # set null
    assert (await api(Novel, "get", id=novel.id)).editor_id is None
    await api(writer, "delete")  # cascade
    assert await api(Novel.query(), "count") == 0


async def test_self_reference_and_one_to_one(rdb: ormada.Database, api: Api) -> None:
    root = await api(Topic, "create", name="root")
    leaf = await api(Topic, "create", name="leaf", parent=root)
    assert (await api(Topic, "get", id=leaf.id)).parent_id == root.id
    assert await api(Topic.filter(parent_id=root.id), "count") == 1
    holder = await api(Reader, "create", name="h")
    await api(Passport, "create", holder=holder)
    with pytest.raises(ormada.IntegrityError):
        await api(Passport, "create", holder=holder)  # one-to-one: the key is unique
    review = await api(Review, "create", novel_id=12_345)  # no constraint: any key is stored
    assert (await api(Review.prefetch_related("novel"), "get", id=review.id)).novel is None


def test_a_relation_to_a_model_never_defined_fails_at_first_use_with_the_closest_name() -> None:
    class Loan(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        borrower: Annotated[Readr, ForeignKey()]  # noqa: F821 - the misspelling under test

        class Meta:
            database = "loans"

    with pytest.raises(ormada.ConfigurationError, match=r"Loan\.borrower: the related model 'Readr' is not "
                                                        r"defined; did you mean 'Reader'\?"):
        Loan.query()
    with pytest.raises(ormada.ConfigurationError, match="'Readr' is not defined"):
        ormada.configure(Loan)


def test_relation_declarations_that_cannot_work_are_refused_where_the_class_is() -> None:
    with pytest.raises(ormada.ConfigurationError, match=r"Bad\.writer defaults to None but its type is not optional"):
        class Bad(Model):
            id: Annotated[int | None, PrimaryKey()] = None
            writer: Annotated[Writer, ForeignKey()] = None  # type: ignore[assignment]
    with pytest.raises(ormada.ConfigurationError, match=r"Twice\.writer: the relation stores its key in writer_id"):
        class Twice(Model):
            id: Annotated[int | None, PrimaryKey()] = None
            writer_id: int
            writer: Annotated[Writer, ForeignKey()]
    with pytest.raises(ormada.ConfigurationError, match=r"Clash\.writer: the reverse relation Writer\.name"):
        class Clash(Model):
            id: Annotated[int | None, PrimaryKey()] = None
            writer: Annotated[Writer, ForeignKey(related_name="name")]
    with pytest.raises(ValueError, match="on_delete='explode'"):
        ForeignKey(on_delete="explode")


async def _library(api: Api) -> tuple[Writer, Writer, Reader]:
    """Two writers with three and one novels; one reader edits two of them."""
    le_guin = await api(Writer, "create", name="Le Guin")
    butler = await api(Writer, "create", name="Butler")
    editor = await api(Reader, "create", name="Ed")
    for title, year_writer, edited in (("Dispossessed", le_guin, editor), ("Lathe", le_guin, None),
                                       ("Earthsea", le_guin, editor), ("Kindred", butler, None)):
        await api(Novel, "create", title=title, writer=year_writer, editor=edited)
    return le_guin, butler, editor


async def test_prefetch_related_forward_reverse_and_nested(rdb: ormada.Database, api: Api) -> None:
    await _library(api)
    writers = await api(Writer.prefetch_related("novels").order_by("id"), "all")
    assert [[n.title for n in w.novels] for w in writers] == [["Dispossessed", "Lathe", "Earthsea"], ["Kindred"]]
    assert all(n.writer is w for w in writers for n in w.novels)  # each novel knows its writer, no query
    novels = await api(Novel.prefetch_related("writer", "editor").order_by("id"), "all")
    assert [(n.writer.name, n.editor.name if n.editor else None) for n in novels] == [
        ("Le Guin", "Ed"), ("Le Guin", None), ("Le Guin", "Ed"), ("Butler", None)]
    readers = await api(Reader.prefetch_related("edited__writer"), "all")
    assert sorted(n.writer.name + "/" + n.title for n in readers[0].edited) == ["Le Guin/Dispossessed",
                                                                                 "Le Guin/Earthsea"]
    lonely = await api(Writer, "create", name="nobody")
    assert (await api(Writer.prefetch_related("novels"), "get", id=lonely.id)).novels == []


async def test_prefetch_with_its_own_query_and_fetch_related_on_an_instance(rdb: ormada.Database,
                                                                            api: Api) -> None:
    le_guin, _, editor = await _library(api)
    recent = ormada.Prefetch("novels", Novel.filter(title__startswith="L").order_by("-title"))
    writer = (await api(Writer.prefetch_related(recent).filter(id=le_guin.id), "all"))[0]
    assert [n.title for n in writer.novels] == ["Lathe"]
    novel = await api(Novel, "get", title="Kindred")
    fetched = await api(novel, "fetch_related", "writer", "writer__novels")
    assert fetched is novel and novel.writer.name == "Butler" and [n.title for n in novel.writer.novels] == ["Kindred"]
    await api(fetched, "fetch_all_related")
    assert (fetched.editor, fetched.press, fetched.reviews) == (None, None, [])
    holder = await api(Reader, "create", name="h")
    await api(Passport, "create", holder=holder)
    await api(holder, "fetch_related", "passport")
    assert holder.passport.holder_id == holder.id
    await api(editor, "fetch_related", "passport")
    assert editor.passport is None  # one-to-one with no row: None, loaded


def test_misspelt_prefetch_paths_and_mismatched_querysets_are_query_errors() -> None:
    with pytest.raises(ormada.QueryError, match=r"Writer has no relation 'novel'; did you mean 'novels'\?"):
        Writer.prefetch_related("novel")
    with pytest.raises(ormada.QueryError, match=r"Novel has no relation 'tags'; its relations are editor, press, "
                                                r"reviews, writer"):
        Writer.prefetch_related("novels__tags")
    with pytest.raises(ormada.QueryError, match=r"the queryset is of Reader, but Writer.novels holds Novel rows"):
        Writer.prefetch_related(ormada.Prefetch("novels", Reader.query()))
    with pytest.raises(ormada.QueryError, match="a limit or offset would apply to every owner"):
        Writer.prefetch_related(ormada.Prefetch("novels", Novel.query().limit(3)))


async def test_select_related_joins_forward_relations_nested_and_nullable(rdb: ormada.Database, api: Api) -> None:
    await _library(api)
    novels = await api(Novel.select_related("writer", "editor").order_by("id"), "all")
    assert [(n.title, n.writer.name, n.editor.name if n.editor else None) for n in novels] == [
        ("Dispossessed", "Le Guin", "Ed"), ("Lathe", "Le Guin", None), ("Earthsea", "Le Guin", "Ed"),
        ("Kindred", "Butler", None)]
    assert novels[1].editor is None and novels[0].writer is novels[2].writer  # one instance per related row
    one = await api(Novel.select_related("writer"), "get", title="Kindred")
    assert one.writer.name == "Butler" and one.writer_id == one.writer.id
    # Chosen fields of the joined row are real values, so saving it writes what changed.
    one.writer.name = "Octavia E. Butler"
    await api(one.writer, "save")
    assert (await api(Writer, "get", id=one.writer_id)).name == "Octavia E. Butler"
    root = await api(Topic, "create", name="root")
    mid = await api(Topic, "create", name="mid", parent=root)
    await api(Topic, "create", name="leaf", parent=mid)
    leaf = await api(Topic.select_related("parent__parent"), "get", name="leaf")
    assert (leaf.parent.name, leaf.parent.parent.name) == ("mid", "root")  # a self-join, two aliases
    top = await api(Topic.select_related("parent__parent"), "get", name="root")
    assert top.parent is None
    both = await api(Passport.select_related("holder").filter(holder_id=None), "all")
    assert both == []
    ann, bob = await api(Reader, "create", name="Ann"), await api(Reader, "create", name="Bob")
    await api(Lending, "create", lender=ann, borrower=bob)
    loan = (await api(Lending.select_related("lender", "borrower").filter(borrower__name="Bob"), "all"))[0]
    assert (loan.lender.name, loan.borrower.name) == ("Ann", "Bob")


def test_select_related_statement_and_refusals() -> None:
    text = Novel.select_related("writer", "editor").statement().text
    assert "JOIN writer AS j0 ON novel.writer_id = j0.id" in text
    assert "LEFT OUTER JOIN reader AS j1 ON novel.editor_id = j1.id" in text
    text = Writer.exclude(novels__title="x").statement().text
    assert "JOIN" not in text and "(writer.id NOT IN (SELECT novel.writer_id" in " ".join(text.split())
    with pytest.raises(ormada.QueryError, match=r"Novel has no relation 'writr'; did you mean 'writer'\?"):
        Novel.select_related("writr")
    with pytest.raises(ormada.QueryError, match=r"Writer\.novels is the reverse side of Novel\.writer; a JOIN "
                                                r"reads one related row, so use prefetch_related\('novels'\)"):
        Writer.select_related("novels")


async def test_lookups_and_ordering_across_relations(rdb: ormada.Database, api: Api) -> None:
    le_guin, butler, _ = await _library(api)
    by_name = Novel.filter(writer__name__icontains="guin").order_by("title")
    assert [n.title for n in await api(by_name, "all")] == ["Dispossessed", "Earthsea", "Lathe"]
    assert await api(Novel.filter(writer=butler), "count") == 1  # an instance stands for its key
    assert await api(Novel.filter(writer__in=[le_guin, butler.id]), "count") == 4
    assert await api(Novel.filter(editor__isnull=True), "count") == 2
    ordered = Novel.order_by("-writer__name", "title").select_related("writer")
    assert [(n.writer.name, n.title) for n in await api(ordered, "all")] == [
        ("Le Guin", "Dispossessed"), ("Le Guin", "Earthsea"), ("Le Guin", "Lathe"), ("Butler", "Kindred")]
    # Reverse: one row per matching novel, so distinct() for the owners.
    assert await api(Writer.filter(novels__title__startswith="D").values_list("name", flat=True), "all") == [
        "Le Guin"]
    rows = await api(Writer.filter(novels__editor__name="Ed").values_list("name", flat=True), "all")
    assert rows == ["Le Guin", "Le Guin"]
    assert await api(Writer.filter(novels__editor__name="Ed").distinct().values_list("name", flat=True),
                     "all") == ["Le Guin"]
    assert await api(Writer.filter(ormada.Q(novels__title="Kindred") | ormada.Q(name="Le Guin")).distinct(),
                     "count") == 2
    assert await api(Reader.filter(edited__writer__name="Le Guin").distinct(), "count") == 1
    kindred = await api(Novel, "get", title="Kindred")
    assert await api(Writer.filter(novels=kindred).values_list("name", flat=True), "all") == ["Butler"]
    assert await api(Writer.filter(novels__in=[kindred.id]), "count") == 1
    # F() across a relation compares with the joined row's column.
    after_name = Novel.filter(title__gt=ormada.F("writer__name")).values_list("title", flat=True)
    assert await api(after_name, "all") == ["Kindred"]
    # exclude() across a to-many relation: no related row matches (not "some joined row does not").
    assert await api(Writer.exclude(novels__title="Lathe").values_list("name", flat=True), "all") == ["Butler"]
    assert await api(Writer.filter(~ormada.Q(novels__editor__name="Ed")).values_list("name", flat=True),
                     "all") == ["Butler"]
    assert await api(Reader.exclude(edited__writer__name="Nobody"), "count") == 1
    # Writes with filters across relations pick their keys in a sub-select.
    assert await api(Novel.filter(writer__name="Butler"), "update", title="Kindred (1979)") == 1
    assert await api(Novel.filter(title="Kindred (1979)"), "exists")
    assert await api(Novel.exclude(writer__name="Le Guin"), "delete") == 1
    assert await api(Novel.query(), "count") == 3


def test_lookup_paths_that_cannot_work_are_query_errors() -> None:
    with pytest.raises(ormada.QueryError, match=r"Writer has no field 'nam'; did you mean 'name'\?"):
        Novel.filter(writer__nam="x")
    with pytest.raises(ormada.QueryError, match=r"Novel\.writer: the Writer given has no id"):
        Novel.filter(writer=Writer(name="unsaved"))
    with pytest.raises(ormada.QueryError, match=r"Writer\.novels: the Novel given has no id"):
        Writer.filter(novels=Novel(title="t", writer_id=1))
    with pytest.raises(ormada.QueryError, match=r"Writer has no field 'nme'"):
        Novel.order_by("writer__nme")
    with pytest.raises(ormada.QueryError, match=r"F\('title__name'\) follows 'title', which is not a relation"):
        Novel.filter(title=ormada.F("title__name"))


@pytest.mark.parametrize("in_transaction", [False, True])
async def test_iterator_reads_joined_rows_and_prefetches_chunk_by_chunk(rdb: ormada.Database, api: Api,
                                                                         in_transaction: bool) -> None:
    for name in ("Le Guin", "Butler", "Jemisin"):
        writer = await api(Writer, "create", name=name)
        for k in (1, 2):
            await api(Novel, "create", title=f"{name} {k}", writer=writer)

    async def read() -> tuple[list[Any], list[Any]]:
        novels = await api.iterate(Novel.select_related("writer").order_by("id"), 2)
        writers = await api.iterate(Writer.prefetch_related("novels").order_by("id"), 2)
        return novels, writers

    if in_transaction:
        async with api.transaction(rdb):
            novels, writers = await read()
    else:
        novels, writers = await read()
    assert [(n.title, n.writer.name) for n in novels][:3] == [("Le Guin 1", "Le Guin"), ("Le Guin 2", "Le Guin"),
                                                              ("Butler 1", "Butler")]
    assert len(novels) == 6
    assert [sorted(n.title for n in w.novels) for w in writers] == [
        ["Le Guin 1", "Le Guin 2"], ["Butler 1", "Butler 2"], ["Jemisin 1", "Jemisin 2"]]
    assert all(n.writer is w for w in writers for n in w.novels)  # each row knows its owner


async def test_update_refuses_f_across_a_relation_and_changes_nothing(rdb: ormada.Database, api: Api) -> None:
    writer = await api(Writer, "create", name="Le Guin")
    await api(Novel, "create", title="Lathe", writer=writer)
    with pytest.raises(ormada.QueryError, match=r"Novel\.update\(title=\.\.\.\): F\('writer__name'\) reads across "
                                                r"a relation, which an UPDATE cannot join; filter across"):
        await api(Novel.filter(writer__name="Le Guin"), "update", title=ormada.F("writer__name") + "!")
    assert [n.title for n in await api.list(Novel.query())] == ["Lathe"]


async def test_async_prefetch_reads_independent_relations_at_the_same_time(rdb: ormada.Database,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside a transaction each relation of a level is read on a pooled connection of its
    own, all at once; inside one, one after another on the transaction's connection."""
    import asyncio

    await _library(Api("async"))
    pool = rdb.async_pool()
    acquire = pool.acquire
    asked: list[int] = []
    both_asked = asyncio.Event()

    async def acquire_when_both_are_asked_for() -> Any:
        # The main read takes the first connection; the two other relations each ask for
        # one, and neither gets it before both have asked: read one after another, the
        # first would wait here for good (the timeout turns that into a failure).
        asked.append(1)
        if len(asked) > 1:
            if len(asked) == 3:
                both_asked.set()
            await asyncio.wait_for(both_asked.wait(), timeout=10)
        return await acquire()

    monkeypatch.setattr(pool, "acquire", acquire_when_both_are_asked_for)
    query = Novel.prefetch_related("writer", "editor", "reviews").order_by("id")
    novels = await query
    assert len(asked) == 3
    assert [(n.writer.name, n.editor is not None, n.reviews) for n in novels] == [
        ("Le Guin", True, []), ("Le Guin", False, []), ("Le Guin", True, []), ("Butler", False, [])]
    asked.clear()
    async with rdb.atransaction():
        again = await query
    assert len(asked) == 1 and [n.writer.name for n in again] == [n.writer.name for n in novels]


async def test_values_across_relations(rdb: ormada.Database, api: Api) -> None:
    await _library(api)
    rows = Novel.values("title", "writer__name", "editor__name").order_by("title")
    assert await api(rows, "all") == [
        {"title": "Dispossessed", "writer__name": "Le Guin", "editor__name": "Ed"},
        {"title": "Earthsea", "writer__name": "Le Guin", "editor__name": "Ed"},
        {"title": "Kindred", "writer__name": "Butler", "editor__name": None},
        {"title": "Lathe", "writer__name": "Le Guin", "editor__name": None}]
    pairs = Writer.values_list("name", "novels__title").filter(name="Butler")
    assert await api(pairs, "all") == [("Butler", "Kindred")]
    assert await api(Reader.values_list("edited__writer__name", flat=True).distinct(), "all") == ["Le Guin"]
    with pytest.raises(ormada.QueryError, match=r"Writer has no field 'nme'"):
        Novel.values("writer__nme")


async def test_loaded_relations_are_in_dumps_and_unloaded_ones_are_left_out(rdb: ormada.Database, api: Api) -> None:
    await _library(api)
    novel = await api(Novel.select_related("writer", "editor").prefetch_related("reviews"), "get", title="Lathe")
    dumped = novel.model_dump()
    assert dumped["writer"] == {"id": novel.writer_id, "name": "Le Guin"}
    assert dumped["editor"] is None and dumped["reviews"] == []
    assert "press" not in dumped  # not loaded: left out, not faked
    assert "writer" not in novel.model_dump(exclude={"writer"})
    assert '"writer":{"id":1,"name":"Le Guin"}' in novel.model_dump_json()
    writer = await api(Writer.prefetch_related("novels"), "get", name="Butler")
    assert [n["title"] for n in writer.model_dump(mode="json")["novels"]] == ["Kindred"]
    assert "writer" not in writer.model_dump()["novels"][0]  # no way back to the row being dumped
    plain = await api(Writer, "get", name="Butler")
    assert plain.model_dump() == {"id": plain.id, "name": "Butler"}
    assert plain.model_dump_json() == f'{{"id":{plain.id},"name":"Butler"}}'
