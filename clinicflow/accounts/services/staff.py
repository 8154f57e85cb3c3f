"""A manager's work on the clinic's staff: create, edit, activate, deactivate, reset.

Every function here acts in ``actor.clinic``, checks the policy for the target person, takes a
lock on the clinic row before counting staff (so two managers adding the last allowed doctor at
the same moment cannot both succeed), and writes in one transaction. Changes to users and
memberships are audited field by field by the audit recorder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicflow.accounts.forms import AccountPasswordResetForm
from clinicflow.accounts.lockout import clear_lockout
from clinicflow.accounts.models import Membership, StaffLimit, User
from clinicflow.accounts.services.credentials import validate_new_password
from clinicflow.accounts.services.sessions import EndReason, end_user_sessions
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError, LimitReached, field_errors
from clinicflow.core.models import AuditAction, Clinic
from clinicflow.core.roles import STAFF_ROLES, Role


@dataclass(frozen=True)
class StaffDetails:
    first_name: str
    last_name: str = ""
    email: str = ""
    phone: str = ""
    job_title: str = ""


def _require(actor: Actor, action: str, target: User | None = None) -> Clinic:
    clinic = actor.clinic
    if clinic is None or not policy.allows(actor, action):
        raise DomainError(_("You may not manage staff here."), code="forbidden")
    if target is not None and not policy.allows_object(actor, action, target):
        raise DomainError(_("You may not manage this person."), code="forbidden")
    return clinic


def _check_roles(actor: Actor, roles: Iterable[Role]) -> set[Role]:
    chosen = {Role(r) for r in roles}
    if not chosen:
        raise DomainError(_("Choose at least one role."), field="roles")
    if not chosen <= STAFF_ROLES:
        raise DomainError(_("Only staff roles can be given here."), field="roles")
    if Role.MANAGER in chosen and not policy.allows(actor, "staff.manage_managers"):
        raise DomainError(_("Only the platform admin can give the manager role."), field="roles")
    return chosen


def _lock_clinic(clinic: Clinic) -> Clinic:
    """Serialise staff changes of one clinic (a row lock on PostgreSQL; on SQLite every
    transaction already begins IMMEDIATE)."""
    return Clinic.objects.select_for_update().get(pk=clinic.pk)


def active_staff_count(clinic: Clinic, role: Role) -> int:
    return Membership.objects.filter(
        clinic=clinic, role=role, is_active=True, user__is_active=True
    ).count()


def _check_limit(clinic: Clinic, role: Role, *, adding: User | None = None) -> None:
    limit = StaffLimit.objects.for_clinic(clinic).filter(role=role).first()
    if limit is None:
        return
    current = Membership.objects.filter(
        clinic=clinic, role=role, is_active=True, user__is_active=True
    )
    if adding is not None and adding.pk:
        current = current.exclude(user=adding)
    if current.count() >= limit.max_active:
        raise LimitReached(
            _("%(clinic)s already has its %(limit)d active %(role)s allowed.")
            % {"clinic": clinic.name, "limit": limit.max_active, "role": Role(role).label.lower()},
            field="roles",
        )


def _check_unique(username: str, email: str, *, exclude: User | None = None) -> None:
    others = User.objects.exclude(pk=exclude.pk) if exclude else User.objects.all()
    if username and others.filter(username=username).exists():
        raise DomainError(_("This username is taken."), field="username")
    if email and others.filter(email__iexact=email).exists():
        raise DomainError(_("Another account already uses this e-mail."), field="email")


def _apply_details(user: User, details: StaffDetails) -> None:
    user.first_name = details.first_name.strip()
    user.last_name = details.last_name.strip()
    user.email = details.email.strip().lower()
    user.phone = details.phone.strip()
    user.job_title = details.job_title.strip()
    if not user.first_name:
        raise DomainError(_("A first name is needed."), field="first_name")


def _grant(user: User, clinic: Clinic, role: Role) -> None:
    _check_limit(clinic, role, adding=user)
    membership, created = Membership.objects.get_or_create(
        user=user, clinic=clinic, role=role, defaults={"is_active": True}
    )
    if not created and not membership.is_active:
        membership.is_active = True
        membership.status_reason = ""
        membership.save(update_fields=["is_active", "status_reason"])


def send_password_setup(user: User, request: HttpRequest | None) -> None:
    """E-mail the person a link to choose their own password (same mail as "forgot password")."""
    if not user.email:
        raise DomainError(_("This person has no e-mail address."), field="email")
    form = AccountPasswordResetForm(data={"email": user.email})
    form.is_valid()
    form.save(
        request=request,
        use_https=bool(request and request.is_secure()),
        email_template_name="accounts/email/password_reset.txt",
        subject_template_name="accounts/email/password_reset_subject.txt",
    )


@transaction.atomic
def create_staff(
    *,
    actor: Actor,
    username: str,
    details: StaffDetails,
    roles: Iterable[Role],
    password: str = "",
    request: HttpRequest | None = None,
) -> User:
    """Add a new person to the actor's clinic with these roles.

    Rules: staff roles only, the manager role only from the platform admin; each role within
    the clinic's staff limit; username and e-mail unused. With a password, it is temporary
    (changed at first sign-in); without one, the person gets an e-mail to set their own.
    Errors: ``DomainError`` naming the field, ``LimitReached`` when a role is full.
    """
    clinic = _lock_clinic(_require(actor, "staff.manage"))
    chosen = _check_roles(actor, roles)
    username = username.strip().lower()
    if not username:
        raise DomainError(_("A username is needed."), field="username")
    if "@" in username:
        # Sign-in reads anything with an @ as an e-mail address.
        raise DomainError(_("A username cannot contain @."), field="username")
    _check_unique(username, details.email.strip().lower())

    user = User(username=username)
    _apply_details(user, details)
    with field_errors():
        user.full_clean(exclude=["password"], validate_unique=False)
    if password:
        validate_new_password(password, user)
        user.set_password(password)
        user.must_change_password = True
    elif user.email:
        user.set_unusable_password()
    else:
        raise DomainError(
            _("Give a temporary password, or an e-mail address to send a set-password link to."),
            field="password",
        )
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # another manager took the name or e-mail a moment ago
        raise DomainError(_("This username or e-mail is taken."), field="username") from None
    for role in sorted(chosen):
        _grant(user, clinic, role)
    if not password:
        transaction.on_commit(lambda: send_password_setup(user, request))
    return user


@transaction.atomic
def update_staff(*, actor: Actor, user: User, details: StaffDetails, roles: Iterable[Role]) -> User:
    """Edit a person's details and their roles in the actor's clinic.

    Roles taken away are deactivated (kept, with the reason), roles given are checked against
    the staff limits. A manager cannot change their own roles. Errors: ``DomainError``.
    """
    clinic = _lock_clinic(_require(actor, "staff.manage", user))
    chosen = _check_roles(actor, roles)
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_unique(user.username, details.email.strip().lower(), exclude=user)
    _apply_details(user, details)
    user.save()

    # Only staff roles are edited here: a nurse who is also a patient stays a patient.
    current = {
        Role(m.role): m
        for m in Membership.objects.filter(
            user=user, clinic=clinic, is_active=True, role__in=STAFF_ROLES
        )
    }
    if user.pk == actor.user.pk and set(current) != chosen:
        raise DomainError(_("You cannot change your own roles."), field="roles")
    for role, membership in current.items():
        if role not in chosen:
            if role == Role.MANAGER and not policy.allows(actor, "staff.manage_managers"):
                raise DomainError(_("Only the platform admin can take the manager role away."))
            membership.is_active = False
            membership.status_reason = _("Role removed")
            membership.save(update_fields=["is_active", "status_reason"])
    for role in sorted(chosen - set(current)):
        _grant(user, clinic, role)
    return user


@transaction.atomic
def deactivate_staff(*, actor: Actor, user: User, reason: str) -> User:
    """Take a person off the clinic's staff: their roles here end, and if they work nowhere
    else their account is switched off. All their sessions end at once.
    Errors: ``DomainError`` (no reason, oneself, already inactive)."""
    clinic = _lock_clinic(_require(actor, "staff.manage", user))
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why this person is being deactivated."), field="reason")
    if user.pk == actor.user.pk:
        raise DomainError(_("You cannot deactivate yourself."))
    # The user row first, then the memberships: every service locks in this order.
    user = User.objects.select_for_update().get(pk=user.pk)
    memberships = list(
        Membership.objects.select_for_update().filter(user=user, clinic=clinic, is_active=True)
    )
    if not memberships:
        raise DomainError(_("This person is already inactive here."))
    for membership in memberships:
        membership.is_active = False
        membership.status_reason = reason[:200]
        membership.save(update_fields=["is_active", "status_reason"])
    if not Membership.objects.filter(user=user, is_active=True).exists():
        user.is_active = False
        user.save(update_fields=["is_active"])
    end_user_sessions(user, reason=EndReason.DEACTIVATED)
    return user


@transaction.atomic
def activate_staff(*, actor: Actor, user: User) -> User:
    """Bring a person back on the clinic's staff with the roles they last held here, within
    the staff limits. Errors: ``LimitReached``, ``DomainError``."""
    clinic = _lock_clinic(_require(actor, "staff.manage", user))
    user = User.objects.select_for_update().get(pk=user.pk)
    memberships = list(
        Membership.objects.select_for_update().filter(user=user, clinic=clinic, is_active=False)
    )
    if not memberships:
        raise DomainError(_("This person is already active here."))
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    for membership in memberships:
        _check_limit(clinic, Role(membership.role), adding=user)
        membership.is_active = True
        membership.status_reason = ""
        membership.save(update_fields=["is_active", "status_reason"])
    return user


@transaction.atomic
def set_temporary_password(*, actor: Actor, user: User, password: str) -> User:
    """A manager gives a person a temporary password (changed at their next sign-in); the
    person's sessions end. Errors: ``DomainError`` when the password is too weak."""
    _require(actor, "staff.manage", user)
    user = User.objects.select_for_update().get(pk=user.pk)
    validate_new_password(password, user)
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    end_user_sessions(user, reason=EndReason.PASSWORD_RESET)
    record(AuditAction.PASSWORD_RESET, obj=user, changes={"by": "manager", "temporary": True})
    return user


def email_password_reset(*, actor: Actor, user: User, request: HttpRequest | None) -> None:
    """A manager sends the person a reset link instead of choosing a password for them."""
    _require(actor, "staff.manage", user)
    send_password_setup(user, request)
    record(AuditAction.PASSWORD_RESET_REQUESTED, obj=user, changes={"by": "manager"})


@transaction.atomic
def unlock_account(*, actor: Actor, user: User) -> int:
    """Lift a lockout after too many failed sign-ins."""
    _require(actor, "staff.manage", user)
    cleared = clear_lockout(user.username)
    record(AuditAction.UNLOCK, obj=user, changes={"attempts_cleared": cleared})
    return cleared


@transaction.atomic
def reset_two_factor(*, actor: Actor, user: User) -> int:
    """Remove a person's second factor (a lost phone); they enrol again at next sign-in if
    their role requires one."""
    _require(actor, "staff.manage", user)
    removed, _details = TOTPDevice.objects.filter(user=user).delete()
    record(AuditAction.TWO_FACTOR_REMOVED, obj=user, changes={"by": "manager"})
    return int(removed)
