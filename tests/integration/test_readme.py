"""The README's quickstart and ``examples/demo.py``, run the way a reader runs them.

The quickstart code blocks are the fences right after a ``<!-- quickstart -->`` comment in
README.md, and what they print is the fence after each ``<!-- quickstart-output -->``. The
blocks run verbatim as one script in a fresh interpreter (model classes register globally,
so they must not share a process with the test models); only the ``ormada.connect(...)`` URL
is swapped for the PostgreSQL run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DEMO = ROOT / "examples" / "demo.py"
QUICKSTART_URL = "sqlite:///library.db"
CONNECT = f'ormada.connect("{QUICKSTART_URL}")'
TIMEOUT = 120


def marked_blocks(marker: str) -> list[str]:
    """The body of each fenced block that directly follows ``<!-- marker -->`` in the README."""
    lines = README.read_text(encoding="utf-8").splitlines()
    blocks = []
    for i, line in enumerate(lines):
        if line.strip() != f"<!-- {marker} -->":
            continue
        start = i + 1
        assert re.fullmatch(r"```\w+", lines[start].strip()), f"README line {start + 1}: a fence must follow {line!r}"
        end = lines.index("```", start + 1)
        blocks.append("\n".join(lines[start + 1:end]) + "\n")
    return blocks


def run_python(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    path = cwd / "quickstart.py"
    path.write_text(script, encoding="utf-8")
    return subprocess.run([sys.executable, path.name], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT,
                          check=False)


def assert_ran(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == expected


@pytest.fixture(scope="module")
def quickstart() -> tuple[list[str], list[str]]:
    code, output = marked_blocks("quickstart"), marked_blocks("quickstart-output")
    assert len(code) == len(output) == 2, "the quickstart is a sync block and an async block, each with its output"
    assert sum(block.count(CONNECT) for block in code) == 1
    return code, output


def test_quickstart_covers_the_tour(quickstart: tuple[list[str], list[str]]) -> None:
    sync, async_ = quickstart[0]
    for call in ("Author.create(", "Book.bulk_create(", "Q(", "__gte=", "__icontains=", ".order_by(", ".limit(",
                 ".count()", "Book.get(", ".save()", "with db.transaction():", ".update("):
        assert call in sync, call
    for call in ("await Author.acreate(", "await Book.filter(", "async for ", "async with db.atransaction():",
                 "await kindred.asave()", ".acount()"):
        assert call in async_, call
    assert 'ormada.connect("postgresql://' in README.read_text(encoding="utf-8")


def test_quickstart_on_sqlite(quickstart: tuple[list[str], list[str]], tmp_path: Path) -> None:
    (sync, async_), (sync_output, async_output) = quickstart
    # The sync block alone is a complete program.
    assert_ran(run_python(sync, tmp_path), sync_output)
    assert (tmp_path / "library.db").exists()
    # Run again with the async part appended: the same file, tables recreated, same output.
    assert_ran(run_python(sync + "\n" + async_, tmp_path), sync_output + async_output)


def test_quickstart_on_postgresql(quickstart: tuple[list[str], list[str]], pg_schema: str, tmp_path: Path) -> None:
    (sync, async_), (sync_output, async_output) = quickstart
    script = (sync + "\n" + async_).replace(CONNECT, f'ormada.connect("{PG_URL}?schema={pg_schema}")')
    assert_ran(run_python(script, tmp_path), sync_output + async_output)
    # Run twice: drop_all() at the start makes the quickstart repeatable on a server too.
    assert_ran(run_python(script, tmp_path), sync_output + async_output)


def test_demo_runs_and_shows_the_tour(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    result = subprocess.run([sys.executable, str(DEMO)], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=TIMEOUT, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    for text in (
        # the models and the DDL they produce
        "1. Models and tables", "class Book(Model):", "CREATE TABLE IF NOT EXISTS author",
        # writes and the library they build
        "generated the ids [1, 2, 3]", "Book.bulk_create() wrote 7 books", "The Left Hand of Darkness",
        # queries with lookups, Q, ordering, slicing, values
        "3. Queries", 'Book.filter(year__gte=1970).count()', "['Solaris', 'The Left Hand of Darkness', 'Kindred']",
        "Q(pages__lt=200) | Q(year__gt=1990)", "[{'title': 'The Left Hand of Darkness', 'year': 1969}]",
        # the SQL a QuerySet sends
        "SELECT books.id, books.title", "ORDER BY books.year DESC", "params: [1970, 'sf', 5, 0]",
        # an update in a transaction, a rollback, an IntegrityError
        "update() returned 4", "inside the block: 8 books, Kindred dated 1",
        "after the block: 7 books (was 7), Kindred dated 1979", "ormada.IntegrityError",
        "UNIQUE constraint failed: author.name", "Ann Leckie stored? False (authors: 3)",
        "Book matching title='Dune' does not exist",
        # the async API
        "6. The async API", "His Master's Voice", "classics (async for): ['Solaris', 'The Left Hand of Darkness', "
        "'Kindred']", "aupdate() inside atransaction() changed 3 rows; 8 books in all",
        # the ormada command on the demo's database, as a process of its own
        "7. The command line", "--models examples/demo.py models", "2 models", "author -> Author (forward)",
        "Parable of the Sower", "3 rows",
    ):
        assert text in out, f"{text!r} not in the demo's output"
    # The database lives in a temporary directory, not where the demo was started.
    assert list(tmp_path.iterdir()) == []
