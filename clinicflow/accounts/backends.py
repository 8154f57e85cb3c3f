"""Sign in with a username or an e-mail address."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.http import HttpRequest

from clinicflow.accounts.actors import ACCESS_CACHE_SECONDS, user_version_key
from clinicflow.accounts.models import User


def _user_key(user_id: Any) -> str:
    return f"access:user:{user_id}"


def find_account(identifier: str) -> User | None:
    """The account a sign-in name refers to: a username, or an e-mail address."""
    identifier = (identifier or "").strip().lower()
    if not identifier:
        return None
    field = "email__iexact" if "@" in identifier else "username"
    return User.objects.filter(**{field: identifier}).first()


class UsernameOrEmailBackend(BaseBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None or password is None:
            return None
        user = find_account(username)
        if user is None:
            # Spend the same time as a real check, so timing does not tell which names exist.
            make_password(password)
            return None
        if user.check_password(password) and user.is_active:
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:
        """The signed-in person, from the cache while their account's version is the one it
        was loaded under. Saving or deleting the account (deactivation, a password change,
        a new name) or a membership sets a new version (``access_changed``), now and again at
        commit; a bulk ``update()`` that skips the signals counts within
        ``ACCESS_CACHE_SECONDS``. Deactivating and changing a password also end the
        person's sessions, which no cache keeps."""
        version_key, user_key = user_version_key(user_id), _user_key(user_id)
        found = cache.get_many([version_key, user_key])
        version, cached = found.get(version_key), found.get(user_key)
        if version is not None and isinstance(cached, tuple) and cached[0] == version:
            return cached[1]
        if version is None:
            # The version is read before the row: a change committed in between sets a new
            # version, so this entry is never taken for the newer row.
            cache.add(version_key, uuid.uuid4().hex, timeout=None)
            version = cache.get(version_key)
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is not None and version is not None:
            cache.set(user_key, (version, user), timeout=ACCESS_CACHE_SECONDS)
        return user
