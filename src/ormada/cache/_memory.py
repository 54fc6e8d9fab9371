"""The in-memory store: an LRU of read results with a time to live and a size bound."""

from __future__ import annotations

import copy
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


class MemoryCache:
    """Read results of this process, least recently used dropped first.

    Entries are keyed by the statement's text, its bound values and the versions of the
    tables it names; a write bumps those versions, so an entry over a written table is
    never found again (it leaves as the least recently used).

    Args:
        max_entries: How many results it holds at most.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries < 1:
            raise ValueError(f"MemoryCache(max_entries={max_entries!r}): it must hold at least one entry")
        self.max_entries = max_entries
        # (expires, rows, mutable), and after a keyed look-up also (derive, what it derived).
        self._entries: OrderedDict[Hashable, tuple[Any, ...]] = OrderedDict()
        self._versions: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __repr__(self) -> str:
        return f"<MemoryCache {len(self._entries)}/{self.max_entries} entries>"

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, database: str, statement: Statement, tables: tuple[str, ...]) -> tuple[Any, Any]:
        """The rows kept for ``statement`` under the tables' current versions, or a miss."""
        versions = self._versions.get(database)
        stamp = (0,) * len(tables) if versions is None else tuple([versions.get(t, 0) for t in tables])
        params = statement.params
        key: Hashable = (database, statement.text, params if type(params) is tuple else tuple(params), stamp)
        try:
            entry = self._entries.get(key)
        except TypeError:  # a list or dict among the values
            key = (database, statement.text, frozen(params), stamp)
            entry = self._entries.get(key)
        if entry is not None:
            expires, rows, mutable = entry[0], entry[1], entry[2]
            if expires is None or expires > monotonic():
                with self._lock:
                    if key in self._entries:
                        self._entries.move_to_end(key)
                self.hits += 1
                # Each reader gets rows of its own when they hold values changeable in place.
                return (copy.deepcopy(rows) if mutable else rows), None
            with self._lock:
                self._entries.pop(key, None)
        self.misses += 1
        return MISS, key

    def lookup_keyed(self, database: str, text: str, params: tuple[Any, ...], tables: tuple[str, ...],
                     derive: Callable[[Any], Any]) -> Any:
        """For ``Model.get(pk=…)``: what ``derive`` makes of the rows :meth:`lookup` would
        give for the read ``text``/``params``, or MISS (not counted: the full look-up that
        follows counts it). Rows that cannot change in place are derived once per entry, and
        the result is kept with the entry, so it goes when the entry does."""
        versions = self._versions.get(database)
        if versions is None:
            stamp: tuple[int, ...] = (0,) * len(tables)
        elif len(tables) == 1:  # a get by key names one table
            stamp = (versions.get(tables[0], 0),)
        else:
            stamp = tuple([versions.get(t, 0) for t in tables])
        key = (database, text, params, stamp)
        try:
            entry = self._entries.get(key)
        except TypeError:  # a value without a hash: the full look-up deals with it
            return MISS
        if entry is None or (entry[0] is not None and entry[0] <= monotonic()):
            return MISS
        # A bare try costs nothing on this hot path (suppress() would enter a context manager).
        try:  # noqa: SIM105
            self._entries.move_to_end(key)
        except KeyError:  # dropped by another thread meanwhile: still the right rows
            pass
        self.hits += 1
        if entry[2]:  # values changeable in place: derived from a copy of their own each time
            return derive(copy.deepcopy(entry[1]))
        if len(entry) == 5 and entry[3] is derive:
            return entry[4]
        derived = derive(entry[1])
        with self._lock:
            if self._entries.get(key) is entry:
                self._entries[key] = (*entry[:3], derive, derived)
        return derived

    def store(self, ticket: Any, rows: Any, ttl: float | None) -> None:
        """Keeps ``rows`` under the key of the miss that ``ticket`` stands for."""
        rows = list(rows)
        mutable = any(isinstance(value, _MUTABLE) for row in rows for value in _values(row))
        if mutable:
            rows = copy.deepcopy(rows)  # the reader that missed keeps the originals
        expires = None if ttl is None else monotonic() + ttl
        with self._lock:
            self._entries[ticket] = (expires, rows, mutable)
            self._entries.move_to_end(ticket)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def invalidate(self, database: str, tables: Iterable[str]) -> None:
        """Bumps the versions of ``tables``: the entries over them are never found again."""
        with self._lock:
            versions = self._versions.setdefault(database, {})
            for table in tables:
                versions[table] = versions.get(table, 0) + 1

    def clear(self) -> None:
        """Drops every entry (the versions stay: they only ever grow)."""
        with self._lock:
            self._entries.clear()

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
