"""The README's Cache section, run the way a reader runs it: the block verbatim in a fresh
interpreter, its output compared with the block printed after it, on SQLite and (with its
URL swapped) on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.integration.test_readme import assert_ran, marked_blocks, run_python

SQLITE_URL = 'ormada.connect("sqlite:///shelves.db")'


@pytest.fixture(scope="module")
def cache_example() -> tuple[str, str]:
    code, output = marked_blocks("cache"), marked_blocks("cache-output")
    assert len(code) == len(output) == 1
    assert code[0].count(SQLITE_URL) == 1
    return code[0], output[0]


def test_the_example_covers_the_api(cache_example: tuple[str, str]) -> None:
    for call in ("ormada.cache.configure(", "Cache(ttl=", 'cache = "long"', ".cache(False)", "db.transaction()",
                 "db.execute("):
        assert call in cache_example[0], call


def test_cache_on_sqlite(cache_example: tuple[str, str], tmp_path: Path) -> None:
    code, output = cache_example
    assert_ran(run_python(code, tmp_path), output)
    assert_ran(run_python(code, tmp_path), output)  # drop_all() first: it runs again


def test_cache_on_postgresql(cache_example: tuple[str, str], pg_schema: str, tmp_path: Path) -> None:
    code, output = cache_example
    script = code.replace(SQLITE_URL, f'ormada.connect("{PG_URL}?schema={pg_schema}")')
    assert_ran(run_python(script, tmp_path), output)
