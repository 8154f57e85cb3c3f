"""Sign-in sessions: started at login, kept alive by activity, ended by sign-out, by the person
on their sessions page, by timeouts, deactivation or a password change."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clinicflow.accounts.models import User, UserSession
from clinicflow.core.audit.context import client_ip
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError
from clinicflow.core.models import AuditAction, Clinic

#: How stale ``last_seen_at`` may get before a request refreshes it (one write a minute at most).
TOUCH_INTERVAL = timedelta(seconds=60)

#: How long a live session's record may be served from the cache. Every change made here
#: (start, touch, end, sign-out, new key) and every ``save()``/``delete()`` of a record drops
#: its entry at once (and again at commit); a bulk ``update()`` elsewhere counts within this.
#: Ending a session also deletes it from the session store, which no cache keeps, so an ended
#: session is refused on its next request whatever this cache holds.
SESSION_CACHE_SECONDS = 60


def _record_key(session_key: str) -> str:
    return f"access:user-session:{session_key}"


def forget_records(*session_keys: str | None) -> None:
    """Drop the cached records of these sessions, now and when the transaction commits (a
    request that read the record before the commit must not leave it behind)."""
    keys = [_record_key(k) for k in session_keys if k]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


class EndReason:
    LOGOUT = "logout"
    ENDED_BY_USER = "ended_by_user"
    IDLE = "idle_timeout"
    EXPIRED = "absolute_lifetime"
    DEACTIVATED = "deactivated"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"


def session_group(session_id: Any) -> str:
    """The channel-layer group of one session's WebSockets (closed when the session ends)."""
    return f"session.{session_id}"


def _session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def start_session(request: HttpRequest, user: User) -> UserSession:
    key = request.session.session_key
    if key is None:
        request.session.save()
        key = request.session.session_key
    session, _ = UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "ip": client_ip(request) or "",
            "user_agent": str(request.META.get("HTTP_USER_AGENT", ""))[:300],
            "created_at": timezone.now(),
            "last_seen_at": timezone.now(),
            "ended_at": None,
            "end_reason": "",
        },
    )
    return session


def idle_timeout_for(clinic: Clinic | None) -> timedelta:
    if clinic is not None and clinic.idle_timeout_minutes:
        return timedelta(minutes=clinic.idle_timeout_minutes)
    return settings.SESSION_IDLE_TIMEOUT


def live_session(user: User, session_key: str | None, *, fresh: bool = False) -> UserSession | None:
    """The live record of this session of ``user``, from the cache unless ``fresh`` (see
    :data:`SESSION_CACHE_SECONDS`), or None once it has ended."""
    if not session_key:
        return None
    key = _record_key(session_key)
    if not fresh:
        cached = cache.get(key)
        if isinstance(cached, UserSession) and cached.user_id == user.pk and cached.is_live:
            return cached
    session = UserSession.objects.filter(
        user=user, session_key=session_key, ended_at__isnull=True
    ).first()
    if session is not None:
        cache.set(key, session, timeout=SESSION_CACHE_SECONDS)
    return session


def expiry_reason(session: UserSession, clinic: Clinic | None) -> str | None:
    """Why this session must end now, or None while it is still good."""
    now = timezone.now()
    if now - session.created_at > settings.SESSION_ABSOLUTE_LIFETIME:
        return EndReason.EXPIRED
    if now - session.last_seen_at > idle_timeout_for(clinic):
        return EndReason.IDLE
    return None


def touch(session: UserSession) -> None:
    now = timezone.now()
    if now - session.last_seen_at >= TOUCH_INTERVAL:
        UserSession.objects.filter(pk=session.pk).update(last_seen_at=now)
        session.last_seen_at = now
        cache.set(_record_key(session.session_key), session, timeout=SESSION_CACHE_SECONDS)


def _close_sockets(session_ids: list[Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for session_id in session_ids:
        async_to_sync(layer.group_send)(session_group(session_id), {"type": "session.ended"})


def end_sessions(sessions: list[UserSession], *, reason: str, audited: bool = True) -> int:
    """End these sessions: the server forgets them and their open WebSockets close."""
    if not sessions:
        return 0
    store = _session_store()
    now = timezone.now()
    for session in sessions:
        store(session_key=session.session_key).delete()
    ids = [s.pk for s in sessions]
    UserSession.objects.filter(pk__in=ids).update(ended_at=now, end_reason=reason)
    forget_records(*(s.session_key for s in sessions))
    if audited:
        for session in sessions:
            record(
                AuditAction.SESSION_ENDED,
                obj=session.user,
                changes={"session": str(session.pk), "reason": reason, "device": session.device},
            )
    transaction.on_commit(lambda: _close_sockets(ids))
    return len(sessions)


def end_user_sessions(user: User, *, reason: str, except_key: str | None = None) -> int:
    sessions = UserSession.objects.filter(user=user, ended_at__isnull=True)
    if except_key:
        sessions = sessions.exclude(session_key=except_key)
    return end_sessions(list(sessions.select_related("user")), reason=reason)


def end_own_session(*, user: User, session_id: Any) -> UserSession:
    """The person ends one of their own sessions (another device, or this one)."""
    session = (
        UserSession.objects.filter(user=user, pk=session_id, ended_at__isnull=True)
        .select_related("user")
        .first()
    )
    if session is None:
        raise DomainError("That session has already ended.")
    end_sessions([session], reason=EndReason.ENDED_BY_USER)
    return session


def rekey_session(old_key: str | None, new_key: str | None) -> None:
    """The session store gave a live session a new key: the session record follows it."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key, ended_at__isnull=True).update(
            session_key=new_key
        )
        forget_records(old_key, new_key)


def mark_ended(session_key: str | None, *, reason: str) -> bool:
    """The session is leaving the store (sign-out): mark its record ended. False when it had
    already ended (a timeout or a revoke got there first)."""
    if not session_key:
        return False
    forget_records(session_key)
    updated = UserSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=reason
    )
    return updated > 0
