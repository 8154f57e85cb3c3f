"""What the pharmacy adds elsewhere: what its catalogue knows of a prescribed medicine (for the
safety checks), the pharmacist's "to dispense" card, dispenses on the chart's timeline (and
moved in a merge), and the live pending list hearing of prescriptions being saved."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models.signals import post_save
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinicflow.clinical import safety
from clinicflow.clinical.models import Prescription
from clinicflow.core import dashboards, navigation
from clinicflow.core.actor import Actor
from clinicflow.core.roles import Role
from clinicflow.patients import merging, timeline
from clinicflow.patients.models import Patient
from clinicflow.patients.timeline import TimelineEntry
from clinicflow.pharmacy import alerts, charging, live, messages, queue, selectors, stock
from clinicflow.pharmacy.models import Dispense


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


# ---------------------------------------------------------------- dispensing


def dispense_entries(patient: Patient, limit: int) -> Iterable[TimelineEntry]:
    """Each dispense on the chart: what was given, how much, by whom (one query)."""
    rows = (
        Dispense.objects.for_clinic(patient.clinic)
        .filter(patient=patient)
        .select_related("medicine", "batch", "dispensed_by")
        .order_by("-dispensed_at", "-pk")[:limit]
    )
    for row in rows:
        yield TimelineEntry(
            row.dispensed_at,
            "dispense",
            _("Dispensed %(medicine)s × %(quantity)s")
            % {"medicine": row.medicine, "quantity": f"{row.quantity.normalize():f}"},
            _("by %(pharmacist)s · batch %(batch)s")
            % {"pharmacist": row.dispensed_by, "batch": row.batch.batch_number},
            "bi-capsule",
            reverse("clinical:prescription", args=[row.prescription_id]),
        )


def register_dispensing() -> None:
    timeline.register_source("pharmacy.dispenses", dispense_entries)
    merging.register_mover("dispenses", merging.move_rows(Dispense))
    post_save.connect(
        live.prescription_saved, sender=Prescription, dispatch_uid="pharmacy.pending_live"
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
    note = _("Batches expiring within %(days)d days.") % {"days": stock.near_expiry_days()}
    title = gettext_lazy("Expiring soon")
    return _alert_card("pharmacy.expiring_soon", title, "bi-hourglass-split", count, note)


def expired_card(actor: Actor) -> dashboards.Card:
    assert actor.clinic is not None
    count = alerts.expired(actor.clinic).count()
    title = gettext_lazy("Expired to write off")
    return _alert_card("pharmacy.expired", title, "bi-trash", count)


#: The stock alerts are on the pharmacist's dashboard and the manager's overview.
_STOCK_WATCHERS = {Role.PHARMACIST, Role.MANAGER, Role.ADMIN}

NAVIGATION = [
    navigation.Entry(gettext_lazy("To dispense"), "pharmacy:queue", "bi-capsule", "pharmacy", 10),
    navigation.Entry(gettext_lazy("Stock"), "pharmacy:stock", "bi-box-seam", "pharmacy", 20),
    navigation.Entry(
        gettext_lazy("Stock alerts"), "pharmacy:alerts", "bi-exclamation-triangle", "pharmacy", 30
    ),
    navigation.Entry(
        gettext_lazy("Goods receipts"),
        "pharmacy:goods_receipts",
        "bi-box-arrow-in-down",
        "pharmacy",
        40,
    ),
    navigation.Entry(
        gettext_lazy("Stock ledger"), "pharmacy:ledger", "bi-list-columns", "pharmacy", 50
    ),
    navigation.Entry(
        gettext_lazy("Dispensing history"), "pharmacy:history", "bi-journal-check", "pharmacy", 60
    ),
    navigation.Entry(
        gettext_lazy("Medicines"), "pharmacy:catalogue", "bi-prescription2", "pharmacy", 70
    ),
    navigation.Entry(
        gettext_lazy("Pharmacy reports"), "pharmacy:reports", "bi-graph-up", "reports", 10
    ),
]


def register() -> None:
    charging.register()
    messages.register()
    safety.register_facts("pharmacy.catalogue", catalogue_facts)
    dashboards.register_card("pharmacy.to_dispense", to_dispense, roles={Role.PHARMACIST}, order=70)
    register_dispensing()
    for order, (key, card) in enumerate(
        (
            ("pharmacy.low_stock", low_stock_card),
            ("pharmacy.expiring_soon", expiring_card),
            ("pharmacy.expired", expired_card),
        ),
        start=80,
    ):
        dashboards.register_card(key, card, roles=_STOCK_WATCHERS, order=order)
    navigation.register(*NAVIGATION)
