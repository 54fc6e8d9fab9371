"""Verified TLS on every server backend, configured the same way in the URL and as keywords.

Each server has a certificate for ``localhost`` (not for ``127.0.0.1``) signed by the test
CA of scripts/tls.sh: ``localhost`` is the verified case, ``127.0.0.1`` the hostname
mismatch, and the unrelated CA the wrong-CA case. Every failure is a ConnectionFailed
saying which check failed, within the connect timeout, and never a plain connection.

Cassandra is the exception: cassandra-driver checks each node's certificate against the node's
address (the IP it connects to, never the contact point's name), so the node's certificate names
``127.0.0.1`` too, and the mismatch is a node reached through another address (a relay on
127.0.0.254).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

import ormada
from ormada import ConfigurationError, ConnectionFailed
from tests.conftest import PGV_PORT, unreachable
from tests.security.conftest import (
    CA,
    CLIENT_CERT,
    CLIENT_KEY,
    OTHER_CA,
    PASSWORD,
    REDIS_TLS_PORT,
    TIMEOUT,
    USER,
)

URLS = {
    "postgresql": "postgresql://{user}{host}:5432/test",
    "mysql": "mysql://{user}{host}:3306/test",
    # The CQL port takes TLS and plain connections alike (client_encryption_options optional: true).
    "cassandra": "cassandra://{host}:9042/system",
}
# What proves the connection is encrypted, seen from the server.
PROOF = {
    "postgresql": "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    "mysql": "SHOW SESSION STATUS LIKE 'Ssl_version'",
    "cassandra": "SELECT release_version FROM system.local",
}
SERVERS = ["postgresql", "mysql", "cassandra"]
MODES = ["sync", "async"]


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    request.getfixturevalue({"postgresql": "postgres_tls", "mysql": "mysql_tls", "cassandra": "cassandra_tls"}[name])
    return name


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def url_of(server: str, host: str = "localhost") -> str:
    # Cassandra keeps AllowAllAuthenticator (see scripts/services.sh): no user there.
    user = "" if server == "cassandra" else f"{USER}@"
    return URLS[server].format(user=user, host=host)


def password_for(server: str) -> dict[str, str]:
    return {} if server == "cassandra" else {"password": PASSWORD}


async def run(url: str, mode: str, statement: str, **options: Any) -> list[Any]:
    """Opens a database, runs one statement in the mode asked, closes it."""
    db = ormada.Database(url, **{"connect_timeout": TIMEOUT, **options})
    try:
        if mode == "sync":
            return list(db.execute(statement))
        return list(await db.aexecute(statement))
    finally:
        if mode == "sync":
            db.close()
        else:
            await db.aclose()


async def test_a_verified_connection_works(server: str, mode: str) -> None:
    rows = await run(url_of(server), mode, PROOF[server], sslmode="verify-full", sslrootcert=CA,
                     **password_for(server))
    if server == "postgresql":
        assert rows == [(True,)]
    elif server == "mysql":
        assert rows[0][0] == "Ssl_version" and rows[0][1].startswith("TLSv1.")
    else:
        assert rows[0][0].startswith("5.")


async def test_a_wrong_ca_fails_saying_so(server: str, mode: str) -> None:
    with pytest.raises(ConnectionFailed, match="not signed by the given CA") as caught:
        await run(url_of(server), mode, PROOF[server], sslmode="verify-ca", sslrootcert=OTHER_CA,
                  **password_for(server))
    assert PASSWORD not in str(caught.value)


@pytest.mark.parametrize("server", ["postgresql", "mysql"], indirect=True)
async def test_a_hostname_mismatch_fails_saying_so(server: str, mode: str) -> None:
    with pytest.raises(ConnectionFailed, match="hostname mismatch") as caught:
        await run(url_of(server, "127.0.0.1"), mode, PROOF[server], sslmode="verify-full", sslrootcert=CA,
                  **password_for(server))
    assert "127.0.0.1" in str(caught.value)


@pytest.mark.parametrize("server", ["postgresql", "mysql"], indirect=True)
async def test_a_plain_connection_for_a_tls_only_user_fails_saying_so(server: str, mode: str) -> None:
    expected = "over TLS only" if server == "postgresql" else "REQUIRE SSL"
    with pytest.raises(ConnectionFailed, match=expected) as caught:
        await run(url_of(server), mode, PROOF[server], sslmode="disable", password=PASSWORD)
    assert USER in str(caught.value) and PASSWORD not in str(caught.value)


async def test_postgresql_required_tls_never_falls_back_to_plain(postgres_tls: None, mode: str) -> None:
    # The pgvector server has no TLS at all; libpq and asyncpg must refuse, not go on in plain text.
    import psycopg

    try:
        psycopg.connect(host="127.0.0.1", port=PGV_PORT, user="postgres", dbname="postgres", connect_timeout=TIMEOUT,
                        sslmode="disable").close()
    except psycopg.OperationalError as exc:
        unreachable(f"PostgreSQL with pgvector on 127.0.0.1:{PGV_PORT}", "make services", exc)
    with pytest.raises(ConnectionFailed, match="does not speak TLS on this port"):
        await run(f"postgresql://postgres@localhost:{PGV_PORT}/postgres", mode, "SELECT 1", sslmode="require")


async def test_mysql_required_tls_to_a_port_without_mysql_fails_within_the_timeout(mysql_tls: None, mode: str) -> None:
    # Redis's plain port: nothing there answers MySQL's greeting, so only the timeout ends the wait.
    with pytest.raises(ConnectionFailed, match="could not connect to mysql://root@localhost:6379"):
        await run("mysql://root@localhost:6379/test", mode, "SELECT 1", sslmode="require", connect_timeout=2)


async def test_postgresql_presents_the_client_certificate(postgres_tls: None, mode: str) -> None:
    rows = await run(url_of("postgresql"), mode, "SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                     sslmode="verify-full", sslrootcert=CA, sslcert=CLIENT_CERT, sslkey=CLIENT_KEY, password=PASSWORD)
    assert rows == [("/CN=ormada_secure",)]


async def test_mysql_connects_with_a_client_certificate(mysql_tls: None, mode: str) -> None:
    rows = await run(url_of("mysql"), mode, PROOF["mysql"], ssl_ca=CA, ssl_cert=CLIENT_CERT, ssl_key=CLIENT_KEY,
                     ssl_verify_identity=True, password=PASSWORD)
    assert rows[0][1].startswith("TLSv1.")


async def test_the_url_takes_the_same_words_as_the_keywords(server: str, mode: str) -> None:
    # The MySQL client's spelling, ssl_ca, and libpq's, sslrootcert, are one setting on every backend.
    for option in ("sslrootcert", "ssl_ca"):
        url = f"{url_of(server)}?sslmode=verify-full&{option}={CA}"
        assert await run(url, mode, PROOF[server], **password_for(server))
    with pytest.raises(ConnectionFailed, match="not signed by the given CA"):
        await run(f"{url_of(server)}?sslmode=verify-ca&ssl_ca={OTHER_CA}", mode, PROOF[server],
                  **password_for(server))


async def test_a_ca_without_a_mode_verifies_the_host_name(mode: str, postgres_tls: None) -> None:
    with pytest.raises(ConnectionFailed, match="hostname mismatch"):
        await run(url_of("postgresql", "127.0.0.1"), mode, "SELECT 1", sslrootcert=CA, password=PASSWORD)


@pytest.mark.parametrize("backend", SERVERS)
@pytest.mark.parametrize(("options", "message"), [
    ({"sslmode": "verify"}, "sslmode='verify' must be one of disable, allow, prefer"),
    ({"sslrootcert": "/nonexistent/ca.pem"}, "sslrootcert='/nonexistent/ca.pem' is not a file"),
    ({"sslkey": CLIENT_KEY}, "sslkey needs sslcert"),
    ({"sslmode": "require", "ssl_verify_identity": True}, "sslmode=require contradicts ssl_verify_identity=true"),
    ({"sslrootcert": CA, "ssl_ca": OTHER_CA}, "sslrootcert and ssl_ca name different files"),
])
def test_tls_settings_are_checked_before_connecting(backend: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ormada.Database(url_of(backend), **options)


# -- Cassandra: the driver matches each node's certificate against the node's address ------------

async def test_cassandra_verifies_the_node_address_in_full(cassandra_tls: None, mode: str) -> None:
    # By address and by a name that resolves to it: either way the driver connects to 127.0.0.1,
    # the address the node's certificate names, for the contact point and for the node it discovers.
    for host in ("127.0.0.1", "localhost"):
        rows = await run(url_of("cassandra", host), mode, "SELECT rpc_address FROM system.local",
                         sslmode="verify-full", sslrootcert=CA)
        assert [str(address) for (address,) in rows] == ["127.0.0.1"]
    # A CA and no mode is verify-full too.
    assert await run(f"{url_of('cassandra', '127.0.0.1')}?ssl_ca={CA}", mode, PROOF["cassandra"])


async def test_cassandra_with_a_wrong_ca_fails_at_once_saying_so(cassandra_tls: None, mode: str) -> None:
    started = time.monotonic()
    with pytest.raises(ConnectionFailed, match="not signed by the given CA") as caught:
        await run(url_of("cassandra", "127.0.0.1"), mode, PROOF["cassandra"], sslmode="verify-full",
                  sslrootcert=OTHER_CA)
    # A guard against hanging, not a timing: a refused certificate ends the attempt, no retry loop.
    assert time.monotonic() - started < 30
    assert "cassandra://127.0.0.1:9042/system" in str(caught.value)


async def test_cassandra_node_reached_by_an_address_its_certificate_does_not_name(
        cassandra_elsewhere: tuple[str, int], mode: str) -> None:
    address, port = cassandra_elsewhere
    url = f"cassandra://{address}:{port}/system"
    started = time.monotonic()
    with pytest.raises(ConnectionFailed, match="hostname mismatch") as caught:
        await run(url, mode, PROOF["cassandra"], sslmode="verify-full", sslrootcert=CA)
    assert time.monotonic() - started < 30  # a guard against hanging, as above
    assert address in str(caught.value)
    # The same relay with verify-ca (the chain, not the name) works: the name alone was refused.
    assert (await run(url, mode, PROOF["cassandra"], sslmode="verify-ca", sslrootcert=CA))[0][0].startswith("5.")


def test_cassandra_refuses_modes_it_cannot_honour() -> None:
    with pytest.raises(ConfigurationError, match="sslmode=prefer cannot be honoured"):
        ormada.Database("cassandra://localhost/system", sslmode="prefer")


# -- Redis: the server side, and the redis package's own client over TLS --------------------------

def redis_options(**overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"host": "localhost", "port": REDIS_TLS_PORT, "ssl": True, "ssl_ca_certs": CA,
                               "username": USER, "password": PASSWORD, "socket_timeout": TIMEOUT,
                               "socket_connect_timeout": TIMEOUT}
    options.update(overrides)
    return options


def test_redis_over_verified_tls(redis_tls: None) -> None:
    import redis

    with redis.Redis(**redis_options()) as client:
        assert client.ping() is True
        assert client.acl_whoami() == USER
    with redis.Redis.from_url(f"rediss://{USER}:{PASSWORD}@localhost:{REDIS_TLS_PORT}/0?ssl_ca_certs={CA}",
                              socket_timeout=TIMEOUT) as client:
        assert client.ping() is True


async def test_redis_over_verified_tls_async(redis_tls: None) -> None:
    from redis import asyncio as aioredis

    client = aioredis.Redis(**redis_options())
    try:
        assert await client.ping() is True
    finally:
        await client.aclose()


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"ssl_ca_certs": OTHER_CA}, "certificate verify failed"),
    ({"host": "127.0.0.1"}, "IP address mismatch"),
    ({"ssl": False}, None),  # plain text to the TLS-only port: the server drops it
])
def test_redis_refuses_a_wrong_ca_a_mismatch_and_plain_text(redis_tls: None, overrides: dict[str, Any],
                                                           expected: str | None) -> None:
    import redis

    with redis.Redis(**redis_options(**overrides)) as client, \
            pytest.raises((redis.exceptions.ConnectionError, redis.exceptions.TimeoutError), match=expected):
        client.ping()
