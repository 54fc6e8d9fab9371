"""What only MySQL and MariaDB do: generated keys without RETURNING, strict mode, collation.

``?returning=off`` makes the MariaDB that ``make test`` starts behave as MySQL 8 does
(no ``INSERT … RETURNING``), so the ``lastrowid`` paths run on every test run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

import ormada
from ormada.backends.mysql import MysqlBackend
from tests.conftest import MY_HOST, MY_PORT, Api
from tests.models import ALL_MODELS, Author, Book


@pytest.fixture(params=["returning", "no-returning"])
async def mydb(request: pytest.FixtureRequest) -> AsyncIterator[ormada.Database]:
    """A fresh MariaDB database, with RETURNING or doing without it as MySQL does."""
    name = request.getfixturevalue("mysql_database")
    option = "" if request.param == "returning" else "?returning=off"
    database = ormada.connect(f"mysql://root@{MY_HOST}:{MY_PORT}/{name}{option}")
    database.create_all(ALL_MODELS)
    try:
        yield database
    finally:
        await database.aclose()


def _backend(db: ormada.Database) -> MysqlBackend:
    assert isinstance(db.backend, MysqlBackend)
    return db.backend


async def test_the_server_decides_returning(mydb: ormada.Database, api: Api) -> None:
    await api(Author, "create", name="Ursula K. Le Guin")
    backend = _backend(mydb)
    assert backend.server is not None and backend.server.is_mariadb  # the server make test starts
    assert backend.supports.returning is (mydb.url.query.get("returning") != "off")


async def test_generated_keys_of_single_and_bulk_inserts(mydb: ormada.Database, api: Api) -> None:
    one = await api(Author, "create", name="Ursula K. Le Guin")
    many = await api(Author, "bulk_create", [Author(name=f"writer {i}") for i in range(5)])
    assert [a.id for a in many] == list(range(one.id + 1, one.id + 6))
    for author in many:
        assert (await api(Author, "get", id=author.id)).name == author.name


async def test_bulk_keys_row_by_row_where_they_need_not_be_consecutive(mydb: ormada.Database, api: Api) -> None:
    await api(Author, "create", name="first")  # connects, so the server's settings are known
    backend = _backend(mydb)
    assert backend.server is not None and backend.server.consecutive_keys  # MariaDB's default lock mode 1
    # As under innodb_autoinc_lock_mode = 2 (MySQL 8's default), which a client cannot set.
    backend._learn(replace(backend.server, consecutive_keys=False))
    books = [Book(title=f"t{i}", year=2000 + i) for i in range(4)]
    await api(Book, "bulk_create", books)
    for book in books:
        assert (await api(Book, "get", id=book.id)).title == book.title


async def test_insert_if_not_exists_skips_only_a_taken_key(mydb: ormada.Database, api: Api) -> None:
    author = await api(Author, "create", name="Octavia E. Butler")
    again = Author(id=author.id, name="someone else")
    assert await api(again, "insert", if_not_exists=True) is False
    fresh = Author(name="Ted Chiang")
    assert await api(fresh, "insert", if_not_exists=True) is True
    assert fresh.id is not None and (await api(Author, "get", id=fresh.id)).name == "Ted Chiang"
    # Strict mode still refuses a value too long: the skip is not INSERT IGNORE.
    with pytest.raises(ormada.DataError, match="name"):
        await api(Author.model_construct(name="x" * 101), "insert", if_not_exists=True)


async def test_upsert_with_and_without_returning(mydb: ormada.Database, api: Api) -> None:
    first = await api(Author, "create", name="Ann", born=1900)
    await api(Author, "upsert", [Author(id=first.id, name="Ann", born=1901)])
    assert (await api(Author, "get", id=first.id)).born == 1901
    unkeyed = [Author(name="Ann", born=1902)]
    if _backend(mydb).supports.returning:
        await api(Author, "upsert", unkeyed, conflict=["name"])
        assert unkeyed[0].id == first.id and (await api(Author, "get", id=first.id)).born == 1902
    else:
        with pytest.raises(ormada.NotSupported, match=r"Author\.upsert\(\).*RETURNING"):
            await api(Author, "upsert", unkeyed, conflict=["name"])


async def test_duplicate_keys_raise_integrity_error_with_the_driver_error(mydb: ormada.Database, api: Api) -> None:
    import asyncmy.errors
    import pymysql

    await api(Author, "create", name="Ann")
    with pytest.raises(ormada.IntegrityError, match="Duplicate entry") as caught:
        await api(Author, "create", name="Ann")
    assert isinstance(caught.value.__cause__, (pymysql.err.IntegrityError, asyncmy.errors.IntegrityError))


async def test_exact_is_case_sensitive_and_iexact_is_not(mydb: ormada.Database, api: Api) -> None:
    await api(Author, "create", name="Ann")
    await api(Author, "create", name="ANN")  # a unique key that is case-sensitive, as on PostgreSQL
    assert await api(Author.filter(name="ann"), "count") == 0
    assert await api(Author.filter(name="Ann"), "count") == 1
    assert await api(Author.filter(name__iexact="ann"), "count") == 2
    assert await api(Author.filter(name__contains="NN"), "count") == 1


async def test_an_unreachable_server_fails_without_showing_the_password(api: Api) -> None:
    db = ormada.connect("mysql://root:s3cret@127.0.0.1:1/test?connect_timeout=2", name="mysql_down")
    try:
        with pytest.raises(ormada.ConnectionFailed) as caught:
            await api.execute(db, "SELECT 1")
        assert "s3cret" not in str(caught.value) and "root:***@127.0.0.1:1" in str(caught.value)
    finally:
        await db.aclose()
