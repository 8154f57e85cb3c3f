"""One Redis client per server for the whole process, whatever the request context."""

from __future__ import annotations

import asyncio

import pytest
from django.conf import settings
from django.core.cache import caches

from clinicflow.core.redis_cache import SharedPoolRedisCache

URL = "redis://127.0.0.1:6379/15"


def test_cache_objects_of_different_requests_share_one_client():
    first, second = SharedPoolRedisCache(URL, {}), SharedPoolRedisCache(URL, {})
    assert first._cache.get_client() is second._cache.get_client()
    assert first._cache.get_client(write=True) is first._cache.get_client()
    other = SharedPoolRedisCache("redis://127.0.0.1:6379/14", {})
    assert other._cache.get_client() is not first._cache.get_client()


def test_a_cache_with_other_connection_options_gets_its_own_client():
    plain = SharedPoolRedisCache(URL, {})
    patient = SharedPoolRedisCache(URL, {"OPTIONS": {"socket_timeout": 30}})
    assert patient._cache.get_client() is not plain._cache.get_client()
    pool = patient._cache.get_client().connection_pool
    assert pool.connection_kwargs["socket_timeout"] == 30


@pytest.mark.skipif(not settings.REDIS_URL, reason="the embedded default has no Redis")
def test_every_request_context_reads_through_the_same_client():
    async def client_in_a_new_context() -> object:
        return caches["default"]._cache.get_client()

    clients = [asyncio.run(client_in_a_new_context()) for _ in range(2)]
    assert clients[0] is clients[1]
    caches["default"].set("clinicflow:test:shared", "yes", 5)
    assert asyncio.run(_read("clinicflow:test:shared")) == "yes"


async def _read(key: str) -> object:
    return caches["default"].get(key)
