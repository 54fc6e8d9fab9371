"""Pagination cursors without a database: exact round trips of every type a page may be
ordered by, tamper evidence, and the "rows after this one" filter evaluated in Python
with SQL's NULL logic against a sort that places NULLs as each backend does."""

from __future__ import annotations

import datetime as dt
import functools
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ormada import _cursor as cursors
from ormada._keyset import Key, after, flipped, row_bound
from ormada.errors import CursorError, QueryError
from ormada.query.expressions import Q, RawLookups

SECRET = b"s" * 32
PRINT = cursors.fingerprint("Book", "books", [("year", True), ("id", False)])

scalars = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False) | st.datetimes() | st.datetimes(timezones=st.timezones())
    | st.dates() | st.times() | st.uuids() | st.binary(max_size=20)
    | st.timedeltas(min_value=dt.timedelta(days=-(10**6)), max_value=dt.timedelta(days=10**6))
)


@given(values=st.lists(scalars, max_size=4))
def test_values_round_trip_exactly_with_their_types(values: list[Any]) -> None:
    token = cursors.sign(SECRET, PRINT, "k", [cursors.encode_value("Book", "f", v) for v in values])
    decoded = [cursors.decode_value(v) for v in cursors.verify(SECRET, token, PRINT, "k", "Book")]
    assert decoded == values
    assert [type(v) for v in decoded] == [type(v) for v in values]
    for got, sent in zip(decoded, values, strict=True):
        if isinstance(sent, dt.datetime | dt.time):
            assert got.utcoffset() == sent.utcoffset()  # the offset, and so the instant, is kept
        if isinstance(sent, float):
            assert math.copysign(1, got) == math.copysign(1, sent)  # -0.0 stays -0.0
        if isinstance(sent, Decimal):
            assert str(got) == str(sent)  # the exponent too: 1.50 stays 1.50


def test_special_floats_and_enums() -> None:
    import enum

    class Colour(enum.Enum):
        RED = "red"

    for value in (math.inf, -math.inf):
        assert cursors.decode_value(cursors.encode_value("M", "f", value)) == value
    assert math.isnan(cursors.decode_value(cursors.encode_value("M", "f", math.nan)))
    assert cursors.decode_value(cursors.encode_value("M", "colour", Colour.RED)) == "red"
    with pytest.raises(QueryError, match=r"M\.tags: a list value cannot mark a page boundary"):
        cursors.encode_value("M", "tags", ["a"])


@given(position=st.integers(0, 10_000), replacement=st.sampled_from("AQgw-_.x"))
def test_any_altered_character_is_refused(position: int, replacement: str) -> None:
    token = cursors.sign(SECRET, PRINT, "k", [["i", "1969"], ["i", "42"]])
    position %= len(token)
    altered = token[:position] + replacement + token[position + 1:]
    if altered == token:
        return
    with pytest.raises(CursorError, match="Book: cursor"):
        cursors.verify(SECRET, altered, PRINT, "k", "Book")


def test_tokens_of_another_secret_ordering_model_or_kind_are_refused() -> None:
    token = cursors.sign(SECRET, PRINT, "k", [])
    with pytest.raises(CursorError, match="signed with another secret"):
        cursors.verify(b"other", token, PRINT, "k", "Book")
    for other in (cursors.fingerprint("Book", "books", [("year", False), ("id", False)]),
                  cursors.fingerprint("Film", "books", [("year", True), ("id", False)])):
        with pytest.raises(CursorError, match="belongs to another query"):
            cursors.verify(SECRET, token, other, "k", "Book")
    with pytest.raises(CursorError, match="belongs to another query"):
        cursors.verify(SECRET, token, PRINT, "p", "Book")
    with pytest.raises(CursorError, match="not int 3"):
        cursors.verify(SECRET, 3, PRINT, "k", "Book")


def test_the_secret_comes_from_the_database_then_the_environment_then_the_process(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cursors.ENV_SECRET, raising=False)
    own = cursors.cursor_secret(None)
    assert own == cursors.cursor_secret(None) and len(own) == 32
    monkeypatch.setenv(cursors.ENV_SECRET, "from-env")
    assert cursors.cursor_secret(None) == b"from-env"
    assert cursors.cursor_secret("from-db") == b"from-db" and cursors.cursor_secret(b"raw") == b"raw"


# -- the filter for "the rows after this one" -----------------------------------------

def _matches(q: Q | RawLookups, row: dict[str, Any]) -> bool | None:
    """``q`` evaluated on ``row`` with SQL's three-valued logic (None: unknown)."""
    if isinstance(q, RawLookups):
        return _and([_lookup(key, value, row) for key, value in q.items])
    results = [_matches(child, row) for child in q.children]
    result = _and(results) if q.connector == "and" else _or(results)
    return (None if result is None else not result) if q.negated else result


def _and(values: list[bool | None]) -> bool | None:
    return False if False in values else None if None in values else True


def _or(values: list[bool | None]) -> bool | None:
    return True if True in values else None if None in values else False


def _lookup(key: str, value: Any, row: dict[str, Any]) -> bool | None:
    field, _, op = key.partition("__")
    have = row[field]
    if op == "isnull":
        return (have is None) == value
    if have is None or value is None:
        return None
    return {"": have == value, "gt": have > value, "gte": have >= value, "lt": have < value,
            "lte": have <= value}[op]


def _sort_key(keys: tuple[Key, ...], nulls_high: bool) -> Any:
    def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
        for key in keys:
            x, y = a[key.field], b[key.field]
            if x == y:
                continue
            if x is None or y is None:
                order = (1 if x is None else -1) * (1 if nulls_high else -1)
            else:
                order = -1 if x < y else 1
            return -order if key.descending else order
        return 0

    return functools.cmp_to_key(compare)


@given(rows=st.lists(st.fixed_dictionaries({"a": st.none() | st.integers(0, 2), "b": st.none() | st.integers(0, 2),
                                            "c": st.integers(0, 1)}), min_size=1, max_size=12),
       directions=st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans()),
       nulls_high=st.booleans(), backward=st.booleans())
def test_the_filter_matches_exactly_the_rows_after_the_boundary(rows: list[dict[str, Any]],
                                                                directions: tuple[bool, ...], nulls_high: bool,
                                                                backward: bool) -> None:
    rows = [{**row, "id": i} for i, row in enumerate(rows)]
    keys = (Key("a", directions[0], True), Key("c", directions[1], False), Key("b", directions[2], True),
            Key("id", directions[3], False))
    if backward:
        keys = flipped(keys)
    ordered = sorted(rows, key=_sort_key(keys, nulls_high))
    for position, boundary in enumerate(ordered):
        condition = after(keys, [boundary[k.field] for k in keys], nulls_high)
        assert [row["id"] for row in ordered if _matches(condition, row)] == \
            [row["id"] for row in ordered[position + 1:]]


@given(rows=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=12),
       descending=st.booleans())
def test_the_row_comparison_beside_the_filter_narrows_nothing_away(rows: list[tuple[int, int]],
                                                                   descending: bool) -> None:
    dicts = [{"a": a, "b": b, "id": i} for i, (a, b) in enumerate(rows)]
    keys = (Key("a", descending, False), Key("b", descending, False), Key("id", descending, False))
    ordered = sorted(dicts, key=_sort_key(keys, False))
    for position, boundary in enumerate(ordered):
        values = [boundary[k.field] for k in keys]
        bound = row_bound(keys, values)
        assert bound is not None and bound.value == (("a", "b", "id"), tuple(values))
        after_rows = [(r["a"], r["b"], r["id"]) for r in ordered[position + 1:]]
        edge = tuple(values)
        assert after_rows == [r for r in ((d["a"], d["b"], d["id"]) for d in ordered)
                              if (r < edge if descending else r > edge)]
    mixed = (Key("a", True, False), Key("id", False, False))
    assert row_bound(mixed, [1, 2]) is None and row_bound(keys[:1], [1]) is None
    assert row_bound((Key("a", False, True), Key("id", False, False)), [1, 2]) is None
