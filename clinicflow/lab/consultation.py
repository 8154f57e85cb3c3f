"""The lab in the consultation workspace: the "Lab tests" section, where the doctor orders
tests from the catalogue, follows this consultation's orders (cancelling a test not yet
collected) and sees the patient's latest released results with their flags."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from clinicflow.clinical.sections import register_section
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.lab.chart import audit_results_read, latest_values
from clinicflow.lab.models import LabOrder, OrderedTest, Urgency
from clinicflow.lab.orders import CANCELLABLE
from clinicflow.patients.panels import Panel

#: The latest results shown beside the note (the chart has them all).
RECENT_RESULTS = 12


def orders_of(encounter: Any) -> list[LabOrder]:
    """The consultation's orders and their tests (two queries)."""
    return list(
        LabOrder.objects.for_clinic(encounter.clinic_id)
        .filter(encounter=encounter)
        .prefetch_related(
            Prefetch(
                "tests",
                OrderedTest.objects.for_clinic(encounter.clinic_id)
                .select_related("test")
                .order_by("pk"),
            )
        )
        .order_by("-ordered_at")
    )


def lab_section(encounter: Any, actor: Actor) -> Panel | None:
    may_view = policy.allows(actor, "lab.view")
    may_order = (
        policy.allows(actor, "lab.order")
        and encounter.status == "open"
        and policy.allows_object(actor, "clinical.write", encounter)
    )
    if not (may_view or may_order):
        return None
    patient = encounter.patient
    results = latest_values(patient, RECENT_RESULTS) if may_view else []
    audit_results_read(patient, results, "latest lab results at the consultation")
    return Panel(
        "lab/_order_panel.html",
        {
            "encounter": encounter,
            "orders": orders_of(encounter),
            "results": results,
            "may_order": may_order,
            "may_cancel": may_order,
            "cancellable": list(CANCELLABLE),
            "urgencies": Urgency.choices,
        },
    )


def register() -> None:
    register_section("lab.tests", lab_section)
