"""Running statements on MySQL and MariaDB: PyMySQL (sync) and asyncmy (async).

Both drivers share PyMySQL's API and error classes (``asyncmy.errors`` mirrors
``pymysql.err``), so the two connections differ only where they await.

Scripts (``fetch == "script"``) are split by the server, which alone knows where a
trigger's ``BEGIN … END`` body ends: multi-statement mode is switched on for the script
(``COM_SET_OPTION``) and off again, so ``execute()`` of two statements stays a syntax
error, reported as such. asyncmy asks for multi-statements at connect; the connection
switches them off before its first use.

Generated keys without RETURNING: a statement whose ``fetch`` is ``"lastrowid"``
comes back as one ``(key,)`` row per inserted row. For a single statement those are
the first key the server reports and the ones after it, which holds only where the
server hands a multi-row INSERT consecutive keys (``innodb_autoinc_lock_mode`` 0 or
1, read at connect; the backend sends rows one by one otherwise); a ``many``
statement runs once per row and collects each key.
"""

from __future__ import annotations

import contextlib
import re
import struct
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ormada.backends._privileges import permission_denied
from ormada.backends.base import AsyncConnection, RawRows, Statement, SyncConnection, several_statements
from ormada.errors import ConnectionFailed, DatabaseError, DataError, IntegrityError, LockNotAvailable, OrmadaError

if TYPE_CHECKING:
    import asyncmy
    import pymysql

# Client error codes meaning the connection is gone (CR_SERVER_GONE_ERROR, CR_SERVER_LOST…).
LOST_CONNECTION = frozenset({2006, 2013, 2055, 4031})
# A row lock not taken: ER_LOCK_WAIT_TIMEOUT (MariaDB's NOWAIT and SKIP LOCKED too) and MySQL's ER_LOCK_NOWAIT.
LOCK_NOT_AVAILABLE = frozenset({1205, 3572})

# A statement refused for a missing privilege: ER_DBACCESS_DENIED_ERROR (1044), ER_TABLEACCESS_DENIED_ERROR
# (1142), ER_COLUMNACCESS_DENIED_ERROR (1143), ER_SPECIFIC_ACCESS_DENIED_ERROR (1227), ER_PROCACCESS_DENIED_ERROR
# (1370). Not 1045 (a refused login), which is a ConnectionFailed.
PRIVILEGE_MISSING = frozenset({1044, 1142, 1143, 1227, 1370})

_FIRST_NUMBER = re.compile(rb"\d+")
PARSE_ERROR = 1064  # ER_PARSE_ERROR: also what a second statement is without multi-statements
COM_SET_OPTION = 0x1B
IN_TRANSACTION = 0x0001  # SERVER_STATUS_IN_TRANS


def multi_statements_packet(on: bool) -> bytes:
    """The argument of ``COM_SET_OPTION``: MYSQL_OPTION_MULTI_STATEMENTS_ON (0) or _OFF (1)."""
    return struct.pack("<H", 0 if on else 1)


def _length_encoded(data: bytes, at: int) -> int:
    """Where the length-encoded integer at ``at`` ends."""
    first = data[at]
    return at + {0xFC: 3, 0xFD: 4, 0xFE: 9}.get(first, 1)


def server_status(reply: bytes) -> int:
    """The status flags of an EOF packet (``0xFE``, warnings, status) or an OK packet
    (``0x00``, affected rows, insert id, status), as ``COM_SET_OPTION`` answers."""
    if reply[0] == 0xFE:
        return int.from_bytes(reply[3:5], "little")
    at = _length_encoded(reply, _length_encoded(reply, 1))
    return int.from_bytes(reply[at:at + 2], "little")


def holds_several(text: str) -> bool:
    """Whether ``text`` holds more than one statement: SQL after a ``;`` that is outside
    quoted text and identifiers (single, double and back quotes), ``--``/``#`` line
    comments and ``/* */`` comments."""
    code: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"`":
            i += 1
            while i < n and text[i] != ch:
                i += 2 if text[i] == "\\" and ch != "`" else 1
            code.append("x")
        elif ch == "#" or (text.startswith("--", i) and (i + 2 == n or text[i + 2].isspace())):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 1
        else:
            code.append(ch)
        i += 1
    return sum(1 for piece in "".join(code).split(";") if piece.strip()) > 1


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
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    if code in PRIVILEGE_MISSING:
        return permission_denied(statement.text, first_line(exc))
    if isinstance(exc, errors.IntegrityError):
        return IntegrityError(message)
    if isinstance(exc, errors.DataError):
        return DataError(message)
    if code in LOCK_NOT_AVAILABLE:
        return LockNotAvailable(message)
    if code == PARSE_ERROR and statement.fetch != "script" and holds_several(statement.text):
        return several_statements(statement)
    if code in LOST_CONNECTION or isinstance(exc, (errors.InterfaceError, OSError)):
        return ConnectionFailed(
            f"lost the connection to {describe} while running a statement ({first_line(exc)}); it may or may "
            f"not have been applied, so it was not retried (in: {statement.text})")
    return DatabaseError(message)


def rows_matched(statement: Statement, cursor: Any, count: int) -> int:
    """The rows an UPDATE matched, as PostgreSQL and SQLite count them: the server's own
    count is of the rows whose values changed. The info text it sends ("Rows matched: 5
    Changed: 4 Warnings: 0", in the server's language) has the rows matched first."""
    if statement.text.lstrip()[:6].upper() != "UPDATE":
        return count
    message = getattr(getattr(cursor, "_result", None), "message", None)
    found = _FIRST_NUMBER.search(message) if isinstance(message, bytes) else None
    return int(found.group()) if found else count


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
                        total += rows_matched(statement, cursor, cursor.execute(statement.text, params))
                        if fetch == "rows":
                            rows.extend(cursor.fetchall())
                    return rows if fetch == "rows" else total
                if fetch == "script":
                    self._run_script(cursor, statement.text)
                    return None
                count = rows_matched(statement, cursor, cursor.execute(statement.text, tuple(statement.params)))
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

    def multi_statements(self, on: bool) -> bool:
        """Switches multi-statement mode; returns whether a transaction is open."""
        self.connection._execute_command(COM_SET_OPTION, multi_statements_packet(on))
        return bool(server_status(self.connection._read_packet().get_all_data()) & IN_TRANSACTION)

    def _run_script(self, cursor: Any, text: str) -> None:
        """Runs every statement of a script, in a transaction of its own unless one is open;
        the server stops at the first that fails, whose error is raised."""
        import pymysql

        in_transaction = self.multi_statements(True)
        try:
            if not in_transaction:
                cursor.execute("BEGIN")
            try:
                cursor.execute(text)
                while cursor.nextset():  # each result read; a failed statement raises here
                    pass
            except BaseException:
                if not in_transaction:
                    with contextlib.suppress(pymysql.err.Error, OSError):
                        cursor.execute("ROLLBACK")
                raise
            if not in_transaction:
                cursor.execute("COMMIT")
        finally:
            try:
                self.multi_statements(False)
            except (pymysql.err.Error, OSError):
                self.connection.close()  # never back in the pool with multi-statements on

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


class BorrowedPyMysqlConnection(PyMysqlConnection):
    """A PyMySQL connection that other code opened, holds a transaction on and closes (see
    ``Backend.borrowed``)."""

    def close(self) -> None:
        pass  # its owner's


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
                        total += rows_matched(statement, cursor, await cursor.execute(statement.text, params))
                        if fetch == "rows":
                            rows.extend(await cursor.fetchall())
                    return rows if fetch == "rows" else total
                if fetch == "script":
                    await self._run_script(cursor, statement.text)
                    return None
                count = rows_matched(statement, cursor, await cursor.execute(statement.text, tuple(statement.params)))
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

    async def multi_statements(self, on: bool) -> bool:
        """Switches multi-statement mode; returns whether a transaction is open."""
        connection: Any = self.connection  # asyncmy's protocol methods, as PyMySQL's, are untyped
        await connection._execute_command(COM_SET_OPTION, multi_statements_packet(on))
        return bool(server_status((await connection.read_packet()).get_all_data()) & IN_TRANSACTION)

    async def _run_script(self, cursor: Any, text: str) -> None:
        """The twin of :meth:`PyMysqlConnection._run_script`."""
        from asyncmy import errors

        in_transaction = await self.multi_statements(True)
        try:
            if not in_transaction:
                await cursor.execute("BEGIN")
            try:
                await cursor.execute(text)
                while await cursor.nextset():
                    pass
            except BaseException:
                if not in_transaction:
                    with contextlib.suppress(errors.Error, OSError):
                        await cursor.execute("ROLLBACK")
                raise
            if not in_transaction:
                await cursor.execute("COMMIT")
        finally:
            try:
                await self.multi_statements(False)
            except (errors.Error, OSError):
                self.connection.close()

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
