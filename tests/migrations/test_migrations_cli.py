"""The migration commands of ``ormada``: the five model changes walked through Typer's runner
on SQLite, PostgreSQL and MariaDB, once as real processes of the installed console script,
two ``migrate`` processes racing for the lock, and the errors a user reads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.cli.conftest import ORMADA, ROOT, run_process
from tests.migrations.conftest import STEPS, expected_schema, load_step, reflected_schema, walk_source

MODULE = "ormada_models_walkmodels"  # what ormada names the module of the file walkmodels.py


def write_project(where: Path, databases: dict[str, str], models: bool = True) -> None:
    """A pyproject.toml configuring ``databases``, the models of walkmodels.py and the migrations directory."""
    lines = ["[project]", 'name = "library"', "", "[tool.ormada]", 'migrations = "db/migrations"']
    if models:
        lines.append('models = ["walkmodels.py"]')
    lines += ["", "[tool.ormada.databases]", *(f'{name} = "{url}"' for name, url in databases.items())]
    (where / "pyproject.toml").write_text("\n".join(lines) + "\n")


def write_models(where: Path, step: int, database: str) -> None:
    (where / "walkmodels.py").write_text(walk_source(step, database))
    sys.modules.pop(MODULE, None)  # the next command imports the file again, as a new process would


def invoke(*args: str, input: str | None = None) -> Any:
    from ormada.cli import app

    return CliRunner().invoke(app, list(args), input=input,
                              env={"ORMADA_URL": None, "ORMADA_MODELS": None, "COLUMNS": "200"})


def revision_of(output: str) -> str:
    found = re.search(r"versions/(\w+?)_", output)
    assert found, output
    return found.group(1)


def test_five_changes_through_the_commands(url: str, name: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path, {name: url})
    directory = Path("db", "migrations", name)  # a database other than "default": a subdirectory
    ids = []
    for step, message in STEPS.items():
        write_models(tmp_path, step, name)
        made = invoke("makemigrations", "-m", message, "--database", name)
        assert made.exit_code == 0, made.output
        assert f"wrote {directory / 'versions'}" in made.output
        ids.append(revision_of(made.output))
        applied = invoke("migrate", "--database", name)
        assert applied.exit_code == 0, applied.output
        assert f"applied {ids[-1]} {message}" in applied.output
        assert f"{name!r} is at {ids[-1]}" in applied.output
        assert reflected_schema(url) == expected_schema(step)
        status = invoke("status", "--database", name, "--check")
        assert status.exit_code == 0, status.output
        assert f"current: {ids[-1]}" in status.output and "pending: none" in status.output
        assert "drift: none" in status.output
        again = invoke("makemigrations", "--database", name)
        assert again.exit_code == 0 and "no changes" in again.output
    history = invoke("history", "--database", name)
    assert history.exit_code == 0, history.output
    for revision, message in zip(ids, STEPS.values(), strict=True):
        assert re.search(rf"{revision} .*{re.escape(message[:30])}.* yes", history.output), history.output
    down = invoke("downgrade", "-2", "--database", name)
    assert down.exit_code == 0, down.output
    assert [line.split()[1] for line in down.output.splitlines() if line.startswith("reverted")] == ids[:2:-1]
    assert reflected_schema(url) == expected_schema(3)
    pending = invoke("status", "--database", name, "--check")
    assert pending.exit_code == 1
    assert "pending: 2" in pending.output and "drift: not checked" in pending.output
    down = invoke("downgrade", "base", "--database", name)
    assert down.exit_code == 0, down.output
    assert f"{name!r} is at base" in down.output
    assert reflected_schema(url) == {}


@pytest.mark.parametrize("migration_backend", ["sqlite", "postgresql"])
def test_five_changes_as_processes(url: str, tmp_path: Path, project: Any) -> None:
    # The first revision is written and applied, and the last undone, by processes of the installed console
    # script (a process starts in seconds, so the steps between run in this process, as the same commands).
    write_project(tmp_path, {"default": url})
    ids = []
    for step, message in STEPS.items():
        write_models(tmp_path, step, "default")
        if step == 1:
            made = run_process(["makemigrations", "-m", message], cwd=tmp_path)
            assert made.returncode == 0, made.stderr
            ids.append(revision_of(made.stdout))
            applied = run_process(["migrate"], cwd=tmp_path)
            assert applied.returncode == 0, applied.stderr
            assert f"applied {ids[-1]} {message}" in applied.stdout
        else:
            made_here = project("makemigrations", "-m", message)
            assert made_here.exit_code == 0, made_here.output
            ids.append(revision_of(made_here.output))
            applied_here = project("migrate")
            assert applied_here.exit_code == 0, applied_here.output
            assert f"applied {ids[-1]} {message}" in applied_here.output
        assert reflected_schema(url) == expected_schema(step)
    assert sorted(p.name.split("_")[0] for p in (tmp_path / "db" / "migrations" / "versions").glob("*.py")) == \
        sorted(ids)
    # status, history and sqlmigrate as processes too: every command runs in one somewhere.
    status = run_process(["status"], cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert f"head: {ids[-1]}" in status.stdout and "drift: none" in status.stdout
    history = run_process(["history"], cwd=tmp_path)
    assert history.returncode == 0, history.stderr
    assert all(revision in history.stdout for revision in ids)
    ddl = run_process(["sqlmigrate", ids[3]], cwd=tmp_path)
    assert ddl.returncode == 0, ddl.stderr
    assert "CREATE TABLE w_tag" in ddl.stdout and "CREATE TABLE w_book_tags" in ddl.stdout
    reverse = project("sqlmigrate", ids[3], "--downgrade")
    assert "DROP TABLE w_book_tags" in reverse.output and "DROP TABLE w_tag" in reverse.output
    down = run_process(["downgrade", "base"], cwd=tmp_path)
    assert down.returncode == 0, down.stderr
    assert down.stdout.count("reverted ") == 5
    assert reflected_schema(url) == {}


def test_two_processes_migrate_at_once(url: str, name: str, tmp_path: Path) -> None:
    import ormada
    from ormada.migrations import migrations_for

    db = ormada.connect(url, name=name)
    migrations = migrations_for(db, tmp_path / "db" / "migrations")
    for step, message in STEPS.items():  # five revisions, made against the database, then reverted
        load_step(step, name, f"tests_migrations_race_{name}")
        migrations.make(message)
        migrations.upgrade()
    migrations.downgrade("base")
    db.close()
    write_project(tmp_path, {"default": url}, models=False)
    environment = {k: v for k, v in os.environ.items() if k not in ("ORMADA_URL", "ORMADA_MODELS")}
    environment.update({"PYTHONPATH": str(ROOT), "COLUMNS": "200"})
    racing = [subprocess.Popen([str(ORMADA), "migrate"], cwd=tmp_path, env=environment, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in racing]
    assert [code for code, _, _ in results] == [0, 0], results
    outputs = sorted(out for _, out, _ in results)
    assert outputs[0].count("applied ") == 5, outputs
    assert outputs[1].startswith("nothing to apply"), outputs
    assert reflected_schema(url) == expected_schema(5)
    assert len(migrations.history()) == 5 and all(r.applied for r in migrations.history())


def test_mistakes_are_one_line(url: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path, {name: url})
    write_models(tmp_path, 1, name)
    nothing = invoke("history", "--database", name)
    assert nothing.exit_code == 0 and f"no migrations in {Path('db', 'migrations', name)}" in nothing.output
    empty = invoke("migrate", "--database", name)
    assert empty.exit_code == 0 and "nothing to apply: no migrations in" in empty.output
    assert invoke("makemigrations", "-m", STEPS[1], "--database", name).exit_code == 0
    unknown = invoke("migrate", "nope", "--database", name)
    assert unknown.exit_code == 1
    assert unknown.output.startswith("error: no revision 'nope' in ") and unknown.output.count("\n") == 1
    not_configured = invoke("migrate", "--database", "elsewhere")
    assert not_configured.exit_code == 1
    assert f"no database named 'elsewhere' is configured (configured: {name})" in not_configured.output
    usage = invoke("downgrade", "--database", name)
    assert usage.exit_code == 2 and "Missing argument 'target'" in usage.output
    assert invoke("migrate", "--database", name).exit_code == 0
    above = invoke("downgrade", "nope", "--database", name)
    assert above.exit_code == 1 and "no revision 'nope'" in above.output


@pytest.mark.parametrize("migration_backend", ["sqlite"])
def test_interactive_rename(url: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path, {name: url})
    write_models(tmp_path, 1, name)
    assert invoke("makemigrations", "-m", STEPS[1], "--database", name).exit_code == 0
    assert invoke("migrate", "--database", name).exit_code == 0
    (tmp_path / "walkmodels.py").write_text(walk_source(1, name).replace("    name: str\n    class Meta:\n"
                                                                         "        database", "    full_name: str\n"
                                                                         "    class Meta:\n        database", 1))
    sys.modules.pop(MODULE, None)
    warned = invoke("makemigrations", "-m", "rename", "--database", name)
    assert warned.exit_code == 0
    assert "warning: w_author: dropped column(s) 'name' and added 'full_name';" in warned.output
    Path(re.search(r"wrote (\S+)", warned.output).group(1)).unlink()  # type: ignore[union-attr]
    sys.modules.pop(MODULE, None)
    asked = invoke("makemigrations", "-m", "rename", "--interactive", "--database", name, input="y\n")
    assert asked.exit_code == 0, asked.output
    assert "w_author: was column 'name' renamed to 'full_name'?" in asked.output
    assert "warning" not in asked.output
    assert invoke("migrate", "--database", name).exit_code == 0
    assert reflected_schema(url)["w_author"] == ({"id", "full_name"}, set())


def test_duckdb_says_what_to_do_instead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path, {"default": f"duckdb:///{tmp_path / 'x.duckdb'}"}, models=False)
    refused = invoke("migrate")
    assert refused.exit_code == 1
    assert refused.output.startswith("error: SQL migrations (Alembic) do not support the duckdb backend: ")
    assert "db.create_all()" in refused.output and refused.output.count("\n") == 1


def test_a_dropped_model_is_warned_about(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path, {name: f"sqlite:///{tmp_path / 'x.db'}"})
    write_models(tmp_path, 1, name)
    assert invoke("makemigrations", "-m", STEPS[1], "--database", name).exit_code == 0
    assert invoke("migrate", "--database", name).exit_code == 0
    # Book goes; the process keeps its class, so this project maps it to a table of another name.
    (tmp_path / "walkmodels.py").write_text(walk_source(1, name).replace("'w_book'", "'w_volume'"))
    sys.modules.pop(MODULE, None)
    made = invoke("makemigrations", "-m", "volumes", "--database", name)
    assert made.exit_code == 0, made.output
    assert "warning: the revision drops 'w_book', which no model maps" in made.output
    assert "warning: tables 'w_book' are dropped and 'w_volume' created" in made.output
