"""The README's diagram example, run as a reader runs it, prints the Mermaid text the README shows."""

from __future__ import annotations

from pathlib import Path

from tests.integration.test_readme import assert_ran, marked_blocks, run_python


def test_readme_diagram_prints_what_the_readme_shows(tmp_path: Path) -> None:
    [code], [output] = marked_blocks("diagram"), marked_blocks("diagram-output")
    assert_ran(run_python(code, tmp_path), output)
