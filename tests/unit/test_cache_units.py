"""The read cache's pieces that need no database: the JSON form of rows kept in Redis, which
statements count as writes, the memory store's bound and time to live, and policy checks."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ormada.cache
from ormada import Cache, ConfigurationError, Model, PrimaryKey
from ormada._caching import MISS, is_write
from ormada.backends.base import Statement
from ormada.cache import MemoryCache
from ormada.cache._codec import decode_rows, encode_rows

JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                       max_leaves=8)
VALUES = (st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False) | st.binary()
          | st.decimals(allow_nan=False, allow_infinity=False) | st.uuids() | st.dates() | st.times()
          | st.datetimes() | st.datetimes(timezones=st.timezones()) | st.timedeltas() | JSONISH)


@given(st.lists(st.lists(VALUES, max_size=6).map(tuple), max_size=4))
def test_rows_round_trip_through_json_with_their_types(rows: list[tuple[Any, ...]]) -> None:
    data = encode_rows(rows)
    assert data is not None
    back = decode_rows(data)
    assert [tuple(map(_instant, row)) for row in back] == [tuple(map(_instant, row)) for row in rows]
    assert [[type(v) for v in row] for row in back] == [[type(v) for v in row] for row in rows]


def _instant(value: Any) -> Any:
    """An aware datetime as its wall time and offset: what the cache keeps of it (a zone becomes
    its offset, and Python never finds an ambiguous zone time equal to one of another zone)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None), value.utcoffset()
    return value


def test_infinities_and_nan_survive() -> None:
    back = decode_rows(encode_rows([(float("inf"), float("-inf"), float("nan"))]) or b"")
    assert back[0][0] == float("inf") and back[0][1] == float("-inf") and back[0][2] != back[0][2]


def test_a_row_holding_a_value_json_cannot_hold_is_not_kept() -> None:
    assert encode_rows([(1, {1, 2})]) is None
    assert encode_rows([(1, [dt.date(2024, 1, 1)])]) is None  # a list would lose its dates' type


@pytest.mark.parametrize(("text", "fetch", "write"), [
    ("SELECT * FROM books", "rows", False),
    ("  (SELECT 1) UNION (SELECT 2)", "rows", False),
    ("WITH x AS (SELECT 1) SELECT * FROM x", "rows", False),
    ("WITH x AS (SELECT id FROM a) DELETE FROM b WHERE id IN (SELECT id FROM x)", "rowcount", True),
    ("INSERT INTO books (title) VALUES (?)", "lastrowid", True),
    ("UPDATE books SET year = ?", "rowcount", True),
    ("DELETE FROM books", "rowcount", True),
    ("BEGIN", "none", False), ("BEGIN IMMEDIATE", "none", False), ("COMMIT", "none", False),
    ("SAVEPOINT ormada_sp_1", "none", False), ("RELEASE SAVEPOINT ormada_sp_1", "none", False),
    ("ROLLBACK TO SAVEPOINT ormada_sp_1", "none", False), ("START TRANSACTION", "none", False),
    ("BEGIN BATCH INSERT INTO t (a) VALUES (1) APPLY BATCH", "none", True),
    ("CREATE TABLE t (a int)", "none", True), ("TRUNCATE books", "none", True),
    ("SELECT 1; DELETE FROM books", "script", True),
    ("PRAGMA foreign_keys = ON", "none", False),
])
def test_which_statements_are_writes(text: str, fetch: Any, write: bool) -> None:
    assert is_write(Statement(text, (), fetch)) is write


def test_the_memory_store_drops_the_least_recently_used_and_the_expired() -> None:
    store = MemoryCache(max_entries=2)
    one, two, three = (Statement(f"SELECT {i} FROM t", (i,)) for i in range(3))
    for statement in (one, two):
        rows, ticket = store.lookup("db", statement, ("t",))
        assert rows is MISS
        store.store(ticket, [(1,)], None)
    assert store.lookup("db", one, ("t",))[0] == [(1,)]  # one is now the most recently used
    store.store(store.lookup("db", three, ("t",))[1], [(3,)], None)
    assert store.lookup("db", two, ("t",))[0] is MISS
    assert store.lookup("db", one, ("t",))[0] == [(1,)]
    store.store(store.lookup("db", two, ("u",))[1], [(2,)], 0.01)
    time.sleep(0.02)
    assert store.lookup("db", two, ("u",))[0] is MISS
    store.invalidate("db", ["t"])
    assert store.lookup("db", one, ("t",))[0] is MISS
    assert store.lookup("other", three, ("t",))[0] is MISS


def test_the_keyed_look_up_shares_entries_and_keeps_what_it_derived_with_them() -> None:
    store = MemoryCache()
    text = "SELECT id, name FROM t WHERE id = ? LIMIT ?"
    derived: list[Any] = []

    def derive(rows: Any) -> Any:
        derived.append(rows)
        return ("made of", rows)

    assert store.lookup_keyed("db", text, (1, 2), ("t",), derive) is MISS
    assert (store.hits, store.misses) == (0, 0)  # the full look-up that follows counts the miss
    _, ticket = store.lookup("db", Statement(text, [1, 2]), ("t",))
    store.store(ticket, [(1, "a")], None)  # what the full path keeps, the keyed look-up finds
    first = store.lookup_keyed("db", text, (1, 2), ("t",), derive)
    assert first == ("made of", [(1, "a")]) and store.hits == 1
    assert store.lookup_keyed("db", text, (1, 2), ("t",), derive) is first and len(derived) == 1
    assert store.lookup_keyed("db", text, (1, 2), ("t",), lambda rows: "another") == "another"  # by derive
    assert store.lookup("db", Statement(text, (1, 2)), ("t",))[0] == [(1, "a")]  # the entry serves both
    store.invalidate("db", ["t"])
    assert store.lookup_keyed("db", text, (1, 2), ("t",), derive) is MISS
    # Rows holding values changeable in place: derived each time, from a copy of their own.
    _, ticket = store.lookup("db", Statement(text, (1, 2)), ("t",))
    store.store(ticket, [(1, ["a"])], None)
    one = store.lookup_keyed("db", text, (1, 2), ("t",), derive)
    two = store.lookup_keyed("db", text, (1, 2), ("t",), derive)
    assert one == two and one[1][0][1] is not two[1][0][1]
    _, ticket = store.lookup("db", Statement(text, (2, 2)), ("t",))
    store.store(ticket, [(2, "b")], 0.01)
    time.sleep(0.02)
    assert store.lookup_keyed("db", text, (2, 2), ("t",), derive) is MISS  # expired


class Clock:
    """A monotonic clock the test moves by hand, for the memory store's time to live."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_expires_exactly_at_its_time_to_live(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr("ormada.cache._memory.monotonic", clock)
    store = MemoryCache()
    text = "SELECT id FROM t WHERE id = ? LIMIT ?"
    statement = Statement(text, (1, 2))
    store.store(store.lookup("db", statement, ("t",))[1], [(1,)], 10)
    derive = list
    clock.now = 1009.999
    assert store.lookup_keyed("db", text, (1, 2), ("t",), derive) == [(1,)]
    assert store.lookup("db", statement, ("t",))[0] == [(1,)]
    clock.now = 1010.0  # the time to live is over at its last instant
    assert store.lookup_keyed("db", text, (1, 2), ("t",), derive) is MISS
    assert store.lookup("db", statement, ("t",))[0] is MISS
    assert len(store) == 0  # the full look-up dropped it
    store.store(store.lookup("db", statement, ("t",))[1], [(1,)], None)
    clock.now = 1e12  # without a time to live, an entry stays until a write or the bound
    assert store.lookup_keyed("db", text, (1, 2), ("t",), derive) == [(1,)]


def test_only_a_write_to_its_own_tables_makes_an_entry_stale() -> None:
    store = MemoryCache()
    text = "SELECT t.id FROM t JOIN u ON u.id = t.u_id WHERE t.id = ?"
    statement = Statement(text, (1,))
    store.store(store.lookup("db", statement, ("t", "u"))[1], [(1,)], None)
    derive = list
    store.invalidate("db", ["v"])  # another table: the versions are compared again, and still match
    store.invalidate("other", ["t"])  # the same table in another database
    assert store.lookup_keyed("db", text, (1,), ("t", "u"), derive) == [(1,)]
    assert store.lookup("db", statement, ("t", "u"))[0] == [(1,)]
    store.invalidate("db", ["u"])
    assert store.lookup_keyed("db", text, (1,), ("t", "u"), derive) is MISS
    assert store.lookup("db", statement, ("t", "u"))[0] is MISS


def test_rows_read_before_a_write_are_never_answered_after_it() -> None:
    store = MemoryCache()
    statement = Statement("SELECT id FROM t WHERE id = ?", (1,))
    rows, ticket = store.lookup("db", statement, ("t",))
    assert rows is MISS
    store.invalidate("db", ["t"])  # a write lands while the read that missed is on its way
    store.store(ticket, [("old",)], None)
    assert store.lookup_keyed("db", statement.text, (1,), ("t",), list) is MISS
    rows, ticket = store.lookup("db", statement, ("t",))
    assert rows is MISS
    store.store(ticket, [("new",)], None)  # the read after the write replaces it
    assert store.lookup_keyed("db", statement.text, (1,), ("t",), list) == [("new",)]
    assert len(store) == 1


def test_values_that_do_not_hash_are_keyed_too() -> None:
    store = MemoryCache()
    statement = Statement("SELECT * FROM t WHERE id = ANY(?)", ([1, 2],))
    store.store(store.lookup("db", statement, ("t",))[1], [(1,)], None)
    assert store.lookup("db", statement, ("t",))[0] == [(1,)]


def test_policies_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="positive number"):
        Cache(ttl=0)
    with pytest.raises(ConfigurationError, match=r"Meta\.cache"):
        class Odd(Model):
            id: Annotated[int | None, PrimaryKey()] = None

            class Meta:
                cache = 300
    with pytest.raises(ConfigurationError, match="no cache policy named 'hourly'"):
        ormada.cache.configure(default="hourly")
    with pytest.raises(ConfigurationError, match="not a cache store"):
        ormada.cache.configure(object())  # type: ignore[arg-type]
    assert ormada.cache.store() is None


def test_a_model_naming_an_unknown_policy_fails_when_it_reads(tmp_path: Any) -> None:
    class Named(Model):
        id: Annotated[int | None, PrimaryKey()] = None

        class Meta:
            cache = "hourly"
            database = "cache-units"

    db = ormada.connect(f"sqlite:///{tmp_path / 'u.db'}", name="cache-units")
    db.create_all([Named])
    ormada.cache.configure(MemoryCache())
    try:
        with pytest.raises(ConfigurationError, match="names the policy 'hourly'"):
            Named.get_or_none(id=1)
        ormada.cache.configure(policies={"hourly": Cache(ttl=3600)})
        assert Named.get_or_none(id=1) is None
    finally:
        ormada.cache.reset()
        db.close()


