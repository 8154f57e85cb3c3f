"""What the consultation tells billing: when it starts, its visit is charged, if the clinic
charges then, or if check-in could not (the walk-in had no doctor yet). The visit is the
source either way, so it is never charged twice."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from clinicflow.billing import charges
from clinicflow.billing.models import ConsultationChargedAt
from clinicflow.clinical.models import Encounter


def visit_of(encounter: Encounter) -> str:
    return str(encounter.entry_id) if encounter.entry_id else f"encounter-{encounter.pk}"


def appointment_of(encounter: Encounter) -> Any:
    """The appointment the consultation is of, directly or through its queue visit."""
    if encounter.appointment_id is not None:
        return encounter.appointment_id
    entry = encounter.entry if encounter.entry_id else None
    return entry.appointment_id if entry is not None else None


def encounter_saved(
    sender: Any, instance: Encounter, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    if raw or not created:
        return
    practitioner = instance.practitioner
    charges.charge_consultation(
        clinic=instance.clinic,
        moment=ConsultationChargedAt.START,
        patient_id=instance.patient_id,
        visit_id=visit_of(instance),
        practitioner_id=practitioner.pk,
        follow_up_days=practitioner.follow_up_days,
        performer=practitioner.user_id,
        by=practitioner.user_id,
        appointment_id=appointment_of(instance),
    )


def register() -> None:
    post_save.connect(encounter_saved, sender=Encounter, dispatch_uid="billing.consultation")
