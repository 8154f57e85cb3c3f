"""Sign in with a username or an e-mail address."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest

from clinicflow.accounts.models import User


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
        return User.objects.filter(pk=user_id, is_active=True).first()
