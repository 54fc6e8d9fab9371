"""Statement logs on a real Cassandra node: CQL text and duration, the bound values only when
the database asks for them (``log_params``). Every logger is captured at DEBUG, the driver's too."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from live_write_models import WRITE_MODELS, WAccount

import ormada

SECRET = "s3cr3t-cql-91ab"


@pytest.fixture(scope="module")
def db(keyspace: str) -> Any:
    database = ormada.get_database("cassandra_live")
    database.create_all(list(WRITE_MODELS))
    return database


@pytest.fixture
def quiet_by_default(db: Any) -> Iterator[Any]:
    db.log_params = False
    yield db
    db.log_params = False


def _work(key: str) -> None:
    WAccount.create(key=key, owner=SECRET, tags={SECRET})
    assert WAccount.get(key=key).owner == SECRET
    WAccount.filter(key=key).update(note=SECRET)
    WAccount.bulk_create([WAccount(key=f"{key}-{i}", owner=SECRET) for i in range(3)])
    assert WAccount.filter(key__in=[f"{key}-{i}" for i in range(3)]).count() == 3
    WAccount.filter(key=key).delete()


async def _awork(key: str) -> None:
    await WAccount.acreate(key=key, owner=SECRET)
    assert (await WAccount.aget(key=key)).owner == SECRET
    await WAccount.filter(key=key).aupdate(note=SECRET)
    await WAccount.filter(key=key).adelete()


def _leaks(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(r.name, r.getMessage()) for r in caplog.records if SECRET in r.getMessage()]


def _cql_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ormada"]


async def test_values_are_not_logged_by_default(quiet_by_default: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        _work("log-sync")
        await _awork("log-async")
    assert any("INSERT INTO" in line and " ms " in line for line in _cql_lines(caplog))
    assert any("SELECT" in line for line in _cql_lines(caplog))
    assert _leaks(caplog) == []


async def test_values_are_logged_when_asked(quiet_by_default: Any, caplog: pytest.LogCaptureFixture) -> None:
    quiet_by_default.log_params = True
    with caplog.at_level(logging.DEBUG, logger="ormada"):
        _work("log-sync-on")
        await _awork("log-async-on")
    assert any(SECRET in line and "INSERT INTO" in line for line in _cql_lines(caplog))
    assert any(SECRET in line and "UPDATE" in line for line in _cql_lines(caplog))
