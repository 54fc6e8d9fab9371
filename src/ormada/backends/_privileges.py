"""A statement refused for lack of a privilege, as :class:`ormada.PermissionDenied`.

Each driver says "permission denied" in its own words; what the error names (the
operation and the table) is read from the statement, with the table the server names
preferred, since a SELECT over a join is refused on one of its tables only.
"""

from __future__ import annotations

import re

from ormada.errors import PermissionDenied

# The words that name what a statement does; DDL takes its object's kind as well.
_DDL = frozenset({"CREATE", "DROP", "ALTER", "TRUNCATE", "GRANT", "REVOKE", "COMMENT"})
_MODIFIERS = frozenset({"UNIQUE", "OR", "REPLACE", "TEMPORARY", "TEMP", "CUSTOM", "MATERIALIZED"})
_KINDS = frozenset({"TABLE", "INDEX", "VIEW", "SCHEMA", "DATABASE", "KEYSPACE", "TYPE", "SEQUENCE", "TRIGGER",
                    "FUNCTION", "PROCEDURE", "EXTENSION", "ROLE", "USER"})
_NAME = r"((?:[`\"][^`\"]+[`\"]|[\w$]+)(?:\.(?:[`\"][^`\"]+[`\"]|[\w$]+))?)"
# Where a statement names its table: INSERT INTO t, UPDATE t, DELETE FROM t, SELECT … FROM t,
# CREATE TABLE [IF NOT EXISTS] t, DROP TABLE [IF EXISTS] t, ALTER TABLE t, CREATE INDEX i ON t.
_STATEMENT_TABLE = re.compile(
    r"\b(?:INTO|UPDATE|FROM|TABLE(?:\s+IF\s+(?:NOT\s+)?EXISTS)?|\bON)\s+" + _NAME, re.IGNORECASE)
# Where servers name the table: PostgreSQL "permission denied for table books" (or sequence…),
# MySQL/MariaDB "… for table `db`.`books`" and "… in table 'books'", Cassandra "… on <table ks.books> …".
_QUOTED = r"(?:[`'\"][^`'\"]+[`'\"]|[\w$]+)"
_SERVER_TABLE = re.compile(r"(?:permission denied for (?:table|relation|view|sequence) |(?:for|in) table |<table )"
                           rf"({_QUOTED}(?:\.{_QUOTED})?)")
# A privilege missing on a whole schema, database or keyspace (PostgreSQL's CREATE in a schema,
# MySQL's 1044): the statement's own table is the one to name.
_SERVER_SCOPE = re.compile(rf"(?:for schema |to database |<keyspace )({_QUOTED})")


def operation_of(text: str) -> str:
    """What a statement does, by its first words: ``SELECT``, ``INSERT``, ``CREATE TABLE``,
    ``CREATE UNIQUE INDEX``, ``DROP TABLE``…"""
    words = text.split()
    if not words:
        return "statement"
    first = words[0].upper()
    if first not in _DDL:
        return first
    taken = [first]
    for word in (w.upper() for w in words[1:5]):
        if word in _MODIFIERS:
            taken.append(word)
            continue
        if word in _KINDS:
            taken.append(word)
        break
    return " ".join(taken)


def table_of(text: str) -> str | None:
    """The first table a statement names, without its quotes and schema."""
    match = _STATEMENT_TABLE.search(text)
    return None if match is None else _unquoted_last(match.group(1))


def _unquoted_last(name: str) -> str:
    """``"`db`.`books`"`` → ``books``: the table of a qualified, quoted name."""
    for quote in "`'\"":
        name = name.replace(quote, "")
    return name.rsplit(".", 1)[-1]


def _table(text: str, server_message: str) -> str | None:
    named = _SERVER_TABLE.search(server_message)
    if named is not None:
        return _unquoted_last(named.group(1))
    own = table_of(text)
    if own is not None:
        return own
    scope = _SERVER_SCOPE.search(server_message)
    return None if scope is None else _unquoted_last(scope.group(1))


def permission_denied(text: str, server_message: str) -> PermissionDenied:
    """The error for the statement ``text`` refused with ``server_message`` (the driver's first line)."""
    operation = operation_of(text)
    table = _table(text, server_message)
    on = f" on {table}" if table else ""
    return PermissionDenied(
        f"{operation}{on} was refused: the database user lacks the privilege for it ({server_message}). "
        "Run schema changes (create_all, migrations) as the tables' owner and grant the application's "
        f"user what it needs (in: {text})",
        operation=operation, table=table)
