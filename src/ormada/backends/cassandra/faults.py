"""Driver exceptions as ormada errors, and what a lightweight transaction's answer says."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ormada.backends._privileges import permission_denied
from ormada.backends._tls import tls_failure
from ormada.backends.cassandra.statements import CqlStatement
from ormada.errors import ConnectionFailed, DatabaseError, OrmadaError, QueryError, QueryTimeout


class Described(Protocol):
    """What names the cluster in a message (a session holder): its URL, password masked."""

    describe: str


def translate(exc: BaseException, holder: Described, statements: Sequence[CqlStatement] = ()) -> OrmadaError:
    """The ormada error for a driver exception (chain it with ``from exc``); the message
    names the models of ``statements`` and shows their CQL (never their values)."""
    from cassandra import (
        AuthenticationFailed,
        OperationTimedOut,
        RequestValidationException,
        Timeout,
        Unauthorized,
        Unavailable,
    )
    from cassandra.cluster import NoHostAvailable
    from cassandra.protocol import RequestValidationException as RefusedMessage
    from cassandra.protocol import UnauthorizedErrorMessage

    if isinstance(exc, OrmadaError):
        return exc
    exc = _server_answer(exc) or exc
    who, cql = _context(statements)
    if isinstance(exc, (NoHostAvailable, AuthenticationFailed)):
        reason = tls_failure(exc)
        return ConnectionFailed(f"{who}cannot reach {holder.describe}: {reason + '; ' if reason else ''}{exc}{cql}")
    if isinstance(exc, (Unauthorized, UnauthorizedErrorMessage)):  # a role without the permission
        refused = permission_denied(statements[0].text if statements else "", str(exc).splitlines()[0])
        refused.args = (f"{who}{refused.args[0]}",)
        return refused
    if isinstance(exc, (RequestValidationException, RefusedMessage)):  # syntax, unknown table, bad request
        return QueryError(f"{who}{holder.describe} refused the statement: {exc}{cql}")
    if isinstance(exc, (OperationTimedOut, Timeout)):
        return QueryTimeout(f"{who}no answer from {holder.describe} in time: {exc}{cql}")
    if isinstance(exc, Unavailable):
        return DatabaseError(f"{who}{holder.describe} cannot meet the consistency level: {exc}{cql}")
    return DatabaseError(f"{who}{type(exc).__name__} from {holder.describe}: {exc}{cql}")


def _server_answer(exc: BaseException) -> BaseException | None:
    """The server's own error inside a NoHostAvailable.

    After an Unavailable (a consistency level the replicas cannot meet) the driver's
    retry policy tries the next host and, with none left, reports "no host available"
    although every host answered; the answer is what the caller must see.
    """
    from cassandra import RequestExecutionException, RequestValidationException
    from cassandra.cluster import NoHostAvailable
    from cassandra.protocol import ErrorMessage

    if not isinstance(exc, NoHostAvailable):
        return None
    errors = list((getattr(exc, "errors", None) or {}).values())
    answers = (RequestExecutionException, RequestValidationException, ErrorMessage)
    if errors and all(isinstance(e, answers) for e in errors):
        return errors[0]  # type: ignore[no-any-return]
    return None


def _context(statements: Sequence[CqlStatement]) -> tuple[str, str]:
    """The ``"Model: "`` prefix and the ``CQL:`` suffix of an error message."""
    models = list(dict.fromkeys(s.model for s in statements if s.model))
    who = f"{', '.join(models)}: " if models else ""
    if not statements:
        return who, ""
    if len(statements) == 1:
        return who, f"\n  CQL: {statements[0].text}"
    texts = [s.text for s in statements[:3]] + (["…"] if len(statements) > 3 else [])
    return who, f"\n  CQL (batch of {len(statements)}): " + "; ".join(texts)


def applied(rows: Any) -> bool:
    """Whether a lightweight transaction applied (its ``[applied]`` column)."""
    return bool(rows and rows[0][0])
