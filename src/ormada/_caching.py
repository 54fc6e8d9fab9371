"""What the runners and operations need of the read cache (``ormada.cache`` plugs a store in).

A cached read is a read statement wrapped in :class:`Cached`; the runner answers it from
the installed store, keyed by the statement's text, its bound values and the *version*
of every table the text names. Each write statement the runners send bumps the versions
of the tables it names (and of the tables whose foreign keys point at them: a cascade
writes those too), so a write makes every earlier entry over those tables unreachable:
no entry is ever looked for under an old version. Inside a transaction reads skip the
cache and the versions are bumped at commit; a rollback bumps nothing.

Tables are found by name in the statement text, compared without case: a name that
merely appears (in a string, a column name) costs an extra invalidation, never a stale
read. A write whose tables cannot be told (a script, DDL, raw text naming none of the
known tables) invalidates every table of the database.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

__all__ = ["DEFAULT_POLICIES", "MISS", "Cache", "CacheStore", "Cached", "KeyedStore", "Track", "cached_read",
           "is_write", "tables"]

from ormada._cache_policy import DEFAULT_POLICIES, Cache
from ormada.backends.base import Statement
from ormada.errors import ConfigurationError

if TYPE_CHECKING:
    from ormada._info import ModelInfo


@dataclass(frozen=True, slots=True)
class Cached:
    """A read an operation lets the runner answer from the cache (``ttl``: the policy's)."""

    statement: Statement
    ttl: float | None


class Ticket(Protocol):
    """What a store's look-up hands back for the store that follows a miss."""


class CacheStore(Protocol):
    """A cache store: the in-memory LRU or Redis (``ormada.cache``)."""

    def lookup(self, database: str, statement: Statement, tables: tuple[str, ...]) -> tuple[Any, Any]:
        """``(rows, None)`` on a hit, else ``(MISS, ticket)``: the ticket (the versions
        read, ``None`` when the store is unavailable) goes to :meth:`store`."""

    def store(self, ticket: Any, rows: Any, ttl: float | None) -> None:
        """Keeps ``rows`` under the key the ticket was made for."""

    def invalidate(self, database: str, tables: Iterable[str]) -> None:
        """Bumps the versions of ``tables``."""

    async def alookup(self, database: str, statement: Statement, tables: tuple[str, ...]) -> tuple[Any, Any]:
        """The async twin of :meth:`lookup`."""

    async def astore(self, ticket: Any, rows: Any, ttl: float | None) -> None:
        """The async twin of :meth:`store`."""

    async def ainvalidate(self, database: str, tables: Iterable[str]) -> None:
        """The async twin of :meth:`invalidate`."""


class KeyedStore(Protocol):
    """What an in-process store adds for ``Model.get(pk=…)`` (``MemoryCache`` has it): a
    look-up that needs no :class:`Statement` and does no I/O, so sync and async code call
    it alike. Stores without it (Redis) answer such reads through :meth:`CacheStore.lookup`."""

    def lookup_keyed(self, database: str, text: str, params: tuple[Any, ...], tables: tuple[str, ...],
                     derive: Callable[[Any], Any]) -> Any:
        """What ``derive`` made of the rows kept for the read ``text``/``params`` under the
        tables' current versions (made once per entry while its rows cannot change in place,
        and kept with it), counted as a hit; or :data:`MISS`, not counted (the full look-up
        that follows counts it)."""


MISS: Any = object()


class Track:
    """What a runner keeps while it drives one operation with a store installed: the
    tables its writes named (a transaction's, until it commits) and whether its reads
    may use the cache (not inside a transaction)."""

    __slots__ = ("reads", "store", "writes")

    def __init__(self, store: CacheStore, writes: set[str], reads: bool) -> None:
        self.store = store
        self.writes = writes
        self.reads = reads


class _Settings:
    """The process-wide cache configuration (``ormada.cache.configure``).

    ``epoch`` grows whenever something that a cached ``get()``'s shortcut worked out may
    have changed (the configuration, the models, the databases): see :mod:`ormada._cached_get`.
    """

    __slots__ = ("default", "epoch", "policies", "store")

    def __init__(self) -> None:
        self.store: CacheStore | None = None
        self.default: Cache | None = None
        self.policies: dict[str, Cache] = dict(DEFAULT_POLICIES)
        self.epoch = 0

    def changed(self) -> None:
        """Marks what was worked out from the configuration, models and databases as stale."""
        self.epoch += 1


settings = _Settings()


def policy_for(info: ModelInfo) -> Cache | None:
    """The policy that applies to ``info``'s reads, or None when they are not cached."""
    chosen = info.options.cache
    if chosen is None or chosen is True:
        policy = settings.default if chosen is None else (settings.default or DEFAULT_POLICIES["permanent"])
    elif chosen is False:
        return None
    elif isinstance(chosen, str):
        policy = settings.policies.get(chosen)
        if policy is None:
            raise ConfigurationError(f"{info.name}.Meta.cache names the policy {chosen!r}, which is not configured "
                                     f"(known: {', '.join(sorted(settings.policies))}); add it with "
                                     "ormada.cache.configure(policies={...})")
    else:
        policy = chosen
    return policy if policy is not None and policy.enabled else None


def cached_read(info: ModelInfo, statement: Statement, enabled: bool = True) -> Statement | Cached:
    """What a read operation yields: ``statement`` itself, or wrapped for the cache when a
    store is installed and ``info``'s policy (and the query, ``enabled``) asks for it."""
    if settings.store is None or not enabled:
        return statement
    policy = policy_for(info)
    return statement if policy is None else Cached(statement, policy.ttl)


# -- which tables a statement names ------------------------------------------------

_READ_WORDS = frozenset({"select", "values", "show", "explain", "describe", "pragma"})
_CONTROL_WORDS = frozenset({"commit", "rollback", "savepoint", "release", "start", "end"})
_WRITE_IN_WITH = re.compile(r"\b(insert|update|delete|merge|replace)\b", re.IGNORECASE)
_FIRST_WORD = re.compile(r"\s*\(*\s*([A-Za-z]+)")


def is_write(statement: Statement) -> bool:
    """Whether ``statement`` may change rows: anything but a read or transaction control."""
    if statement.fetch == "script":
        return True
    match = _FIRST_WORD.match(statement.text)
    if match is None:
        return True
    word = match.group(1).lower()
    if word in _READ_WORDS:
        return False
    if word in _CONTROL_WORDS:
        return False
    if word == "begin":  # a transaction's BEGIN, not CQL's BEGIN BATCH (a write)
        return "batch" in statement.text[:40].lower()
    if word == "with":
        return _WRITE_IN_WITH.search(statement.text) is not None
    return True


class TableIndex:
    """The tables of each database's models, and which of them a statement names.

    ``infos_of(database)`` gives the configured models of a database (the registry's
    ``configured``); :meth:`forget` runs whenever a model is configured, since a program
    (and a test suite) defines models while it runs.
    """

    def __init__(self, infos_of: Any = None, size: int = 4096) -> None:
        self.infos_of = infos_of
        self._lock = threading.RLock()
        self._tables: dict[str, tuple[str, ...]] = {}
        self._dependents: dict[str, dict[str, frozenset[str]]] = {}
        self._named: dict[tuple[str, str], tuple[str, ...]] = {}
        self._size = size

    def forget(self, _info: Any = None) -> None:
        """Drops what was worked out: a model was configured."""
        settings.changed()
        with self._lock:
            self._tables = {}
            self._dependents = {}
            self._named = {}

    def _database(self, database: str) -> tuple[str, ...]:
        tables = self._tables.get(database)
        if tables is None:
            infos = self.infos_of(database)
            names = sorted({info.table.name.lower() for info in infos})
            referrers: dict[str, set[str]] = {}
            for info in infos:
                for relation in info.table.relations:
                    referrers.setdefault(relation.target_table.lower(), set()).add(info.table.name.lower())
            dependents: dict[str, frozenset[str]] = {}
            for name in names:  # every table a write to ``name`` may cascade to, transitively
                seen, todo = {name}, [name]
                while todo:
                    for other in referrers.get(todo.pop(), ()):
                        if other not in seen:
                            seen.add(other)
                            todo.append(other)
                dependents[name] = frozenset(seen)
            self._dependents[database] = dependents
            tables = self._tables[database] = tuple(names)
        return tables

    def named(self, database: str, text: str) -> tuple[str, ...]:
        """The known tables whose names appear in ``text`` (without case), sorted."""
        key = (database, text)
        found = self._named.get(key)
        if found is not None:
            return found
        with self._lock:
            lowered = text.lower()
            found = tuple(t for t in self._database(database) if t in lowered)
            if len(self._named) >= self._size:
                self._named = {}
            self._named[key] = found
        return found

    def written(self, database: str, statement: Statement) -> frozenset[str]:
        """The tables a write may change: those it names and those cascading from them,
        or every known table when it names none (or is a script)."""
        named = () if statement.fetch == "script" else self.named(database, statement.text)
        with self._lock:
            everything = self._database(database)
            if not named:
                return frozenset(everything)
            dependents = self._dependents[database]
            return frozenset().union(*(dependents.get(t, frozenset((t,))) for t in named))


tables = TableIndex()
