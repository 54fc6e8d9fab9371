"""Helpers shared by the unit tests: comparing compiled statements and driving operations."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from ormada import QuerySet, Statement


def squash(text: str) -> str:
    """SQL text with every run of whitespace made one space, so expected text can be wrapped."""
    return " ".join(text.split())


def statement_of(query: QuerySet[Any] | Statement) -> Statement:
    return query.statement() if isinstance(query, QuerySet) else query


def assert_compiles(query: QuerySet[Any] | Statement, text: str, params: Sequence[Any] = ()) -> None:
    """The read a QuerySet sends (or a statement) has exactly this text (up to
    whitespace) and these parameters, in the driver's order."""
    statement = statement_of(query)
    assert squash(statement.text) == squash(text)
    assert list(statement.params) == list(params)


class Driven:
    """What a sans-I/O operation did: the statements it yielded and what it returned."""

    def __init__(self) -> None:
        self.statements: list[Statement] = []
        self.result: Any = None

    @property
    def texts(self) -> list[str]:
        return [squash(s.text) for s in self.statements]


def drive(operation: Generator[Statement, Any, Any], *replies: Any) -> Driven:
    """Runs an operation by hand: each yielded statement gets the next reply.

    A reply that is an exception is thrown into the operation, as a database
    error would be. Raises AssertionError if the operation yields more statements
    than there are replies, or finishes with replies left over.
    """
    driven = Driven()
    pending = list(replies)
    try:
        statement = next(operation)
        while True:
            driven.statements.append(statement)
            assert pending, f"no reply for statement {statement.text!r}"
            reply = pending.pop(0)
            throw = isinstance(reply, BaseException)
            statement = operation.throw(reply) if throw else operation.send(reply)
    except StopIteration as stop:
        driven.result = stop.value
    assert not pending, f"{len(pending)} replies were not used"
    return driven
