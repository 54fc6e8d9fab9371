"""What the sync and async Cassandra executors share, written once and free of I/O.

A statement becomes driver statements (:func:`as_cql`, :func:`driver_statements`,
:func:`configure`), and the driver's answer becomes what ``execute`` returns
(:func:`shape`). Only sending the requests and awaiting the answers differs between
the two modes (see :mod:`._executor_async`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cassandra import ConsistencyLevel

from ormada.backends.base import RawRows, Statement
from ormada.backends.cassandra.faults import applied
from ormada.backends.cassandra.paging import PageRows, seal
from ormada.backends.cassandra.statements import CqlStatement
from ormada.errors import QueryError


def configure(driver_statement: Any, statement: CqlStatement) -> Any:
    """Applies the per-statement settings that are not CQL text."""
    if statement.consistency is not None:
        driver_statement.consistency_level = ConsistencyLevel.name_to_value[statement.consistency]
    if statement.serial_consistency is not None:
        driver_statement.serial_consistency_level = ConsistencyLevel.name_to_value[statement.serial_consistency]
    if statement.fetch_size is not None:
        driver_statement.fetch_size = statement.fetch_size
    if not statement.paged:
        driver_statement.fetch_size = None  # no page size: the whole result in one response
    driver_statement.is_idempotent = statement.idempotent
    return driver_statement


def driver_statements(statement: CqlStatement, prepared: Any) -> list[Any]:
    """The driver statements that run ``statement``.

    Args:
        statement: The statement to run.
        prepared: Its prepared form, or None when it is not prepared.

    Returns:
        One bound statement per row of values (one row unless ``statement.many``), or a
        single unprepared statement.
    """
    if prepared is None:
        from cassandra.query import SimpleStatement

        return [configure(SimpleStatement(statement.text), statement)]
    rows = statement.params if statement.many else [statement.params]
    return [configure(prepared.bind(p), statement) for p in rows]


def as_cql(statement: Statement) -> CqlStatement:
    """Any statement as a CqlStatement (savepoints and other SQL-only statements are refused)."""
    if isinstance(statement, CqlStatement):
        return statement
    if statement.text.split(None, 1)[0].upper() in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"):
        raise QueryError(f"Cassandra has no transactions or savepoints ({statement.text!r}); use a batch")
    return CqlStatement(text=statement.text, params=statement.params, fetch=statement.fetch, many=statement.many,
                        prepare=bool(statement.params))


def changes_schema(statement: CqlStatement) -> bool:
    """Whether the statement is DDL (schema statements are never prepared)."""
    words = statement.text.split(None, 1)
    return not statement.prepare and bool(words) and words[0].upper() in ("CREATE", "ALTER", "DROP")


def shape(statement: CqlStatement, results: list[Any], paging_state: bytes | None = None,
          columns: Sequence[str] | None = None) -> Any:
    """What :meth:`SyncConnection.execute` returns for the statement's ``fetch``.

    Writes report how many statements ran (CQL has no row counts), or, for
    lightweight transactions, how many applied. A raw read's rows carry ``columns``,
    the names of their columns.
    """
    if statement.fetch in ("rows", "auto") and not statement.many:
        rows = list(results[0] or ()) if results else []
        if statement.tally:
            return [(len(rows),)]
        if statement.page:
            return PageRows(rows, seal(statement.text, statement.params, paging_state))
        return RawRows(rows, columns) if statement.fetch == "auto" and columns else rows
    if statement.conditional:
        return sum(applied(r) for r in results)
    if statement.fetch == "none":
        return None
    return len(results)
