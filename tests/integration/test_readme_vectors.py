"""The README's "Vector search" example, run as a reader runs it (a fresh interpreter, in an
empty directory), on SQLite as written and on the PostgreSQL with pgvector."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import PGV_HOST, PGV_PORT
from tests.integration.test_readme import assert_ran, marked_blocks, run_python

CONNECT = 'ormada.connect("sqlite:///passages.db")'


def example() -> tuple[str, str]:
    code, output = marked_blocks("vector-search"), marked_blocks("vector-search-output")
    assert len(code) == len(output) == 1, "the vector search section has one example and its output"
    assert CONNECT in code[0] and "VectorIndex(" in code[0] and ".nearest(" in code[0]
    return code[0], output[0]


def test_the_vector_search_example_on_sqlite(tmp_path: Path) -> None:
    code, output = example()
    assert_ran(run_python(code, tmp_path), output)
    assert_ran(run_python(code, tmp_path), output)  # drop_all() first: it runs again as it did


def test_the_vector_search_example_on_postgresql_with_pgvector(pgvector_database: str, tmp_path: Path) -> None:
    code, output = example()
    url = f"postgresql://postgres@{PGV_HOST}:{PGV_PORT}/{pgvector_database}"
    assert_ran(run_python(code.replace(CONNECT, f'ormada.connect("{url}")'), tmp_path), output)
