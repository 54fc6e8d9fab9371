"""``ormada diagram``: the configured models, or the tables of a live database, as Mermaid,
SVG or PNG; through Typer's runner and as the installed console script."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from ormada.cli import app
from tests.cli.conftest import Cli, run_process
from tests.unit.test_diagram import need_dot

TABLES = {"cli_writer", "cli_novel", "cli_sample"}


def boxes(mermaid: str) -> set[str]:
    return {line.strip().removesuffix(" {") for line in mermaid.splitlines() if line.endswith(" {")}


def test_models_as_mermaid(cli: Cli) -> None:
    result = cli("diagram")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("erDiagram\n")
    assert boxes(result.stdout) == TABLES
    assert 'cli_writer ||--o{ cli_novel : "writer / novels"' in result.stdout
    # Stable: drawing twice gives the same text.
    assert cli("diagram").stdout == result.stdout


def test_some_tables_to_a_file(cli: Cli) -> None:
    out = cli.cwd / "schema.mmd"
    result = cli("diagram", "--tables", "cli_writer,cli_novel", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stderr and "2 tables, 1 links" in result.stderr
    assert boxes(out.read_text()) == {"cli_writer", "cli_novel"}


def test_a_live_database_without_models(cli: Cli) -> None:
    """With --url and no models, the database's own tables (reflected) are drawn."""
    result = CliRunner().invoke(app, ["--url", cli.url, "diagram"], env={"ORMADA_URL": None, "ORMADA_MODELS": None})
    assert result.exit_code == 0, result.output
    assert boxes(result.stdout) >= TABLES
    assert 'cli_writer ||--o{ cli_novel : "writer_id"' in result.stdout


def test_svg_and_png_as_the_console_script(cli: Cli) -> None:
    need_dot()
    svg = cli.process("diagram", "--format", "svg")
    assert svg.returncode == 0, svg.stderr
    ns = {"svg": "http://www.w3.org/2000/svg"}
    titles = {g.findtext("svg:title", namespaces=ns)
              for g in ET.fromstring(svg.stdout).iterfind(".//svg:g[@class='node']", ns)}
    assert titles == TABLES
    png = cli.process("diagram", "--format", "png", "--out", "schema.png")
    assert png.returncode == 0, png.stderr
    assert (cli.cwd / "schema.png").read_bytes().startswith(b"\x89PNG")


def test_mistakes_are_one_line_errors(cli: Cli) -> None:
    unknown = cli("diagram", "--format", "gif")
    assert unknown.exit_code == 1 and "unknown format 'gif'" in unknown.stderr
    png = cli("diagram", "--format", "png")
    assert png.exit_code == 1 and "a PNG needs a file" in png.stderr
    missing = cli("diagram", "--tables", "nope")
    assert missing.exit_code == 1 and "no table 'nope'" in missing.stderr


def test_without_graphviz_the_message_names_the_package(cli: Cli, tmp_path: Path) -> None:
    """dot missing from PATH (the console script runs by its full path): a one-line error
    naming the package to install."""
    result = run_process(["--url", cli.url, "--models", "tests.cli.cli_models", "diagram", "--format", "svg"],
                         cwd=cli.cwd, env={"PATH": str(tmp_path / "empty")})
    assert result.returncode == 1, result.stderr
    assert "install the `graphviz` package" in result.stderr
