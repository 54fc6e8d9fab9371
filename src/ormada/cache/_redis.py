"""The Redis store: read results shared by every process that uses one Redis server.

Every table has a version key; an entry's key holds the versions of the tables its
statement names, so a write in one process (which increments those keys) makes every
process's next read miss. A look-up is one round trip: a short Lua script reads the
versions and the entry keyed by them together. When Redis cannot be reached the store
warns once (:class:`CacheWarning`), reads go to the database, and the versions of the
tables written meanwhile are incremented as soon as Redis answers again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import warnings
from collections.abc import Iterable
from time import monotonic
from typing import Any

import pydantic_core
import redis
import redis.asyncio

from ormada._caching import MISS
from ormada.backends.base import Statement
from ormada.cache._codec import decode_rows, encode_rows

logger = logging.getLogger("ormada.cache")

# KEYS: the version keys; ARGV[1]: the entry's key without versions.
_LOOKUP = """
local versions = redis.call('MGET', unpack(KEYS))
for i = 1, #versions do
  if not versions[i] then versions[i] = '0' end
end
local stamp = table.concat(versions, '.')
local value = redis.call('GET', ARGV[1] .. ':' .. stamp)
if value then return {stamp, value} end
return {stamp}
"""


class CacheWarning(UserWarning):
    """The cache store could not be reached; reads go to the database meanwhile."""


class RedisCache:
    """Read results in Redis, shared by processes, through ``redis``'s sync and async clients.

    Args:
        url: The server, ``redis://host:port/db`` (see ``redis.Redis.from_url``).
        prefix: The start of every key, to share a server with other programs.
        max_ttl: Seconds an entry lives at most, also under a policy without a time to
            live: entries under old versions are never read again and must expire.
        retry_after: Seconds to read around Redis after it failed to answer.
        timeout: Seconds to wait for Redis to connect or answer.
    """

    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *, prefix: str = "ormada", max_ttl: float = 86_400,
                 retry_after: float = 1.0, timeout: float = 0.5) -> None:
        self.url = url
        self.prefix = prefix
        self.max_ttl = max_ttl
        self.retry_after = retry_after
        self._options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        self._client = redis.Redis.from_url(url, **self._options)
        self._script = self._client.register_script(_LOOKUP)
        self._async: tuple[asyncio.AbstractEventLoop, redis.asyncio.Redis, Any] | None = None
        self._down_until = 0.0
        self._unsent: set[str] = set()  # version keys of writes made while Redis was away
        self.hits = 0
        self.misses = 0

    def __repr__(self) -> str:
        return f"<RedisCache {self.url} prefix={self.prefix!r}>"

    # -- keys ---------------------------------------------------------------------------
    def _version_keys(self, database: str, tables: Iterable[str]) -> list[str]:
        return [f"{self.prefix}:{database}:v:{table}" for table in tables]

    def _entry_key(self, database: str, statement: Statement) -> str:
        params = pydantic_core.to_json(list(statement.params), fallback=repr, bytes_mode="base64")
        digest = hashlib.sha256(statement.text.encode() + b"\0" + params).hexdigest()
        return f"{self.prefix}:{database}:r:{digest}"

    # -- outages --------------------------------------------------------------------------
    def _away(self) -> bool:
        return self._down_until > monotonic()

    def _failed(self, exc: BaseException) -> None:
        if not self._away():
            message = (f"the read cache at {self.url} is unavailable ({exc}); reading from the database, "
                       f"trying again in {self.retry_after:g} s")
            logger.warning(message)
            warnings.warn(message, CacheWarning, stacklevel=2)
        self._down_until = monotonic() + self.retry_after

    def _ttl_ms(self, ttl: float | None) -> int:
        return max(1, int(min(ttl if ttl is not None else self.max_ttl, self.max_ttl) * 1000))

    def _answer(self, found: list[Any], key: str) -> tuple[Any, Any]:
        stamp = found[0].decode() if isinstance(found[0], bytes) else found[0]
        if len(found) > 1:
            try:
                rows = decode_rows(found[1])
            except (ValueError, TypeError, KeyError, IndexError):
                logger.warning("unreadable read-cache entry %s; reading from the database", key)
            else:
                self.hits += 1
                return rows, None
        self.misses += 1
        return MISS, f"{key}:{stamp}"

    # -- sync -------------------------------------------------------------------------------
    def _send_unsent(self) -> None:
        if self._unsent:
            keys = list(self._unsent)
            pipe = self._client.pipeline(transaction=False)
            for key in keys:
                pipe.incr(key)
            pipe.execute()
            self._unsent.difference_update(keys)

    def lookup(self, database: str, statement: Statement, tables: tuple[str, ...]) -> tuple[Any, Any]:
        """The rows kept for ``statement`` under the tables' current versions, or a miss."""
        if self._away():
            return MISS, None
        key = self._entry_key(database, statement)
        try:
            self._send_unsent()
            found = self._script(keys=self._version_keys(database, tables), args=[key])
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)
            return MISS, None
        return self._answer(found, key)

    def store(self, ticket: Any, rows: Any, ttl: float | None) -> None:
        """Keeps ``rows`` (when every value has a JSON form) under the missed key."""
        data = encode_rows(rows)
        if data is None or self._away():
            return
        try:
            self._client.set(ticket, data, px=self._ttl_ms(ttl))
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)

    def invalidate(self, database: str, tables: Iterable[str]) -> None:
        """Increments the versions of ``tables`` (later, if Redis cannot be reached now)."""
        self._unsent.update(self._version_keys(database, tables))
        if self._away():
            return
        try:
            self._send_unsent()
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)

    def clear(self) -> None:
        """Deletes every key of this store's prefix."""
        keys = list(self._client.scan_iter(match=f"{self.prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            self._client.delete(*keys[start:start + 1000])

    # -- async ------------------------------------------------------------------------------
    def _async_client(self) -> tuple[redis.asyncio.Redis, Any]:
        # An asyncio client belongs to the event loop it was made in.
        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop:
            client = redis.asyncio.Redis.from_url(self.url, **self._options)
            self._async = (loop, client, client.register_script(_LOOKUP))
        return self._async[1], self._async[2]

    async def _asend_unsent(self, client: redis.asyncio.Redis) -> None:
        if self._unsent:
            keys = list(self._unsent)
            pipe = client.pipeline(transaction=False)
            for key in keys:
                pipe.incr(key)
            await pipe.execute()
            self._unsent.difference_update(keys)

    async def alookup(self, database: str, statement: Statement, tables: tuple[str, ...]) -> tuple[Any, Any]:
        """The async twin of :meth:`lookup`."""
        if self._away():
            return MISS, None
        key = self._entry_key(database, statement)
        client, script = self._async_client()
        try:
            await self._asend_unsent(client)
            found = await script(keys=self._version_keys(database, tables), args=[key])
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)
            return MISS, None
        return self._answer(found, key)

    async def astore(self, ticket: Any, rows: Any, ttl: float | None) -> None:
        """The async twin of :meth:`store`."""
        data = encode_rows(rows)
        if data is None or self._away():
            return
        client, _ = self._async_client()
        try:
            await client.set(ticket, data, px=self._ttl_ms(ttl))
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)

    async def ainvalidate(self, database: str, tables: Iterable[str]) -> None:
        """The async twin of :meth:`invalidate`."""
        self._unsent.update(self._version_keys(database, tables))
        if self._away():
            return
        client, _ = self._async_client()
        try:
            await self._asend_unsent(client)
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)
