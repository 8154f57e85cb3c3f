"""The live pending list: once a prescription's status change commits (a doctor signs, the
pharmacy dispenses all or part of it, or it is cancelled), the clinic's open pending lists
hear which prescription moved and reload. Clinical knows nothing of this: the pharmacy listens
to the prescription being saved."""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction

from clinicflow.clinical.models import Prescription, PrescriptionStatus
from clinicflow.core.live import send_to_group


def pending_group(clinic_id: Any) -> str:
    return f"pharmacy.{clinic_id}"


def announce(prescription: Prescription) -> None:
    """After commit: tell the clinic's pending lists (the prescription's id and status only)."""
    group = pending_group(prescription.clinic_id)
    message = {
        "type": "prescription.changed",
        "prescription": str(prescription.pk),
        "status": prescription.status,
    }
    transaction.on_commit(lambda: send_to_group(group, {**message, "sent_at": time.time()}))


def prescription_saved(
    sender: Any, instance: Prescription, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    """A ``post_save`` receiver: announce a status change of a prescription the pharmacy sees
    (a draft is still the doctor's)."""
    if raw or instance.status == PrescriptionStatus.DRAFT:
        return
    if update_fields is not None and "status" not in update_fields:
        return
    announce(instance)
