"""Setting up a platform from the command line: the first admin, a clinic's first people,
the demo. These run as the system (no signed-in actor), inside an audit context that names
the command; staff pages use ``staff`` services instead."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicflow.accounts.lockout import clear_lockout
from clinicflow.accounts.models import Membership, User
from clinicflow.accounts.services.credentials import validate_new_password
from clinicflow.core.errors import DomainError
from clinicflow.core.models import Clinic
from clinicflow.core.roles import Role


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str = ""
    email: str = ""
    job_title: str = ""


@transaction.atomic
def provision_user(person: Person, *, password: str, restore: bool = False) -> User:
    """The account for ``person``, created if missing. With ``restore``, an existing account is
    brought back to this state: details, password, active, no lockout, no second factor."""
    user = User.objects.select_for_update().filter(username=person.username.lower()).first()
    if user is not None and not restore:
        return user
    if user is None:
        user = User(username=person.username.lower())
    user.first_name = person.first_name
    user.last_name = person.last_name
    user.email = person.email.lower()
    user.job_title = person.job_title
    user.is_active = True
    user.must_change_password = False
    validate_new_password(password, user)
    user.set_password(password)
    user.save()
    if restore:
        clear_lockout(user.username)
        TOTPDevice.objects.filter(user=user).delete()
    return user


@transaction.atomic
def provision_role(user: User, role: Role, clinic: Clinic | None = None) -> Membership:
    """``user`` holds ``role`` (in ``clinic``; the admin role in none), active."""
    if (role == Role.ADMIN) != (clinic is None):
        raise DomainError(_("The admin role belongs to no clinic; every other role to one."))
    membership, _created = Membership.objects.get_or_create(
        user=user, clinic=clinic, role=role, defaults={"is_active": True}
    )
    if not membership.is_active:
        membership.is_active = True
        membership.status_reason = ""
        membership.save(update_fields=["is_active", "status_reason"])
    return membership
