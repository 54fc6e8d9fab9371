"""The README's section on set operations, row locks, DISTINCT ON, in_bulk and raw instances,
run the way a reader runs it: each block verbatim in a fresh interpreter, its output compared
with the block printed after it. The SQLite block runs on SQLite (and, with its URL swapped,
on PostgreSQL and MariaDB); the locking block runs on PostgreSQL in a schema of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MY_HOST, MY_PORT, PG_URL
from tests.integration.test_readme import assert_ran, marked_blocks, run_python

SQLITE_URL = 'ormada.connect("sqlite:///novels.db")'
PG_CONNECT = 'ormada.connect("postgresql://postgres@127.0.0.1:5432/test")'


@pytest.fixture(scope="module")
def combining() -> tuple[str, str]:
    code, output = marked_blocks("combining"), marked_blocks("combining-output")
    assert len(code) == len(output) == 1
    assert code[0].count(SQLITE_URL) == 1
    return code[0], output[0]


@pytest.fixture(scope="module")
def locking() -> tuple[str, str]:
    code, output = marked_blocks("locking"), marked_blocks("locking-output")
    assert len(code) == len(output) == 1
    assert code[0].count(PG_CONNECT) == 1
    return code[0], output[0]


def test_the_examples_cover_the_api(combining: tuple[str, str], locking: tuple[str, str]) -> None:
    for call in (".union(", ".intersection(", ".difference(", "all=True", ".in_bulk(", ".ain_bulk(",
                 "objects.raw(", ".iterator(", ".acount()"):
        assert call in combining[0], call
    for call in ("select_for_update()", "nowait=True", "skip_locked=True", "LockNotAvailable", "TransactionError",
                 '.distinct("branch")'):
        assert call in locking[0], call


def test_combining_on_sqlite(combining: tuple[str, str], tmp_path: Path) -> None:
    code, output = combining
    assert_ran(run_python(code, tmp_path), output)
    assert_ran(run_python(code, tmp_path), output)  # drop_all() first: it runs again


def test_combining_on_postgresql(combining: tuple[str, str], pg_schema: str, tmp_path: Path) -> None:
    code, output = combining
    script = code.replace(SQLITE_URL, f'ormada.connect("{PG_URL}?schema={pg_schema}")')
    assert_ran(run_python(script, tmp_path), output)


def test_combining_on_mariadb(combining: tuple[str, str], mysql_database: str, tmp_path: Path) -> None:
    code, output = combining
    script = code.replace(SQLITE_URL, f'ormada.connect("mysql://root@{MY_HOST}:{MY_PORT}/{mysql_database}")')
    assert_ran(run_python(script, tmp_path), output)


def test_locking_on_postgresql(locking: tuple[str, str], pg_schema: str, tmp_path: Path) -> None:
    code, output = locking
    script = code.replace(PG_CONNECT, f'ormada.connect("{PG_URL}?schema={pg_schema}")')
    assert_ran(run_python(script, tmp_path), output)
