"""The Redis cache, degrading to "nothing cached" while Redis does not answer.

What the cache holds can all be lost: session copies (the sessions themselves are rows, the
cached_db engine), the API rate-limit counts, live job progress and cancel flags (the Job row
has both too). So a Redis that is down or unreachable must not turn every page into a 500: reads
miss, writes are dropped, and the rate limit lets requests through (fails open) until Redis is
back. /health/ still reports the cache as "error", and the log says so once per outage.

After a failure the cache stays "down" for RETRY_AFTER seconds in this process, so a page does
not wait for a connection timeout on every cache call.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

log = logging.getLogger(__name__)
RETRY_AFTER = 5.0  # seconds
_FAILURES = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class _Outage:
    """When this process last found one Redis server unreachable (shared by threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.until = 0.0
        self.logged = False

    def down(self) -> bool:
        return time.monotonic() < self.until

    def record(self, error: Exception) -> None:
        with self.lock:
            self.until = time.monotonic() + RETRY_AFTER
            if not self.logged:
                log.warning("the cache (Redis) is unreachable; going on without it: %s", error)
                self.logged = True

    def recovered(self) -> None:
        if self.logged:
            with self.lock:
                if self.logged:
                    log.warning("the cache (Redis) answers again")
                    self.logged = False


_outages: dict[str, _Outage] = {}


def outage_of(cache: RedisCache) -> _Outage:
    location = ",".join(cache._servers)
    if location not in _outages:
        _outages.setdefault(location, _Outage())
    return _outages[location]


def _degrading(name: str, fallback):
    """A RedisCache method that answers `fallback(*args, **kwargs)` while Redis is down."""
    method = getattr(RedisCache, name)

    def call(self, *args, **kwargs):
        outage = outage_of(self)
        if outage.down():
            return fallback(*args, **kwargs)
        try:
            result = method(self, *args, **kwargs)
        except _FAILURES as error:
            outage.record(error)
            return fallback(*args, **kwargs)
        outage.recovered()
        return result

    call.__name__ = name
    return call


def _default(key, default=None, version=None):
    return default


def _nothing(*args, **kwargs):
    return None


def _false(*args, **kwargs):
    return False


def _empty(*args, **kwargs):
    return {}


def _zero(*args, **kwargs):
    return 0


def _all_failed(data, timeout=DEFAULT_TIMEOUT, version=None):
    return list(data)


class _ReusedClients(RedisCacheClient):
    """Django's Redis cache client, keeping one `redis.Redis` per connection pool.

    Django builds a new `redis.Redis` around the pool for every cache call, and redis-py's
    constructor fills a table of about 170 reply parsers each time: about 0.1 ms of CPU per
    call, as much as the call itself. The object holds no connection of its own (the pool
    does) and is safe to share between threads.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, redis.Redis] = {}
        self._count_script: redis.commands.core.Script | None = None

    def get_client(self, key=None, *, write=False) -> redis.Redis:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client

    def count_script(self) -> redis.commands.core.Script:
        """COUNT (below), on the server written to; Redis loads it on its first use."""
        if self._count_script is None:
            self._count_script = self.get_client(write=True).register_script(COUNT)
        return self._count_script


class DegradingRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _ReusedClients

    get = _degrading("get", _default)
    set = _degrading("set", _nothing)
    add = _degrading("add", _false)
    touch = _degrading("touch", _false)
    delete = _degrading("delete", _false)
    has_key = _degrading("has_key", _false)
    get_many = _degrading("get_many", _empty)
    set_many = _degrading("set_many", _all_failed)
    delete_many = _degrading("delete_many", _nothing)
    clear = _degrading("clear", _false)
    incr = _degrading("incr", _zero)  # decr too

    def count(self, key: str, previous: str, timeout: int) -> tuple[int, int]:
        """`count` (below) in one command, a script Redis runs at once (half the client's CPU
        of a pipeline of three); (0, 0) while Redis is down."""
        outage = outage_of(self)
        if outage.down():
            return 0, 0
        key, previous = self.make_and_validate_key(key), self.make_and_validate_key(previous)
        script = self._cache.count_script()
        try:
            counted, before = script(keys=[key, previous], args=[timeout])
        except _FAILURES as error:
            outage.record(error)
            return 0, 0
        outage.recovered()
        return counted, int(before or 0)


COUNT = """
local counted = redis.call('INCR', KEYS[1])
if counted == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {counted, redis.call('GET', KEYS[2])}
"""


def count(cache: BaseCache, key: str, previous: str, timeout: int) -> tuple[int, int]:
    """Add one to the count at `key` (created to expire `timeout` seconds later if it is not
    there), and read the count at `previous`: the count after adding, and the other (0 if none).
    One round trip to Redis; any other cache does it with its own calls."""
    if isinstance(cache, DegradingRedisCache):
        return cache.count(key, previous, timeout)
    cache.add(key, 0, timeout)
    try:
        counted = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout)
        counted = 1
    return counted, cache.get(previous, 0)
