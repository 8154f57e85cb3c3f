"""One's own credentials: password change and the second factor (TOTP)."""

from __future__ import annotations

from django.contrib.auth import password_validation, update_session_auth_hash
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicflow.accounts import messages
from clinicflow.accounts.lockout import report_failed_password
from clinicflow.accounts.models import User
from clinicflow.accounts.services.sessions import (
    EndReason,
    end_user_sessions,
    rekey_session,
)
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError, field_errors
from clinicflow.core.models import AuditAction


def validate_new_password(password: str, user: User, *, field: str = "password") -> None:
    """Django's password validators, as a ``DomainError`` naming the form field."""
    with field_errors(field):
        password_validation.validate_password(password, user)


def _confirm_own_password(
    request: HttpRequest | None, user: User, password: str, field: str
) -> None:
    """The signed-in person proves it is them. A wrong password is audited and counts towards
    the lockout, outside any transaction so that the record survives the refusal."""
    if not user.check_password(password):
        report_failed_password(request, user.username)
        raise DomainError(_("Your password was entered incorrectly."), field=field)


def change_password(
    *, request: HttpRequest, user: User, old_password: str, new_password: str
) -> User:
    """Change one's own password. This session stays signed in; every other one ends.
    Errors: ``DomainError`` for a wrong old password or a weak new one."""
    _confirm_own_password(request, user, old_password, "old_password")
    if old_password == new_password:
        raise DomainError(
            _("Choose a password different from the current one."), field="new_password"
        )
    validate_new_password(new_password, user, field="new_password")
    return _set_own_password(request, user, new_password)


@transaction.atomic
def _set_own_password(request: HttpRequest, user: User, new_password: str) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    this_session = request.session.session_key
    end_user_sessions(user, reason=EndReason.PASSWORD_CHANGED, except_key=this_session)
    # Django gives this session a new key (the old one may have leaked with the password).
    update_session_auth_hash(request, user)
    rekey_session(this_session, request.session.session_key)
    record(AuditAction.PASSWORD_CHANGED, obj=user)
    messages.password_changed(user, "by you, signed in")
    return user


@transaction.atomic
def password_was_reset(user: User) -> None:
    """After a reset by e-mail link: every session of the account ends."""
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
    end_user_sessions(user, reason=EndReason.PASSWORD_RESET)
    record(AuditAction.PASSWORD_RESET, obj=user, changes={"by": "e-mail link"})
    messages.password_changed(user, "by a reset link sent by e-mail")


def start_totp_enrolment(user: User) -> TOTPDevice:
    """A fresh, unconfirmed authenticator secret to show as a QR code. Refused while an app is
    set up: replacing it goes through removal, which asks for the password."""
    if confirmed_device(user) is not None:
        raise DomainError(_("An authenticator app is already set up. Remove it first."))
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def confirm_totp(*, user: User, token: str) -> TOTPDevice:
    """Confirm enrolment with a code from the app. Errors: ``DomainError`` for a wrong code."""
    device = pending_device(user)
    if device is None:
        raise DomainError(_("Start again: scan a new code."), field="token")
    if not device.verify_token(token.strip().replace(" ", "")):
        raise DomainError(_("That code is not right. Check the time on your phone."), field="token")
    if confirmed_device(user) is not None:
        raise DomainError(_("An authenticator app is already set up. Remove it first."))
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record(AuditAction.TWO_FACTOR_ENABLED, obj=user)
    return device


def remove_totp(*, request: HttpRequest | None, user: User, password: str) -> None:
    """Remove one's own second factor, after confirming one's password."""
    _confirm_own_password(request, user, password, "password")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        record(AuditAction.TWO_FACTOR_REMOVED, obj=user, changes={"by": "self"})


def pending_device(user: User) -> TOTPDevice | None:
    """The enrolment started but not yet confirmed, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()
