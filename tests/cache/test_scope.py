"""Entries belong to a database, not to its name: a name connected again to another
database never answers with the old database's rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import ormada
import ormada.cache
from ormada.cache import MemoryCache
from tests.cache.shared import MODELS, Bin


@pytest.fixture
def store() -> Iterator[MemoryCache]:
    chosen = MemoryCache()
    ormada.cache.configure(chosen)
    yield chosen
    ormada.cache.reset()


def test_a_name_connected_again_reads_its_new_database(store: MemoryCache, tmp_path: Path) -> None:
    first, second = f"sqlite:///{tmp_path / 'first.db'}", f"sqlite:///{tmp_path / 'second.db'}"
    prepared = ormada.Database(second, "preparing")  # its tables made before "default" names it
    prepared.create_all(MODELS)
    prepared.close()
    db = ormada.connect(first)
    db.create_all(MODELS)
    Bin.create(name="only in the first")
    assert [b.name for b in Bin.query().all()] == ["only in the first"]
    assert [b.name for b in Bin.query().all()] == ["only in the first"]
    assert store.hits == 1
    db = ormada.connect(second)  # no write in between: only the key can tell them apart
    assert Bin.query().all() == []
    db.close()
