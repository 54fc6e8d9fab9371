"""Drivers' "permission denied" errors as ``PermissionDenied`` naming the operation and the table.

PostgreSQL and MariaDB refuse statements for real in tests/integration/test_privileges.py;
Cassandra refuses only with an authenticator configured, which the test node has not, so
its mapping is checked here on the driver's own exception objects.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import pytest

import ormada
from ormada.backends._privileges import operation_of, permission_denied, table_of
from ormada.backends.base import Statement
from ormada.backends.cassandra.faults import translate
from ormada.backends.cassandra.statements import CqlStatement


@pytest.mark.parametrize(("text", "operation", "table"), [
    ('SELECT "books".id FROM "books" WHERE "books".year > %s', "SELECT", "books"),
    ("INSERT INTO `author` (name) VALUES (%s)", "INSERT", "author"),
    ('UPDATE "s"."books" SET pages=$1', "UPDATE", "books"),
    ("DELETE FROM books WHERE id = ?", "DELETE", "books"),
    ('CREATE TABLE IF NOT EXISTS "privilege_notes" (id INTEGER)', "CREATE TABLE", "privilege_notes"),
    ("CREATE UNIQUE INDEX ix_books_title ON books (title)", "CREATE UNIQUE INDEX", "books"),
    ("DROP TABLE IF EXISTS `books`", "DROP TABLE", "books"),
    ("alter table books add column extra integer", "ALTER TABLE", "books"),
    ("TRUNCATE books", "TRUNCATE", None),
    ("TRUNCATE TABLE books", "TRUNCATE TABLE", "books"),
    ("CREATE OR REPLACE VIEW v AS SELECT 1", "CREATE OR REPLACE VIEW", None),
])
def test_operation_and_table_of_a_statement(text: str, operation: str, table: str | None) -> None:
    assert operation_of(text) == operation
    if table is not None:
        assert table_of(text) == table


@pytest.mark.parametrize(("text", "server", "table"), [
    # The server's table wins: a join is refused on one of its tables.
    ('SELECT a.id FROM "author" a JOIN "books" b ON b.author_id = a.id', "permission denied for table books", "books"),
    ("SELECT a.id FROM `author` a JOIN `books` b ON 1",
     "SELECT command denied to user 'app'@'localhost' for table `t_1`.`books`", "books"),
    ("SELECT a.id FROM author", "SELECT command denied to user 'app'@'localhost' for column 'id' in table 'author'",
     "author"),
    # A privilege missing on the schema or database: the statement's table is named.
    ('CREATE TABLE "notes" (id INTEGER)', "permission denied for schema t_1", "notes"),
    ("CREATE TABLE `notes` (id INTEGER)", "Access denied for user 'app'@'%' to database 't_1'", "notes"),
    ("SET ROLE x", "Access denied for user 'app'@'%' to database 't_1'", "t_1"),
])
def test_the_table_the_server_names_comes_first(text: str, server: str, table: str) -> None:
    error = permission_denied(text, server)
    assert error.table == table
    assert server in str(error)
    assert text in str(error)


def test_permission_denied_is_a_database_error_that_pickles() -> None:
    error = permission_denied("INSERT INTO books (title) VALUES (%s)", "permission denied for table books")
    assert isinstance(error, ormada.DatabaseError)
    assert error.code == "permission-denied"
    assert str(error).startswith("INSERT on books was refused: the database user lacks the privilege")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.operation, copy.table, str(copy)) == ("INSERT", "books", str(error))


def test_psycopg_and_asyncpg_insufficient_privilege() -> None:
    import asyncpg
    import psycopg

    from ormada.backends.postgresql import map_asyncpg_error, map_psycopg_error

    statement = Statement('UPDATE "books" SET pages=%s', ("secret",))
    for mapped in (map_psycopg_error(psycopg.errors.InsufficientPrivilege("permission denied for table books"),
                                     statement),
                   map_asyncpg_error(asyncpg.InsufficientPrivilegeError("permission denied for table books"),
                                     statement)):
        assert isinstance(mapped, ormada.PermissionDenied)
        assert (mapped.operation, mapped.table) == ("UPDATE", "books")
        assert "secret" not in str(mapped)


@pytest.mark.parametrize("code", [1044, 1142, 1143, 1227, 1370])
def test_mysql_privilege_errors(code: int) -> None:
    import asyncmy.errors
    import pymysql

    from ormada.backends._mysql_io import map_error

    statement = Statement("DELETE FROM `books` WHERE id = %s", (1,))
    message = "DELETE command denied to user 'app'@'localhost' for table `t_1`.`books`"
    for module in (pymysql.err, asyncmy.errors):
        mapped = map_error(module.OperationalError(code, message), statement, "mysql://app@host/t_1", module)
        assert isinstance(mapped, ormada.PermissionDenied)
        assert (mapped.operation, mapped.table) == ("DELETE", "books")
    refused_login = map_error(pymysql.err.OperationalError(1045, "Access denied for user 'app'"), statement,
                              "mysql://app@host/t_1", pymysql.err)
    assert not isinstance(refused_login, ormada.PermissionDenied)


@dataclass
class _Cluster:
    describe: str = "cassandra://127.0.0.1:9042/ks"


def test_cassandra_unauthorized() -> None:
    from cassandra import Unauthorized
    from cassandra.cluster import NoHostAvailable
    from cassandra.protocol import UnauthorizedErrorMessage

    statement = CqlStatement("INSERT INTO ks.accounts (key, owner) VALUES (?, ?)", ("k", "secret"),
                             model="Account")
    server = "User app has no MODIFY permission on <table ks.accounts> or any of its parents"
    message = UnauthorizedErrorMessage(0x2100, server, {})
    for exc in (Unauthorized(f'Error from server: code=2100 [Unauthorized] message="{server}"'), message,
                NoHostAvailable("no host", {"127.0.0.1": message})):
        mapped = translate(exc, _Cluster(), [statement])
        assert isinstance(mapped, ormada.PermissionDenied)
        assert (mapped.operation, mapped.table) == ("INSERT", "accounts")
        assert str(mapped).startswith("Account: INSERT on accounts was refused")
        assert "secret" not in str(mapped)
