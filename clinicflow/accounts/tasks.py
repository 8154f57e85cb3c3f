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
    """End sessions past their absolute lifetime and drop expired ones from the store."""
    threshold = timezone.now() - settings.SESSION_ABSOLUTE_LIFETIME
    stale = list(
        UserSession.objects.filter(ended_at__isnull=True, created_at__lt=threshold).select_related(
            "user"
        )
    )
    ended = end_sessions(stale, reason=EndReason.EXPIRED)
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return ended
