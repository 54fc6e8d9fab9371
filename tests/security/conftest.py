"""Fixtures of the TLS and credentials tests: the local servers' TLS set-up and password user.

``make services`` (scripts/services.sh, with scripts/tls.sh) gives the local servers a
certificate for ``localhost`` signed by a throwaway CA (Cassandra's also names ``127.0.0.1``),
and a user ``ormada_secure`` that must log in with a password (over TLS only on PostgreSQL and
MariaDB). When a server or its TLS is missing the tests skip saying how to set it up, except
with ``CI=true``, where they fail.
"""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import unreachable

TLS_DIR = Path(os.environ.get("ORMADA_TLS_DIR", "/tmp/ormada-tls"))
CA = str(TLS_DIR / "ca.pem")
OTHER_CA = str(TLS_DIR / "other-ca.pem")
CLIENT_CERT = str(TLS_DIR / "client.pem")
CLIENT_KEY = str(TLS_DIR / "client.key")
USER = "ormada_secure"
PASSWORD = os.environ.get("ORMADA_SECURE_PASSWORD", "Orm4da-TLS-pw-7c1e")  # scripts/services.sh's
WRONG_PASSWORD = "Wr0ng-Pa55word-5f9d"
REDIS_TLS_PORT = int(os.environ.get("ORMADA_REDIS_TLS_PORT", "6380"))
HOW = "make services (scripts/services.sh sets up TLS with scripts/tls.sh)"
TIMEOUT = 5  # seconds: a test that cannot connect fails or skips, never hangs


def _handshake(port: int, server_name: str = "localhost", starttls: bytes | None = None) -> None:
    context = ssl.create_default_context(cafile=CA)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
        if starttls is not None:  # PostgreSQL's SSLRequest
            raw.sendall(starttls)
            if raw.recv(1) != b"S":
                raise ssl.SSLError(f"the server on port {port} refused TLS")
        with context.wrap_socket(raw, server_hostname=server_name):
            pass


def require_tls(what: str, port: int, starttls: bytes | None = None) -> None:
    """Skips (fails in CI) unless the server on ``port`` completes a TLS handshake with the test CA."""
    if not Path(CA).is_file():
        unreachable(f"the test CA {CA}", HOW, FileNotFoundError(CA))
    try:
        _handshake(port, starttls=starttls)
    except (OSError, ssl.SSLError) as exc:
        unreachable(f"{what} with TLS on 127.0.0.1:{port}", HOW, exc)


PG_SSL_REQUEST = (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big")


@pytest.fixture
def postgres_tls() -> None:
    require_tls("PostgreSQL", 5432, PG_SSL_REQUEST)


@pytest.fixture
def mysql_tls() -> None:
    import pymysql

    try:
        with pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", connect_timeout=TIMEOUT,
                             ssl_disabled=True) as admin, admin.cursor() as cursor:
            cursor.execute("SELECT @@have_ssl")
            row = cursor.fetchone()
    except pymysql.err.OperationalError as exc:
        unreachable("MariaDB on 127.0.0.1:3306", HOW, exc)
    if row is None or row[0] != "YES":
        unreachable("MariaDB with TLS on 127.0.0.1:3306", HOW, RuntimeError(f"have_ssl is {row}"))


@pytest.fixture
def cassandra_tls() -> None:
    # cassandra-driver checks a node's certificate against the node's address: the node must serve
    # scripts/tls.sh's cassandra.p12, which names 127.0.0.1 (an older node is restarted by make services).
    if not Path(CA).is_file():
        unreachable(f"the test CA {CA}", HOW, FileNotFoundError(CA))
    try:
        _handshake(9042, server_name="127.0.0.1")
    except (OSError, ssl.SSLError) as exc:
        unreachable("Cassandra with TLS and a certificate for 127.0.0.1 on 127.0.0.1:9042", HOW, exc)


def _pump(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


class _Forward(socketserver.BaseRequestHandler):
    """Passes one connection's bytes both ways between the client and the Cassandra node."""

    def handle(self) -> None:
        client: socket.socket = self.request
        with socket.create_connection(("127.0.0.1", 9042), timeout=TIMEOUT) as node:
            node.settimeout(None)
            back = threading.Thread(target=_pump, args=(node, client), daemon=True)
            back.start()
            _pump(client, node)
            back.join(TIMEOUT)


@pytest.fixture
def cassandra_elsewhere(cassandra_tls: None) -> Iterator[tuple[str, int]]:
    """The Cassandra node reached through another loopback address, which its certificate does not
    name: a plain TCP relay on 127.0.0.254, so the driver sees a node at that address (the
    hostname mismatch case, which one node on 127.0.0.1 cannot otherwise show)."""
    try:
        relay = socketserver.ThreadingTCPServer(("127.0.0.254", 0), _Forward)
    except OSError as exc:
        unreachable("the loopback address 127.0.0.254", "a Linux loopback (all of 127.0.0.0/8)", exc)
    relay.daemon_threads = True
    thread = threading.Thread(target=relay.serve_forever, daemon=True)
    thread.start()
    try:
        yield relay.server_address[0], relay.server_address[1]
    finally:
        relay.shutdown()
        relay.server_close()
        thread.join(TIMEOUT)


@pytest.fixture
def redis_tls() -> None:
    require_tls("Redis", REDIS_TLS_PORT)
