"""How MySQL and MariaDB read back generated keys and carry datetimes, without a server:
one row's key from the OK packet (``lastrowid``) even where RETURNING exists, several rows'
through RETURNING there; aware datetimes stored as UTC wall time and read back in UTC."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import ormada
from ormada import Model, PrimaryKey
from ormada.backends._mysql_io import server_info
from ormada.backends.mysql import _datetime_decoder, _datetime_encoder
from ormada.schema import Kind, LogicalType

DATABASE = "unit_mysql_keys"
mysql_db = ormada.connect("mysql://u@h/db", name=DATABASE)  # opens nothing: statements compiled offline


class Stamp(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    at: dt.datetime

    class Meta:
        database = DATABASE


def test_one_row_reads_its_key_from_lastrowid_even_with_returning() -> None:
    backend: Any = mysql_db.backend
    backend._learn(server_info(("10.11.6-MariaDB", 1, 1)))
    info = Stamp._info()
    columns, returning = info.insert_generated
    now = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    one = backend.insert(info, columns, [(now,)], returning)
    assert one.fetch == "lastrowid" and "RETURNING" not in one.text
    several = backend.insert(info, columns, [(now,), (now,)], returning)
    assert several.fetch != "lastrowid" and "RETURNING" in several.text


def test_aware_datetimes_go_in_as_utc_wall_time_and_come_back_in_utc() -> None:
    aware = LogicalType(Kind.DATETIME, timezone=True)
    encode, decode = _datetime_encoder(aware), _datetime_decoder(aware)
    assert decode is not None
    local = dt.datetime(2024, 11, 3, 1, 30, 15, 250, tzinfo=ZoneInfo("America/New_York"), fold=1)
    stored = encode(local)
    assert stored == dt.datetime(2024, 11, 3, 6, 30, 15, 250) and stored.tzinfo is None
    back = decode(stored)
    assert back == local.astimezone(dt.UTC) and back.tzinfo is dt.UTC and back.replace(tzinfo=None) == stored
    assert decode(dt.datetime(2024, 1, 1, 12, fold=1)).fold == 1  # the driver's value kept whole


def test_naive_datetimes_pass_as_they_are() -> None:
    naive = LogicalType(Kind.DATETIME, timezone=False)
    assert _datetime_decoder(naive) is None  # no call per row
    encode = _datetime_encoder(naive)
    value = dt.datetime(2024, 5, 6, 7, 8, 9, 10)
    assert encode(value) is value
    assert encode(value.replace(tzinfo=dt.UTC)) == value
