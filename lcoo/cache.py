"""The Redis cache as the portal uses it: fast, and never the reason a page fails.

Django's Redis client builds a new `redis.Redis` object for every cache call, which
costs more than the round trip itself on a cached page; this one keeps one per
connection pool. And a cache is an optimisation: when Redis is away, reads miss and
writes are dropped (logged, at most once every few seconds), so pages are computed
and served, and forms still save, until Redis is back.

Rate limits are the exception: an empty cache would let every attempt through (and
allauth, whose lock then never succeeds, would refuse every login). While Redis is away,
keys under `RATE_LIMIT_PREFIXES` live in this process's memory instead, so every limit
keeps limiting, per process, and nobody is locked out.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

#: Seconds between two warnings about the same outage.
WARN_EVERY = 10.0
#: allauth's limits (and their locks) and the portal's own (lcoo.http.rate_limited).
RATE_LIMIT_PREFIXES = ("allauth:rl:", "ratelimit:")


class PooledRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client


def _tolerant(name: str, fallback: Callable[..., object]):
    """RedisCache's method `name`, answering `fallback(*its arguments)` when Redis is away
    (for a rate limit's key: the same method of the in-process stand-in)."""
    method = getattr(RedisCache, name)

    @functools.wraps(method)
    def tolerant(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except RedisError as error:
            self._unavailable(name, error)
            key = args[0] if args else kwargs.get("key")
            if isinstance(key, str) and key.startswith(RATE_LIMIT_PREFIXES):
                return getattr(self._rate_limits_while_away, name)(*args, **kwargs)
            return fallback(*args, **kwargs)

    return tolerant


class ResilientRedisCache(RedisCache):
    """Redis, where an unreachable server behaves like an empty cache: reads miss, writes
    are dropped, and incr() answers None (the caller decides what that means)."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = PooledRedisCacheClient
        self._last_warning = 0.0
        self._rate_limits_while_away = LocMemCache(f"rate-limits-{id(self)}", {})

    def _unavailable(self, operation: str, error: RedisError) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY:
            self._last_warning = now
            logger.warning("Cache unavailable (%s): %s; serving without it", operation, error)

    get = _tolerant("get", lambda key, default=None, version=None: default)
    get_many = _tolerant("get_many", lambda *args, **kwargs: {})
    has_key = _tolerant("has_key", lambda *args, **kwargs: False)
    add = _tolerant("add", lambda *args, **kwargs: False)
    set = _tolerant("set", lambda *args, **kwargs: None)
    set_many = _tolerant("set_many", lambda data, *args, **kwargs: list(data))
    touch = _tolerant("touch", lambda *args, **kwargs: False)
    delete = _tolerant("delete", lambda *args, **kwargs: False)
    delete_many = _tolerant("delete_many", lambda *args, **kwargs: None)
    incr = _tolerant("incr", lambda *args, **kwargs: None)
    decr = _tolerant("decr", lambda *args, **kwargs: None)
    clear = _tolerant("clear", lambda *args, **kwargs: False)
