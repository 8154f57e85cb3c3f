"""Patient pages: search, registration, the chart, edits, allergies and problems, management."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clinicflow.core import policy
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.reads import record_rows_read
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError
from clinicflow.core.feedback import run_and_report, submit_and_report
from clinicflow.core.forms import ReasonForm
from clinicflow.core.lists import Column, ExportView, keyset_page
from clinicflow.core.models import AuditAction
from clinicflow.patients import selectors, services
from clinicflow.patients.file_responses import uploaded_file_response
from clinicflow.patients.forms import (
    AllergyForm,
    ConditionForm,
    DocumentForm,
    FindForm,
    MergeForm,
    PatientForm,
    StatusForm,
)
from clinicflow.patients.models import Allergy, Condition, Patient, PatientDocument
from clinicflow.patients.panels import panels_for
from clinicflow.patients.search import search_page
from clinicflow.patients.timeline import timeline_for
from clinicflow.patients.uploads import read_upload
from clinicflow.patients.visits import with_last_visit

SEARCH_LIMIT = 25


def _patient(request: HttpRequest, action: str, pk: Any) -> Patient:
    """One patient of the actor's clinic they may take ``action`` on, or 404."""
    return access_object(actor_of(request), action, Patient.objects.all(), pk=pk)


def _about(patient: Patient) -> dict[str, Any]:
    """What every page about one patient shows at the top (name line, allergy banner)."""
    return {
        "patient": patient,
        "allergies": selectors.active_allergies(patient),
        "today": timezone.localdate(),
    }


def _show_error(form: Any, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@requires("patients.search")
def search(request: HttpRequest) -> HttpResponse:
    """The search page and its HTMX type-ahead: by name, phone, e-mail or MRN, narrowed by sex,
    age or birth year and phone digits, a page at a time; without a query, the newest
    registrations. Only who the patients are is shown (the chart is another action), and the
    patients shown are audited."""
    actor = actor_of(request)
    assert actor.clinic is not None
    form = FindForm(request.GET)
    page, text = None, ""
    if form.is_valid():
        text = form.cleaned_data["q"].strip()
        after = form.cleaned_data["after"] or None
        narrowing = form.narrowing()
        try:
            if text or narrowing:
                page = search_page(
                    actor.clinic, text, narrowing=narrowing, after=after, size=SEARCH_LIMIT
                )
            else:
                page = keyset_page(
                    selectors.in_clinic(actor.clinic).filter(is_active=True),
                    cursor=after,
                    size=SEARCH_LIMIT,
                    key="mrn_seq",
                )
        except DomainError as exc:
            form.add_error(None, exc.message)
    results = with_last_visit(page.items) if page else []
    record_rows_read(
        Patient,
        results,
        patient_key="pk",
        part="patient search",
        filters={k: v for k, v in request.GET.items() if k != "after"},
    )
    params = request.GET.copy()
    params.pop("after", None)
    template = "patients/search.html"
    if getattr(request, "htmx", False):
        template += "#results"
    return render(
        request,
        template,
        {
            "form": form,
            "q": text,
            "searched": bool(text or (form.is_valid() and form.narrowing())),
            "results": results,
            "page": page,
            "query_string": params.urlencode(),
            "today": timezone.localdate(),
            "may_open_chart": policy.allows(actor, "patients.chart"),
            "may_register": policy.allows(actor, "patients.register"),
            "may_export": policy.allows(actor, "patients.export"),
        },
    )


@requires("patients.register")
def register(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    candidates: list[Patient] = []
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.register_patient(
                actor=actor_of(request),
                details=form.details(),
                confirm_new=request.POST.get("confirm_new") == "1",
            )
        except services.PossibleDuplicates as exc:
            candidates = exc.candidates
        except DomainError as exc:
            _show_error(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is registered as %(mrn)s.")
                % {"name": patient.full_name, "mrn": patient.mrn},
            )
            return redirect("patients:chart", pk=patient.pk)
    return render(
        request,
        "patients/register.html",
        {"form": form, "candidates": candidates, "today": timezone.localdate()},
    )


@requires("patients.chart")
def chart(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    patient = _patient(request, "patients.chart", pk)
    record(AuditAction.VIEW, obj=patient, changes={"part": "chart"})
    may_edit_clinical = policy.allows(actor, "patients.clinical_edit")
    summary = selectors.chart_summary(patient)
    return render(
        request,
        "patients/chart.html",
        {
            "patient": patient,
            "allergies": summary.active_allergies,
            "summary": summary,
            "timeline": timeline_for(patient),
            "panels": panels_for(patient, actor),
            "today": timezone.localdate(),
            "may_edit": policy.allows(actor, "patients.edit"),
            "may_book": policy.allows(actor, "appointments.book"),
            "may_edit_clinical": may_edit_clinical,
            "may_manage": policy.allows(actor, "patients.deactivate"),
            "allergy_form": AllergyForm(prefix="allergy") if may_edit_clinical else None,
            "condition_form": ConditionForm(prefix="condition") if may_edit_clinical else None,
            "document_form": DocumentForm(prefix=None)
            if policy.allows(actor, "patients.documents.upload")
            else None,
            "may_view_documents": policy.allows(actor, "patients.documents.view"),
        },
    )


@requires("patients.edit")
def edit(request: HttpRequest, pk: Any) -> HttpResponse:
    patient = _patient(request, "patients.edit", pk)
    form = PatientForm(
        request.POST or None, instance=Patient.objects.for_clinic(patient.clinic).get(pk=patient.pk)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_patient(
                actor=actor_of(request), patient=patient, changes=form.details()
            )
        except DomainError as exc:
            _show_error(form, exc)
        else:
            messages.success(request, _("The details were saved."))
            return redirect("patients:chart", pk=patient.pk)
    return render(
        request,
        "patients/edit.html",
        {"form": form, **_about(patient)},
    )


def _back_to_chart(
    request: HttpRequest, patient: Patient, form: Any, run: Any, done: str
) -> HttpResponse:
    """Run a chart action from a small form; on a refusal, say why on the chart."""
    submit_and_report(request, form, run, done)
    return redirect("patients:chart", pk=patient.pk)


@requires("patients.clinical_edit")
@require_POST
def allergy_add(request: HttpRequest, pk: Any) -> HttpResponse:
    patient = _patient(request, "patients.clinical_edit", pk)
    form = AllergyForm(request.POST, prefix="allergy")
    return _back_to_chart(
        request,
        patient,
        form,
        lambda data: services.record_allergy(actor=actor_of(request), patient=patient, **data),
        _("The allergy was recorded."),
    )


@requires("patients.clinical_edit")
@require_POST
def no_known_allergies(request: HttpRequest, pk: Any) -> HttpResponse:
    patient = _patient(request, "patients.clinical_edit", pk)
    run_and_report(
        request,
        lambda: services.record_no_known_allergies(actor=actor_of(request), patient=patient),
        _("Recorded: no known allergies."),
    )
    return redirect("patients:chart", pk=patient.pk)


@requires("patients.clinical_edit")
@require_POST
def condition_add(request: HttpRequest, pk: Any) -> HttpResponse:
    patient = _patient(request, "patients.clinical_edit", pk)
    form = ConditionForm(request.POST, prefix="condition")
    return _back_to_chart(
        request,
        patient,
        form,
        lambda data: services.record_condition(actor=actor_of(request), patient=patient, **data),
        _("The problem was added to the list."),
    )


@requires("patients.clinical_edit")
@require_POST
def entry_status(request: HttpRequest, kind: str, pk: Any) -> HttpResponse:
    """Resolve, reactivate or correct an allergy or a condition."""
    model = {"allergy": Allergy, "condition": Condition}[kind]
    entry = access_object(actor_of(request), "patients.clinical_edit", model.objects.all(), pk=pk)
    return _back_to_chart(
        request,
        entry.patient,
        StatusForm(request.POST),
        lambda data: services.change_record_status(actor=actor_of(request), entry=entry, **data),
        _("The entry was updated."),
    )


@requires("patients.deactivate")
@require_POST
def deactivate(request: HttpRequest, pk: Any) -> HttpResponse:
    patient = _patient(request, "patients.deactivate", pk)
    return _back_to_chart(
        request,
        patient,
        ReasonForm(request.POST),
        lambda data: services.deactivate_patient(actor=actor_of(request), patient=patient, **data),
        _("The record was deactivated."),
    )


@requires("patients.deactivate")
@require_POST
def reactivate(request: HttpRequest, pk: Any) -> HttpResponse:
    patient = _patient(request, "patients.deactivate", pk)
    run_and_report(
        request,
        lambda: services.reactivate_patient(actor=actor_of(request), patient=patient),
        _("The record is active again."),
    )
    return redirect("patients:chart", pk=patient.pk)


@requires("patients.merge")
def merge(request: HttpRequest, pk: Any) -> HttpResponse:
    """Merge this (duplicate) record into another one, named by its MRN."""
    actor = actor_of(request)
    duplicate = _patient(request, "patients.merge", pk)
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        survivor = (
            selectors.in_clinic(duplicate.clinic)
            .filter(mrn__iexact=form.cleaned_data["survivor"].strip())
            .first()
        )
        if survivor is None:
            form.add_error("survivor", _("No record of this clinic has that MRN."))
        else:
            try:
                report = services.merge_patients(
                    actor=actor,
                    duplicate=duplicate,
                    survivor=survivor,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                _show_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(dup)s was merged into %(mrn)s.")
                    % {"dup": duplicate.mrn, "mrn": report.survivor.mrn},
                )
                return redirect("patients:chart", pk=report.survivor.pk)
    return render(request, "patients/merge.html", {"form": form, **_about(duplicate)})


@requires("patients.documents.upload")
@require_POST
def document_upload(request: HttpRequest, pk: Any) -> HttpResponse:
    patient = _patient(request, "patients.documents.upload", pk)
    form = DocumentForm(request.POST, request.FILES)

    def upload(data: dict[str, Any]) -> Any:
        upload = data["file"]
        return services.upload_document(
            actor=actor_of(request),
            patient=patient,
            content=read_upload(upload),
            original_name=upload.name or "",
            category=data["category"],
            title=data["title"],
            document_date=data["document_date"],
        )

    return _back_to_chart(request, patient, form, upload, _("The document was filed."))


def _document(request: HttpRequest, action: str, pk: Any) -> PatientDocument:
    return access_object(
        actor_of(request), action, PatientDocument.objects.select_related("patient"), pk=pk
    )


@requires("patients.documents.view")
def document(request: HttpRequest, pk: Any) -> FileResponse:
    """The file itself, to authorised staff only; each opening is audited. Images open in the
    browser, sandboxed; PDFs are downloads (``file_responses`` says why); ``?download=1`` saves
    an image too."""
    doc = _document(request, "patients.documents.view", pk)
    record(AuditAction.VIEW, obj=doc, changes={"part": "document", "patient": str(doc.patient_id)})
    extension = (doc.file.name or "").rsplit(".", 1)[-1]
    response = uploaded_file_response(
        doc.file,
        content_type=doc.content_type,
        filename=f"{doc.patient.mrn}-{doc.pk.hex[:8]}.{extension}",
        download=request.GET.get("download") == "1",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@requires("patients.documents.view")
def document_thumbnail(request: HttpRequest, pk: Any) -> FileResponse:
    doc = _document(request, "patients.documents.view", pk)
    if not doc.thumbnail:
        raise Http404
    response = uploaded_file_response(doc.thumbnail, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=300"
    return response


@requires("patients.documents.upload")
@require_POST
def document_entered_in_error(request: HttpRequest, pk: Any) -> HttpResponse:
    doc = _document(request, "patients.documents.upload", pk)
    return _back_to_chart(
        request,
        doc.patient,
        ReasonForm(request.POST),
        lambda data: services.mark_document_entered_in_error(
            actor=actor_of(request), document=doc, **data
        ),
        _("The document was marked as filed in error."),
    )


class PatientExportView(ExportView):
    policy_action = "patients.export"
    model = Patient
    page_key = "mrn_seq"
    page_descending = False
    filename = "patients"
    columns: ClassVar[list[Column]] = [
        Column(gettext_lazy("MRN"), lambda p: p.mrn),
        Column(gettext_lazy("Given name"), lambda p: p.given_name),
        Column(gettext_lazy("Family name"), lambda p: p.family_name),
        Column(gettext_lazy("Sex"), lambda p: p.sex),
        Column(gettext_lazy("Birth date"), lambda p: p.birth_date or ""),
        Column(
            gettext_lazy("Birth date estimated"), lambda p: "yes" if p.birth_date_estimated else ""
        ),
        Column(gettext_lazy("Phone"), lambda p: p.phone),
        Column(gettext_lazy("E-mail"), lambda p: p.email),
        Column(gettext_lazy("Blood group"), lambda p: p.blood_group),
        Column(gettext_lazy("Active"), lambda p: "yes" if p.is_active else "no"),
        Column(gettext_lazy("Registered (UTC)"), lambda p: p.created_at.isoformat()),
    ]
