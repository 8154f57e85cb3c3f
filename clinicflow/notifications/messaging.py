"""The clinic's messaging settings, as its manager changes them (``MessagingSettings``)."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import DomainError
from clinicflow.notifications.models import MessagingSettings
from clinicflow.notifications.models.preferences import Language

#: A week: the earliest a reminder may go.
LONGEST_LEAD_HOURS = 168


def settings_of(clinic: Any) -> MessagingSettings:
    """The clinic's settings, or the defaults (unsaved) while nobody has changed them."""
    return MessagingSettings.objects.for_clinic(clinic).first() or MessagingSettings(clinic=clinic)


def language_for(chosen: str | None, clinic_language: str | None = None) -> str:
    """The one rule of which language a person is written to in: their own choice, else the
    clinic's language for patients (staff have none), else English. A choice we no longer
    write in counts as none (a stale value must not leave a message without a text)."""
    for language in (chosen, clinic_language):
        if language and language in Language.values:
            return language
    return str(Language.ENGLISH)


def language_of(patient: Any) -> str:
    """The language a patient reads our messages in (``language_for``), for one patient; the
    routing of a batch asks the same rule with the rows it has already read."""
    from clinicflow.notifications.models import PatientPreference

    chosen = (
        PatientPreference.objects.for_clinic(patient.clinic)
        .filter(patient=patient)
        .values_list("language", flat=True)
        .first()
    )
    return language_for(chosen, settings_of(patient.clinic).language)


@transaction.atomic
def update_settings(
    *,
    actor: Actor,
    first_reminder_hours: int,
    second_reminder_hours: int,
    quiet_from: time,
    quiet_until: time,
    language: str,
) -> MessagingSettings:
    """Change when reminders go and the quiet hours. Errors: ``DomainError`` at the field."""
    clinic = policy.require(actor, "notifications.manage")
    if not 1 <= first_reminder_hours <= LONGEST_LEAD_HOURS:
        raise DomainError(
            _("Send the first reminder 1 to %d hours before.") % LONGEST_LEAD_HOURS,
            field="first_reminder_hours",
        )
    if not 0 <= second_reminder_hours < first_reminder_hours:
        raise DomainError(
            _("The second reminder goes after the first: fewer hours before (0 for none)."),
            field="second_reminder_hours",
        )
    if language not in Language.values:
        raise DomainError(_("Choose a language."), field="language")
    rules, _created = (
        MessagingSettings.objects.for_clinic(clinic)
        .select_for_update()
        .get_or_create(clinic=clinic)
    )
    rules.first_reminder_hours = first_reminder_hours
    rules.second_reminder_hours = second_reminder_hours
    rules.quiet_from = quiet_from
    rules.quiet_until = quiet_until
    rules.language = language
    rules.save()
    return rules
