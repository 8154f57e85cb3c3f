"""What the lab prints: a sample's barcode label, an order's PDF report, and the public page
the report's QR code opens to confirm it is genuine.

The label and the report show a patient's details, and each opening is audited; the label's
first opening also notes when it was printed (``samples.label_printed``), apart from the
collection time, which stays what the collector entered. The verification page needs no
sign-in: its address carries the order's unguessable ``verify_token``, and it confirms the
clinic, the order number, the tests and when each was verified, and nothing about the
patient."""

from __future__ import annotations

from typing import Any

from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from clinicflow.core import pdf
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.lab import labels, samples, selectors
from clinicflow.lab.models import RELEASED_STATUSES, LabOrder, Result, ResultStatus, Sample
from clinicflow.lab.report_pdf import report_pdf
from clinicflow.lab.views import VIEW, audit_read

COLLECT = "lab.collect"


@requires(COLLECT)
def sample_label(request: HttpRequest, pk: Any) -> HttpResponse:
    """A sample's label, sized for the label printer (50 × 25 mm)."""
    actor = actor_of(request)
    rows = Sample.objects.select_related("clinic", "order__patient").prefetch_related("tests__test")
    sample: Sample = access_object(actor, COLLECT, rows, pk=pk)
    audit_read(sample, sample.order.patient_id, "sample label")
    samples.label_printed(actor=actor, sample=sample)
    return render(
        request,
        "lab/label.html",
        {"label": labels.label_of(sample), "order": sample.order},
    )


def verify_url(request: HttpRequest, order: LabOrder) -> str:
    return request.build_absolute_uri(reverse("lab:verify", args=[order.verify_token]))


@requires(VIEW)
def report(request: HttpRequest, pk: Any) -> HttpResponse:
    """The order's report as PDF: its released results only."""
    actor = actor_of(request)
    rows = selectors.order_detail(actor.clinic).select_related("clinic")
    order: LabOrder = access_object(actor, VIEW, rows, pk=pk)
    audit_read(order, order.patient_id, "lab report")
    released = any(t.status in RELEASED_STATUSES for t in order.tests.all())
    content = report_pdf(order, verify_url(request, order) if released else None)
    return pdf.response(content, f"lab-report-{order.number}.pdf")


def _vouched(token: Any) -> dict[str, Any]:
    """What the page confirms of the order with this token: never the patient. Looked up
    across clinics on purpose: the token is the key, whichever clinic printed the paper."""
    order = (
        LabOrder.objects.all_clinics().select_related("clinic").filter(verify_token=token).first()
    )
    if order is None:
        raise Http404
    tests = list(
        order.tests.filter(status__in=RELEASED_STATUSES).select_related("test").order_by("pk")
    )
    if not tests:
        raise Http404  # nothing released: no report to vouch for
    amended = dict(
        Result.objects.for_clinic(order.clinic)
        .filter(ordered_test__in=tests, status=ResultStatus.AMENDED)
        .values("ordered_test")
        .annotate(last=Max("entered_at"))
        .values_list("ordered_test", "last")
    )
    return {
        "clinic": order.clinic,
        "number": order.number,
        "tests": [(t, amended.get(t.pk)) for t in tests],
    }


@requires("lab.verify_report")
def verify(request: HttpRequest, token: Any) -> HttpResponse:
    """Is this printed lab report genuine? (The page its QR code opens.)"""
    response = render(request, "lab/verify.html", _vouched(token))
    response["Referrer-Policy"] = "no-referrer"  # the address is the key
    response["X-Robots-Tag"] = "noindex"
    return response
