"""The lab on the patient's chart: orders and released results on the timeline, and the
"Results" panel with the latest released value of each parameter, each linking to its trend.
Each source is a bounded number of queries, whatever the years of results behind it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, F, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.recorder import record
from clinicflow.core.models import AuditAction
from clinicflow.lab.models import (
    RELEASED_STATUSES,
    Flag,
    LabOrder,
    OrderedTest,
    Result,
    TestStatus,
)
from clinicflow.lab.selectors import RELEASED
from clinicflow.patients import panels, timeline
from clinicflow.patients.models import Patient
from clinicflow.patients.timeline import TimelineEntry

#: At most this many parameters in the panel (a patient's catalogue of tests is far smaller).
PANEL_LIMIT = 60


def latest_values(patient: Any, limit: int = PANEL_LIMIT) -> list[Result]:
    """The latest released result of each parameter the patient has had, newest first (one
    query: a window over the trend index). Versions of a parameter sharing a code count as
    one."""
    ranked = (
        Result.objects.for_clinic(patient.clinic)
        .filter(patient=patient, status__in=RELEASED)
        .annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("parameter_id")],
                order_by=[F("collected_at").desc(), F("pk").desc()],
            )
        )
        .filter(newest=1)
        .select_related("parameter")
        .order_by("-collected_at", "parameter__order", "pk")
    )
    latest: dict[str, Result] = {}
    for row in ranked[: limit * 2]:
        latest.setdefault(row.parameter.code, row)
    return list(latest.values())[:limit]


def audit_results_read(patient: Any, rows: list[Result], part: str) -> None:
    if rows:
        record(
            AuditAction.VIEW,
            obj=patient,
            changes={"part": part, "results": len(rows)},
        )


def results_panel(patient: Patient, actor: Actor) -> panels.Panel | None:
    """Only for those who may read results; nothing when the patient has none."""
    if not policy.allows(actor, "lab.view"):
        return None
    rows = latest_values(patient)
    if not rows:
        return None
    audit_results_read(patient, rows, "latest lab results")
    return panels.Panel("lab/_results_panel.html", {"patient": patient, "results": rows})


def order_entries(patient: Patient, limit: int) -> Iterable[TimelineEntry]:
    """Each order as it was placed, with its tests (two queries)."""
    rows = (
        LabOrder.objects.for_clinic(patient.clinic)
        .filter(patient=patient)
        .select_related("ordering_doctor")
        .prefetch_related(
            Prefetch(
                "tests",
                OrderedTest.objects.for_clinic(patient.clinic)
                .select_related("test")
                .order_by("pk"),
            )
        )
        .order_by("-ordered_at")[:limit]
    )
    for order in rows:
        tests = ", ".join(t.test.name for t in order.tests.all())
        by = order.ordering_doctor or order.referrer
        yield TimelineEntry(
            order.ordered_at,
            "lab_order",
            _("Lab order %(number)s") % {"number": order.number},
            f"{tests} · {order.get_urgency_display()}" + (f" · {by}" if by else ""),
            "bi-droplet",
            reverse("lab:order", args=[order.pk]),
        )


def released_entries(patient: Patient, limit: int) -> Iterable[TimelineEntry]:
    """Each test whose results were released, with how many of them are flagged (one
    query)."""
    flagged = Q(results__status__in=RELEASED) & ~Q(results__flag=Flag.NORMAL)
    rows = (
        OrderedTest.objects.for_clinic(patient.clinic)
        .filter(order__patient=patient, status__in=RELEASED_STATUSES, verified_at__isnull=False)
        .select_related("test")
        .annotate(flags=Count("results", filter=flagged))
        .order_by("-verified_at")[:limit]
    )
    for row in rows:
        detail = (
            ngettext("%(n)d result flagged", "%(n)d results flagged", row.flags) % {"n": row.flags}
            if row.flags
            else _("all within range")
        )
        amended = row.status == TestStatus.AMENDED
        yield TimelineEntry(
            row.verified_at,
            "lab_result",
            (_("Results amended: %(test)s") if amended else _("Results: %(test)s"))
            % {"test": row.test.name},
            detail,
            "bi-clipboard2-pulse",
            reverse("lab:order", args=[row.order_id]),
        )


def register() -> None:
    timeline.register_source("lab.orders", order_entries)
    timeline.register_source("lab.results", released_entries)
    panels.register_panel("lab.results", results_panel)
