"""The family member's record in the portal, one task per page, phone first: visits and
diagnoses, prescriptions (and their PDF), verified lab reports (their PDF, a trend per
value), vitals, documents (download and add), allergies and problems, appointments, who read
the chart, and the summary PDF.

Everything is about the member the portal is showing (``access.selected_member``); a row is
fetched through the policy (``ManagedByAccount``) *and* that member, so any other id, a
family member not shown included, is a 404. Every page and file that shows the record is an
audited read."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from clinicflow.clinical import printing
from clinicflow.clinical.models import Prescription, PrescriptionStatus
from clinicflow.core import pdf
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.errors import DomainError
from clinicflow.lab import chart as lab_chart
from clinicflow.lab import selectors as lab_selectors
from clinicflow.lab.models import RELEASED_STATUSES, LabOrder
from clinicflow.lab.print_views import verify_url as lab_verify_url
from clinicflow.lab.report_pdf import report_pdf
from clinicflow.lab.trend_views import TREND_LIMIT, parameters_coded, points_of, trend_of
from clinicflow.patients.forms import DocumentForm
from clinicflow.patients.models import Patient, PatientDocument
from clinicflow.patients.services import upload_document
from clinicflow.patients.uploads import read_upload
from clinicflow.portal import access, documents, records, summary
from clinicflow.portal.records import read_of

READ = "portal.records"
UPLOAD = "portal.documents.upload"

MemberView = Callable[..., HttpResponseBase]


def for_member(view: MemberView) -> Callable[..., HttpResponseBase]:
    """Hand the view the member the portal is showing; without one, the page that says how
    to link a record (nothing to read, nothing audited), or a 404 for a row's address."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        member = access.selected_member(request)
        if member is None:
            if args or kwargs:
                raise Http404  # a row's address: nobody's row is this account's
            return render(request, "portal/records/no_member.html")
        return view(request, member, *args, **kwargs)

    return wrapped


def row_of(request: HttpRequest, member: Patient, queryset: QuerySet[Any], pk: Any) -> Any:
    """One row of the member's, through the policy; 404 for any other."""
    return access_object(actor_of(request), READ, queryset.filter(patient=member), pk=pk)


def page_of(request: HttpRequest, rows: Any) -> Any:
    return Paginator(rows, records.PAGE_SIZE).get_page(request.GET.get("page"))


# ---------------------------------------------------------------- the index


@requires(READ)
@for_member
def index(request: HttpRequest, member: Patient) -> HttpResponse:
    """The record's sections, one button each."""
    return render(request, "portal/records/index.html", {"member": member})


# ---------------------------------------------------------------- visits


@requires(READ)
@for_member
def visits(request: HttpRequest, member: Patient) -> HttpResponse:
    page = page_of(request, records.visits(member))
    shown = records.as_visits(page.object_list)
    read_of(member, "visits", page=page.number)
    return render(
        request, "portal/records/visits.html", {"member": member, "page": page, "visits": shown}
    )


# ---------------------------------------------------------------- prescriptions


@requires(READ)
@for_member
def prescriptions(request: HttpRequest, member: Patient) -> HttpResponse:
    page = page_of(request, records.prescriptions(member))
    read_of(member, "prescriptions", page=page.number)
    return render(
        request,
        "portal/records/prescriptions.html",
        {"member": member, "page": page, "cancelled": PrescriptionStatus.CANCELLED},
    )


@requires(READ)
@for_member
def prescription_pdf(request: HttpRequest, member: Patient, pk: Any) -> HttpResponse:
    rows = (
        Prescription.objects.exclude(status=PrescriptionStatus.DRAFT)
        .exclude(status=PrescriptionStatus.CANCELLED)
        .select_related("clinic", "patient", "prescriber__user")
    )
    item: Prescription = row_of(request, member, rows, pk)
    read_of(member, "prescription", item, format="pdf")
    # The QR opens the prescription for the pharmacist who checks the paper (staff sign-in).
    verify = request.build_absolute_uri(reverse("clinical:prescription", args=[item.pk]))
    return pdf.response(printing.prescription_pdf(item, verify), f"prescription-{member.mrn}.pdf")


# ---------------------------------------------------------------- lab


@requires(READ)
@for_member
def lab(request: HttpRequest, member: Patient) -> HttpResponse:
    """The released reports, and the latest released value of each test, each with its
    trend."""
    page = page_of(request, records.lab_reports(member))
    latest = lab_chart.latest_values(member)
    read_of(member, "lab reports", page=page.number, results=len(latest))
    return render(
        request, "portal/records/lab.html", {"member": member, "page": page, "latest": latest}
    )


def _order(request: HttpRequest, member: Patient, pk: Any) -> LabOrder:
    rows = lab_selectors.order_detail(actor_of(request).clinic).select_related("clinic")
    order: LabOrder = row_of(request, member, rows, pk)
    if not any(t.status in RELEASED_STATUSES for t in order.tests.all()):
        raise Http404  # nothing released yet: no report to show
    return order


@requires(READ)
@for_member
def lab_report(request: HttpRequest, member: Patient, pk: Any) -> HttpResponse:
    order = _order(request, member, pk)
    tests = records.report_of(order)
    read_of(member, "lab report", order)
    return render(
        request,
        "portal/records/lab_report.html",
        {"member": member, "order": order, "tests": tests},
    )


@requires(READ)
@for_member
def lab_report_pdf(request: HttpRequest, member: Patient, pk: Any) -> HttpResponse:
    order = _order(request, member, pk)
    read_of(member, "lab report", order, format="pdf")
    # The lab's report prints released tests only, with the QR that vouches for it.
    content = report_pdf(order, lab_verify_url(request, order))
    return pdf.response(content, f"lab-report-{order.number}.pdf")


@requires(READ)
@for_member
def lab_trend(request: HttpRequest, member: Patient, code: str) -> HttpResponse:
    """One value over time, with the reference band behind it (the lab's own chart)."""
    parameters = parameters_coded(member.clinic, code)
    rows = trend_of(member, parameters) if parameters else []
    if not rows:
        raise Http404  # no released value: nothing of this test to show
    read_of(member, "lab trend", parameter=code, results=len(rows))
    return render(
        request,
        "portal/records/lab_trend.html",
        {
            "member": member,
            "parameter": parameters[0],
            "rows": rows[::-1],
            "points": points_of(rows),
            "limited": len(rows) == TREND_LIMIT,
        },
    )


# ---------------------------------------------------------------- vitals, health, visits due


@requires(READ)
@for_member
def vitals(request: HttpRequest, member: Patient) -> HttpResponse:
    shown = records.vitals(member)
    read_of(member, "vitals")
    return render(request, "portal/records/vitals.html", {"member": member, "vitals": shown})


@requires(READ)
@for_member
def health(request: HttpRequest, member: Patient) -> HttpResponse:
    """Allergies and the problem list, to read (the clinic records them)."""
    context = {
        "member": member,
        "allergies": records.allergies(member),
        "problems": records.problems(member),
    }
    read_of(member, "allergies and problems")
    return render(request, "portal/records/health.html", context)


@requires(READ)
@for_member
def appointments(request: HttpRequest, member: Patient) -> HttpResponse:
    coming, past = records.appointments(member)
    page = page_of(request, past)
    read_of(member, "appointments", page=page.number)
    return render(
        request,
        "portal/records/appointments.html",
        {"member": member, "coming": coming, "page": page},
    )


# ---------------------------------------------------------------- documents


@requires(READ)
@for_member
def documents_page(request: HttpRequest, member: Patient) -> HttpResponse:
    return _documents(request, member, DocumentForm())


def _documents(request: HttpRequest, member: Patient, form: Any, status: int = 200) -> HttpResponse:
    page = page_of(request, records.documents(member))
    read_of(member, "documents", page=page.number)
    return render(
        request,
        "portal/records/documents.html",
        {"member": member, "page": page, "form": form},
        status=status,
    )


@requires(READ)
@for_member
def document(request: HttpRequest, member: Patient, pk: Any) -> HttpResponseBase:
    """The file, sandboxed (an image in the browser, anything else a download)."""
    rows = records.documents(member)
    doc: PatientDocument = row_of(request, member, rows, pk)
    read_of(member, "document", doc)
    return documents.document_file(member, doc, download=request.GET.get("download") == "1")


@requires(UPLOAD)
def document_upload(request: HttpRequest) -> HttpResponse:
    """Add a document to the record named in the form (the page it was sent from), not the
    member the session shows now: another tab may have switched member since. A record the
    account does not look after is a 404, and nothing is kept."""
    if request.method != "POST":
        return redirect("portal:records_documents")
    member = access.access_member(request, request.POST.get("patient"), UPLOAD)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            upload_document(
                actor=actor_of(request),
                patient=member,
                content=read_upload(data["file"]),
                original_name=data["file"].name or "",
                category=data["category"],
                title=data["title"],
                document_date=data["document_date"],
                action=UPLOAD,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("The document was added to the record of %(name)s.") % {"name": member.full_name},
            )
            return redirect("portal:records_documents")
    return _documents(request, member, form, status=400)


# ---------------------------------------------------------------- who read the chart


@requires(READ)
@for_member
def chart_reads(request: HttpRequest, member: Patient) -> HttpResponse:
    """Who at the clinic read this record, and when, newest first."""
    events = records.chart_reads(member, viewer=actor_of(request).user)
    page = page_of(request, events)
    shown = records.as_chart_reads(page.object_list, member.clinic)
    read_of(member, "who viewed the chart", page=page.number)
    return render(
        request,
        "portal/records/chart_reads.html",
        {"member": member, "page": page, "reads": shown},
    )


# ---------------------------------------------------------------- the summary


@requires(READ)
@for_member
def summary_pdf(request: HttpRequest, member: Patient) -> HttpResponse:
    """The record in a few pages: details, allergies, problems, visits and diagnoses, the
    medicines being taken and the latest verified lab values."""
    content = summary.summary_pdf(actor_of(request), member)
    read_of(member, "summary", format="pdf")
    return pdf.response(content, f"record-{member.mrn}.pdf")
