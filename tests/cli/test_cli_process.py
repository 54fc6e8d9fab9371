"""The installed ``ormada`` console script (and ``python -m ormada``) run as real processes,
configured by a project's pyproject.toml, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from ormada import __version__
from tests.cli.cli_models import Novel
from tests.cli.conftest import MODELS_MODULE, ORMADA, Cli, run_process


def project(cli: Cli, url: str | None = None) -> Path:
    """A project directory whose pyproject.toml configures the test's database and models."""
    (cli.cwd / "pyproject.toml").write_text(
        f'[project]\nname = "shop"\n\n[tool.ormada]\nurl = "{url or cli.url}"\nmodels = ["{MODELS_MODULE}"]\n')
    sub = cli.cwd / "sub"
    sub.mkdir(exist_ok=True)
    return sub  # commands run below it: the file is found upwards


def test_help_and_version_as_processes(tmp_path: Path) -> None:
    assert ORMADA.is_file(), "pip install -e . installs the ormada console script"
    shown = run_process(["--help"], cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "Usage: ormada" in shown.stdout and "load" in shown.stdout
    version = run_process(["--version"], cwd=tmp_path, module=True)
    assert (version.returncode, version.stdout) == (0, f"ormada {__version__}\n")
    usage = run_process(["query", "--no-such-option"], cwd=tmp_path)
    assert usage.returncode == 2
    assert "No such option" in usage.stderr


def test_a_project_configured_in_pyproject(cli: Cli) -> None:
    where = project(cli)
    models = run_process(["models"], cwd=where)
    assert models.returncode == 0, models.stderr
    assert "cli_novel" in models.stdout and "writer -> Writer (forward)" in models.stdout
    info = run_process(["info"], cwd=where)
    assert info.returncode == 0, info.stderr
    assert "sqlite" in info.stdout or "postgresql" in info.stdout
    check = run_process(["check"], cwd=where)
    assert check.returncode == 0, check.stderr
    assert str(cli.db.execute(cli.db.backend.version_query)[0][0]) in check.stdout
    found = run_process(["query", "Novel", "filter", "-f", "year__gte=1969", "-o", "year", "--fields", "title",
                         "--json"], cwd=where)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout) == [{"title": "The Left Hand of Darkness"}, {"title": "The Dispossessed"}]
    raw = run_process(["sql", "SELECT count(*) AS n FROM cli_novel WHERE year < :y", "-p", "y=1970", "--json"],
                      cwd=where)
    assert json.loads(raw.stdout) == [{"n": 3}]


def test_load_dump_and_errors_as_processes(cli: Cli) -> None:
    where = project(cli)
    source = cli.cwd / "more.csv"
    source.write_text("title,year,writer_id,tags\nKindred,1979,3,[]\nDawn,1987,3,\"[\"\"xeno\"\"]\"\n")
    loaded = run_process(["load", "Novel", str(source), "--atomic"], cwd=where)
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded 2 rows into Novel" in loaded.stdout
    assert Novel.get(title="Dawn").tags == ["xeno"]
    dumped = run_process(["dump", "Novel", "--format", "jsonl", "-f", "writer_id=3", "-o", "title"], cwd=where)
    assert dumped.returncode == 0, dumped.stderr
    assert [json.loads(line)["title"] for line in dumped.stdout.splitlines()] == ["Dawn", "Kindred"]
    bad = run_process(["query", "Novel", "filter", "-f", "year=soon"], cwd=where)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: Novel.year: invalid value 'soon': Input should be a valid integer, " \
                                 "unable to parse string as an integer"


def test_environment_overrides_the_file_in_a_process(cli: Cli) -> None:
    where = project(cli, url="sqlite:////nonexistent/dir/x.db")
    failing = run_process(["query", "Novel", "count"], cwd=where)
    assert failing.returncode == 1
    assert failing.stderr.startswith("error: ")
    overridden = run_process(["query", "Novel", "count"], cwd=where, env={"ORMADA_URL": cli.url})
    assert overridden.returncode == 0, overridden.stderr
    assert overridden.stdout.strip() == "4"


def test_shell_process_evaluates_stdin(cli: Cli) -> None:
    where = project(cli)
    done = run_process(["shell", "--plain"], cwd=where,
                       input="total = await Novel.acount()\nprint('total', total, Writer.count())\n")
    assert done.returncode == 0, done.stderr
    assert "total 4 3" in done.stdout
    assert "In [1]" not in done.stdout


def test_shell_process_uses_ipython_when_installed(cli: Cli) -> None:
    import importlib.util

    assert importlib.util.find_spec("IPython") is not None, "the dev extra installs IPython"
    where = project(cli)
    done = run_process(["shell"], cwd=where, input="print('total', await Novel.acount(), Writer.count())\n")
    assert done.returncode == 0, done.stderr
    assert "In [1]: total 4 3" in done.stdout
