"""ormada --help, --version, info, check, models and shell through Typer's runner."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ormada import __version__
from ormada.cli import app
from tests.cli.conftest import Cli

COMMANDS = ["info", "check", "models", "query", "sql", "shell", "load", "dump", "diagram"]


def test_help_lists_every_command_and_each_has_its_own() -> None:
    runner = CliRunner()
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    for name in COMMANDS:
        assert name in top.stdout
        own = runner.invoke(app, [name, "--help"])
        assert own.exit_code == 0, own.output
        assert f"Usage: ormada {name}" in own.stdout
    assert "--filter" in runner.invoke(app, ["query", "--help"]).stdout
    assert "--atomic" in runner.invoke(app, ["load", "--help"]).stdout


def test_version_and_no_arguments() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["--version"]).stdout == f"ormada {__version__}\n"
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2


def test_info_masks_passwords_and_lists_drivers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ormada]\nurl = "sqlite:///app.db"\nmodels = ["app.models"]\nmigrations = "migrations"\n'
        '[tool.ormada.databases]\nreports = "postgresql://reporter:s3cret-pw@db.internal:5432/reports"\n')
    result = CliRunner().invoke(app, ["info"], env={"COLUMNS": "200", "ORMADA_URL": None, "ORMADA_MODELS": None})
    assert result.exit_code == 0, result.output
    assert "s3cret-pw" not in result.output
    assert "postgresql://reporter:***@db.internal:5432/reports" in result.stdout
    assert "sqlite:///app.db" in result.stdout
    assert f"ormada {__version__}" in result.stdout
    assert "models: app.models" in result.stdout
    assert "migrations: migrations" in result.stdout
    assert f"sqlite3 (SQLite {sqlite3.sqlite_version})" in result.stdout
    assert "psycopg" in result.stdout and "cassandra-driver" in result.stdout


def test_check_prints_the_server_version_and_round_trip(cli: Cli) -> None:
    result = cli("check")
    assert result.exit_code == 0, result.output
    version = cli.db.execute(cli.db.backend.version_query)[0][0]
    assert str(version) in result.stdout
    assert "ok" in result.stdout


def test_check_fails_with_exit_code_1_naming_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.ormada]\nurl = "sqlite:///{tmp_path}/ok.db"\n'
        '[tool.ormada.databases]\ngone = "postgresql://u:hidden@127.0.0.1:1/x?connect_timeout=2"\n')
    result = CliRunner().invoke(app, ["check"], env={"COLUMNS": "200", "ORMADA_URL": None})
    assert result.exit_code == 1
    assert "cannot reach gone" in result.stderr
    assert "failed" in result.stdout and "ok" in result.stdout
    assert "hidden" not in result.output


def test_models_shows_tables_keys_fields_and_relations(cli: Cli) -> None:
    result = cli("models")
    assert result.exit_code == 0, result.output
    for text in ("Writer", "cli_writer", "Novel", "cli_novel", "Sample", "cli_sample", "default",
                 "id (primary)", "title: text", "born: int32?", "writer -> Writer (forward)",
                 "novels -> Novel (reverse, many)", "price: decimal", "blob: bytes"):
        assert text in result.stdout, text
    described = cli("models", "--json")
    import json

    novel = next(m for m in json.loads(described.stdout) if m["model"] == "Novel")
    assert novel["table"] == "cli_novel"
    assert novel["keys"] == ["id (primary)"]
    assert novel["relations"] == ["writer -> Writer (forward)"]


def test_a_broken_models_module_shows_its_traceback_and_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cli_broken_models.py").write_text("VALUE = 1\nraise ValueError('models are broken')\n")
    result = CliRunner().invoke(app, ["--url", "sqlite://:memory:", "--models", "cli_broken_models", "models"])
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert "raise ValueError('models are broken')" in result.stderr
    assert "error: cannot import model module 'cli_broken_models'" in result.stderr
    assert str(tmp_path / "cli_broken_models.py") in result.stderr
    assert "no models" not in result.stderr


def test_no_models_configured_is_a_user_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["--url", "sqlite://:memory:", "models"], env={"ORMADA_MODELS": None})
    assert result.exit_code == 1
    assert "no model modules configured" in result.stderr


def test_shell_evaluates_lines_with_models_db_and_top_level_await(cli: Cli) -> None:
    result = cli("shell", "--plain", input="print('n =', Novel.count())\n"
                                           "print('a =', await Novel.filter(year__gte=1969).acount())\n"
                                           "print(db.name, sorted(databases))\n")
    assert result.exit_code == 0, result.output
    assert "ormada shell: Novel, Sample, Writer" in result.stdout
    assert "n = 4" in result.stdout
    assert "a = 2" in result.stdout
    assert "default ['default']" in result.stdout
