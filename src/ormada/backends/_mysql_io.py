"""Running statements on MySQL and MariaDB: PyMySQL (sync) and asyncmy (async).

Both drivers share PyMySQL's API and error classes (``asyncmy.errors`` mirrors
``pymysql.err``), so the two connections differ only where they await.

Generated keys without RETURNING: a statement whose ``fetch`` is ``"lastrowid"``
comes back as one ``(key,)`` row per inserted row. For a single statement those are
the first key the server reports and the ones after it, which holds only where the
server hands a multi-row INSERT consecutive keys (``innodb_autoinc_lock_mode`` 0 or
1, read at connect; the backend sends rows one by one otherwise); a ``many``
statement runs once per row and collects each key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ormada.backends.base import AsyncConnection, RawRows, Statement, SyncConnection
from ormada.errors import ConnectionFailed, DatabaseError, DataError, IntegrityError, LockNotAvailable, OrmadaError

if TYPE_CHECKING:
    import asyncmy
    import pymysql

# Client error codes meaning the connection is gone (CR_SERVER_GONE_ERROR, CR_SERVER_LOST…).
LOST_CONNECTION = frozenset({2006, 2013, 2055, 4031})
# A row lock not taken: ER_LOCK_WAIT_TIMEOUT (MariaDB's NOWAIT and SKIP LOCKED too) and MySQL's ER_LOCK_NOWAIT.
LOCK_NOT_AVAILABLE = frozenset({1205, 3572})


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What a connection learns about its server when it opens.

    Attributes:
        version: ``SELECT VERSION()``, e.g. ``10.11.6-MariaDB`` or ``8.0.36``.
        consecutive_keys: A multi-row INSERT gets consecutive generated keys
            (``innodb_autoinc_lock_mode`` 0 or 1).
        key_step: ``auto_increment_increment``: the distance between those keys.
    """

    version: str
    consecutive_keys: bool
    key_step: int

    @property
    def is_mariadb(self) -> bool:
        return "mariadb" in self.version.lower()

    @property
    def version_info(self) -> tuple[int, ...]:
        numbers = self.version.split("-", 1)[0].split(".")
        return tuple(int(n) for n in numbers if n.isdigit())

    @property
    def returning(self) -> bool:
        """``INSERT … RETURNING``: MariaDB from 10.5; MySQL has none."""
        return self.is_mariadb and self.version_info >= (10, 5)


    @property
    def set_operations(self) -> frozenset[str]:
        """INTERSECT and EXCEPT: MariaDB from 10.3, MySQL from 8.0.31; UNION everywhere."""
        full = self.version_info >= ((10, 3) if self.is_mariadb else (8, 0, 31))
        return frozenset({"union", "intersect", "except"} if full else {"union"})


SERVER_QUERY = "SELECT VERSION(), @@innodb_autoinc_lock_mode, @@auto_increment_increment"


def server_info(row: Sequence[Any]) -> ServerInfo:
    """The :class:`ServerInfo` from the row of :data:`SERVER_QUERY`."""
    version, lock_mode, step = row
    return ServerInfo(str(version), lock_mode is not None and int(lock_mode) in (0, 1), int(step or 1))


def first_line(exc: BaseException) -> str:
    """The driver's message without its error code; it names user and host, never the password."""
    args: tuple[Any, ...] = exc.args
    text = str(args[1]) if len(args) == 2 else str(exc)
    return (text.strip() or type(exc).__name__).splitlines()[0]


def map_error(exc: Exception, statement: Statement, describe: str, errors: Any) -> OrmadaError:
    """The ormada error for a PyMySQL or asyncmy error (``errors``: the driver's error module)."""
    message = f"{first_line(exc)} (in: {statement.text})"
    if isinstance(exc, errors.IntegrityError):
        return IntegrityError(message)
    if isinstance(exc, errors.DataError):
        return DataError(message)
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    if code in LOCK_NOT_AVAILABLE:
        return LockNotAvailable(message)
    if code in LOST_CONNECTION or isinstance(exc, (errors.InterfaceError, OSError)):
        return ConnectionFailed(
            f"lost the connection to {describe} while running a statement ({first_line(exc)}); it may or may "
            f"not have been applied, so it was not retried (in: {statement.text})")
    return DatabaseError(message)


def _keys(first: int, count: int, step: int) -> list[tuple[int]]:
    return [(first + i * step,) for i in range(count)]


class PyMysqlConnection(SyncConnection):
    """A PyMySQL connection in autocommit mode."""

    def __init__(self, connection: pymysql.connections.Connection[Any], server: ServerInfo, describe: str) -> None:
        self.connection = connection
        self.server = server
        self._describe = describe

    def execute(self, statement: Statement) -> Any:
        import pymysql

        try:
            with self.connection.cursor() as cursor:
                fetch = statement.fetch
                if statement.many:
                    if fetch == "lastrowid":
                        keys = []
                        for params in statement.params:
                            cursor.execute(statement.text, params)
                            keys.append((cursor.lastrowid,))
                        return keys
                    total = 0
                    rows: list[Any] = []
                    for params in statement.params:  # executemany would rewrite the text into one INSERT
                        total += cursor.execute(statement.text, params)
                        if fetch == "rows":
                            rows.extend(cursor.fetchall())
                    return rows if fetch == "rows" else total
                if fetch == "script":
                    cursor.execute(statement.text)
                    return None
                count = cursor.execute(statement.text, tuple(statement.params))
                if fetch == "lastrowid":
                    return _keys(cursor.lastrowid, count, self.server.key_step) if count else []
                if fetch == "rows":
                    return list(cursor.fetchall())
                if fetch == "auto":
                    description = cursor.description
                    return count if description is None else RawRows(cursor.fetchall(), (d[0] for d in description))
                return count if fetch == "rowcount" else None
        except (pymysql.err.Error, OSError) as exc:
            raise map_error(exc, statement, self._describe, pymysql.err) from exc

    def stream(self, statement: Statement, chunk_size: int) -> Iterator[Sequence[Sequence[Any]]]:
        import pymysql

        try:
            # A buffered cursor: an unbuffered one would hold the connection until its last
            # row, while an iterator's prefetches need it for their own reads between chunks.
            with self.connection.cursor() as cursor:
                cursor.execute(statement.text, tuple(statement.params))
                while rows := cursor.fetchmany(chunk_size):
                    yield rows
        except (pymysql.err.Error, OSError) as exc:
            raise map_error(exc, statement, self._describe, pymysql.err) from exc

    def close(self) -> None:
        self.connection.close()

    @property
    def broken(self) -> bool:
        return not self.connection.open


class AsyncmyConnection(AsyncConnection):
    """An asyncmy connection in autocommit mode; the twin of :class:`PyMysqlConnection`."""

    def __init__(self, connection: asyncmy.Connection, server: ServerInfo, describe: str) -> None:
        self.connection = connection
        self.server = server
        self._describe = describe

    async def execute(self, statement: Statement) -> Any:
        from asyncmy import errors

        try:
            async with self.connection.cursor() as cursor:
                fetch = statement.fetch
                if statement.many:
                    if fetch == "lastrowid":
                        keys = []
                        for params in statement.params:
                            await cursor.execute(statement.text, params)
                            keys.append((cursor.lastrowid,))
                        return keys
                    total = 0
                    rows: list[Any] = []
                    for params in statement.params:
                        total += await cursor.execute(statement.text, params)
                        if fetch == "rows":
                            rows.extend(await cursor.fetchall())
                    return rows if fetch == "rows" else total
                if fetch == "script":
                    await cursor.execute(statement.text)
                    return None
                count = await cursor.execute(statement.text, tuple(statement.params))
                if fetch == "lastrowid":
                    return _keys(cursor.lastrowid, count, self.server.key_step) if count else []
                if fetch == "rows":
                    return list(await cursor.fetchall())
                if fetch == "auto":
                    description = cursor.description
                    return count if description is None else RawRows(await cursor.fetchall(),
                                                                     (d[0] for d in description))
                return count if fetch == "rowcount" else None
        except (errors.Error, OSError) as exc:
            raise map_error(exc, statement, self._describe, errors) from exc

    async def stream(self, statement: Statement, chunk_size: int) -> AsyncIterator[Sequence[Sequence[Any]]]:
        from asyncmy import errors

        try:
            async with self.connection.cursor() as cursor:
                await cursor.execute(statement.text, tuple(statement.params))
                while rows := await cursor.fetchmany(chunk_size):
                    yield rows
        except (errors.Error, OSError) as exc:
            raise map_error(exc, statement, self._describe, errors) from exc

    async def close(self) -> None:
        await self.connection.ensure_closed()

    def terminate(self) -> None:
        self.connection.close()

    @property
    def broken(self) -> bool:
        return not self.connection.connected
