"""The in-memory store: an LRU of read results with a time to live and a size bound."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
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
        self._entries: OrderedDict[Hashable, tuple[float | None, Any, bool]] = OrderedDict()
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
            expires, rows, mutable = entry
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
