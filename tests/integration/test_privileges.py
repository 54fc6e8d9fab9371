"""Least privilege: the application runs as a role with only SELECT, INSERT, UPDATE and DELETE
on its tables, the schema is made by the tables' owner, and a statement refused for lack of a
privilege raises ``PermissionDenied`` naming the operation and the table, changing nothing.

Server backends only (SQLite and DuckDB have no users). Each test makes its own role, in
its own schema (PostgreSQL) or database (MariaDB), so parallel runs never meet.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import pytest

import ormada
from ormada import Model, PrimaryKey
from tests.conftest import MY_HOST, MY_PORT, PG_HOST, PG_PORT, PG_URL, Api, _mysql_admin, _pg_admin
from tests.models import Author, Book

SERVERS = ["postgresql", "mysql"]


class PrivilegeNote(Model):
    """A model whose table the owner never creates: the application role must not either."""

    id: Annotated[int | None, PrimaryKey()] = None
    text: str

    class Meta:
        table = "privilege_notes"


@dataclass
class Roles:
    """The owner's admin connection and the application role's database (registered as the
    default one, so the models use it)."""

    backend: str
    admin: Any
    app: ormada.Database
    container: str  # the PostgreSQL schema or MariaDB database holding the tables
    role: str

    def revoke(self, privilege: str, table: str) -> None:
        """Takes ``privilege`` on ``table`` from the application role."""
        if self.backend == "postgresql":
            self.admin.execute(f'REVOKE {privilege} ON "{self.container}"."{table}" FROM "{self.role}"')
            return
        with self.admin.cursor() as cursor:
            for host in MY_USER_HOSTS:
                cursor.execute(f"REVOKE {privilege} ON `{self.container}`.`{table}` FROM '{self.role}'@'{host}'")

    def count(self, table: str) -> int:
        """Rows of ``table``, counted as the owner."""
        if self.backend == "postgresql":
            return int(self.admin.execute(f'SELECT COUNT(*) FROM "{self.container}"."{table}"').fetchone()[0])
        with self.admin.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM `{self.container}`.`{table}`")
            return int(cursor.fetchone()[0])

    def exists(self, table: str) -> bool:
        """Whether ``table`` exists, asked as the owner."""
        query = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = %s"
        if self.backend == "postgresql":
            return bool(self.admin.execute(query, (self.container, table)).fetchone()[0])
        with self.admin.cursor() as cursor:
            cursor.execute(query, (self.container, table))
            return bool(cursor.fetchone()[0])


def _owner_creates_tables(url: str) -> None:
    owner = ormada.Database(url)
    try:
        owner.create_all([Author, Book])
    finally:
        owner.close()


def _postgresql(request: pytest.FixtureRequest, role: str) -> tuple[Any, str, str]:
    schema = request.getfixturevalue("pg_schema")
    _owner_creates_tables(f"{PG_URL}?schema={schema}")
    admin = _pg_admin()
    admin.execute(f'CREATE ROLE "{role}" LOGIN')  # loopback connections are trusted: no password
    admin.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
    for table in ("author", "books"):
        admin.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{schema}"."{table}" TO "{role}"')
    admin.execute(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"')
    return admin, schema, f"postgresql://{role}@{PG_HOST}:{PG_PORT}/test?schema={schema}"


def _mysql(request: pytest.FixtureRequest, user: str) -> tuple[Any, str, str]:
    database = request.getfixturevalue("mysql_database")
    _owner_creates_tables(f"mysql://root@{MY_HOST}:{MY_PORT}/{database}")
    admin = _mysql_admin()
    with admin.cursor() as cursor:
        for host in MY_USER_HOSTS:
            cursor.execute(f"CREATE USER '{user}'@'{host}'")
            for table in ("author", "books"):
                cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON `{database}`.`{table}` TO '{user}'@'{host}'")
    return admin, database, f"mysql://{user}@{MY_HOST}:{MY_PORT}/{database}"


# A TCP connection from 127.0.0.1 is matched as 'localhost' or '127.0.0.1' depending on name
# resolution; '%' covers the rest.
MY_USER_HOSTS = ("%", "localhost", "127.0.0.1")


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def roles(server: str, request: pytest.FixtureRequest) -> AsyncIterator[Roles]:
    """The owner creates Author's and Book's tables; the application role, made for this test
    with only DML rights on them, is connected as the default database."""
    name = f"ormada_app_{uuid.uuid4().hex[:10]}"
    admin, container, url = (_postgresql if server == "postgresql" else _mysql)(request, name)
    app = ormada.connect(url)
    try:
        yield Roles(server, admin, app, container, name)
    finally:
        await app.aclose()
        if server == "postgresql":
            admin.execute(f'DROP OWNED BY "{name}"')
            admin.execute(f'DROP ROLE "{name}"')
        else:
            with admin.cursor() as cursor:
                for host in MY_USER_HOSTS:
                    cursor.execute(f"DROP USER '{name}'@'{host}'")
        admin.close()


async def test_application_role_reads_and_writes(roles: Roles, api: Api) -> None:
    author = await api(Author, "create", name="Ursula K. Le Guin", born=1929)
    books = await api(Book, "bulk_create", [Book(title=f"b{i}", year=1960 + i, author_id=author.id) for i in range(5)])
    assert all(book.id is not None for book in books)
    assert await api(Book.filter(year__gte=1962), "count") == 3
    latest = Book.filter(author_id=author.id).order_by("-year").limit(2)
    assert [b.title for b in await api.list(latest)] == ["b4", "b3"]
    first = await api(Book, "get", title="b0")
    first.pages = 300
    await api(first, "save")
    for book in books:
        book.rating = 4.5
    assert await api(Book, "bulk_update", books, ["rating"]) == 5
    assert await api(Book.filter(year__lt=1962), "update", pages=50) == 2
    _, created = await api(Author, "get_or_create", name="Samuel R. Delany", defaults={"born": 1942})
    assert created
    _, created = await api(Author, "update_or_create", name="Samuel R. Delany", defaults={"born": 1943})
    assert not created
    await api(Author, "upsert", [Author(name="Samuel R. Delany", born=1942)], conflict=["name"], update=["born"])
    assert [b.year for b in await api.iterate(Book.query().order_by("year"), 2)] == [1960, 1961, 1962, 1963, 1964]
    async with api.transaction(roles.app):
        locked = await api.list(Book.filter(title="b4").select_for_update())
        assert [b.title for b in locked] == ["b4"]
        await api(Author, "create", name="Octavia E. Butler")
        assert await api(Book.filter(title="b4"), "delete") == 1
    with pytest.raises(RuntimeError):
        async with api.transaction(roles.app):
            await api(Author, "create", name="Rolled back")
            raise RuntimeError
    assert roles.count("books") == 4
    assert roles.count("author") == 3
    assert (await api(Book, "get", title="b0")).pages == 50
    assert (await api(Book, "get", title="b3")).rating == 4.5
    assert (await api(Author, "get", name="Samuel R. Delany")).born == 1942


async def _create_all(api: Api, db: ormada.Database, models: list[type[Model]]) -> None:
    if api.is_async:
        await db.acreate_all(models)
    else:
        db.create_all(models)


async def _drop_all(api: Api, db: ormada.Database, models: list[type[Model]]) -> None:
    if api.is_async:
        await db.adrop_all(models)
    else:
        db.drop_all(models)


async def test_schema_changes_as_the_application_role_raise_permission_denied(roles: Roles, api: Api) -> None:
    await api(Book, "create", title="kept", year=2000)

    with pytest.raises(ormada.PermissionDenied) as created:
        await _create_all(api, roles.app, [PrivilegeNote])
    assert (created.value.operation, created.value.table) == ("CREATE TABLE", "privilege_notes")
    assert "CREATE TABLE on privilege_notes was refused" in str(created.value)
    assert isinstance(created.value, ormada.DatabaseError)
    assert created.value.__cause__ is not None  # the driver's error is chained
    assert not roles.exists("privilege_notes")

    with pytest.raises(ormada.PermissionDenied) as dropped:
        await _drop_all(api, roles.app, [Book])
    assert (dropped.value.operation, dropped.value.table) == ("DROP TABLE", "books")

    with pytest.raises(ormada.PermissionDenied) as altered:
        await api.execute(roles.app, "ALTER TABLE books ADD COLUMN extra INTEGER")
    assert (altered.value.operation, altered.value.table) == ("ALTER TABLE", "books")
    assert "ALTER TABLE on books was refused" in str(altered.value)

    assert roles.count("books") == 1  # nothing changed, and the connection still serves
    assert (await api(Book, "get", title="kept")).year == 2000


async def test_refused_write_inside_a_transaction_changes_nothing(roles: Roles, api: Api) -> None:
    roles.revoke("INSERT", "author")
    await api(Book, "create", title="before", year=1999)
    with pytest.raises(ormada.PermissionDenied) as refused:
        async with api.transaction(roles.app):
            await api(Book, "create", title="inside", year=2000)
            await api(Book.filter(title="before"), "update", year=1)
            await api(Author, "create", name="refused")
    assert (refused.value.operation, refused.value.table) == ("INSERT", "author")
    assert "INSERT on author was refused" in str(refused.value)
    assert roles.count("books") == 1
    assert roles.count("author") == 0
    assert (await api(Book, "get", title="before")).year == 1999

    with pytest.raises(ormada.PermissionDenied) as outside:  # and outside a transaction, alone
        await api(Author, "bulk_create", [Author(name="a"), Author(name="b")])
    assert outside.value.table == "author"
    assert await api(Author.query(), "count") == 0  # reading it is still allowed

    roles.revoke("SELECT", "author")
    with pytest.raises(ormada.PermissionDenied) as unread:
        await api.list(Book.filter(author_id__in=Author.query().values("id")))  # refused on the table it may not read
    assert (unread.value.operation, unread.value.table) == ("SELECT", "author")
