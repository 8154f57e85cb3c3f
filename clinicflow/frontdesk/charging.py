"""What the front desk tells billing: a visit's consultation is charged when the patient is
checked in (where the clinic charges at check-in), and voided, while unbilled, when the visit
is cancelled or the patient leaves unseen."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from clinicflow.billing import charges
from clinicflow.billing.models import ConsultationChargedAt
from clinicflow.frontdesk.models import QueueEntry, QueueStatus

ENDED_UNSEEN = (QueueStatus.CANCELLED, QueueStatus.LEFT)


def entry_saved(
    sender: Any, instance: QueueEntry, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if raw or instance.patient_id is None:
        return
    if update_fields is not None and not {"status", "patient", "practitioner"} & set(update_fields):
        return
    clinic = instance.clinic
    if instance.status in ENDED_UNSEEN:
        reason = instance.status_reason or str(QueueStatus(instance.status).label)
        charges.void_source(
            clinic=clinic, source=charges.CONSULTATION.key, source_id=instance.pk, reason=reason
        )
        return
    practitioner = instance.practitioner
    if practitioner is None:
        return
    charges.charge_consultation(
        clinic=clinic,
        moment=ConsultationChargedAt.CHECK_IN,
        patient_id=instance.patient_id,
        visit_id=instance.pk,
        practitioner_id=practitioner.pk,
        follow_up_days=practitioner.follow_up_days,
        performer=practitioner.user_id,
        by=instance.checked_in_by_id or practitioner.user_id,
        appointment_id=instance.appointment_id,
    )


def register() -> None:
    post_save.connect(entry_saved, sender=QueueEntry, dispatch_uid="billing.check_in")
