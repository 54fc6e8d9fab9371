"""The README's ``ormada inspect`` example, run as a reader runs it, prints the models the README shows."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import run_process
from tests.integration.test_readme import marked_blocks, run_python


def test_readme_inspect_prints_what_the_readme_shows(tmp_path: Path) -> None:
    [setup], [shown] = marked_blocks("inspect-setup"), marked_blocks("inspect-output")
    made = run_python(setup, tmp_path)
    assert made.returncode == 0, made.stderr
    done = run_process(["--url", "sqlite:///shop.db", "inspect"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == shown
