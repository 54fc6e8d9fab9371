"""iterator() / aiterator() over joined, annotated, prefetched and combined queries: the same
rows, in the same shapes, as all() gives, read in chunks (a server-side cursor on PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import pytest

import ormada
from ormada import Count, ForeignKey, Max, Model, PrimaryKey
from tests.conftest import Api, models_database


class IterWriter(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str

    class Meta:
        table = "iter_writer"


class IterNovel(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    year: int
    writer: Annotated[IterWriter, ForeignKey(related_name="novels")]

    class Meta:
        table = "iter_novel"


NOVELS = {"Octavia E. Butler": [("Kindred", 1979), ("Dawn", 1987), ("Fledgling", 2005)],
          "Ursula K. Le Guin": [("The Dispossessed", 1974)], "Nobody": []}


@pytest.fixture
async def db(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ormada.Database]:
    async with models_database(backend, request, tmp_path, [IterWriter, IterNovel]) as database:
        for name, novels in NOVELS.items():
            writer = IterWriter.create(name=name)
            IterNovel.bulk_create([IterNovel(title=t, year=y, writer=writer) for t, y in novels])
        yield database


async def test_select_related_rows(db: ormada.Database, api: Api) -> None:
    qs = IterNovel.select_related("writer").order_by("year")
    for chunk in (1, 2, 100):
        rows = await api.iterate(qs, chunk)
        assert [(n.title, n.writer.name) for n in rows] == [
            ("The Dispossessed", "Ursula K. Le Guin"), ("Kindred", "Octavia E. Butler"),
            ("Dawn", "Octavia E. Butler"), ("Fledgling", "Octavia E. Butler")]


async def test_filters_and_ordering_across_a_relation(db: ormada.Database, api: Api) -> None:
    qs = IterNovel.filter(writer__name__startswith="Octavia").order_by("-year")
    assert [n.title for n in await api.iterate(qs, 2)] == ["Fledgling", "Dawn", "Kindred"]
    by_writer = IterNovel.order_by("writer__name", "year").values_list("writer__name", "title")
    assert await api.iterate(by_writer, 3) == await api(by_writer, "all") == [
        ("Octavia E. Butler", "Kindred"), ("Octavia E. Butler", "Dawn"), ("Octavia E. Butler", "Fledgling"),
        ("Ursula K. Le Guin", "The Dispossessed")]


async def test_annotated_instances_and_groups(db: ormada.Database, api: Api) -> None:
    qs = IterWriter.annotate(n=Count("novels"), latest=Max("novels__year")).order_by("id")
    rows = await api.iterate(qs, 1)
    assert [(w.name, w.n, w.latest) for w in rows] == [  # type: ignore[attr-defined]
        ("Octavia E. Butler", 3, 2005), ("Ursula K. Le Guin", 1, 1974), ("Nobody", 0, None)]
    busy = IterWriter.annotate(n=Count("novels")).filter(n__gt=1).values("name", "n")
    assert await api.iterate(busy, 1) == [{"name": "Octavia E. Butler", "n": 3}]
    grouped = IterNovel.values("writer_id").annotate(n=Count("id")).order_by("writer_id")
    assert await api.iterate(grouped, 1) == await api(grouped, "all") == [{"writer_id": 1, "n": 3},
                                                                           {"writer_id": 2, "n": 1}]


async def test_prefetched_relations_chunk_by_chunk(db: ormada.Database, api: Api) -> None:
    qs = IterWriter.prefetch_related("novels").order_by("id")
    rows = await api.iterate(qs, 2)
    assert [(w.name, sorted(n.title for n in w.novels)) for w in rows] == [
        ("Octavia E. Butler", ["Dawn", "Fledgling", "Kindred"]), ("Ursula K. Le Guin", ["The Dispossessed"]),
        ("Nobody", [])]


async def test_combined_queries(db: ormada.Database, api: Api) -> None:
    old = IterNovel.filter(year__lt=1980).values_list("title", flat=True)
    late = IterNovel.filter(year__gt=2000).values_list("title", flat=True)
    assert await api.iterate(old.union(late).order_by("title"), 1) == ["Fledgling", "Kindred", "The Dispossessed"]


async def test_combined_model_rows_with_prefetched_relations(db: ormada.Database, api: Api) -> None:
    combined = IterWriter.filter(name__startswith="Ursula").union(IterWriter.filter(name="Nobody"))
    qs = combined.prefetch_related("novels").order_by("name")
    for rows in (await api(qs, "all"), await api.iterate(qs, 1)):
        assert [(w.name, [n.title for n in w.novels]) for w in rows] == [("Nobody", []),
                                                                         ("Ursula K. Le Guin", ["The Dispossessed"])]
