"""What the pharmacy adds elsewhere: what its catalogue knows of a prescribed medicine (for the
safety checks), and the pharmacist's "to dispense" card."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy

from clinicflow.clinical import safety
from clinicflow.core import dashboards
from clinicflow.core.actor import Actor
from clinicflow.pharmacy import alerts, queue, selectors


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


# Stock alert cards (pharmacists and managers): each figure is one COUNT query.
def _alert_card(key: str, title: Any, icon: str, value: int, note: Any = "") -> dashboards.Card:
    url = reverse("pharmacy:alerts")
    return dashboards.Card(title=title, value=value, note=note, url=url, icon=icon, key=key)


def low_stock_card(actor: Actor) -> dashboards.Card:
    assert actor.clinic is not None
    count = alerts.low_stock(actor.clinic).count()
    return _alert_card("pharmacy.low_stock", gettext_lazy("Low stock"), "bi-box-seam", count)


def expiring_card(actor: Actor) -> dashboards.Card:
    assert actor.clinic is not None
    count = alerts.near_expiry(actor.clinic).count()
    note = gettext("Batches expiring within %(days)d days.") % {"days": alerts.near_expiry_days()}
    title = gettext_lazy("Expiring soon")
    return _alert_card("pharmacy.expiring_soon", title, "bi-hourglass-split", count, note)


def expired_card(actor: Actor) -> dashboards.Card:
    assert actor.clinic is not None
    count = alerts.expired(actor.clinic).count()
    title = gettext_lazy("Expired to write off")
    return _alert_card("pharmacy.expired", title, "bi-trash", count)


def register() -> None:
    safety.register_facts("pharmacy.catalogue", catalogue_facts)
    dashboards.register_card("pharmacy.to_dispense", to_dispense)
    dashboards.register_card("pharmacy.low_stock", low_stock_card)
    dashboards.register_card("pharmacy.expiring_soon", expiring_card)
    dashboards.register_card("pharmacy.expired", expired_card)
