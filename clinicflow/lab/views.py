"""The lab's pages about one order and one critical alert. Every page showing a patient's
results is a read of their record, and audited."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.core import policy
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.recorder import record
from clinicflow.core.feedback import run_and_report
from clinicflow.core.models import AuditAction
from clinicflow.lab import alerts, outside, selectors
from clinicflow.lab.models import RELEASED_STATUSES, CriticalAlert, LabOrder
from clinicflow.lab.outside_forms import OutsideReportForm, waiting_tests

VIEW = "lab.view"


def audit_read(obj: Any, patient_id: Any, part: str) -> None:
    record(AuditAction.VIEW, obj=obj, changes={"part": part, "patient": str(patient_id)})


@requires(VIEW)
def order(request: HttpRequest, pk: Any) -> HttpResponse:
    """An order: its tests, samples and results, as they stand."""
    actor = actor_of(request)
    found: LabOrder = access_object(actor, VIEW, selectors.order_detail(actor.clinic), pk=pk)
    return order_page(request, found)


def order_page(
    request: HttpRequest, found: LabOrder, *, outside_form: Any = None, status: int = 200
) -> HttpResponse:
    """The order's page (read with ``selectors.order_detail``); an outside report's form sent
    back with its errors replaces the empty one."""
    actor = actor_of(request)
    audit_read(found, found.patient_id, "lab order")
    # Values not yet verified are the lab's own work in progress, not results.
    bench = policy.allows(actor, "lab.work")
    tests = []
    for ordered in found.tests.all():
        rows = selectors.current_results(ordered)
        if not bench:
            rows = rows.filter(status__in=selectors.RELEASED)
        tests.append((ordered, list(rows)))
    released = any(t.status in RELEASED_STATUSES for t in found.tests.all())
    samples = {t.sample for t in found.tests.all() if t.sample is not None}
    waiting = waiting_tests(found)
    if outside_form is None and waiting and policy.allows_object(actor, outside.ATTACH, found):
        outside_form = OutsideReportForm(waiting=waiting)
    return render(
        request,
        "lab/order.html",
        {
            "order": found,
            "patient": found.patient,
            "tests": tests,
            "released": released,
            "samples": sorted(samples, key=lambda s: s.accession),
            "outside_form": outside_form,
        },
        status=status,
    )


def _alert(request: HttpRequest, pk: Any) -> CriticalAlert:
    rows = CriticalAlert.objects.select_related(
        "patient", "doctor", "acknowledged_by", "result__parameter", "result__ordered_test__order"
    )
    return access_object(actor_of(request), VIEW, rows, pk=pk)


@requires(VIEW)
def alert(request: HttpRequest, pk: Any) -> HttpResponse:
    found = _alert(request, pk)
    audit_read(found, found.patient_id, "critical alert")
    may_acknowledge = policy.allows(actor_of(request), "lab.alerts.acknowledge")
    return render(
        request,
        "lab/alert.html",
        {"alert": found, "patient": found.patient, "may_acknowledge": may_acknowledge},
    )


@requires("lab.alerts.acknowledge")
@require_POST
def acknowledge(request: HttpRequest, pk: Any) -> HttpResponse:
    found = _alert(request, pk)
    run_and_report(
        request,
        lambda: alerts.acknowledge(
            actor=actor_of(request),
            alert=found,
            action_taken=request.POST.get("action_taken", ""),
        ),
        _("The critical value is acknowledged."),
    )
    return redirect("lab:alert", pk=found.pk)
