"""How the MySQL/MariaDB backend tells one raw statement from several, and reads the
server status of a COM_SET_OPTION answer; no server needed."""

from __future__ import annotations

import pytest

from ormada.backends._mysql_io import IN_TRANSACTION, holds_several, server_status


@pytest.mark.parametrize("text", [
    "SELECT 1", "SELECT 1;", "SELECT 1 ;  \n", "SELECT ';' AS semi;", 'SELECT "a;b"', "SELECT `x;y` FROM t",
    "SELECT 'it\\'s; fine'", "SELECT 'it''s; fine'", "SELECT 2 -- a comment; not a statement",
    "SELECT 2 # a comment; not a statement", "SELECT /* ; */ 3", ";;SELECT 1;;",
])
def test_one_statement(text: str) -> None:
    assert not holds_several(text)


@pytest.mark.parametrize("text", [
    "SELECT 1; SELECT 2", "INSERT INTO a VALUES ('x;'); DROP TABLE a", "SELECT 1 /* ; */; SELECT 2",
    "SELECT 1 -- c\n; SELECT 2", "SELECT 1;\nSELECT 2;",
])
def test_several_statements(text: str) -> None:
    assert holds_several(text)


def test_server_status_of_eof_and_ok_packets() -> None:
    assert server_status(b"\xfe\x00\x00\x03\x00") & IN_TRANSACTION  # EOF: warnings, then status
    assert not server_status(b"\xfe\x00\x00\x02\x00") & IN_TRANSACTION
    assert server_status(b"\x00\x00\x00\x03\x00\x00\x00") == 3  # OK: rows 0, insert id 0, status
    assert server_status(b"\x00\xfc\x10\x27\x05\x01\x00\x00\x00") == 1  # a two-byte row count, then id 5
