"""Who is asking and whether their session is still good."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.services.sessions import (
    EndReason,
    end_sessions,
    expiry_reason,
    live_session,
    touch,
)
from clinicflow.core.actor import Actor

_MESSAGES = {
    EndReason.IDLE: _("You were signed out after a period without activity."),
    EndReason.EXPIRED: _("Your session reached its maximum length. Please sign in again."),
}


class ActorMiddleware:
    """Sets ``request.actor`` and ``request.clinic`` and shows times in the clinic's zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        actor = actor_for(request.user, request.session)
        request.actor = actor  # type: ignore[attr-defined]
        request.clinic = actor.clinic  # type: ignore[attr-defined]
        if actor.clinic is not None:
            timezone.activate(actor.clinic.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class SessionActivityMiddleware:
    """Ends a session that was ended elsewhere, sat idle too long or lived too long; otherwise
    notes that it is in use."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        actor: Actor = request.actor  # type: ignore[attr-defined]
        key = request.session.session_key
        session = live_session(request.user, key)  # type: ignore[arg-type]
        reason = expiry_reason(session, actor.clinic) if session else "ended"
        if reason is not None and session is not None:
            # The cached record may be a little behind (another process touched it): ending a
            # session is decided on the stored one.
            session = live_session(request.user, key, fresh=True)  # type: ignore[arg-type]
            reason = expiry_reason(session, actor.clinic) if session else "ended"
        if reason is None and session is not None:
            touch(session)
            request.user_session = session  # type: ignore[attr-defined]
            return
        if session is not None and reason is not None:
            end_sessions([session], reason=reason)
        logout(request)
        request.actor = Actor.anonymous()  # type: ignore[attr-defined]
        request.clinic = None  # type: ignore[attr-defined]
        if reason in _MESSAGES:
            messages.info(request, _MESSAGES[reason])
