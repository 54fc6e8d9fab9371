"""ModelView: output with relations loaded, fields left out, keys inlined and computed
fields, sync and async, with a JSON schema of its own."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import pytest

import ormada
from ormada import ForeignKey, ManyToMany, Model, ModelView, PrimaryKey
from tests.conftest import Api, models_database


class Poet(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str


class Theme(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str


class Poem(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    secret_note: str = ""
    poet: Annotated[Poet, ForeignKey(related_name="poems")]
    themes: Annotated[list[Theme], ManyToMany(related_name="poems")] = []


class PoemView(ModelView):
    """A poem as the API shows it."""

    model = Poem
    prefetch = ["themes"]
    exclude = ["secret_note"]
    inline = {"poet_id": "poet"}

    def shout(self, poem: Poem) -> str:
        return poem.title.upper()

    async def theme_count(self, poem: Poem) -> int:
        return len(poem.themes)

    def broken(self, poem: Poem) -> int:
        raise RuntimeError("boom")


class SyncPoemView(ModelView):
    model = Poem
    inline = {"poet_id": "poet"}

    def shout(self, poem: Poem) -> str:
        return poem.title.upper()


class PoetView(ModelView):
    """A poet with the themes of every poem: a nested relation path."""

    model = Poet
    prefetch = ["poems__themes"]

    def themes(self, poet: Poet) -> list[str]:
        return sorted({theme.name for poem in poet.poems for theme in poem.themes})


JUNCTION = Poem.__ormada__.relations["themes"].through
MODELS = [Poet, Theme, Poem, JUNCTION]


@pytest.fixture
async def vdb(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with models_database(backend, request, tmp_path, MODELS) as database:
        yield database


def test_the_output_model_and_its_json_schema() -> None:
    schema = PoemView.output.model_json_schema()
    assert list(schema["properties"]) == ["id", "title", "poet", "themes", "shout", "theme_count", "broken"]
    assert "secret_note" not in schema["properties"] and "poet_id" not in schema["properties"]
    assert schema["description"] == "A poem as the API shows it."
    assert schema["properties"]["themes"]["items"] == {"$ref": "#/$defs/Theme"}


async def test_views_of_a_queryset_and_of_instances(vdb: ormada.Database, api: Api,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    poet = await api(Poet, "create", name="Szymborska")
    poem = await api(Poem, "create", title="Nothing Twice", poet=poet, secret_note="x")
    love, time = await api(Theme, "create", name="love"), await api(Theme, "create", name="time")
    if api.is_async:
        await poem.themes.aadd(love, time)
    else:
        poem.themes.add(love, time)
    with caplog.at_level(logging.WARNING, logger="ormada.views"):
        if api.is_async:
            rows = await Poem.filter(id=poem.id).view(PoemView)
        else:
            rows = SyncPoemView.of(Poem.filter(id=poem.id)).all()
    out = rows[0].model_dump()
    if api.is_async:
        assert out["poet"] == {"id": poet.id, "name": "Szymborska"}
        assert sorted(t["name"] for t in out["themes"]) == ["love", "time"]
        assert (out["shout"], out["theme_count"], out["broken"]) == ("NOTHING TWICE", 2, None)
        assert f"PoemView.broken failed for Poem(id={poem.id})" in caplog.text and "boom" in caplog.text
        assert "Nothing Twice" not in caplog.text  # the row by its key, not its values
        single = await PoemView.aapply(await api(Poem, "get", id=poem.id))  # loads what it needs
        assert single.model_dump() == out
    else:
        assert out == {"id": poem.id, "title": "Nothing Twice", "poet": {"id": poet.id, "name": "Szymborska"},
                       "secret_note": "x", "shout": "NOTHING TWICE"}
        single = SyncPoemView.apply(Poem.get(id=poem.id))
        assert single.model_dump() == out
        with pytest.raises(ormada.QueryError, match=r"PoemView\.theme_count is async; use aapply"):
            PoemView.apply(Poem.get(id=poem.id))


def test_views_that_cannot_work_are_refused_where_they_are_defined() -> None:
    with pytest.raises(ormada.ConfigurationError, match="needs model = <a Model class>"):
        class NoModel(ModelView):
            pass
    with pytest.raises(ormada.ConfigurationError, match=r"exclude: Poem has no field 'titel'; did you mean 'title'"):
        class Misspelt(ModelView):
            model = Poem
            exclude = ["titel"]
    with pytest.raises(ormada.ConfigurationError, match=r"inline: 'title' -> 'poet' must map a foreign key"):
        class BadInline(ModelView):
            model = Poem
            inline = {"title": "poet"}
    with pytest.raises(ormada.QueryError, match=r"Poem has no relation 'themse'"):
        class BadPrefetch(ModelView):
            model = Poem
            prefetch = ["themse"]
    with pytest.raises(ormada.QueryError, match=r"PoemView is a view of Poem, not of Poet"):
        Poet.query().view(PoemView)


async def test_a_view_loads_the_missing_steps_of_a_nested_path(vdb: ormada.Database, api: Api,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    poet = await api(Poet, "create", name="Szymborska")
    poem = await api(Poem, "create", title="Nothing Twice", poet=poet)
    love = await api(Theme, "create", name="love")
    await api(poem.themes, "add", love)
    fetched = await api(Poet, "get", id=poet.id)
    await api(fetched, "fetch_related", "poems")  # the first step is loaded, the second is not
    with caplog.at_level(logging.WARNING, logger="ormada.views"):
        view = await PoetView.aapply(fetched) if api.is_async else PoetView.apply(fetched)
    assert view.themes == ["love"]  # type: ignore[attr-defined]
    assert [p["title"] for p in view.model_dump()["poems"]] == ["Nothing Twice"]
    assert caplog.text == ""
