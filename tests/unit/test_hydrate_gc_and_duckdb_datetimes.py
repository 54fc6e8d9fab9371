"""Large reads build their objects with the cyclic garbage collector paused (and always
turned back on); DuckDB's TIMESTAMPTZ values come back as ``datetime.UTC`` instants,
by the fast path when the session's zone is UTC and by conversion otherwise."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ormada._hydrate import GC_PAUSE_ROWS, gc_paused
from ormada.backends.duckdb import _datetime_decoder
from ormada.schema import Kind, LogicalType


def _collector_on(rows: Sequence[Any]) -> list[Any]:
    return [gc.isenabled()]


def test_a_large_result_is_built_with_the_collector_paused_and_turned_back_on() -> None:
    assert gc.isenabled()
    assert gc_paused(_collector_on)([()] * GC_PAUSE_ROWS) == [False]
    assert gc.isenabled()


def test_a_small_result_leaves_the_collector_alone() -> None:
    assert gc_paused(_collector_on)([()] * (GC_PAUSE_ROWS - 1)) == [True]


def test_a_collector_the_caller_switched_off_stays_off() -> None:
    gc.disable()
    try:
        assert gc_paused(_collector_on)([()] * GC_PAUSE_ROWS) == [False]
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_failing_conversion_turns_the_collector_back_on() -> None:
    def fail(rows: Sequence[Any]) -> list[Any]:
        raise ValueError("a bad row")

    with pytest.raises(ValueError, match="a bad row"):
        gc_paused(fail)([()] * GC_PAUSE_ROWS)
    assert gc.isenabled()


def test_duckdb_reads_timestamptz_as_utc_instants() -> None:
    decode = _datetime_decoder(LogicalType(Kind.DATETIME, timezone=True))
    assert decode is not None
    in_session_zone = dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=ZoneInfo("UTC"))
    value = decode(in_session_zone)
    assert value == in_session_zone and value.tzinfo is dt.UTC and value.microsecond == 123456
    elsewhere = dt.datetime(2024, 7, 2, 5, 4, 5, tzinfo=ZoneInfo("Europe/Paris"))  # a session in another zone
    converted = decode(elsewhere)
    assert converted == elsewhere and converted.tzinfo is dt.UTC and converted.hour == 3
    assert _datetime_decoder(LogicalType(Kind.DATETIME, timezone=False)) is None
