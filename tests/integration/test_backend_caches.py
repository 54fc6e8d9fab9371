"""What a backend caches for a model (row layouts, hydrators, tables) lives and dies
with the backend: closing and dropping a database frees it, however many came before."""

from __future__ import annotations

import asyncio
import gc
import weakref
from pathlib import Path
from typing import Annotated, Any

import ormada
from ormada import Model, PrimaryKey
from ormada import _hydrate as hydrate
from ormada import _operations as ops
from ormada.backends.base import Backend
from tests.conftest import PG_URL

DATABASE = "cache_probe"
ROUNDS = 50


class Reader(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str
    tags: list[str] = []

    class Meta:
        database = DATABASE


class Visit(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    reader_id: int
    pages: int = 0

    class Meta:
        database = DATABASE


MODELS = (Reader, Visit)


def model_cache_entries() -> int:
    """Entries cached on the model classes themselves, which outlive every database."""
    return sum(len(getattr(m.__ormada__, "caches", {})) for m in MODELS)


def use_sync(database: ormada.Database) -> None:
    database.create_all(list(MODELS))
    reader = Reader.create(name="Ann", tags=["a"])
    Visit.bulk_create([Visit(reader_id=reader.id or 0, pages=n) for n in range(3)])
    reader.tags.append("b")
    reader.save()
    assert Reader.get(id=reader.id).tags == ["a", "b"]
    assert [v.pages for v in Visit.filter(reader_id=reader.id).order_by("pages")] == [0, 1, 2]
    assert Reader.query().values("name").all() == [{"name": "Ann"}]
    assert Visit.query().count() == 3


async def use_async(database: ormada.Database) -> None:
    await database.acreate_all(list(MODELS))
    reader = await Reader.acreate(name="Bob", tags=["x"])
    await Visit.acreate(reader_id=reader.id or 0, pages=7)
    assert (await Reader.aget(id=reader.id)).tags == ["x"]
    assert [v.pages async for v in Visit.filter(reader_id=reader.id)] == [7]
    await database.aclose()


def test_closed_databases_leave_no_backend_or_cache_behind(tmp_path: Path) -> None:
    gc.collect()
    entries_before = model_cache_entries()
    backends: list[weakref.ref[Backend]] = []
    for i in range(ROUNDS):
        url = "sqlite:///:memory:" if i % 2 else f"sqlite:///{tmp_path / f'round{i}.db'}"
        database = ormada.connect(url, name=DATABASE)
        backends.append(weakref.ref(database.backend))
        if i % 10 == 9:
            asyncio.run(use_async(database))
        else:
            use_sync(database)
        database.close()
    del database
    # The registry holds the last database connected under the name: replace it with
    # one that was never used, so that every database above is unreferenced.
    ormada.connect("sqlite:///:memory:", name=DATABASE).close()
    gc.collect()

    alive = sum(ref() is not None for ref in backends)
    assert alive == 0, f"{alive} of {ROUNDS} backends survive their database"
    assert model_cache_entries() == entries_before


def test_one_model_on_two_databases_at_once(tmp_path: Path, pg_schema: str) -> None:
    """Both databases stay open and take turns, each backend with its own layouts and
    hydrators."""
    first = ormada.Database(f"sqlite:///{tmp_path / 'first.db'}", DATABASE)
    second = ormada.Database(f"{PG_URL}?schema={pg_schema}", DATABASE)
    info = Reader.__ormada__
    try:
        for database in (first, second):
            database.create_all([Reader])
        for n in range(2):
            for database, name in ((first, "sqlite"), (second, "pg")):
                reader = Reader(name=f"{name}{n}", tags=[name, str(n)])
                database.run(ops.insert(database.backend, info, reader))
                reader.tags.append("saved")
                database.run(ops.save(database.backend, info, reader))

        def names(database: ormada.Database) -> list[tuple[str, list[str]]]:
            found: list[Any] = database.run(ops.fetch(database.backend, info, Reader.query().order_by("id").state))
            return [(r.name, r.tags) for r in found]

        assert names(first) == [("sqlite0", ["sqlite", "0", "saved"]), ("sqlite1", ["sqlite", "1", "saved"])]
        assert names(second) == [("pg0", ["pg", "0", "saved"]), ("pg1", ["pg", "1", "saved"])]
        columns = info.table.columns
        assert hydrate.hydrator(first.backend, info, columns) is hydrate.hydrator(first.backend, info, columns)
        assert hydrate.hydrator(first.backend, info, columns) is not hydrate.hydrator(second.backend, info, columns)
        assert hydrate.layout(first.backend, info, columns) is not hydrate.layout(second.backend, info, columns)
    finally:
        first.close()
        second.close()
