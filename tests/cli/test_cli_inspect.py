"""``ormada inspect`` run as a user runs it: through Typer's runner and as the installed
console script, on SQLite and PostgreSQL (the CLI's databases)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.cli.conftest import Cli, run_process


def _inspect(url: str, *args: str) -> tuple[int, str, str]:
    from ormada.cli import app

    result = CliRunner().invoke(app, ["--url", url, "inspect", *args],
                                env={"ORMADA_URL": None, "ORMADA_MODELS": None, "COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_inspect_prints_the_models(cli: Cli) -> None:
    code, out, _ = _inspect(cli.url, "--tables", "cli_writer,cli_novel")
    assert code == 0, out
    assert "class CliWriter(Model):" in out and "class CliNovel(Model):" in out
    assert '    name: Annotated[str, Unique()]' in out
    assert 'ForeignKey("CliWriter", related_name="cli_novel_set"' in out


def test_inspect_writes_files_and_then_only_what_changed(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "legacy_models.py"
    code, _, err = _inspect(cli.url, "--out", str(out), "--views", "--managers")
    assert code == 0, err
    assert "new cli_writer" in err and "wrote 3 file(s), 0 unchanged" in err
    assert (tmp_path / "legacy_models_views.py").exists() and (tmp_path / "legacy_models_managers.py").exists()
    code, _, err = _inspect(cli.url, "--out", str(out), "--views", "--managers")
    assert code == 0 and "unchanged cli_writer" in err and "wrote 0 file(s), 3 unchanged" in err


def test_inspect_as_a_process_writes_a_package(cli: Cli, tmp_path: Path) -> None:
    done = run_process(["--url", cli.url, "inspect", "--out-dir", "app_models", "--tables", "cli_writer"],
                       cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "new cli_writer" in done.stderr
    assert (tmp_path / "app_models" / "__init__.py").read_text().count("from .cli_writer import CliWriter") == 1


def test_inspect_mistakes(cli: Cli, tmp_path: Path) -> None:
    code, _, err = _inspect(cli.url, "--tables", "nope")
    assert code == 1 and "has no table 'nope'" in err
    code, _, err = _inspect(cli.url, "--views")
    assert code == 1 and "--views and --managers write files of their own" in err
    code, _, err = _inspect(cli.url, "--out", "a.py", "--out-dir", "b")
    assert code == 1 and "not both" in err
    code, _, err = _inspect("duckdb://:memory:")
    assert code == 1 and "in-memory DuckDB database cannot be inspected" in err
    code, _, _ = _inspect(cli.url, "--no-such-option")
    assert code == 2
