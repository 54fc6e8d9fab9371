"""``ormada.repository.Repository``: every method on every SQL backend and mode, subclassing
with custom queries, and ``examples/repository.py`` type-checked by ``mypy --strict`` and run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import pytest

import ormada
from ormada import ConfigurationError, EmptyPage, Model, PrimaryKey, Q, signals
from ormada.pagination import CursorPage, NumberedPage
from ormada.repository import Repository
from tests.conftest import Api, database_url, models_database

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "repository.py"


class Film(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    year: int
    rating: int = 0


class FilmRepository(Repository[Film]):
    def classics(self) -> list[Film]:
        return self.query().filter(year__lt=1960).order_by("year").all()


@pytest.fixture
async def films(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with models_database(backend, request, tmp_path, [Film]) as database:
        Film.bulk_create([Film(title=t, year=y) for t, y in (("Metropolis", 1927), ("Vertigo", 1958),
                                                              ("Alien", 1979), ("Heat", 1995), ("Up", 2009))])
        yield database


def test_a_subclass_knows_its_model_and_a_repository_needs_one() -> None:
    assert FilmRepository().model is Film and Repository(Film).model is Film
    assert repr(FilmRepository()) == "<FilmRepository of Film>"
    with pytest.raises(ConfigurationError, match="Repository has no model"):
        Repository()


async def test_reads(films: ormada.Database, api: Api) -> None:
    repo = FilmRepository()
    assert (await api(repo, "get", title="Alien")).year == 1979
    assert (await api(repo, "get", Q(year__gt=2000))).title == "Up"
    with pytest.raises(Film.DoesNotExist):
        await api(repo, "get", title="Missing")
    assert await api(repo, "get_or_none", title="Missing") is None
    listed = await api(repo, "list", {"year__gte": 1958}, ["-year"])
    assert [f.title for f in listed] == ["Up", "Heat", "Alien", "Vertigo"]
    assert [f.title for f in await api(repo, "list", Q(year__lt=1960) | Q(title="Up"), ["title"])] == [
        "Metropolis", "Up", "Vertigo"]
    assert len(await api(repo, "list")) == 5
    assert await api(repo, "count") == 5 and await api(repo, "count", {"year__gt": 1990}) == 2
    assert await api(repo, "exists", {"title": "Heat"}) and not await api(repo, "exists", Q(year__lt=1900))


async def test_pages(films: ormada.Database, api: Api) -> None:
    repo = FilmRepository()
    page = await api(repo, "list", None, ["year"], page=2, per_page=2)
    assert isinstance(page, NumberedPage)
    assert (page.number, page.num_pages, page.count) == (2, 3, 5)
    assert [f.title for f in page] == ["Alien", "Heat"]
    with pytest.raises(EmptyPage):
        await api(repo, "list", None, ["year"], page=4, per_page=2)
    first = await api(repo, "paginate", {"year__gt": 1950}, ["-year"], 3)
    assert isinstance(first, CursorPage) and [f.title for f in first] == ["Up", "Heat", "Alien"]
    rest = await api(repo, "paginate", {"year__gt": 1950}, ["-year"], 3, after=first.next_cursor)
    assert [f.title for f in rest] == ["Vertigo"] and not rest.has_next


async def test_writes_go_through_the_model_with_its_signals(films: ormada.Database, api: Api) -> None:
    repo = FilmRepository()
    seen: list[str] = []

    def on_save(sender: type, instance: Film, created: bool, **kwargs: Any) -> None:
        seen.append(f"{instance.title} {'created' if created else 'changed'}")

    signals.post_save.connect(on_save, sender=Film, weak=False)
    try:
        film = await api(repo, "add", Film(title="Arrival", year=2016))
        assert film.id is not None
        assert len(await api(repo, "add_many", [Film(title="Her", year=2013), Film(title="Ran", year=1985)])) == 2
        await api(repo, "update", film, rating=5)
        film.year = 2017
        await api(repo, "update", film)  # no fields: what changed
        stored = await api(repo, "get", id=film.id)
        assert (stored.rating, stored.year) == (5, 2017)
        assert await api(repo, "delete", stored) == 1
        assert await api(repo, "count") == 7
    finally:
        signals.post_save.disconnect(on_save, Film)
    assert seen == ["Arrival created", "Arrival changed", "Arrival changed"]  # add_many is a bulk write


def test_custom_queries(films: ormada.Database) -> None:
    assert [f.title for f in FilmRepository().classics()] == ["Metropolis", "Vertigo"]


def test_the_example_type_checks_under_mypy_strict(tmp_path: Path) -> None:
    """The example passes ``mypy --strict``, and what comes out of a repository is typed
    with its model (``reveal_type`` says ``Book``), not ``Any``."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from ormada.repository import Repository\n"
        "from repository import Book, BookRepository\n"
        "books = BookRepository()\n"
        "reveal_type(books.get(id=1))\n"
        "reveal_type(books.list())\n"
        "reveal_type(books.list(page=1))\n"
        "reveal_type(Repository(Book).get_or_none(id=1))\n"
        "books.add(1)\n",  # not a Book: an error mypy must report
        encoding="utf-8")
    env = {**os.environ, "MYPYPATH": f"{ROOT / 'src'}{os.pathsep}{EXAMPLE.parent}"}
    # One run for both files (mypy --strict takes a while): the probe's one error is meant.
    checked = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--config-file",
                              str(ROOT / "pyproject.toml"), str(EXAMPLE), str(probe)], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=300, check=False)
    out = checked.stdout
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == 1 and errors[0].startswith("probe.py:8:"), out
    assert 'Argument 1 to "add" of "Repository" has incompatible type "int"; expected "Book"' in errors[0]
    assert 'Revealed type is "repository.Book"' in out, out
    assert re.search(r'Revealed type is "(builtins\.)?list\[repository\.Book\]"', out), out
    assert 'Revealed type is "ormada.pagination.NumberedPage[repository.Book]"' in out, out
    assert 'Revealed type is "repository.Book | None"' in out, out


def test_the_example_runs(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = database_url(backend, request, tmp_path)
    args = [sys.executable, str(EXAMPLE)] + ([] if backend == "sqlite" else [url])
    result = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "repository: <BookRepository of Book>",
        "added: True 4",
        "get: 1979",
        "get_or_none: None",
        "list: ['Neuromancer', 'Kindred', 'Dune']",
        "page: 2 of 2 ['Neuromancer']",
        "cursor pages: ['Dune', 'Kindred'] ['Neuromancer', 'Solaris']",
        "updated: classics",
        "classics: ['Solaris', 'Dune']",
        "exists: True False",
        "async shelved: ['Dune', 'Solaris']",
        "async page: ['Dune', 'Kindred'] True",
        "async delete: 1 3",
        "async add: True True",
    ]
