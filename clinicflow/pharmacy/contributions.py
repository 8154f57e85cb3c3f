"""What the pharmacy adds elsewhere: what its catalogue knows of a prescribed medicine (for the
safety checks), and the pharmacist's "to dispense" card."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy

from clinicflow.clinical import safety
from clinicflow.core import dashboards
from clinicflow.core.actor import Actor
from clinicflow.pharmacy import queue, selectors


def catalogue_facts(clinic: Any, name: str) -> safety.MedicineFacts | None:
    medicine = selectors.find(clinic, name)
    if medicine is None:
        return None
    return safety.MedicineFacts(
        ingredients=medicine.ingredient_set,
        classes=frozenset({medicine.drug_class.lower()}) if medicine.drug_class else frozenset(),
        max_daily_mg=medicine.max_daily_mg,
        mg_per_unit=medicine.mg_per_unit,
        pregnancy_caution=medicine.pregnancy_caution,
        paediatric_caution=medicine.paediatric_caution,
        from_catalogue=True,
    )


def to_dispense(actor: Actor) -> dashboards.Card:
    assert actor.clinic is not None
    return dashboards.Card(
        title=gettext_lazy("Prescriptions to dispense"),
        value=queue.pending(actor.clinic).count(),
        url=reverse("pharmacy:queue"),
        icon="bi-capsule",
        key="pharmacy.to_dispense",
    )


def register() -> None:
    safety.register_facts("pharmacy.catalogue", catalogue_facts)
    dashboards.register_card("pharmacy.to_dispense", to_dispense)
