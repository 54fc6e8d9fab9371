"""The README's date and JSON lookup examples, run as a reader runs them, on SQLite and
(with the URL swapped) PostgreSQL: each prints what the README says it prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.integration.test_readme import assert_ran, marked_blocks, run_python

EXAMPLES = ["date-lookups", "json-lookups"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_readme_example_prints_what_it_says(name: str, backend: str, tmp_path: Path,
                                            request: pytest.FixtureRequest) -> None:
    (code,), (output,) = marked_blocks(f"example: {name}"), marked_blocks(f"example-output: {name}")
    if backend == "postgresql":
        schema = request.getfixturevalue("pg_schema")
        url = f"{PG_URL}?schema={schema}"
        code, swapped = re.subn(r'ormada\.connect\("sqlite:///\w+\.db"\)', f'ormada.connect("{url}")', code)
        assert swapped == 1
    assert_ran(run_python(code, tmp_path), output)
