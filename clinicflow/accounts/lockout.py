"""How django-axes counts failures and answers a locked account.

Failures count per *account*, whichever name (username or e-mail, any case) was typed and from
whichever IP or cookie, so rotating them does not reset the count.
"""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from clinicflow.accounts.backends import find_account


def canonical_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    typed = str((credentials or {}).get("username") or "").strip().lower()
    user = find_account(typed)
    return user.username if user is not None else typed


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """The login view itself shows the lockout message; keep its page, with status 429."""
    if original_response is None:
        return HttpResponse("Account locked: too many failed sign-ins.", status=429)
    original_response.status_code = 429
    return original_response


def is_locked_out(username: str) -> bool:
    """Locked as axes judges it: the failures of every row for the account (one per IP and
    browser) within the cool-off add up to the limit."""
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AccessAttempt.objects.filter(
        username=username, attempt_time__gte=threshold
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return (failures or 0) >= settings.AXES_FAILURE_LIMIT


def report_failed_password(request: HttpRequest | None, username: str) -> None:
    """A wrong password or code typed by someone already signed in (changing the password,
    removing a second factor) or a wrong code at sign-in: audited and counted towards the
    lockout, like a failed sign-in."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def clear_lockout(username: str) -> int:
    return int(axes_reset(username=username))
