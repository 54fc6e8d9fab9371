"""Fixtures for the Cassandra unit tests: no server, compiled statements only."""

from __future__ import annotations

from typing import Any

import pytest

from ormada.backends.base import Statement

from . import cqlcheck
from .models import ALL_MODELS, db


@pytest.fixture(scope="session")
def udts() -> dict[str, Any]:
    return cqlcheck.udt_registry(ALL_MODELS)


@pytest.fixture
def backend() -> Any:
    return db.backend


@pytest.fixture
def check(udts: dict[str, Any]) -> Any:
    """Checks a statement with cqlsh's grammar and the driver's serializers; returns the gaps used."""

    def run(statement: Statement) -> list[str]:
        return cqlcheck.check(statement, udts)

    return run
