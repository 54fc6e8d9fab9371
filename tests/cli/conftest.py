"""Fixtures of the command-line tests: a fresh database holding the CLI test models, and a
way to run ``ormada`` on it through Typer's runner or as a real subprocess.

The commands run on SQLite and PostgreSQL (a schema of its own per test); the live
Cassandra ones are in ``tests/live/cassandra/test_live_cli.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import ormada
from tests.cli.cli_models import MODELS, Novel, Writer
from tests.conftest import models_database

CLI_BACKENDS = ["sqlite", "postgresql"]
MODELS_MODULE = "tests.cli.cli_models"
ROOT = Path(__file__).resolve().parents[2]
# The console script pip installed beside this interpreter.
ORMADA = Path(sys.executable).parent / "ormada"


@dataclass
class Cli:
    """Runs ``ormada --url <the test's database> --models tests.cli.cli_models ...``."""

    url: str
    db: ormada.Database
    cwd: Path

    def __call__(self, *args: str, input: str | None = None) -> Any:
        from ormada.cli import app

        runner = CliRunner()
        return runner.invoke(app, ["--url", self.url, "--models", MODELS_MODULE, *args], input=input,
                             env={"ORMADA_URL": None, "ORMADA_MODELS": None, "COLUMNS": "200"})

    def process(self, *args: str, input: str | None = None, module: bool = False) -> subprocess.CompletedProcess[str]:
        """The installed console script (or ``python -m ormada``) in a process of its own."""
        return run_process(["--url", self.url, "--models", MODELS_MODULE, *args], cwd=self.cwd, input=input,
                           module=module)


def run_process(args: Sequence[str], cwd: Path, input: str | None = None, module: bool = False,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ormada"] if module else [str(ORMADA)]
    environment = {k: v for k, v in os.environ.items() if k not in ("ORMADA_URL", "ORMADA_MODELS")}
    environment.update({"PYTHONPATH": str(ROOT), "COLUMNS": "200", **(env or {})})
    return subprocess.run([*command, *args], cwd=cwd, input=input, capture_output=True, text=True, timeout=120,
                          env=environment, check=False)


@pytest.fixture(params=CLI_BACKENDS)
def cli_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def cli(cli_backend: str, request: pytest.FixtureRequest, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Cli]:
    """The CLI on a fresh database holding the writers and novels of :func:`seed`."""
    monkeypatch.chdir(tmp_path)  # no pyproject.toml here: --url and --models say everything
    async with models_database(cli_backend, request, tmp_path, MODELS) as database:
        seed()
        yield Cli(str(database.url.render(hide_password=False)), database, tmp_path)


def seed() -> None:
    le_guin = Writer.create(name="Ursula K. Le Guin", born=1929)
    lem = Writer.create(name="Stanisław Lem", born=1921)
    Writer.create(name="Anonymous")
    Novel.bulk_create([
        Novel(title="A Wizard of Earthsea", year=1968, writer_id=le_guin.id, tags=["fantasy"]),
        Novel(title="The Left Hand of Darkness", year=1969, writer_id=le_guin.id, tags=["sf", "classic"]),
        Novel(title="The Dispossessed", year=1974, writer_id=le_guin.id, tags=["sf"]),
        Novel(title="Solaris", year=1961, writer_id=lem.id, tags=["sf", "classic"]),
    ])
