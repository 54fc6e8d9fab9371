"""The database an introspection reads: one the caller has (with its ``password=``,
``password_file=`` and TLS options), or one made for the read from a URL and closed after it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from ormada._url import DatabaseURL
from ormada.database import Database


@contextmanager
def opened(source: str | DatabaseURL | Database) -> Iterator[Database]:
    """``source`` itself when it is a :class:`Database` (left open), else a database on the URL
    (its ``?password_file=`` read as ``connect()`` reads it) that is closed after the block."""
    if isinstance(source, Database):
        yield source
        return
    # A name of its own: the models bound to "default" are none of its business.
    database = Database(source, name=f"_inspect_{uuid.uuid4().hex[:8]}")
    try:
        yield database
    finally:
        database.close()
