"""``examples/relations.py`` runs as a reader runs it, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import database_url

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "relations.py"


def test_the_relations_example_runs(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = database_url(backend, request, tmp_path)
    args = [sys.executable, str(EXAMPLE)] + ([] if backend == "sqlite" else [url])
    result = subprocess.run(args, cwd=tmp_path, env={**os.environ, "NO_COLOR": "1"}, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for line in (
        "select_related: The Left Hand of Darkness by Ursula K. Le Guin | author_id without a query: 1",
        "not loaded: Book.author is not loaded",
        "across relations: ['The Left Hand of Darkness']",
        "reverse: ['Octavia E. Butler']",
        "exclude: ['Octavia E. Butler']",
        "values: {'title': 'Kindred', 'author__name': 'Octavia E. Butler'}",
        "prefetch: Ursula K. Le Guin [('The Left Hand of Darkness', ",
        "('The Dispossessed', [])]",
        "afetch_related: Ursula K. Le Guin ['classic', 'sf']",
        "view: {'id': 1, 'title': 'The Left Hand of Darkness', 'author': {'id': 1, 'name': 'Ursula K. Le Guin'}, "
        "'editor_id': 1, 'tags': [{'id': 1, 'name': 'sf'}], 'shelf': 'T'}",
    ):
        assert line in result.stdout
