"""Faults against real nodes: refused statements, unreachable nodes, and a node that
stops and starts again while the process keeps running.

The restart test runs its own node on another loopback address (127.0.0.2 and up,
one per xdist worker) through scripts/cassandra.sh, so the shared node is never
stopped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from cassandra_live_models import Reading

import ormada
from conftest import HOSTS
from ormada import ClusteringKey, ConnectionFailed, PartitionKey, QueryError, QueryTimeout

DAY = dt.date(2024, 2, 1)
ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "cassandra.sh"


class Missing(ormada.Model):
    """A model whose table is never created: every statement on it is refused."""

    key: Annotated[str, PartitionKey()]
    n: int = 0

    class Meta:
        database = "cassandra_live"
        table = "f_never_created"


class Beat(ormada.Model):
    """The model of the private node."""

    source: Annotated[str, PartitionKey()]
    n: Annotated[int, ClusteringKey()]

    class Meta:
        database = "cassandra_private"


@pytest.fixture(scope="module")
def live(keyspace: str) -> Any:
    database = ormada.get_database("cassandra_live")
    database.create_all([Reading])
    return database


def test_refused_statement_names_model_and_cql(live: Any) -> None:
    with pytest.raises(QueryError) as caught:
        Missing.create(key="a")
    message = str(caught.value)
    assert message.startswith("Missing: ")
    assert "f_never_created" in message and "CQL: INSERT INTO" in message
    assert "'a'" not in message  # the CQL is shown, never the values


async def test_refused_read_names_model_and_cql_async(live: Any) -> None:
    with pytest.raises(QueryError) as caught:
        await Missing.filter(key="a").aexists()
    assert str(caught.value).startswith("Missing: ") and "CQL: SELECT" in str(caught.value)


def test_refused_raw_cql_shows_the_statement(live: Any) -> None:
    with pytest.raises(QueryError, match=r"refused the statement.*\n  CQL: SELEC nothing"):
        live.execute("SELEC nothing")


def test_consistency_the_node_cannot_meet_is_not_a_connection_failure(live: Any) -> None:
    Reading.create(sensor="f1", day=DAY, at=dt.datetime(2024, 2, 1, tzinfo=dt.UTC))
    with pytest.raises(ormada.DatabaseError) as caught:
        Reading.filter(sensor="f1", day=DAY).consistency("THREE").all()
    assert not isinstance(caught.value, ConnectionFailed)
    assert "cannot meet the consistency level" in str(caught.value) and "Reading: " in str(caught.value)


def test_request_timeout_raises_query_timeout(keyspace: str) -> None:
    db = ormada.connect(f"cassandra://{HOSTS}/{keyspace}?request_timeout=0.000001", name="cassandra_hasty")
    try:
        with pytest.raises(QueryTimeout) as caught:
            db.execute("SELECT * FROM system_schema.columns")
        assert "no answer from" in str(caught.value)
    finally:
        db.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_unreachable_node_fails_fast_and_masks_the_password(mode: str) -> None:
    db = ormada.connect("cassandra://admin:s3cret-pw@127.0.0.1:1/ks?connect_timeout=1", name=f"cassandra_gone_{mode}")
    started = time.monotonic()
    try:
        with pytest.raises(ConnectionFailed) as caught:
            if mode == "sync":
                db.execute("SELECT now() FROM system.local")
            else:
                asyncio.run(db.aexecute("SELECT now() FROM system.local"))
    finally:
        db.close()
    # A guard against hanging, not a timing: the driver gives up after connect_timeout.
    assert time.monotonic() - started < 30
    message = str(caught.value)
    assert "127.0.0.1:1" in message and "s3cret-pw" not in message and "***" in message


# -- a node stopped and started again mid-run ---------------------------------------------------


def _private_address() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return f"127.0.0.{2 + int(worker.removeprefix('gw') or 0)}"


def _node(command: str, address: str, directory: Path) -> None:
    env = {**os.environ, "ORMADA_CASSANDRA_ADDRESS": address, "ORMADA_CASSANDRA_DIR": str(directory),
           "ORMADA_CASSANDRA_HEAP": "512m"}
    done = subprocess.run(["bash", str(SCRIPT), command], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"cassandra.sh {command} on {address} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def private_node(keyspace: str) -> Iterator[tuple[str, Path]]:
    """A node of this module's own, removed at the end (data directory included)."""
    address = _private_address()
    directory = Path(f"/tmp/ormada-cassandra-{address}-{uuid.uuid4().hex[:6]}")
    _node("start", address, directory)
    try:
        yield address, directory
    finally:
        _node("stop", address, directory)
        shutil.rmtree(directory, ignore_errors=True)


def _eventually(call: Any, deadline: float = 90) -> Any:
    """The result of ``call`` once it succeeds; until then only ConnectionFailed is allowed."""
    end = time.monotonic() + deadline
    while True:
        try:
            return call()
        except ConnectionFailed:
            if time.monotonic() > end:
                raise
            time.sleep(0.5)


def test_node_restarted_mid_run_is_reconnected(private_node: tuple[str, Path]) -> None:
    address, directory = private_node
    db = ormada.connect(f"cassandra://{address}:9042/private?connect_timeout=2&request_timeout=5",
                        name="cassandra_private")
    try:
        db.execute_statement(db.backend.create_keyspace(replication_factor=1))
        db.create_all([Beat])
        Beat.create(source="a", n=1)
        assert asyncio.run(Beat.filter(source="a").acount()) == 1

        _node("stop", address, directory)
        with pytest.raises(ConnectionFailed, match=address):
            Beat.create(source="a", n=2)
        with pytest.raises(ConnectionFailed, match=address):
            asyncio.run(Beat.filter(source="a").acount())

        _node("start", address, directory)
        _eventually(lambda: Beat.create(source="a", n=3))
        assert [b.n for b in Beat.filter(source="a")] == [1, 3]
        assert asyncio.run(Beat.filter(source="a").acount()) == 2
    finally:
        db.close()

