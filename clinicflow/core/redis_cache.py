"""Django's Redis cache with one connection pool, and one client, per server for the whole
process.

Under ASGI every request runs in its own context, and Django keeps one cache object per
context: with the stock backend each request made a new pool and opened a new connection to
Redis (a TCP handshake and a HELLO before its first read), and every cache call built a new
``redis.Redis`` (a table of some 170 reply parsers each time). Pools and clients are
thread-safe, and a pool resets itself in a forked child, so one of each per server URL (and
set of connection options) serves every request.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


class SharedPoolClient(RedisCacheClient):
    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        stock: Any = self  # the stock client's private parts, which the type stubs leave out
        url = stock._servers[stock._get_connection_pool_index(write)]
        # Two caches on one server with other OPTIONS (timeouts, say) must not share a pool.
        key = (url, repr(sorted(stock._pool_options.items())))
        client = _clients.get(key)
        if client is None:
            with _clients_lock:
                client = _clients.get(key)
                if client is None:
                    pool = stock._pool_class.from_url(url, **stock._pool_options)
                    client = _clients[key] = stock._client(connection_pool=pool)
        return client


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]):
        super().__init__(server, params)
        self._class = SharedPoolClient
