"""What scheduling tells billing: a doctor's consultation and follow-up fees, kept as priced
services on the clinic's standard list (a new fee is a new price from today; charges made
under the old one keep it)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from clinicflow.billing import charges, prices
from clinicflow.billing.models import ItemKind
from clinicflow.scheduling.models import Practitioner


def keep_fees(practitioner: Practitioner) -> None:
    clinic = practitioner.clinic
    first, follow_up = charges.consultation_codes(practitioner.pk)
    name = practitioner.user.get_full_name() or practitioner.user.get_username()
    department = practitioner.department or practitioner.specialization.name
    on = clinic.local_date()
    for code, label, kind, fee in (
        (first, "Consultation", ItemKind.CONSULTATION, practitioner.consultation_fee),
        (follow_up, "Follow-up", ItemKind.FOLLOW_UP, practitioner.follow_up_fee),
    ):
        prices.keep_item(
            clinic,
            code=code,
            name=f"{label} — Dr {name}"[:160],
            kind=kind,
            amount=fee,
            on=on,
            department=department[:80],
        )


def practitioner_saved(
    sender: Any, instance: Practitioner, raw: bool = False, **kwargs: Any
) -> None:
    if not raw:
        keep_fees(instance)


def register() -> None:
    post_save.connect(practitioner_saved, sender=Practitioner, dispatch_uid="billing.fees")
