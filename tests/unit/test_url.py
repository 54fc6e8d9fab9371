"""Parsing database URLs, and never showing their passwords."""

from __future__ import annotations

import pytest

import ormada
from ormada import ConfigurationError
from ormada._url import DatabaseURL, parse_url


@pytest.mark.parametrize(
    ("url", "database"),
    [
        ("sqlite:///library.db", "library.db"),
        ("sqlite:///data/library.db", "data/library.db"),
        ("sqlite:////var/lib/library.db", "/var/lib/library.db"),
        ("sqlite:///my%20library.db", "my library.db"),
        ("sqlite://:memory:", ":memory:"),
        ("sqlite://", ":memory:"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite(url: str, database: str) -> None:
    parsed = parse_url(url)
    assert parsed.backend == "sqlite"
    assert parsed.database == database
    assert parsed.hosts == ()
    assert parsed.is_memory is (database == ":memory:")


def test_sqlite_renders_back() -> None:
    assert str(parse_url("sqlite:///library.db")) == "sqlite:///library.db"
    assert str(parse_url("sqlite:////var/lib/library.db")) == "sqlite:////var/lib/library.db"
    assert str(parse_url("sqlite://")) == "sqlite://:memory:"


def test_sqlite_without_a_third_slash_is_malformed() -> None:
    with pytest.raises(ConfigurationError, match=r"sqlite:///relative/path\.db"):
        parse_url("sqlite://library.db")


def test_postgresql_with_everything() -> None:
    parsed = parse_url("postgresql://alice:s3cr%40t@db.example.com:6543/shop?schema=app&pool_size=3")
    assert parsed == DatabaseURL(
        backend="postgresql",
        username="alice",
        password="s3cr@t",
        hosts=(("db.example.com", 6543),),
        database="shop",
        query={"schema": "app", "pool_size": "3"},
    )
    assert parsed.host == "db.example.com"
    assert parsed.port == 6543
    assert not parsed.is_memory


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "POSTGRESQL"])
def test_postgres_aliases(scheme: str) -> None:
    parsed = parse_url(f"{scheme}://localhost/app")
    assert parsed.backend == "postgresql"
    assert parsed.hosts == (("localhost", None),)
    assert parsed.username is None
    assert parsed.password is None


def test_driver_suffix() -> None:
    parsed = parse_url("postgresql+asyncpg://bob@h/db")
    assert parsed.driver == "asyncpg"
    assert str(parsed) == "postgresql+asyncpg://bob@h/db"


def test_password_with_an_at_sign() -> None:
    parsed = parse_url("postgresql://u:p@ss@h/db")
    assert parsed.password == "p@ss"
    assert parsed.hosts == (("h", None),)


def test_ipv6_host() -> None:
    assert parse_url("postgresql://u@[::1]:5432/db").hosts == (("::1", 5432),)


def test_ipv6_host_renders_back() -> None:
    assert str(parse_url("postgresql://u@[::1]:5432/db")) == "postgresql://u@[::1]:5432/db"


@pytest.mark.parametrize(
    ("url", "hosts", "keyspace"),
    [
        ("cassandra://h1,h2:9043/shop", (("h1", None), ("h2", 9043)), "shop"),
        ("cassandra://10.0.0.1:9042,10.0.0.2:9042,10.0.0.3/analytics",
         (("10.0.0.1", 9042), ("10.0.0.2", 9042), ("10.0.0.3", None)), "analytics"),
        ("scylla://node/ks", (("node", None),), "ks"),
    ],
)
def test_cassandra_hosts(url: str, hosts: tuple[tuple[str, int | None], ...], keyspace: str) -> None:
    parsed = parse_url(url)
    assert parsed.backend == "cassandra"
    assert parsed.hosts == hosts
    assert parsed.database == keyspace


def test_password_is_masked_in_str_render_and_repr() -> None:
    parsed = parse_url("postgresql://u:secret@h:5432/db")
    assert str(parsed) == "postgresql://u:***@h:5432/db"
    assert parsed.render() == "postgresql://u:***@h:5432/db"
    assert "secret" not in repr(parsed)
    assert parsed.render(hide_password=False) == "postgresql://u:secret@h:5432/db"


def test_database_repr_hides_the_password() -> None:
    database = ormada.Database("postgresql://u:secret@h:5432/db", name="unit_url")
    assert "secret" not in repr(database)
    assert "u:***@h:5432" in repr(database)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mongodb://u:secret@h/db", "unknown database scheme 'mongodb'"),
        ("postgresql://u:secret@h:abc/db", "port 'abc' is not a number"),
        ("postgresql://u:secret@h:0/db", "port '0'"),
        ("postgresql://u:secret@h:70000/db", "port '70000'"),
        ("no scheme here", "expected scheme://"),
        ("", "expected scheme://"),
    ],
)
def test_malformed_urls(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        parse_url(url)
    assert "secret" not in str(caught.value)


def test_malformed_url_message_masks_the_password() -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_url("postgresql://u:secret@h:abc/db")
    assert "u:***@h:abc" in str(caught.value)


@pytest.mark.parametrize("url", ["postgresql:/u:secret@h/db", "u:secret@h/db"])
def test_url_without_scheme_separator_hides_the_password(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_url(url)
    assert "secret" not in str(caught.value)


def test_not_a_string() -> None:
    with pytest.raises(ConfigurationError, match="malformed database URL"):
        parse_url(None)  # type: ignore[arg-type]


def test_connect_refuses_an_unknown_scheme() -> None:
    with pytest.raises(ConfigurationError, match="unknown database scheme"):
        ormada.connect("oracle://u:secret@h/db", name="unit_url_bad")
