"""Periodic housekeeping of sign-in sessions."""

from __future__ import annotations

from importlib import import_module

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from clinicflow.accounts.models import UserSession
from clinicflow.accounts.services.sessions import EndReason, end_sessions


@shared_task(name="accounts.expire_sessions")
def expire_sessions() -> int:
    """End sessions past their absolute lifetime or idle past the platform's idle timeout
    (closing their WebSockets too), and drop expired ones from the store. A clinic's shorter
    idle timeout is enforced at its next request."""
    now = timezone.now()
    live = UserSession.objects.filter(ended_at__isnull=True).select_related("user")
    too_old = list(live.filter(created_at__lt=now - settings.SESSION_ABSOLUTE_LIFETIME))
    idle = list(
        live.filter(last_seen_at__lt=now - settings.SESSION_IDLE_TIMEOUT).exclude(
            pk__in=[s.pk for s in too_old]
        )
    )
    ended = end_sessions(too_old, reason=EndReason.EXPIRED)
    ended += end_sessions(idle, reason=EndReason.IDLE)
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return ended
