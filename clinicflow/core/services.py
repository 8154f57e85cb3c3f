"""Writes on clinics: creating one, its settings, and moving a person between clinics."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from clinicflow.accounts.actors import SESSION_CLINIC_KEY
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError, field_errors
from clinicflow.core.models import AuditAction, Clinic

SETTINGS_FIELDS = (
    "name",
    "address",
    "phone",
    "email",
    "timezone",
    "country",
    "language",
    "idle_timeout_minutes",
    "require_two_factor_for_managers",
)


@transaction.atomic
def create_clinic(*, code: str, name: str, **fields: Any) -> Clinic:
    """A new clinic (platform admin, commands). Errors: ``DomainError`` naming the field."""
    clinic = Clinic(code=code.strip().upper(), name=name.strip(), **fields)
    with field_errors():
        clinic.full_clean()
    clinic.save()
    return clinic


@transaction.atomic
def update_clinic_settings(*, actor: Actor, changes: dict[str, Any]) -> Clinic:
    """A manager edits their clinic's details and security settings (not its code, currency
    or staff limits, which belong to the platform admin). Errors: ``DomainError``."""
    if actor.clinic is None or not policy.allows(actor, "clinic.settings"):
        raise DomainError(_("You may not change this clinic's settings."), code="forbidden")
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise DomainError(
            _("These settings cannot be changed here: %s") % ", ".join(sorted(unknown))
        )
    # No key changes: the clinic's other writers (every row they add names the clinic) go on.
    clinic = Clinic.objects.select_for_update(no_key=True).get(pk=actor.clinic.pk)
    for name, value in changes.items():
        setattr(clinic, name, value)
    with field_errors():
        clinic.full_clean()
    clinic.save()
    return clinic


def switch_clinic(*, request: HttpRequest, actor: Actor, clinic_id: str) -> Clinic:
    """Work in another of one's clinics from now on. Errors: ``DomainError`` for a clinic the
    person does not work in (the same answer as for one that does not exist)."""
    clinic = next((c for c in actor.clinics if str(c.pk) == str(clinic_id)), None)
    if clinic is None:
        raise DomainError(_("You do not work in that clinic."), field="clinic")
    request.session[SESSION_CLINIC_KEY] = str(clinic.pk)
    record(AuditAction.CLINIC_SWITCHED, obj=clinic, clinic_id=clinic.pk)
    return clinic
