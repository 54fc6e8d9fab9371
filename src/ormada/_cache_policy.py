"""The read cache's policies, as models name them in ``Meta.cache``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ormada.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class Cache:
    """A model's cache policy: ``class Meta: cache = Cache(ttl=300)``.

    Attributes:
        ttl: Seconds an entry lives; None keeps it until a write to its tables (or the
            store's size bound, or for Redis its ``max_ttl``) drops it.
        enabled: ``Cache(enabled=False)`` (or ``Meta.cache = False``) opts a model out of
            a process-wide default policy.
    """

    ttl: float | None = None
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.ttl is not None and (isinstance(self.ttl, bool) or not isinstance(self.ttl, (int, float))
                                     or self.ttl <= 0):
            raise ConfigurationError(f"Cache(ttl={self.ttl!r}): the time to live is a positive number of seconds "
                                     "or None (until a write)")


# The named policies ``Meta.cache = "short"`` picks from; ``ormada.cache.configure(policies=...)`` adds or replaces.
DEFAULT_POLICIES = {"permanent": Cache(ttl=None), "long": Cache(ttl=3600), "short": Cache(ttl=60)}


def check_policy(where: str, value: Any) -> Cache | str | bool | None:
    """``Meta.cache`` as given, checked: a :class:`Cache`, a policy name, True/False or None.

    Raises:
        ConfigurationError: anything else.
    """
    if value is None or isinstance(value, (Cache, bool, str)):
        return value
    raise ConfigurationError(f"{where}.Meta.cache is {value!r}; use ormada.cache.Cache(ttl=...), a policy name "
                             f"({', '.join(DEFAULT_POLICIES)}), True (the default policy) or False (no caching)")
