"""Every sign-in, sign-out and failure passes through Django's auth signals, whichever view or
client caused it (our login page, the test client, the admin): this is the one place that
starts and ends the session record and audits them. Saving or deleting a membership, a user or
a clinic drops the cached access (and cached account) of the people concerned, and saving or
deleting a session record drops its cached copy, whichever code made the change."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest

from clinicflow.accounts import messages
from clinicflow.accounts.actors import access_changed
from clinicflow.accounts.backends import find_account
from clinicflow.accounts.models import Membership, User, UserSession
from clinicflow.accounts.services.sessions import (
    EndReason,
    forget_records,
    mark_ended,
    start_session,
)
from clinicflow.core.audit.recorder import record
from clinicflow.core.models import AuditAction, Clinic


def _home_clinic_id(user: User | None) -> Any:
    """The clinic whose audit trail a sign-in event of this person belongs in."""
    if user is None:
        return None
    membership = (
        Membership.objects.filter(user=user, is_active=True, clinic__isnull=False)
        .order_by("created_at")
        .first()
    )
    return membership.clinic_id if membership else None


def on_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    session = start_session(request, user)
    with transaction.atomic():
        messages.signed_in(session)  # a new device: the person is told
    record(
        AuditAction.LOGIN,
        obj=user,
        actor=user,
        clinic_id=_home_clinic_id(user),
        changes={"session": str(session.pk), "device": session.device},
    )


def on_logged_out(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if request is None:
        return
    # Django signals before it flushes the session, so the key is still the one ending.
    was_live = mark_ended(request.session.session_key, reason=EndReason.LOGOUT)
    if user is not None and was_live:
        record(AuditAction.LOGOUT, obj=user, actor=user, clinic_id=_home_clinic_id(user))


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    typed = str(credentials.get("username") or "")[:150]
    record_failed_sign_in(find_account(typed))


def record_failed_sign_in(user: User | None) -> None:
    """A failed sign-in in the audit trail (a wrong password, or a wrong one-time code); for
    a name that matches no account, nothing typed is kept: it may be a password typed into
    the wrong box."""
    record(
        AuditAction.LOGIN_FAILED,
        obj=user,
        object_type="" if user else "accounts.user",
        object_repr="" if user else "no such account",
        actor_label=user.username if user else "",
        clinic_id=_home_clinic_id(user),
    )


def on_locked_out(
    sender: Any, request: HttpRequest | None, username: str | None, **kwargs: Any
) -> None:
    user = find_account(username or "")
    record(
        AuditAction.LOCKOUT,
        obj=user,
        object_type="" if user else "accounts.user",
        object_repr="" if user else (username or ""),
        actor_label=username or "",
        clinic_id=_home_clinic_id(user),
    )


def on_membership_changed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    access_changed(user_id=instance.user_id)


def on_user_changed(sender: Any, instance: User, **kwargs: Any) -> None:
    access_changed(user_id=instance.pk)


def on_clinic_changed(sender: Any, instance: Clinic, **kwargs: Any) -> None:
    access_changed(clinics=True)


def on_session_record_changed(sender: Any, instance: UserSession, **kwargs: Any) -> None:
    forget_records(instance.session_key)


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(on_membership_changed, sender=Membership, dispatch_uid="cf.access.m")
        signal.connect(on_user_changed, sender=User, dispatch_uid="cf.access.u")
        signal.connect(on_clinic_changed, sender=Clinic, dispatch_uid="cf.access.c")
        signal.connect(on_session_record_changed, sender=UserSession, dispatch_uid="cf.access.s")
    user_logged_in.connect(on_logged_in, dispatch_uid="clinicflow.accounts.logged_in")
    user_logged_out.connect(on_logged_out, dispatch_uid="clinicflow.accounts.logged_out")
    user_login_failed.connect(on_login_failed, dispatch_uid="clinicflow.accounts.login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="clinicflow.accounts.locked_out")
