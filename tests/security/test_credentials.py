"""Passwords from the URL, from ``password=`` (text or a callable), from ``password_file=`` and
from ``$ORMADA_URL``; and a password never shows: not in a log line, a ``repr``, an error, a
traceback, a compiled statement or the CLI's output.

The password is the ``ormada_secure`` user's of scripts/services.sh; every test here logs at
DEBUG and the last one searches every byte it captured for it.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

import ormada
from ormada import ConfigurationError, ConnectionFailed, Model, PrimaryKey, introspect
from ormada._credentials import PasswordSource
from ormada.backends.cassandra._session import password_auth_provider
from ormada.migrations import migrations_for
from tests.security.conftest import CA, PASSWORD, TIMEOUT, USER, WRONG_PASSWORD

SERVERS = ["postgresql", "mysql"]
MODES = ["sync", "async"]
# verify-full on localhost: the password user logs in over TLS only.
TLS = f"sslrootcert={quote(CA, safe='')}&connect_timeout={TIMEOUT}"


def url_of(server: str, password: str | None = None, query: str = TLS) -> str:
    auth = USER if password is None else f"{USER}:{quote(password, safe='')}"
    port = 5432 if server == "postgresql" else 3306
    return f"{server}://{auth}@localhost:{port}/test?{query}"


class LeakProbe(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str

    class Meta:
        database = "leak_probe"
        table = "leak_probe"


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    request.getfixturevalue("postgres_tls" if name == "postgresql" else "mysql_tls")
    return name


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def debug_logging(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


async def query(db: ormada.Database, mode: str, close: bool = True) -> list[Any]:
    try:
        if mode == "sync":
            return list(db.execute("SELECT 1"))
        return list(await db.aexecute("SELECT 1"))
    finally:
        if close:
            db.close() if mode == "sync" else await db.aclose()


async def test_the_password_in_the_url(server: str, mode: str) -> None:
    assert await query(ormada.Database(url_of(server, PASSWORD)), mode) == [(1,)]


async def test_password_as_text(server: str, mode: str) -> None:
    # password= wins over a password in the URL.
    db = ormada.Database(url_of(server, WRONG_PASSWORD), password=PASSWORD)
    assert await query(db, mode) == [(1,)]


async def test_a_password_callable_is_asked_on_every_new_connection(server: str, mode: str) -> None:
    calls: list[int] = []

    def token() -> str:  # as an IAM / Entra token provider would
        calls.append(1)
        return PASSWORD

    db = ormada.Database(url_of(server), password=token)
    assert await query(db, mode, close=False) == [(1,)]
    assert await query(db, mode, close=False) == [(1,)]
    assert len(calls) == 1  # the pooled connection is reused: no new token
    db.close() if mode == "sync" else await db.aclose()
    assert await query(db, mode) == [(1,)]
    assert len(calls) == 2
    assert "token" in repr(db.url.password_source) and PASSWORD not in repr(db.url.password_source)


async def test_a_password_file_is_read_for_every_new_connection(server: str, mode: str, tmp_path: Path) -> None:
    secret = tmp_path / "db-password"
    secret.write_text(PASSWORD + "\n")  # the trailing newline of `echo` is not part of it
    for db in (ormada.Database(url_of(server), password_file=secret),
               ormada.Database(url_of(server, query=f"{TLS}&password_file={quote(str(secret))}"))):
        assert await query(db, mode) == [(1,)]
        assert "password_file" not in db.url.query  # read by ormada, never given to the driver
    rotated = ormada.Database(url_of(server), password_file=secret)
    secret.write_text(WRONG_PASSWORD)
    with pytest.raises(ConnectionFailed) as caught:
        await query(rotated, mode)
    assert PASSWORD not in str(caught.value) and WRONG_PASSWORD not in str(caught.value)
    secret.unlink()
    with pytest.raises(ConfigurationError, match="cannot read the password file"):
        await query(ormada.Database(url_of(server), password_file=secret), mode)


async def test_ormada_url_from_the_environment(server: str, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORMADA_URL", url_of(server, PASSWORD))
    db = ormada.connect(name="from_environment")
    assert await query(db, mode) == [(1,)]
    monkeypatch.delenv("ORMADA_URL")
    with pytest.raises(ConfigurationError, match=r"set \$ORMADA_URL"):
        ormada.connect(name="from_environment")


async def test_a_wrong_password_names_the_user_and_host_but_neither_password(server: str, mode: str) -> None:
    for db in (ormada.Database(url_of(server, WRONG_PASSWORD)),
               ormada.Database(url_of(server), password=lambda: WRONG_PASSWORD)):
        with pytest.raises(ConnectionFailed) as caught:
            await query(db, mode)
        message = str(caught.value)
        assert USER in message and "localhost" in message and ":***@" in message
        text = "".join(traceback.format_exception(caught.value))
        assert PASSWORD not in text and WRONG_PASSWORD not in text
        assert all(PASSWORD not in repr(arg) and WRONG_PASSWORD not in repr(arg) for arg in caught.value.args)


def test_password_sources_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        ormada.Database("postgresql://u@h/db", password="x", password_file="/run/secrets/db")
    with pytest.raises(ConfigurationError, match="text or a callable"):
        ormada.Database("postgresql://u@h/db", password=42)  # type: ignore[arg-type]

    def broken() -> str:
        raise RuntimeError(PASSWORD)  # a provider's error may carry anything: only its type is shown

    with pytest.raises(ConfigurationError, match=r"the password callable .*broken failed: RuntimeError") as caught:
        PasswordSource(factory=broken)()
    assert PASSWORD not in "".join(traceback.format_exception(caught.value))


def test_cassandra_asks_for_the_password_on_every_new_connection() -> None:
    # Offline: the local Cassandra keeps AllowAllAuthenticator (see scripts/services.sh).
    tokens = iter(["first-token", "second-token"])
    provider = password_auth_provider("app", lambda: next(tokens))
    assert provider.new_authenticator("h1").password == "first-token"
    assert provider.new_authenticator("h2").password == "second-token"
    assert "token" not in repr(provider)
    holder = ormada.Database("cassandra://app@h/ks", password=lambda: PASSWORD).backend
    assert PASSWORD not in repr(holder.__dict__) and "app:***@h" in str(ormada.Database(
        "cassandra://app@h/ks", password=lambda: PASSWORD).url)


async def test_no_password_in_any_output(postgres_tls: None, mysql_tls: None, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str], debug_logging: pytest.LogCaptureFixture,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from ormada.cli import app

    seen: list[str] = []
    secret_file = tmp_path / "pw"
    secret_file.write_text(PASSWORD)
    sources: list[Callable[[str], ormada.Database]] = [
        lambda server: ormada.connect(url_of(server, PASSWORD), name="leak_probe"),
        lambda server: ormada.connect(url_of(server), name="leak_probe", password=PASSWORD),
        lambda server: ormada.connect(url_of(server), name="leak_probe", password=lambda: PASSWORD),
        lambda server: ormada.connect(url_of(server), name="leak_probe", password_file=secret_file),
    ]
    for server in SERVERS:
        for make in sources:
            db = make(server)
            seen += [repr(db), str(db), repr(db.url), str(db.url), db.url.render()]
            statement = LeakProbe.filter(name="x").statement()
            seen += [repr(statement), statement.text]
            for mode in MODES:
                assert await query(db, mode, close=False) == [(1,)]
            db.close()
            await db.aclose()
        for bad in (ormada.Database(url_of(server, WRONG_PASSWORD)),
                    ormada.Database(url_of(server), password=WRONG_PASSWORD)):
            for mode in MODES:
                with pytest.raises(ConnectionFailed) as caught:
                    await query(bad, mode)
                seen += ["".join(traceback.format_exception(caught.value)), repr(caught.value.args)]
        # The migrations' and introspection's connections (SQLAlchemy on the backend's own).
        for make in sources:
            db = make(server)
            assert migrations_for(db, tmp_path / "migrations").status().current is None
            with pytest.raises(ConfigurationError, match="has no table 'nope'") as missing:
                introspect.describe(db, ["nope"])
            seen.append("".join(traceback.format_exception(missing.value)))
            db.close()
        for bad in (ormada.Database(url_of(server, WRONG_PASSWORD), name="leak_probe"),
                    ormada.Database(url_of(server), name="leak_probe", password=lambda: WRONG_PASSWORD)):
            for attempt in (migrations_for(bad, tmp_path / "migrations").status, bad):
                with pytest.raises(ConnectionFailed) as caught:
                    attempt() if callable(attempt) else introspect.describe(attempt)
                seen += ["".join(traceback.format_exception(caught.value)), repr(caught.value.args)]
        for broken in (f"{url_of(server, PASSWORD)}&sslmodee=require", url_of(server, PASSWORD).replace(
                "localhost", "localhost:notaport")):
            with pytest.raises(ConfigurationError) as refused:
                ormada.Database(broken)
            seen.append("".join(traceback.format_exception(refused.value)))
        # The command line: info and check, the URL from --url and from the environment.
        from_file = f"{url_of(server)}&password_file={secret_file}"
        for args, env in ((["--url", url_of(server, PASSWORD), "info"], {}),
                          (["--url", url_of(server, PASSWORD), "check"], {}),
                          (["check"], {"ORMADA_URL": url_of(server, PASSWORD)}),
                          (["--url", url_of(server, WRONG_PASSWORD), "check"], {}),
                          (["--debug", "--url", url_of(server, PASSWORD), "check"], {}),
                          (["--url", url_of(server, PASSWORD), "inspect", "--tables", "nope"], {}),
                          (["inspect", "--tables", "nope"], {"ORMADA_URL": from_file}),
                          (["--url", url_of(server, WRONG_PASSWORD), "inspect"], {}),
                          (["--debug", "--url", url_of(server, WRONG_PASSWORD), "diagram"], {})):
            monkeypatch.chdir(tmp_path)
            result = CliRunner().invoke(app, args, env={"COLUMNS": "200", "ORMADA_URL": None, **env})
            seen += [result.stdout, result.stderr, repr(result.exception)]
            if args[-1] == "check" and url_of(server, WRONG_PASSWORD) not in args:
                assert result.exit_code == 0, result.output
            if args[-1] == "nope":  # connected, read the table names, found none called so
                assert "has no table 'nope'" in result.stderr, result.output
    captured = capsys.readouterr()
    records = debug_logging.records
    assert records, "DEBUG logging captured nothing: the search below would prove nothing"
    seen += [captured.out, captured.err, debug_logging.text]
    seen += [record.getMessage() + repr(record.args) + repr(record.__dict__) for record in records]
    for secret in (PASSWORD, WRONG_PASSWORD, quote(PASSWORD, safe="")):
        leaks = [text for text in seen if secret in text]
        assert not leaks, f"{secret!r} shows in: {leaks[0][:500]}"
