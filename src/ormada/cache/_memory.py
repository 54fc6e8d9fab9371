"""The in-memory store: an LRU of read results with a time to live and a size bound."""

from __future__ import annotations

import copy
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from time import monotonic
from typing import Any

from ormada._caching import MISS
from ormada.backends.base import Statement

_MUTABLE = (list, dict, set, bytearray)


def frozen(value: Any) -> Hashable:
    """``value`` as something hashable with the same meaning (lists become tuples)."""
    if isinstance(value, (list, tuple)):
        return tuple(frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), frozen(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return frozenset(frozen(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return (type(value).__name__, repr(value))
    return value  # type: ignore[no-any-return]


class _Entry:
    """One read's rows, the tables' versions they were read under, and what a keyed
    look-up derived from them."""

    __slots__ = ("checked", "derive", "derived", "expires", "mutable", "rows", "stamp")

    def __init__(self, rows: list[Any], mutable: bool, expires: float, stamp: tuple[int, ...], checked: int) -> None:
        self.rows = rows
        self.mutable = mutable
        self.expires = expires  # monotonic(); math.inf without a time to live
        self.stamp = stamp
        # The store's count of invalidations when ``stamp`` was last found current: while
        # that count stays, no version moved, and the stamp need not be compared again.
        self.checked = checked
        self.derive: Callable[[Any], Any] | None = None
        self.derived: Any = None


class MemoryCache:
    """Read results of this process, least recently used dropped first.

    Entries are keyed by the statement's text and its bound values, and hold the versions
    of the tables it names when it was read; a write bumps those versions, so an entry
    over a written table is never answered again (the next read of it replaces it).

    Args:
        max_entries: How many results it holds at most.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries < 1:
            raise ValueError(f"MemoryCache(max_entries={max_entries!r}): it must hold at least one entry")
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._versions: dict[str, dict[str, int]] = {}
        self._invalidations = 0  # grows after every bump of the versions
        self._newest: _Entry | None = None  # the entry at the end of the LRU order, if known
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __repr__(self) -> str:
        return f"<MemoryCache {len(self._entries)}/{self.max_entries} entries>"

    def __len__(self) -> int:
        return len(self._entries)

    def _stamp(self, database: str, tables: tuple[str, ...]) -> tuple[int, ...]:
        versions = self._versions.get(database)
        if versions is None:
            return (0,) * len(tables)
        return tuple([versions.get(t, 0) for t in tables])

    def lookup(self, database: str, statement: Statement, tables: tuple[str, ...]) -> tuple[Any, Any]:
        """The rows kept for ``statement`` under the tables' current versions, or a miss."""
        params = statement.params
        key: Hashable = (database, statement.text, params if type(params) is tuple else tuple(params))
        try:
            entry = self._entries.get(key)
        except TypeError:  # a list or dict among the values
            key = (database, statement.text, frozen(params))
            entry = self._entries.get(key)
        # Read before the versions: a write between the two makes the next look-up compare again.
        invalidations = self._invalidations
        stamp = self._stamp(database, tables)
        if entry is not None:
            if entry.stamp == stamp and entry.expires > monotonic():
                entry.checked = invalidations
                if entry is not self._newest:
                    self._use(key, entry)
                self.hits += 1
                # Each reader gets rows of its own when they hold values changeable in place.
                return (copy.deepcopy(entry.rows) if entry.mutable else entry.rows), None
            with self._lock:  # stale or expired: it goes now rather than as the least recently used
                if self._entries.get(key) is entry:
                    del self._entries[key]
        self.misses += 1
        return MISS, (key, stamp, invalidations)

    def lookup_keyed(self, database: str, text: str, params: tuple[Any, ...], tables: tuple[str, ...],
                     derive: Callable[[Any], Any]) -> Any:
        """For ``Model.get(pk=…)``: what ``derive`` makes of the rows :meth:`lookup` would
        give for the read ``text``/``params``, or MISS (not counted: the full look-up that
        follows counts it). Rows that cannot change in place are derived once per entry, and
        the result is kept with the entry, so it goes when the entry does."""
        key = (database, text, params)
        try:
            entry = self._entries.get(key)
        except TypeError:  # a value without a hash: the full look-up deals with it
            return MISS
        if entry is None:
            return MISS
        invalidations = self._invalidations
        if entry.checked != invalidations:  # a write since: compare the versions (else nothing moved)
            if entry.stamp != self._stamp(database, tables):
                return MISS
            entry.checked = invalidations
        if entry.expires <= monotonic():
            return MISS
        if entry is not self._newest:  # the same row read again (a hot key) is in place already
            self._use(key, entry)
        self.hits += 1
        if entry.derive is derive:
            return entry.derived
        if entry.mutable:  # values changeable in place: derived from a copy of their own each time
            return derive(copy.deepcopy(entry.rows))
        derived = derive(entry.rows)
        # Two threads deriving at once keep one of two equal results.
        entry.derive, entry.derived = derive, derived
        return derived

    def store(self, ticket: Any, rows: Any, ttl: float | None) -> None:
        """Keeps ``rows`` under the key of the miss that ``ticket`` stands for."""
        key, stamp, invalidations = ticket
        rows = list(rows)
        mutable = any(isinstance(value, _MUTABLE) for row in rows for value in _values(row))
        if mutable:
            rows = copy.deepcopy(rows)  # the reader that missed keeps the originals
        entry = _Entry(rows, mutable, math.inf if ttl is None else monotonic() + ttl, stamp, invalidations)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            self._newest = entry
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def _use(self, key: Hashable, entry: _Entry) -> None:
        """Makes ``entry`` the most recently used."""
        # A bare try costs nothing on this hot path (suppress() would enter a context manager).
        try:
            self._entries.move_to_end(key)
        except KeyError:  # dropped by another thread meanwhile: still the right rows
            return
        self._newest = entry

    def invalidate(self, database: str, tables: Iterable[str]) -> None:
        """Bumps the versions of ``tables``: the entries over them are never answered again."""
        with self._lock:
            versions = self._versions.setdefault(database, {})
            for table in tables:
                versions[table] = versions.get(table, 0) + 1
            # After the versions: a look-up that saw the old count compares them again.
            self._invalidations += 1

    def clear(self) -> None:
        """Drops every entry (the versions stay: they only ever grow)."""
        with self._lock:
            self._entries.clear()
            self._newest = None

    async def alookup(self, database: str, statement: Statement, tables: tuple[str, ...]) -> tuple[Any, Any]:
        """The async twin of :meth:`lookup` (nothing to wait for in memory)."""
        return self.lookup(database, statement, tables)

    async def astore(self, ticket: Any, rows: Any, ttl: float | None) -> None:
        """The async twin of :meth:`store`."""
        self.store(ticket, rows, ttl)

    async def ainvalidate(self, database: str, tables: Iterable[str]) -> None:
        """The async twin of :meth:`invalidate`."""
        self.invalidate(database, tables)


def _values(row: Any) -> Sequence[Any]:
    return row if isinstance(row, (tuple, list)) else tuple(row)
