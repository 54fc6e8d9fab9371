"""TLS settings read from URL options, and URLs that never show a secret (no database needed)."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

import ormada
from ormada import ConfigurationError
from ormada._url import parse_url
from ormada.backends._tls import tls_failure, tls_settings
from ormada.backends.cassandra._session import SessionHolder


@pytest.fixture
def ca(tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    path.write_text("not read until a connection is made")
    return str(path)


def test_modes_and_aliases(ca: str) -> None:
    assert tls_settings({}, "u").mode is None
    assert tls_settings({"ssl_ca": ca}, "u").mode == "verify-full"  # a CA is given to be checked against
    assert tls_settings({"sslrootcert": ca, "sslmode": "verify-ca"}, "u").mode == "verify-ca"
    assert tls_settings({"ssl_verify_identity": True}, "u").mode == "verify-full"
    assert tls_settings({"ssl": False}, "u").mode == "disable"
    assert tls_settings({"ssl_ca": ca, "ssl_verify_identity": False}, "u").mode == "verify-ca"
    assert tls_settings({"ssl_verify_identity": False}, "u").mode is None
    assert tls_settings({"sslmode": "require", "ssl_verify_identity": False}, "u").mode == "require"
    settings = tls_settings({"sslmode": "require"}, "u")
    assert settings.encrypted and not settings.verifies
    assert tls_settings({"sslmode": "prefer"}, "u").encrypted is False


def test_contexts_follow_the_mode() -> None:
    full = tls_settings({"sslmode": "verify-full"}, "u").context("u")
    assert full.check_hostname and full.verify_mode is ssl.CERT_REQUIRED
    chain = tls_settings({"sslmode": "verify-ca"}, "u").context("u")
    assert not chain.check_hostname and chain.verify_mode is ssl.CERT_REQUIRED
    encrypted = tls_settings({"sslmode": "require"}, "u").context("u")
    assert encrypted.verify_mode is ssl.CERT_NONE


def test_an_unreadable_ca_is_a_configuration_error(ca: str) -> None:
    with pytest.raises(ConfigurationError, match=r"cannot load the TLS files .*sslrootcert="):
        tls_settings({"ssl_ca": ca}, "u").context("u")


def test_failures_are_named() -> None:
    assert "hostname mismatch" in str(tls_failure(ssl.SSLCertVerificationError(
        "certificate verify failed: IP address mismatch, certificate is not valid for '127.0.0.1'")))
    assert "not signed by the given CA" in str(tls_failure(ssl.SSLCertVerificationError(
        "certificate verify failed: unable to get local issuer certificate")))
    assert "does not speak TLS" in str(tls_failure(OSError("server does not support SSL, but SSL was required")))
    assert tls_failure(OSError("connection refused")) is None


def test_keywords_become_url_options(ca: str) -> None:
    db = ormada.Database("postgresql://app@h/db?sslmode=require", sslmode="verify-full", sslrootcert=Path(ca),
                         pool_size=3, ssl_verify_identity=True)
    assert db.url.query == {"sslmode": "verify-full", "sslrootcert": ca, "pool_size": "3",
                            "ssl_verify_identity": "true"}


def test_secrets_never_render() -> None:
    url = parse_url("postgresql://app:hunter2@h/db?password=p4ss&api_token=t0k&password_file=/run/secrets/db")
    assert str(url) == ("postgresql://app:***@h/db?password=***&api_token=***&password_file=%2Frun%2Fsecrets%2Fdb")
    db = ormada.Database("mysql://app@h/db", password=lambda: "hunter2")
    assert "hunter2" not in repr(db) and "app:***@h" in repr(db)
    with pytest.raises(ConfigurationError) as caught:
        parse_url("postgresql://app:hunter2@h:port/db?password=p4ss")
    assert "hunter2" not in str(caught.value) and "p4ss" not in str(caught.value)


def test_cassandra_secure_connect_bundle() -> None:
    holder = SessionHolder(parse_url("cassandra://token:AstraCS:abc@/shop?secure_connect_bundle=/b.zip"))
    options = holder.cluster_options()
    assert options["cloud"] == {"secure_connect_bundle": "/b.zip"} and "contact_points" not in options
    assert options["auth_provider"].new_authenticator("h").password == "AstraCS:abc"
    assert "AstraCS" not in holder.describe
    with pytest.raises(ConfigurationError, match="without hosts or ssl options"):
        SessionHolder(parse_url("cassandra://h1/shop?secure_connect_bundle=/b.zip")).cluster_options()


@pytest.mark.parametrize(("mode", "checked"), [("verify-full", "10.0.0.7"), ("verify-ca", None)])
def test_cassandra_checks_the_address_the_driver_connects_to(mode: str, checked: str | None) -> None:
    # The driver's own wrapping of a node's socket: with verify-full the certificate is matched against
    # the node's address (its endpoint), never the contact point's name in the URL (db.example).
    import socket

    from cassandra.connection import Connection, DefaultEndPoint

    context = SessionHolder(parse_url(f"cassandra://db.example/shop?sslmode={mode}")).cluster_options()["ssl_context"]
    connection = Connection(DefaultEndPoint("10.0.0.7", 9042), ssl_context=context)
    connection._socket = socket.socket()
    wrapped = connection._wrap_socket_from_context()
    try:
        assert wrapped.server_hostname == checked
        assert wrapped.context.check_hostname is (mode == "verify-full")
    finally:
        wrapped.close()
