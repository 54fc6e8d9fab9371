"""The ormada command against the live node: check, models, query, sql, dump and load, through
Typer's runner and as a real process of the installed console script."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from live_cli_models import CliReading
from typer.testing import CliRunner

import ormada
from conftest import HOSTS

HERE = Path(__file__).resolve().parent
ORMADA = Path(sys.executable).parent / "ormada"
T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def project(keyspace: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project whose pyproject.toml names the run's keyspace, and a table with two sensors' rows."""
    url = f"cassandra://{HOSTS}/{keyspace}"
    db = ormada.connect(url, name="cassandra_cli")
    db.create_all([CliReading])
    for i in range(5):
        CliReading(sensor="s1", at=T0 + dt.timedelta(minutes=i), value=Decimal(f"{i}.25"), tags={f"t{i}"},
                   raw=bytes([i, 255]), note=None if i % 2 else f"n{i}").save()
    CliReading(sensor="s2", at=T0, value=Decimal("-1.5")).save()
    root = tmp_path_factory.mktemp("cli_project")
    (root / "pyproject.toml").write_text(
        f'[tool.ormada]\nmodels = ["live_cli_models"]\n[tool.ormada.databases]\ncassandra_cli = "{url}"\n')
    yield root
    db.close()


def cli(project: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from ormada.cli import app

    monkeypatch.chdir(project)
    return CliRunner().invoke(app, list(args), env={"ORMADA_URL": None, "ORMADA_MODELS": None, "COLUMNS": "200"})


def process(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ORMADA_URL", "ORMADA_MODELS")}
    env.update({"PYTHONPATH": str(HERE), "COLUMNS": "200"})
    return subprocess.run([str(ORMADA), *args], cwd=project, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def test_check_and_models(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checked = cli(project, "check", monkeypatch=monkeypatch)
    assert checked.exit_code == 0, checked.output
    assert "cassandra_cli" in checked.stdout and "ok" in checked.stdout
    assert "5.0" in checked.stdout  # the node's release_version
    models = cli(project, "models", monkeypatch=monkeypatch)
    assert "cli_reading" in models.stdout
    assert "sensor (partition)" in models.stdout and "at (clustering)" in models.stdout


def test_query_and_sql(project: Path, keyspace: str, monkeypatch: pytest.MonkeyPatch) -> None:
    found = cli(project, "query", "CliReading", "filter", "-f", "sensor=s1", "-f", f"at__gte={T0 + dt.timedelta(3)}",
                "--json", monkeypatch=monkeypatch)
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout) == []
    later = cli(project, "query", "CliReading", "filter", "-f", "sensor=s1", "-f", "at__gte=2024-05-01T12:03:00Z",
                "--fields", "value,note", "--json", monkeypatch=monkeypatch)
    assert json.loads(later.stdout) == [{"value": "3.25", "note": None}, {"value": "4.25", "note": "n4"}]
    counted = cli(project, "query", "CliReading", "count", "-f", "sensor=s2", monkeypatch=monkeypatch)
    assert counted.stdout.strip() == "1"
    # Raw CQL names its keyspace: the session has none of its own.
    statement = f"SELECT sensor, value FROM {keyspace}.cli_reading WHERE sensor = :s"
    cql = cli(project, "sql", "-d", "cassandra_cli", statement, "-p", "s=s2", "--json", monkeypatch=monkeypatch)
    assert cql.exit_code == 0, cql.output
    assert json.loads(cql.stdout) == [{"sensor": "s2", "value": "-1.5"}]
    joined = cli(project, "query", "CliReading", "filter", "-f", "sensor=s1", "-f", "note__icontains=n",
                 monkeypatch=monkeypatch)
    assert joined.exit_code == 1
    assert joined.stderr.startswith("error: ")


def test_dump_then_load_round_trips_on_cassandra(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = [r.model_dump() for r in CliReading.filter(sensor="s1")]
    out = project / "s1.jsonl"
    dumped = cli(project, "dump", "CliReading", "-f", "sensor=s1", "--out", str(out), monkeypatch=monkeypatch)
    assert dumped.exit_code == 0, dumped.output
    moved = out.read_text().replace('"sensor":"s1"', '"sensor":"s3"')
    (project / "s3.jsonl").write_text(moved)
    loaded = cli(project, "load", "CliReading", str(project / "s3.jsonl"), monkeypatch=monkeypatch)
    assert loaded.exit_code == 0, loaded.output
    after = [r.model_dump() for r in CliReading.filter(sensor="s3")]
    assert after == [{**row, "sensor": "s3"} for row in before]
    csv_out = project / "s1.csv"
    assert cli(project, "dump", "CliReading", "-f", "sensor=s1", "--format", "csv", "--out", str(csv_out),
               monkeypatch=monkeypatch).exit_code == 0
    (project / "s4.csv").write_text(csv_out.read_text().replace("\ns1,", "\ns4,"))
    assert cli(project, "load", "CliReading", str(project / "s4.csv"), monkeypatch=monkeypatch).exit_code == 0
    assert [r.model_dump() for r in CliReading.filter(sensor="s4")] == [{**row, "sensor": "s4"} for row in before]


def test_the_console_script_on_cassandra(project: Path) -> None:
    checked = process(project, "check")
    assert checked.returncode == 0, checked.stderr
    assert "cassandra_cli" in checked.stdout
    rows = process(project, "query", "CliReading", "filter", "-f", "sensor=s2", "--fields", "sensor,value", "--csv")
    assert rows.returncode == 0, rows.stderr
    assert rows.stdout.splitlines() == ["sensor,value", "s2,-1.5"]
    source = project / "s5.csv"
    source.write_text("sensor,at,value,tags,raw,note\ns5,2024-05-02T00:00:00+00:00,7.75,\"[\"\"a\"\"]\",AAE=,\\N\n"
                      "s5,not a time,1,[],,x\n")
    loaded = process(project, "load", "CliReading", str(source))
    assert loaded.returncode == 1
    assert "line 3: CliReading.at" in loaded.stderr
    (row,) = CliReading.filter(sensor="s5").all()
    assert (row.value, row.tags, row.raw, row.note) == (Decimal("7.75"), {"a"}, b"\x00\x01", None)
