"""One's own name and contact details. A patient's account changes only its name here: its
mobile number and e-mail are how it signs in and is sent codes, so they change in the portal,
once a code sent to the new one comes back (``portal.contact``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clinicflow.accounts.models import User
from clinicflow.accounts.selectors import holds_staff_role
from clinicflow.core.errors import DomainError, field_errors

PROFILE_FIELDS = ("first_name", "last_name", "email", "phone")
NAME_FIELDS = ("first_name", "last_name")


def profile_fields(user: User) -> tuple[str, ...]:
    """What ``user`` may change of their own account here: staff their name and contact,
    anyone else (a patient's account) their name only."""
    return PROFILE_FIELDS if holds_staff_role(user) else NAME_FIELDS


@transaction.atomic
def update_profile(*, user: User, changes: dict[str, Any]) -> User:
    """Edit one's own profile. Errors: ``DomainError`` naming the field (an e-mail used by
    another account, a missing first name)."""
    unknown = set(changes) - set(profile_fields(user))
    if unknown:
        raise DomainError(_("These fields cannot be changed here: %s") % ", ".join(sorted(unknown)))
    user = User.objects.select_for_update().get(pk=user.pk)
    for name, value in changes.items():
        setattr(user, name, value.strip() if isinstance(value, str) else value)
    user.email = user.email.lower()
    if user.email and User.objects.exclude(pk=user.pk).filter(email__iexact=user.email).exists():
        raise DomainError(_("Another account already uses this e-mail."), field="email")
    with field_errors():
        user.full_clean(exclude=["password"], validate_unique=False)
    user.save()
    return user
