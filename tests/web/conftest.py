"""Fixtures of the FastAPI integration tests: a fresh SQLite file or PostgreSQL schema per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import database_url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database, SQLite or PostgreSQL."""
    return database_url(str(request.param), request, tmp_path)
