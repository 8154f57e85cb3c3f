"""An outside lab's report on the order page: the small form that attaches it (the file, the
lab's name, the report's date and sample day, the tests it covers) and the report's file,
opened by those who read the order's results. The rules are ``lab.outside``'s; the values are
then entered on the bench's own entry page (``entry_views.test_entry``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.errors import DomainError
from clinicflow.lab import outside, selectors
from clinicflow.lab.entry_forms import show_error
from clinicflow.lab.models import LabOrder, OutsideReport
from clinicflow.lab.outside_forms import OutsideReportForm, waiting_tests
from clinicflow.lab.views import audit_read, order_page
from clinicflow.patients.file_responses import uploaded_file_response
from clinicflow.patients.uploads import read_upload

VIEW = "lab.view"


@requires(outside.ATTACH)
@require_POST
def attach(request: HttpRequest, pk: Any) -> HttpResponse:
    """Attach the report; a refusal comes back on the order page, at its field."""
    actor = actor_of(request)
    order: LabOrder = access_object(
        actor, outside.ATTACH, selectors.order_detail(actor.clinic), pk=pk
    )
    form = OutsideReportForm(request.POST, request.FILES, waiting=waiting_tests(order))
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            outside.attach(
                actor=actor,
                order=order,
                lab_name=form.cleaned_data["lab_name"],
                reported_on=form.cleaned_data["reported_on"],
                sampled_on=form.cleaned_data["sampled_on"],
                tests=form.chosen(),
                report_file=outside.ReportFile(read_upload(upload), upload.name or ""),
            )
        except DomainError as refused:
            show_error(form, refused)
        else:
            messages.success(request, _("The outside report was attached."))
            return redirect("lab:order", pk=order.pk)
    order = selectors.order_detail(actor.clinic).get(pk=order.pk)
    return order_page(request, order, outside_form=form)


@requires(VIEW)
def report_file(request: HttpRequest, pk: Any) -> FileResponse:
    """The outside report's file, to those who read the order's results; each opening is
    audited. Served as every patient document is (``file_responses``)."""
    rows = OutsideReport.objects.select_related("document", "order__patient")
    report: OutsideReport = access_object(actor_of(request), VIEW, rows, pk=pk)
    document = report.document
    audit_read(document, report.order.patient_id, "outside lab report")
    extension = (document.file.name or "").rsplit(".", 1)[-1]
    response = uploaded_file_response(
        document.file,
        content_type=document.content_type,
        filename=f"{report.order.patient.mrn}-{report.order.number}-outside.{extension}",
        download=request.GET.get("download") == "1",
    )
    response["Cache-Control"] = "private, no-store"
    return response
