"""The migration commands of ``ormada`` on the live node, as real processes of the installed
console script: makemigrations, migrate, status, history, sqlmigrate and downgrade walk a
model through two changes on a keyspace of its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import ormada
from conftest import HOSTS, SCHEMA_CHANGE_TIMEOUT

ORMADA = Path(sys.executable).parent / "ormada"

MODELS = '''from typing import Annotated
from uuid import UUID

from ormada import Indexed, Model, PrimaryKey


class Sensor(Model):
    id: Annotated[UUID, PrimaryKey()]
    name: str
{extra}
    class Meta:
        table = "sensor"
'''


def write_models(project: Path, extra: str = "") -> None:
    (project / "cqlwalk.py").write_text(MODELS.format(extra=extra))


def ormada_process(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ORMADA_URL", "ORMADA_MODELS")}
    env["COLUMNS"] = "200"
    return subprocess.run([str(ORMADA), *args], cwd=project, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, ormada.Database]]:
    """A project configured for a keyspace of its own (dropped after the test)."""
    keyspace = f"ormada_cli_mig_{uuid.uuid4().hex[:8]}"
    url = f"cassandra://{HOSTS}/{keyspace}"
    db = ormada.Database(url, name=keyspace)
    create = db.backend.create_keyspace()
    create.timeout = SCHEMA_CHANGE_TIMEOUT
    db.execute_statement(create)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.ormada]\nurl = "{url}"\nmodels = ["cqlwalk.py"]\nmigrations = "migrations"\n')
    yield tmp_path, db
    drop = db.backend.drop_keyspace()
    drop.timeout = SCHEMA_CHANGE_TIMEOUT
    db.execute_statement(drop)
    db.close()


def columns(db: ormada.Database) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for table, column in db.execute("SELECT table_name, column_name FROM system_schema.columns "
                                    "WHERE keyspace_name = :k", {"k": db.backend.keyspace}):  # type: ignore[attr-defined]
        found.setdefault(table, set()).add(column)
    found.pop("ormada_migrations", None)
    return found


def test_two_changes_through_the_commands(project: tuple[Path, ormada.Database]) -> None:
    root, db = project
    write_models(root)
    made = ormada_process(root, "makemigrations", "-m", "sensors")
    assert made.returncode == 0, made.stderr
    first = re.search(r"versions/\d+_(\w+?)_sensors", made.stdout)
    assert first, made.stdout
    applied = ormada_process(root, "migrate")
    assert applied.returncode == 0, applied.stderr
    assert f"applied {first.group(1)} sensors" in applied.stdout
    assert columns(db) == {"sensor": {"id", "name"}}

    write_models(root, "    site: Annotated[str | None, Indexed()] = None\n")
    drift = ormada_process(root, "status", "--check")
    assert drift.returncode == 1 and "drift:" in drift.stdout and "site" in drift.stdout, drift.stdout
    made = ormada_process(root, "makemigrations", "-m", "sensor site")
    assert made.returncode == 0, made.stderr
    second = re.search(r"versions/\d+_(\w+?)_sensor_site", made.stdout)
    assert second, made.stdout
    cql = ormada_process(root, "sqlmigrate", second.group(1))
    assert cql.returncode == 0, cql.stderr
    assert "ALTER TABLE sensor ADD" in cql.stdout and "site" in cql.stdout and "CREATE INDEX" in cql.stdout
    assert ormada_process(root, "migrate").returncode == 0
    assert columns(db) == {"sensor": {"id", "name", "site"}}
    status = ormada_process(root, "status", "--check")
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"current: {second.group(1)}" in status.stdout and "drift: none" in status.stdout
    history = ormada_process(root, "history")
    assert re.search(rf"{first.group(1)} .*sensors.* yes", history.stdout), history.stdout
    assert re.search(rf"{second.group(1)} .*sensor site.* yes", history.stdout), history.stdout

    down = ormada_process(root, "downgrade", "base")
    assert down.returncode == 0, down.stderr
    assert down.stdout.count("reverted ") == 2
    assert columns(db) == {}
