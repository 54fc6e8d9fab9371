"""The README's sections on hooks and signals, routing to replicas and the repository, run the
way a reader runs them: each block verbatim in a fresh interpreter, its output compared with
the block printed after it. The hooks block also runs with its URL swapped for PostgreSQL and
MariaDB; the routing block needs two databases and runs on two SQLite files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MY_HOST, MY_PORT, PG_URL
from tests.integration.test_readme import assert_ran, marked_blocks, run_python

HOOKS_URL = 'ormada.connect("sqlite:///articles.db")'


def block(name: str) -> tuple[str, str]:
    code, output = marked_blocks(f"{name}-example"), marked_blocks(f"{name}-output")
    assert len(code) == len(output) == 1
    return code[0], output[0]


def test_the_examples_cover_the_api() -> None:
    hooks, routing, repository = block("hooks")[0], block("routing")[0], block("repository")[0]
    for call in ("def before_save(self, created: bool)", "def after_save(", "async def after_delete(",
                 "signals.post_save.connect(", "signals.post_bulk.connect(", "ormada.NotSupported", ".adelete()"):
        assert call in hooks, call
    for call in ("replicas=[", "with db.transaction():", '.using("default")'):
        assert call in routing, call
    for call in ("Repository[Book]", "self.query()", ".add(", ".add_many(", ".get(", ".get_or_none(", ".list(",
                 "page=2", ".paginate(", ".update(", ".delete(", ".count(", ".exists("):
        assert call in repository, call


def test_hooks_on_sqlite(tmp_path: Path) -> None:
    code, output = block("hooks")
    assert code.count(HOOKS_URL) == 1
    assert_ran(run_python(code, tmp_path), output)
    assert_ran(run_python(code, tmp_path), output)  # drop_all() first: it runs again


def test_hooks_on_postgresql(pg_schema: str, tmp_path: Path) -> None:
    code, output = block("hooks")
    assert_ran(run_python(code.replace(HOOKS_URL, f'ormada.connect("{PG_URL}?schema={pg_schema}")'), tmp_path),
               output)


def test_hooks_on_mariadb(mysql_database: str, tmp_path: Path) -> None:
    code, output = block("hooks")
    url = f"mysql://root@{MY_HOST}:{MY_PORT}/{mysql_database}"
    assert_ran(run_python(code.replace(HOOKS_URL, f'ormada.connect("{url}")'), tmp_path), output)


@pytest.mark.parametrize("name", ["routing", "repository"])
def test_routing_and_repository_on_sqlite(name: str, tmp_path: Path) -> None:
    code, output = block(name)
    assert_ran(run_python(code, tmp_path), output)
    assert_ran(run_python(code, tmp_path), output)
