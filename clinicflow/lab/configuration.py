"""The clinic's lab settings, as the lab's manager changes them: whether critical values are
alerted as soon as they are entered (or at verification), and after how many unacknowledged
minutes an alert escalates to the manager on duty."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import DomainError
from clinicflow.lab.models import LabSettings

#: A day: an alert left longer than that has not been escalated, it has been forgotten.
LONGEST_ESCALATION = 24 * 60


def settings_of(clinic: Any) -> LabSettings:
    """The clinic's settings, or the defaults (unsaved) while nobody has changed them."""
    return LabSettings.objects.for_clinic(clinic).first() or LabSettings(clinic=clinic)


@transaction.atomic
def update_settings(
    *, actor: Actor, alert_on_entry: bool, escalate_after_minutes: int
) -> LabSettings:
    """Change the lab's alerting. Errors: ``DomainError`` at ``escalate_after_minutes``
    outside 1 minute to a day."""
    clinic = policy.require(actor, "lab.catalogue.manage")
    if not 1 <= escalate_after_minutes <= LONGEST_ESCALATION:
        raise DomainError(
            _("Escalate after 1 to %d minutes.") % LONGEST_ESCALATION,
            field="escalate_after_minutes",
        )
    rules, _created = (
        LabSettings.objects.for_clinic(clinic).select_for_update().get_or_create(clinic=clinic)
    )
    rules.alert_on_entry = alert_on_entry
    rules.escalate_after_minutes = escalate_after_minutes
    rules.save()
    return rules
