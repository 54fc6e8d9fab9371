"""The README's logging example (Security: logging and privileges), run as a reader runs it, on
SQLite and (with the URL swapped) PostgreSQL: it prints what the README says it prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.integration.test_readme import assert_ran, marked_blocks, run_python


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_readme_log_params_example(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    (code,), (output,) = marked_blocks("example: log-params"), marked_blocks("example-output: log-params")
    if backend == "postgresql":
        schema = request.getfixturevalue("pg_schema")
        url = f"{PG_URL}?schema={schema}"
        code, swapped = re.subn(r'ormada\.connect\("sqlite:///\w+\.db"\)', f'ormada.connect("{url}")', code)
        assert swapped == 1
    assert_ran(run_python(code, tmp_path), output)
