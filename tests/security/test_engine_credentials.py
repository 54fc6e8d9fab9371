"""The migrations, ``introspect.describe()`` and the ``inspect``/``diagram`` commands connect as
ormada does: with ``password=`` (text or a callable), ``password_file=``, the TLS options and the
session settings, on the ``ormada_secure`` user that logs in only with a password over
verify-full TLS (scripts/services.sh); and a wrong password names the user and host, never the
password.
"""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import pytest

import ormada
from ormada import ConnectionFailed, Model, PrimaryKey, introspect
from ormada.migrations import migrations_for
from tests.conftest import _mysql_admin, _pg_admin
from tests.security.conftest import CA, CLIENT_CERT, CLIENT_KEY, PASSWORD, TIMEOUT, USER, WRONG_PASSWORD

NAME = "secure_engine"  # the database the models below are bound to
SOURCES = ["text", "file", "callable"]


class SecureAuthor(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str
    born: int | None = None

    class Meta:
        database = NAME
        table = "secure_author"


def url_of(server: str, where: str, query: str = "") -> str:
    """The ``ormada_secure`` user's URL without a password, verify-full against the test CA (in
    libpq's words on PostgreSQL, the MySQL client's on MariaDB)."""
    ca = quote(CA, safe="")
    if server == "postgresql":
        return (f"postgresql://{USER}@localhost:5432/test?schema={where}&sslmode=verify-full&sslrootcert={ca}"
                f"&connect_timeout={TIMEOUT}{query}")
    return f"mysql://{USER}@localhost:3306/{where}?ssl_ca={ca}&ssl_verify_identity=true&connect_timeout={TIMEOUT}{query}"


@pytest.fixture
def secure_pg_schema(postgres_tls: None) -> Iterator[str]:
    """A fresh schema owned by ``ormada_secure``, dropped afterwards."""
    name = f"sec_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE SCHEMA "{name}" AUTHORIZATION {USER}')
        try:
            yield name
        finally:
            admin.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def secure_mysql_database(mysql_tls: None) -> Iterator[str]:
    """A fresh MariaDB database ``ormada_secure`` may use, dropped (and its grant revoked) afterwards."""
    name = f"sec_{uuid.uuid4().hex[:12]}"
    grantees = f"'{USER}'@'localhost', '{USER}'@'127.0.0.1'"
    with _mysql_admin() as admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        cursor.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO {grantees}")
        try:
            yield name
        finally:
            cursor.execute(f"DROP DATABASE `{name}`")
            cursor.execute(f"REVOKE ALL PRIVILEGES ON `{name}`.* FROM {grantees}")


@pytest.fixture(params=["postgresql", "mysql"])
def place(request: pytest.FixtureRequest) -> tuple[str, str]:
    """A server and a fresh schema (PostgreSQL) or database (MariaDB) of the password user's."""
    server = str(request.param)
    fixture = "secure_pg_schema" if server == "postgresql" else "secure_mysql_database"
    return server, str(request.getfixturevalue(fixture))


class Token:
    """A password callable that counts how often it is asked (once per new connection)."""

    def __init__(self, password: str = PASSWORD) -> None:
        self.password = password
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return self.password


def credentials(source: str, tmp_path: Path, password: str = PASSWORD) -> dict[str, Any]:
    """``connect()``'s keywords that give the password from ``source``."""
    if source == "file":
        secret = tmp_path / "db-password"
        secret.write_text(password + "\n")
        return {"password_file": secret}
    if source == "callable":
        return {"password": Token(password)}
    return {"password": password}


@pytest.mark.parametrize("source", SOURCES)
def test_migrations_and_describe_connect_with_the_password_source_and_tls(
        place: tuple[str, str], source: str, tmp_path: Path) -> None:
    server, where = place
    given = credentials(source, tmp_path)
    db = ormada.connect(url_of(server, where), name=NAME, **given)
    try:
        migrations = migrations_for(db, tmp_path / "migrations")
        assert migrations.status().current is None
        made = migrations.make("authors")
        assert made is not None and made.exists()
        assert migrations.status().pending
        assert [r.message for r in migrations.upgrade()] == ["authors"]
        status = migrations.status()
        assert status.current == status.head and not status.pending and not status.drift
        SecureAuthor.create(name="Ursula K. Le Guin", born=1929)  # on the pool, as the schema has it
        assert [a.name for a in SecureAuthor.all()] == ["Ursula K. Le Guin"]

        info = introspect.describe(db)
        table = next(t for t in info.tables if t.name == "secure_author")
        assert [c.name for c in table.columns] == ["id", "name", "born"]
        assert PASSWORD not in info.source and USER in info.source
        # The database is the caller's: describe() leaves it open.
        assert db.execute("SELECT 1") == [(1,)]

        assert [r.message for r in migrations.downgrade("base")] == ["authors"]
        assert "secure_author" not in [t.name for t in introspect.describe(db).tables]
        if source == "callable":
            # Asked for each new connection: the migrations' and describe()'s as well as the pool's.
            assert given["password"].calls >= 5
    finally:
        db.close()


# What a connection of the engine tells about itself: its TLS, the client certificate it showed
# (PostgreSQL) and the session settings ormada's own connections have.
SESSION = {
    "postgresql": "SELECT s.ssl, s.client_dn, current_setting('search_path'), current_setting('TimeZone') "
                  "FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()",
    "mysql": "SELECT (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = "
             "'Ssl_version'), @@SESSION.sql_mode, @@SESSION.time_zone",
}


def test_the_engine_has_the_client_certificate_and_the_session_settings(place: tuple[str, str]) -> None:
    from ormada.migrations._connection import engine_for

    server, where = place
    client = (f"&sslcert={quote(CLIENT_CERT, safe='')}&sslkey={quote(CLIENT_KEY, safe='')}" if server == "postgresql"
              else f"&ssl_cert={quote(CLIENT_CERT, safe='')}&ssl_key={quote(CLIENT_KEY, safe='')}")
    db = ormada.Database(url_of(server, where, client), password=Token())
    engine = engine_for(db, 5)  # the migrations' engine, which is sqlalchemy_engine(db.backend)
    try:
        with engine.connect() as connection:
            row = tuple(connection.exec_driver_sql(SESSION[server]).one())
    finally:
        engine.dispose()
        db.close()
    if server == "postgresql":
        assert row == (True, f"/CN={USER}", where, "UTC")
    else:
        tls, sql_mode, time_zone = row
        assert str(tls).startswith("TLSv1.") and "STRICT_ALL_TABLES" in sql_mode and time_zone == "+00:00"


def test_describe_takes_the_password_file_in_the_url(place: tuple[str, str], tmp_path: Path) -> None:
    server, where = place
    db = ormada.Database(url_of(server, where), password=PASSWORD)
    db.execute("CREATE TABLE secure_note (id INTEGER PRIMARY KEY, body VARCHAR(40) NOT NULL)")
    db.close()
    secret = tmp_path / "db-password"
    secret.write_text(PASSWORD)
    info = introspect.describe(url_of(server, where, f"&password_file={quote(str(secret), safe='')}"))
    assert [t.name for t in info.tables] == ["secure_note"]
    assert "class SecureNote(Model):" in introspect.generate(info)


@pytest.mark.parametrize("source", ["text", "callable"])
def test_a_wrong_password_names_the_user_and_host_but_not_the_password(
        place: tuple[str, str], source: str, tmp_path: Path) -> None:
    server, where = place
    db = ormada.Database(url_of(server, where), name=NAME, **credentials(source, tmp_path, WRONG_PASSWORD))
    attempts: list[Callable[[], object]] = [lambda: migrations_for(db, tmp_path / "migrations").status(),
                                           lambda: introspect.describe(db)]
    for attempt in attempts:
        with pytest.raises(ConnectionFailed) as caught:
            attempt()
        message = str(caught.value)
        assert f"{USER}:***@localhost" in message and "could not connect" in message
        assert WRONG_PASSWORD not in message and WRONG_PASSWORD not in repr(caught.value.__cause__)
    db.close()


MODELS = textwrap.dedent("""
    from typing import Annotated

    from ormada import ForeignKey, Model, PrimaryKey


    class Shelf(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        label: str

        class Meta:
            table = "secure_shelf"


    class Volume(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        title: str
        shelf: Annotated[Shelf | None, ForeignKey(related_name="volumes")] = None

        class Meta:
            table = "secure_volume"
""")


def test_the_commands_take_the_credentials_from_the_configuration(
        place: tuple[str, str], tmp_path: Path, project: Callable[..., Any]) -> None:
    """In the ``project`` directory (``tmp_path``), the commands run as in a process of their own,
    seeing no model but the project's."""
    server, where = place
    secret = tmp_path / "db-password"
    secret.write_text(PASSWORD + "\n")
    url = url_of(server, where, f"&password_file={quote(str(secret), safe='')}")
    (tmp_path / "secure_models.py").write_text(MODELS)
    with_models = f'[tool.ormada]\nurl = "{url}"\nmodels = ["secure_models"]\n'
    (tmp_path / "pyproject.toml").write_text(with_models)

    def _cli(args: list[str], **env: str) -> tuple[int, str, str]:
        result = project(*args, **env)
        return result.exit_code, result.stdout, result.stderr

    code, out, err = _cli(["makemigrations", "-m", "shelves"])
    assert code == 0, err
    assert "shelves" in out + err
    code, out, err = _cli(["migrate"])
    assert code == 0, err
    assert "applied" in out and "shelves" in out
    code, out, err = _cli(["status"])
    assert code == 0, err
    assert "pending: none" in out and "drift: none" in out

    # Without models, diagram draws the database's own tables; inspect reads them.
    (tmp_path / "pyproject.toml").write_text(f'[tool.ormada]\nurl = "{url}"\n')
    code, out, err = _cli(["diagram"])
    assert code == 0, err
    assert "secure_shelf" in out and "secure_volume" in out and "secure_shelf |o--o{ secure_volume" in out
    code, out, err = _cli(["inspect", "--tables", "secure_shelf,secure_volume"])
    assert code == 0, err
    assert "class SecureShelf(Model):" in out and 'ForeignKey("SecureShelf"' in out
    assert PASSWORD not in out + err

    # From the environment, with a wrong password: one line naming the user and host.
    wrong = tmp_path / "wrong-password"
    wrong.write_text(WRONG_PASSWORD)
    (tmp_path / "pyproject.toml").unlink()
    bad = url_of(server, where, f"&password_file={quote(str(wrong), safe='')}")
    for command, models in ((["inspect"], {}), (["diagram"], {}), (["status"], {"ORMADA_MODELS": "secure_models"})):
        code, out, err = _cli(command, ORMADA_URL=bad, **models)
        assert code == 1, (command, out, err)
        assert f"{USER}:***@localhost" in err and WRONG_PASSWORD not in out + err
