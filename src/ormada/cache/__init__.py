"""The read cache: ``get()``, ``filter(...).all()``, ``count()`` and relation prefetches of
the models that ask for it, answered from memory or from Redis, and never stale after a
write made through ormada.

    ormada.cache.configure(MemoryCache(max_entries=10_000))      # or RedisCache("redis://127.0.0.1:6379/0")

    class Book(Model):
        ...
        class Meta:
            cache = Cache(ttl=300)        # or "short" / "long" / "permanent", or False

    Book.get(id=1)                        # read once, then from the cache
    Book.filter(year=1969).cache(False).all()   # always from the database

Every write ormada sends (``save``, ``delete``, ``create``, bulk writes, ``upsert``,
``QuerySet.update``/``delete``, many-to-many changes, ``get_or_create``, raw
``execute``) invalidates the tables it names; inside a transaction, at its commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ormada._cache_policy import DEFAULT_POLICIES, Cache
from ormada._caching import CacheStore, settings
from ormada.cache._memory import MemoryCache
from ormada.errors import ConfigurationError

if TYPE_CHECKING:
    from ormada.cache._redis import CacheWarning, RedisCache

__all__ = ["Cache", "CacheStore", "CacheWarning", "MemoryCache", "RedisCache", "clear", "configure", "reset", "store"]

_UNSET: Any = object()


def configure(store: CacheStore | None = _UNSET, *, default: Cache | str | None = _UNSET,
              policies: dict[str, Cache] | None = None) -> None:
    """Sets the process-wide cache: its store, the default policy and named policies.

    Args:
        store: Where results are kept: :class:`MemoryCache` or :class:`RedisCache`; None
            turns the cache off (every read goes to the database).
        default: The policy of models whose ``Meta`` names none (a :class:`Cache` or a
            policy name); None caches only the models that ask.
        policies: Named policies for ``Meta.cache = "name"``, added to ``permanent``,
            ``long`` (an hour) and ``short`` (a minute), or replacing them.

    Raises:
        ConfigurationError: an unknown policy name or a value of the wrong kind.
    """
    if policies is not None:
        for name, policy in policies.items():
            if not isinstance(policy, Cache):
                raise ConfigurationError(f"cache policy {name!r} is {policy!r}; use Cache(ttl=...)")
        settings.policies.update(policies)
    if default is not _UNSET:
        if isinstance(default, str):
            if default not in settings.policies:
                raise ConfigurationError(f"no cache policy named {default!r} (known: "
                                         f"{', '.join(sorted(settings.policies))})")
            default = settings.policies[default]
        if default is not None and not isinstance(default, Cache):
            raise ConfigurationError(f"the default cache policy is {default!r}; use Cache(ttl=...), a policy name "
                                     "or None")
        settings.default = default
    if store is not _UNSET:
        if store is not None and not all(hasattr(store, m) for m in ("lookup", "store", "invalidate")):
            raise ConfigurationError(f"{store!r} is not a cache store; use MemoryCache() or RedisCache(url)")
        settings.store = store
    settings.changed()


def store() -> CacheStore | None:
    """The store in use, or None when the cache is off."""
    return settings.store


def clear() -> None:
    """Empties the store in use (for Redis: the entries of every process sharing its prefix)."""
    current = settings.store
    if current is not None and hasattr(current, "clear"):
        current.clear()


def reset() -> None:
    """Turns the cache off and restores the default policies (for tests and reloads)."""
    settings.store = None
    settings.default = None
    settings.policies = dict(DEFAULT_POLICIES)
    settings.changed()


def __getattr__(name: str) -> Any:
    # Redis is an extra (``pip install 'ormada[cache]'``): imported when first named.
    if name in ("RedisCache", "CacheWarning"):
        try:
            from ormada.cache import _redis
        except ImportError as exc:
            raise ConfigurationError(f"ormada.cache.{name} needs redis: pip install 'ormada[cache]' ({exc})") from exc
        return getattr(_redis, name)
    raise AttributeError(f"module 'ormada.cache' has no attribute {name!r}")
