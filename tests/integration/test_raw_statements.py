"""Raw SQL: execute() runs exactly one statement; execute_script() runs several, all or nothing."""

from __future__ import annotations

import pytest

import ormada
from tests.conftest import Api
from tests.models import Author

SCRIPT = """
CREATE TABLE shelf (id INTEGER PRIMARY KEY, label TEXT);
INSERT INTO shelf (id, label) VALUES (1, 'a;b');   -- a ; inside a string
INSERT INTO shelf (id, label) VALUES (2, 'c');
"""


async def script(api: Api, db: ormada.Database, sql: str) -> None:
    if api.is_async:
        await db.aexecute_script(sql)
    else:
        db.execute_script(sql)


@pytest.mark.parametrize("sql", ["SELECT 1; SELECT 2", "INSERT INTO author (name) VALUES ('x'); DROP TABLE author",
                                 "INSERT INTO author (name) VALUES ('x;'); /* ; */ DELETE FROM author"])
async def test_execute_runs_one_statement_and_refuses_more(db: ormada.Database, api: Api, sql: str) -> None:
    with pytest.raises(ormada.QueryError, match=r"execute\(\) runs one statement; .* execute_script\(\)"):
        await api.execute(db, sql)
    assert await api(Author.query(), "count") == 0  # neither statement ran: the table is still there


async def test_execute_accepts_one_statement_with_a_trailing_semicolon(db: ormada.Database, api: Api) -> None:
    assert await api.execute(db, "SELECT 1 AS one, ';' AS semi;") == [(1, ";")]
    rows = await api.execute(db, "SELECT 2 -- a comment; not a statement")
    assert rows == [(2,)] and all(type(row) is tuple for row in rows)


async def test_execute_script_runs_every_statement(db: ormada.Database, api: Api) -> None:
    await script(api, db, SCRIPT)
    assert await api.execute(db, "SELECT id, label FROM shelf ORDER BY id") == [(1, "a;b"), (2, "c")]
    with pytest.raises(ormada.QueryError, match=r"execute\(\) runs one statement"):  # still, after a script
        await api.execute(db, "DELETE FROM shelf; SELECT 1")
    assert await api.execute(db, "SELECT count(*) FROM shelf") == [(2,)]


async def test_a_failing_script_leaves_nothing_behind(db: ormada.Database, api: Api) -> None:
    await api(Author, "create", name="Kept")
    with pytest.raises(ormada.DatabaseError, match="nowhere"):
        await script(api, db, "INSERT INTO author (name) VALUES ('one'); UPDATE author SET born = 1; "
                              "INSERT INTO nowhere VALUES (1); INSERT INTO author (name) VALUES ('never');")
    assert [(a.name, a.born) for a in await api(Author.query(), "all")] == [("Kept", None)]


async def test_a_failing_script_with_ddl(db: ormada.Database, api: Api) -> None:
    with pytest.raises(ormada.DatabaseError, match="nowhere"):
        await script(api, db, SCRIPT + "INSERT INTO nowhere VALUES (1);")
    if db.backend.supports.extra.get("transactional_ddl", True):
        with pytest.raises(ormada.DatabaseError):
            await api.execute(db, "SELECT count(*) FROM shelf")  # the CREATE TABLE was undone too
    else:  # MySQL/MariaDB: CREATE TABLE commits, and the rows after it were each committed too
        assert await api.execute(db, "SELECT id, label FROM shelf ORDER BY id") == [(1, "a;b"), (2, "c")]


async def test_a_script_inside_a_transaction_is_part_of_it(db: ormada.Database, api: Api) -> None:
    with pytest.raises(RuntimeError):
        async with api.transaction(db):
            await api(Author, "create", name="Kept only if committed")
            await script(api, db, "INSERT INTO author (name) VALUES ('one'); INSERT INTO author (name) VALUES ('two');")
            assert await api(Author.query(), "count") == 3
            raise RuntimeError("roll it all back")
    assert await api(Author.query(), "count") == 0
    async with api.transaction(db):
        await script(api, db, "INSERT INTO author (name) VALUES ('one'); INSERT INTO author (name) VALUES ('two');")
    assert sorted(a.name for a in await api(Author.query(), "all")) == ["one", "two"]


@pytest.mark.requires("triggers")
async def test_a_script_may_define_a_trigger(db: ormada.Database, api: Api, backend: str) -> None:
    if backend == "postgresql":  # the same script in PostgreSQL's trigger syntax is a function and a trigger
        trigger = """
        CREATE FUNCTION count_books() RETURNS trigger AS $$ BEGIN
            UPDATE author SET born = coalesce(born, 0) + 1 WHERE id = NEW.author_id; RETURN NEW; END; $$
            LANGUAGE plpgsql;
        CREATE TRIGGER counted AFTER INSERT ON books FOR EACH ROW EXECUTE FUNCTION count_books();
        """
    elif backend == "mysql":  # FOR EACH ROW, and a body with a ; of its own that the server finds the end of
        trigger = """
        CREATE TRIGGER counted AFTER INSERT ON books FOR EACH ROW BEGIN
            UPDATE author SET born = coalesce(born, 0) + 1 WHERE id = NEW.author_id;
        END;
        """
    else:
        trigger = """
        CREATE TRIGGER counted AFTER INSERT ON books BEGIN
            UPDATE author SET born = coalesce(born, 0) + 1 WHERE id = NEW.author_id;
        END;
        """
    await script(api, db, trigger)
    author = await api(Author, "create", name="Counted")
    await api.execute(db, "INSERT INTO books (title, year, author_id, pages, tags) VALUES ('t', 1, :a, 1, '[]')",
                      {"a": author.id})
    assert (await api(Author, "get", id=author.id)).born == 1


def test_cql_has_no_scripts() -> None:
    cql = ormada.connect("cassandra://127.0.0.1:1/nowhere", name="cql_scripts")
    try:
        with pytest.raises(ormada.NotSupported, match="one statement per request"):
            cql.execute_script("SELECT 1; SELECT 2")  # refused before connecting (port 1 answers nothing)
    finally:
        cql.close()
