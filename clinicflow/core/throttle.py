"""Counting tries in the cache: at most ``limit`` per key within a window (Redis in production,
each process's memory without it).

Account lockout after failed sign-ins is django-axes' (``accounts.lockout``: per account, in
the database, audited). This is for what has no account to lock: one-time codes asked for an
address or from an IP, codes typed for an address. A fixed window keeps it to one atomic
``incr`` per try; the first try of a window sets its expiry."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache


@dataclass(frozen=True)
class Throttle:
    name: str
    limit: int
    window: timedelta

    def _key(self, key: str) -> str:
        # Addresses stay out of cache keys (a shared Redis may be read by operators).
        digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
        return f"throttle:{self.name}:{digest}"

    def hit(self, key: str) -> bool:
        """Count one try under ``key``; True while it is within the limit."""
        cache_key = self._key(key)
        seconds = int(self.window.total_seconds())
        if cache.add(cache_key, 1, timeout=seconds):
            return self.limit >= 1
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr: this try opens a new window
            cache.set(cache_key, 1, timeout=seconds)
            count = 1
        return count <= self.limit

    def exceeded(self, key: str) -> bool:
        """Has ``key`` used up its tries (without counting one)?"""
        return int(cache.get(self._key(key)) or 0) >= self.limit

    def reset(self, key: str) -> None:
        cache.delete(self._key(key))
