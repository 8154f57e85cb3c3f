"""Adolescents' own access to the portal, a clinic setting (``PortalSettings``).

The rules, in one place:

- Off (the default): a patient under 18 is never the own account of their record. Registering
  online with a birth date under 18 is refused, and so is linking a record of someone under 18
  as one's own (by code or at the desk): a parent or guardian links it as their child's.
- On, from age N (12 to 17, held by the database): from N the patient may register, or have
  their record linked, as their own; under N as when off.
- A guardian who looks after the record keeps seeing it as before when the adolescent has their
  own account (the setting adds the adolescent's access, it takes no one's away); if the
  adolescent asks, reception removes the guardian's link at the desk.
- A record without a birth date is treated as an adult's (nothing to count from).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from clinicflow.core.actor import Actor
from clinicflow.core.errors import DomainError
from clinicflow.portal.clinic_settings import save_settings, settings_row
from clinicflow.portal.models import ADULT_AGE, PortalSettings

SETTINGS = "portal.settings"


def settings_of(clinic: Any) -> PortalSettings:
    """The clinic's portal settings (the defaults until a manager sets them)."""
    return settings_row(PortalSettings, clinic)


def update_settings(*, actor: Actor, **values: Any) -> PortalSettings:
    """A manager sets the clinic's portal settings. Errors: ``DomainError`` at the field."""
    return save_settings(PortalSettings, actor=actor, action=SETTINGS, values=values)


def age_on(birth_date: date, day: date) -> int:
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def check_own_account(clinic: Any, birth_date: date | None, *, field: str | None = None) -> None:
    """Refuse an own account for someone born on ``birth_date``, too young at ``clinic``.
    Errors: ``DomainError`` at ``field``."""
    if birth_date is None:
        return
    from_age = settings_of(clinic).own_account_from_age
    today = timezone.localtime(timezone.now(), clinic.zone).date()
    if age_on(birth_date, today) >= from_age:
        return
    if from_age >= ADULT_AGE:
        message = _(
            "At this clinic, patients under 18 do not hold their own account: a parent or "
            "guardian registers, then adds them as their child."
        )
    else:
        message = _(
            "At this clinic, patients hold their own account from the age of %(age)s: until "
            "then a parent or guardian adds them as their child."
        ) % {"age": from_age}
    raise DomainError(message, field=field, code="too_young")
