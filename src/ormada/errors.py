"""The exceptions ormada raises; every one derives from :class:`OrmadaError`."""

from __future__ import annotations

# The error reference ships with the source; each code is a section of it.
DOCS_URL = "docs/errors.md"


class OrmadaError(Exception):
    """Base class of every error ormada raises.

    Each family carries a short ``code``; the message ends with a link to the
    part of the error reference that explains it.
    """

    code = "ormada"

    def __str__(self) -> str:
        message = super().__str__()
        return f"{message}\n  (see {DOCS_URL}#{self.code})"


class ConfigurationError(OrmadaError):
    """A model, URL or option is malformed: raised before anything is sent."""

    code = "configuration"


class ConnectionFailed(OrmadaError):
    """The database could not be reached; the URL in the message has no password."""

    code = "connection-failed"


class QueryError(OrmadaError):
    """A query names an unknown field or lookup, or passes a value of the wrong type."""

    code = "query"


class InvalidPage(QueryError):
    """A numbered page that does not exist: not a whole number, below 1, or past the last page."""

    code = "invalid-page"


class PageNotAnInteger(InvalidPage):
    """A page number that is not a whole number (``"2"`` from a URL must be converted first)."""

    code = "page-not-an-integer"


class EmptyPage(InvalidPage):
    """A page number below 1 or past the last page."""

    code = "empty-page"


class CursorError(QueryError):
    """A pagination cursor that this query cannot resume from: altered, signed with another
    secret, or handed out for another model or ordering. Checked before anything is sent."""

    code = "cursor"


class DataError(OrmadaError):
    """A value cannot be stored in its column (out of range, wrong type)."""

    code = "data"


class IntegrityError(OrmadaError):
    """The database refused a write (unique, not-null, foreign-key or check constraint).

    The driver's own exception is chained as ``__cause__``.
    """

    code = "integrity"


class ConditionFailed(IntegrityError):
    """A conditional write (Cassandra's ``if_not_exists``, ``if_exists``, ``if_={...}``) did
    not apply because its condition did not hold; nothing was written."""

    code = "condition-failed"


class DoesNotExist(OrmadaError):
    """No row matched a lookup that expected exactly one; each model has its own subclass."""

    code = "does-not-exist"


class MultipleObjectsReturned(OrmadaError):
    """More than one row matched a lookup that expected exactly one."""

    code = "multiple-objects"


class NotSupported(OrmadaError):
    """The backend cannot do this operation; the message says what to do instead."""

    code = "not-supported"


class TransactionError(OrmadaError):
    """A transaction was used in a way that cannot work (wrong task, already closed)."""

    code = "transaction"


class DatabaseError(OrmadaError):
    """Any other error reported by the database; the driver's exception is chained."""

    code = "database"


class QueryTimeout(DatabaseError):
    """The database did not answer in time (the request's timeout, or the server's own
    read or write timeout); a write that timed out may still have been applied."""

    code = "timeout"


class LockNotAvailable(DatabaseError):
    """A row lock could not be taken: another transaction holds it and the read asked not
    to wait (``select_for_update(nowait=True)``), or the database's lock timeout ran out."""

    code = "lock-not-available"


class PermissionDenied(DatabaseError):
    """The database refused a statement because the user ormada connected as lacks a
    privilege on its table (an application role with only SELECT, INSERT, UPDATE and
    DELETE running ``create_all``, or a write to a read-only table). Nothing was changed.

    Attributes:
        operation: What was refused, as the statement begins: ``INSERT``, ``CREATE TABLE``…
        table: The table (or schema or database) the privilege is missing on, when known.
    """

    code = "permission-denied"

    def __init__(self, message: str, *, operation: str = "", table: str | None = None) -> None:
        super().__init__(message)
        self.operation = operation
        self.table = table

    def __reduce__(self) -> tuple[object, ...]:  # keyword arguments survive pickling (multiprocessing)
        return (_permission_denied, (self.args[0] if self.args else "", self.operation, self.table))


def _permission_denied(message: str, operation: str, table: str | None) -> PermissionDenied:
    return PermissionDenied(message, operation=operation, table=table)


class RelationNotLoaded(OrmadaError, AttributeError):
    """A relation that was not loaded was read: ormada never queries behind an attribute.

    Also an ``AttributeError``, so ``getattr(obj, name, default)`` and pydantic's
    ``from_attributes`` treat it as absent rather than inventing a value.
    """

    code = "relation-not-loaded"
