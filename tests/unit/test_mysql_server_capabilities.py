"""What a MySQL or MariaDB server can do, learnt from ``SELECT VERSION()`` when the first
connection opens: INSERT … RETURNING, and INTERSECT / EXCEPT beside UNION."""

from __future__ import annotations

import pytest

import ormada
from ormada.backends._mysql_io import server_info

ALL = {"union", "intersect", "except"}


@pytest.mark.parametrize(("version", "returning", "operations"), [
    ("10.11.6-MariaDB", True, ALL),
    ("10.3.39-MariaDB-log", False, ALL),
    ("10.2.44-MariaDB", False, {"union"}),
    ("8.0.36", False, ALL),
    ("8.0.31", False, ALL),
    ("8.0.30", False, {"union"}),
    ("5.7.44-log", False, {"union"}),
])
def test_the_server_version_decides(version: str, returning: bool, operations: set[str]) -> None:
    server = server_info((version, 1, 1))
    assert server.returning is returning
    assert server.set_operations == operations


def test_a_backend_takes_in_what_its_server_can_do() -> None:
    backend = ormada.Database("mysql://u@h/db", name="unit_mysql_caps").backend
    backend._learn(server_info(("8.0.30", 2, 1)))  # type: ignore[attr-defined]
    assert backend.supports.set_operations == {"union"} and backend.supports.row_locks
    backend._learn(server_info(("10.11.6-MariaDB", 2, 1)))  # type: ignore[attr-defined]
    assert backend.supports.set_operations == ALL and backend.supports.returning
