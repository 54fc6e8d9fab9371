"""The live Cassandra/ScyllaDB suite runs only against a reachable cluster.

Set ``ORMADA_CASSANDRA_HOSTS=host1,host2[:port]`` to run it. Without it (or when no
host answers) every test here is skipped, saying why, even in CI: no Cassandra or
ScyllaDB server can be installed on the development and CI machines.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

HOSTS = os.environ.get("ORMADA_CASSANDRA_HOSTS", "").strip()


def _reachable(hosts: str) -> str | None:
    """None when a host accepts TCP connections, else the reason to skip."""
    if not hosts:
        return ("ORMADA_CASSANDRA_HOSTS is not set: the live Cassandra/ScyllaDB suite needs a reachable "
                "cluster (e.g. ORMADA_CASSANDRA_HOSTS=127.0.0.1:9042); none can be installed on this machine")
    for item in hosts.split(","):
        host, _, port = item.strip().partition(":")
        try:
            with socket.create_connection((host, int(port or 9042)), timeout=2):
                return None
        except OSError:
            continue
    return f"no host in ORMADA_CASSANDRA_HOSTS={hosts!r} accepts connections"


SKIP_REASON = _reachable(HOSTS)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if SKIP_REASON is None:
        return
    here = os.path.dirname(__file__)
    marker = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(marker)


@pytest.fixture(scope="session")
def keyspace() -> Iterator[str]:
    """A fresh keyspace for this run, dropped at the end."""
    import ormada

    name = f"ormada_live_{uuid.uuid4().hex[:8]}"
    db = ormada.connect(f"cassandra://{HOSTS}/{name}", name="cassandra_live")
    db.run(_one(db.backend.create_keyspace(replication_factor=1)))
    yield name
    db.run(_one(db.backend.drop_keyspace()))
    db.close()


def _one(statement: Any) -> Any:
    return (yield statement)
