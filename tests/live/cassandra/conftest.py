"""The live Cassandra suite runs against a real node: by default the one `make services` starts.

``scripts/services.sh`` (run by ``make test``) starts a one-node Apache Cassandra on
127.0.0.1:9042. ``ORMADA_CASSANDRA_HOSTS=host1,host2[:port]`` points the suite at
another cluster (a ScyllaDB one, for example). When no host answers, the tests are
skipped with a message saying how to start the node, except with ``CI=true``, where
they fail.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import IN_CI

HOSTS = os.environ.get("ORMADA_CASSANDRA_HOSTS", "").strip() or "127.0.0.1:9042"
START = "make services (or: bash scripts/services.sh cassandra)"


def _unreachable(hosts: str) -> str | None:
    """None when a host accepts TCP connections, else the reason it cannot run."""
    for item in hosts.split(","):
        host, _, port = item.strip().partition(":")
        try:
            with socket.create_connection((host, int(port or 9042)), timeout=2):
                return None
        except OSError:
            continue
    return f"Cassandra at {hosts} is not reachable; start it with: {START}"


UNREACHABLE = _unreachable(HOSTS)


@pytest.fixture(autouse=True)
def _live_node() -> None:
    """Every live test needs the node: in CI its absence fails the test, elsewhere it skips."""
    _require_node()


def _require_node() -> None:
    if UNREACHABLE is not None:
        if IN_CI:
            pytest.fail(UNREACHABLE)
        pytest.skip(UNREACHABLE)


@pytest.fixture(scope="session")
def keyspace() -> Iterator[str]:
    """A fresh keyspace for this run (one per xdist worker), dropped at the end."""
    import ormada

    _require_node()
    name = f"ormada_live_{uuid.uuid4().hex[:8]}"
    db = ormada.connect(f"cassandra://{HOSTS}/{name}", name="cassandra_live")
    db.run(_one(_schema_change(db.backend.create_keyspace(replication_factor=1))))
    yield name
    db.run(_one(_schema_change(db.backend.drop_keyspace())))
    db.close()


# Creating or dropping a keyspace waits for the node to flush and agree on the schema,
# which on a loaded two-core machine has taken longer than the driver's 10 s default.
SCHEMA_CHANGE_TIMEOUT = 120.0


def _schema_change(statement: Any) -> Any:
    statement.timeout = SCHEMA_CHANGE_TIMEOUT
    return statement


def _one(statement: Any) -> Any:
    return (yield statement)
