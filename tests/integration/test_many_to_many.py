"""Many-to-many relations: the junction ormada makes, writes, prefetch, lookups and
refusals, on every SQL backend and mode."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import ValidationError

import ormada
from ormada import ForeignKey, ManyToMany, Model, PrimaryKey
from tests.conftest import Api, database_url, models_database


class Label(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str


class Album(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    labels: Annotated[list[Label], ManyToMany(related_name="albums")] = []
    similar: Annotated[list[Album], ManyToMany("self", related_name="+")] = []
    genres: Annotated[list[Genre], ManyToMany()] = []  # a model defined below


class Genre(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str


JUNCTIONS = [r.through for r in Album.__ormada__.relations.values() if r.through is not None]
MODELS = [Label, Genre, Album, *JUNCTIONS]


@pytest.fixture
async def mdb(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with models_database(backend, request, tmp_path, MODELS) as database:
        yield database


async def write(api: Api, manager: Any, name: str, *args: Any) -> Any:
    """``manager.<name>(*args)``, or its awaited ``a`` twin in async mode."""
    if api.is_async:
        return await getattr(manager, f"a{name}")(*args)
    return getattr(manager, name)(*args)


def test_the_junction_is_a_model_with_a_key_per_side_and_one_row_per_pair(tmp_path: Path) -> None:
    relation = Album.__ormada__.relations["labels"]
    junction = relation.through
    assert junction is not None and junction.__name__ == "AlbumLabels"
    assert (relation.through_source, relation.through_target) == ("album_id", "label_id")
    assert Label.__ormada__.relations["albums"].partner is relation
    assert Album.__ormada__.relations["similar"].through_source == "from_album_id"
    assert "album_set" in Genre.__ormada__.relations  # the default reverse name
    database = ormada.connect(f"sqlite:///{tmp_path / 'ddl.db'}")
    try:
        texts = " ".join(s.text for s in database.create_all([Label, Album, junction], dry_run=True))
        assert "CREATE TABLE IF NOT EXISTS album_labels" in texts
        assert "FOREIGN KEY(album_id) REFERENCES album (id) ON DELETE CASCADE" in texts
        assert "FOREIGN KEY(label_id) REFERENCES label (id) ON DELETE CASCADE" in texts
        assert "CREATE UNIQUE INDEX IF NOT EXISTS uq_album_labels_album_id_label_id" in texts
    finally:
        database.close()


async def test_add_remove_set_clear_and_prefetch(mdb: ormada.Database, api: Api) -> None:
    rock, jazz, folk = [await api(Label, "create", name=n) for n in ("rock", "jazz", "folk")]
    album = await api(Album, "create", title="A")
    other = await api(Album, "create", title="B")
    await write(api, album.labels, "add", rock, jazz.id)
    await write(api, album.labels, "add", rock)  # already linked: left as it is
    await write(api, other.labels, "add", jazz)
    loaded = await api(Album.prefetch_related("labels").order_by("id"), "all")
    assert [sorted(label.name for label in a.labels) for a in loaded] == [["jazz", "rock"], ["jazz"]]
    first = loaded[0]
    await write(api, first.labels, "remove", jazz)
    assert [label.name for label in first.labels] == ["rock"]  # the loaded list follows the write
    await write(api, first.labels, "set", [folk, rock])
    assert sorted(label.name for label in first.labels) == ["folk", "rock"]
    again = await api(Album.prefetch_related(ormada.Prefetch("labels", Label.query().order_by("name"))), "get",
                      id=album.id)
    assert [label.name for label in again.labels] == ["folk", "rock"]
    labels = await api(Label.prefetch_related("albums").order_by("name"), "all")
    assert [(lab.name, sorted(a.title for a in lab.albums)) for lab in labels] == [
        ("folk", ["A"]), ("jazz", ["B"]), ("rock", ["A"])]
    await write(api, first.labels, "clear")
    assert list(first.labels) == []
    assert (await api(Album.prefetch_related("labels"), "get", id=album.id)).labels == []
    junction = Album.__ormada__.relations["labels"].through
    if not mdb.backend.supports.extra.get("foreign_key_actions", True):  # no ON DELETE CASCADE: links go first
        with pytest.raises(ormada.IntegrityError, match="ON DELETE"):
            await api(other, "delete")
        await write(api, other.labels, "clear")
    await api(other, "delete")  # its links go with it
    assert await api(junction.query(), "count") == 0


async def test_lookups_across_many_to_many(mdb: ormada.Database, api: Api) -> None:
    rock, jazz = await api(Label, "create", name="rock"), await api(Label, "create", name="jazz")
    a, b = await api(Album, "create", title="A"), await api(Album, "create", title="B")
    await api(Album, "create", title="C")
    for album, labels in ((a, [rock, jazz]), (b, [jazz])):
        await write(api, album.labels, "add", *labels)
    titles = Album.filter(labels__name="jazz").order_by("title").values_list("title", flat=True)
    assert await api(titles, "all") == ["A", "B"]
    assert await api(Album.filter(labels__name__in=["rock", "jazz"]).distinct(), "count") == 2
    assert await api(Album.exclude(labels__name="rock").order_by("title").values_list("title", flat=True),
                     "all") == ["B", "C"]
    assert await api(Label.filter(albums__title="B").values_list("name", flat=True), "all") == ["jazz"]
    assert await api(Album.filter(labels=rock).values_list("title", flat=True), "all") == ["A"]


async def test_writes_and_reads_that_cannot_work_are_refused(mdb: ormada.Database, api: Api) -> None:
    album = Album(title="unsaved")
    with pytest.raises(ormada.DataError, match=r"Album\.labels: save the Album before changing its relations"):
        album.labels.add(1)
    saved = await api(Album, "create", title="s")
    with pytest.raises(ormada.DataError, match=r"the Label given is not saved yet"):
        saved.labels.add(Label(name="new"))
    with pytest.raises(ormada.DataError, match=r"Album\.labels holds Label rows, not Genre"):
        saved.labels.add(await api(Genre, "create", name="g"))
    with pytest.raises(ormada.RelationNotLoaded, match=r"Album\.labels is not loaded.*prefetch_related\('labels'\)"):
        list(saved.labels)
    with pytest.raises(ormada.QueryError, match=r"Album\.labels is a many-to-many relation; a JOIN reads one"):
        Album.select_related("labels")
    with pytest.raises(AttributeError, match=r"change it with \.set"):
        saved.labels = []  # type: ignore[assignment]


class Band(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str
    members: Annotated[list[Musician], ManyToMany(related_name="bands", through="Membership")] = []


class Musician(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str


class Membership(Model):
    """A junction of one's own, with a column of its own."""

    id: Annotated[int | None, PrimaryKey()] = None
    band: Annotated[Band, ForeignKey(on_delete="cascade", related_name="memberships")]
    musician: Annotated[Musician, ForeignKey(on_delete="cascade", related_name="+")]
    role: str

    class Meta:
        unique_together = [("band_id", "musician_id")]


async def test_a_junction_model_of_ones_own(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
                                            api: Api) -> None:
    database = ormada.connect(database_url(backend, request, tmp_path))
    models = [Band, Musician, Membership]
    database.drop_all(models)
    database.create_all(models)
    try:
        band = await api(Band, "create", name="Low")
        alan, mimi = await api(Musician, "create", name="Alan"), await api(Musician, "create", name="Mimi")
        if api.is_async:
            await band.members.aadd(alan, mimi, through_defaults={"role": "vocals"})
        else:
            band.members.add(alan, mimi, through_defaults={"role": "vocals"})
        loaded = await api(Band.prefetch_related("members", "memberships"), "get", id=band.id)
        assert sorted(m.name for m in loaded.members) == ["Alan", "Mimi"]
        assert {m.role for m in loaded.memberships} == {"vocals"}
        with pytest.raises(ValidationError, match="role"):
            band.members.add(await api(Musician, "create", name="Steve"))  # role is required
        assert await api(Band.filter(members__name="Mimi"), "count") == 1
    finally:
        database.drop_all(models)
        await database.aclose()
