"""A duplicate patient merged into the surviving record: the messages sent to the duplicate
and its consent history move with it; its preferences too, unless the survivor has its own,
in which case a STOP on the duplicate still holds for the survivor (an opt-out is never lost
by a merge)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from clinicflow.notifications.inbound import set_sms_consent
from clinicflow.notifications.models import ConsentChange, Message, PatientPreference
from clinicflow.notifications.models.preferences import ConsentSource


def move_messages(duplicate: Any, survivor: Any) -> int:
    moved = 0
    for model in (Message, ConsentChange):
        moved += (
            model.objects.for_clinic(duplicate.clinic)
            .filter(patient=duplicate)
            .update(patient=survivor)
        )
    theirs = (
        PatientPreference.objects.for_clinic(duplicate.clinic).filter(patient=duplicate).first()
    )
    if theirs is None:
        return moved
    if not PatientPreference.objects.for_clinic(survivor.clinic).filter(patient=survivor).exists():
        theirs.patient = survivor
        theirs.save(update_fields=["patient", "updated_at"])
        return moved + 1
    if theirs.sms_opted_out_at is not None:
        set_sms_consent(
            survivor,
            opted_in=False,
            source=ConsentSource.DESK,
            evidence=f"Opted out as {duplicate.mrn}, merged into this record",
            now=timezone.now(),
        )
    return moved
