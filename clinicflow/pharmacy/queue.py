"""The pending prescriptions: issued by the doctors, waiting for the pharmacy."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from clinicflow.clinical.models import (
    ItemStatus,
    Prescription,
    PrescriptionItem,
    PrescriptionStatus,
)

#: Prescriptions the pharmacy still has to act on.
PENDING = (PrescriptionStatus.ISSUED, PrescriptionStatus.PARTIALLY_DISPENSED)


def pending(clinic: Any) -> QuerySet[Prescription]:
    """Oldest first, with their active items (two queries)."""
    return (
        Prescription.objects.for_clinic(clinic)
        .filter(status__in=PENDING)
        .select_related("patient", "prescriber__user")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=PrescriptionItem.objects.for_clinic(clinic).filter(
                    status=ItemStatus.ACTIVE
                ),
                to_attr="active_items",
            )
        )
        .order_by("issued_at")
    )
