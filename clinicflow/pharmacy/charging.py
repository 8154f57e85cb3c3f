"""What the pharmacy tells billing: each dispense is charged at its batch's sale price, and
a return gives back its quantity as a negative charge. Both are the pharmacy's own sales,
which it may bill itself where the clinic lets it take payment."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.urls import reverse

from clinicflow.billing import charges, sources
from clinicflow.pharmacy.models import Dispense, MovementKind, StockMovement


def _links(ids: Any) -> dict[str, str]:
    rows = Dispense.objects.filter(pk__in=[int(i) for i in ids if str(i).isdigit()])
    return {
        str(pk): reverse("pharmacy:dispense", args=[prescription])
        for pk, prescription in rows.values_list("pk", "prescription_id")
    }


DISPENSE = sources.SourceKind("pharmacy.dispense", "Medicines", counter="pharmacy", links=_links)
RETURN = sources.SourceKind("pharmacy.return", "Returned medicines", counter="pharmacy")


def dispensed(
    sender: Any, instance: Dispense, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    if raw or not created:
        return
    charges.capture(
        clinic=instance.clinic_id,
        patient_id=instance.patient_id,
        source=DISPENSE.key,
        source_id=instance.pk,
        description=str(instance.medicine),
        department="Pharmacy",
        quantity=instance.quantity,
        unit_price=instance.unit_price,
        by=instance.dispensed_by_id,
        new_source=True,
    )


def moved(
    sender: Any, instance: StockMovement, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    if raw or not created or instance.kind != MovementKind.RETURN or not instance.dispense_id:
        return
    charges.reverse(
        clinic=instance.clinic_id,
        source=RETURN.key,
        source_id=instance.pk,
        of_source=DISPENSE.key,
        of_id=instance.dispense_id,
        quantity=instance.quantity,
        by=instance.by_id,
    )


def register() -> None:
    sources.register(DISPENSE)
    sources.register(RETURN)
    post_save.connect(dispensed, sender=Dispense, dispatch_uid="billing.dispense")
    post_save.connect(moved, sender=StockMovement, dispatch_uid="billing.return")
