"""The doctor's workspace: the patient at a glance beside the note being written (autosaved),
allergies and the pregnancy status asked at the visit, diagnoses found by ICD-10 search,
signing (with the problem-list offer), amendments; and the ICD-10 search itself."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.clinical import prescribing, printing, sections, selectors, services
from clinicflow.clinical.models import (
    Diagnosis,
    Encounter,
    Frequency,
    NoteTemplate,
    Pregnancy,
    Prescription,
    PrescriptionItem,
    Route,
    SafetyAlert,
)
from clinicflow.clinical.services import NOTE_FIELDS
from clinicflow.core import pdf, policy
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError
from clinicflow.core.feedback import run_and_report, submit_and_report
from clinicflow.core.models import AuditAction
from clinicflow.frontdesk.models import QueueEntry
from clinicflow.frontdesk.selectors import latest_vitals
from clinicflow.patients import services as patients
from clinicflow.patients.forms import AllergyForm
from clinicflow.patients.models import Sex
from clinicflow.patients.selectors import chart_summary


def _encounter(request: HttpRequest, action: str, pk: Any) -> Encounter:
    return access_object(
        actor_of(request),
        action,
        Encounter.objects.select_related("patient", "practitioner__user", "clinic", "entry"),
        pk=pk,
    )


@requires("clinical.write")
@require_POST
def start(request: HttpRequest, entry: Any) -> HttpResponse:
    """Open (or reopen) the consultation of a visit the doctor has called in."""
    actor = actor_of(request)
    visit = access_object(actor, "frontdesk.see_patients", QueueEntry.objects.all(), pk=entry)
    try:
        encounter = services.open_encounter(actor=actor, entry=visit)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("frontdesk:queue")
    return redirect("clinical:encounter", pk=encounter.pk)


@requires("clinical.view")
def encounter(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    item = _encounter(request, "clinical.view", pk)
    patient = item.patient
    record(AuditAction.VIEW, obj=item, changes={"part": "encounter", "patient": str(patient.pk)})
    summary = chart_summary(patient)
    may_write = policy.allows_object(actor, "clinical.write", item)
    may_sign = may_write and not item.is_signed
    # What is asked at the visit (allergies, pregnancy) the doctor or a nurse records.
    may_record = not item.is_signed and policy.allows_object(actor, "patients.clinical_edit", item)
    pregnancy = selectors.pregnancy_status(item)
    return render(
        request,
        "clinical/encounter.html",
        {
            "item": item,
            "patient": patient,
            "allergies": summary.active_allergies,
            "summary": summary,
            "vitals_panel": {"vitals": latest_vitals(patient)},
            "past": selectors.past_encounters(patient, exclude=item),
            "diagnoses": selectors.live_diagnoses(item),
            "items": _items(item),
            "may_record": may_record,
            "allergy_form": AllergyForm(prefix="allergy") if may_record else None,
            "pregnancy": pregnancy,
            "pregnancy_choices": Pregnancy.choices,
            "asks_pregnancy": pregnancy is not None or patient.sex != Sex.MALE,
            "allergies_unasked": may_sign and prescribing.allergies_unasked(item),
            "problem_offer": selectors.problem_list_offer(item) if may_sign else [],
            "medicines_now": prescribing.active_items(patient),
            "frequencies": Frequency.choices,
            "routes": Route.choices,
            "amendments": item.amendments.select_related("author"),
            "templates": NoteTemplate.objects.for_clinic(item.clinic).filter(owner=actor.user)
            if may_write
            else [],
            "may_write": may_sign,
            "may_amend": may_write and item.is_signed,
            "today": timezone.localdate(),
            "sections": sections.sections_for(item, actor),
        },
    )


def _items(encounter: Encounter) -> list[PrescriptionItem]:
    """The encounter's prescription items with their alerts (two queries)."""
    return list(
        PrescriptionItem.objects.for_clinic(encounter.clinic)
        .filter(prescription__encounter=encounter)
        .prefetch_related("alerts")
    )


@requires("clinical.write")
@require_POST
def autosave(request: HttpRequest, pk: Any) -> HttpResponse:
    """The note's autosave (HTMX, every pause in typing): answers the new version, or 409 with
    the reason when the note was signed or changed elsewhere; the page keeps the text."""
    item = _encounter(request, "clinical.write", pk)
    fields = {name: request.POST[name] for name in NOTE_FIELDS if name in request.POST}
    try:
        version = int(request.POST.get("version", "-1"))
        saved = services.save_note(
            actor=actor_of(request), encounter=item, fields=fields, version=version
        )
    except ValueError:
        return JsonResponse({"error": _("Reload the page.")}, status=400)
    except DomainError as exc:
        return JsonResponse({"error": exc.message, "code": exc.code}, status=exc.status_code)
    return JsonResponse({"version": saved.version, "saved_at": timezone.now().isoformat()})


@requires("clinical.write")
@require_POST
def add_diagnosis(request: HttpRequest, pk: Any) -> HttpResponse:
    item = _encounter(request, "clinical.write", pk)
    run_and_report(
        request,
        lambda: services.add_diagnosis(
            actor=actor_of(request),
            encounter=item,
            code=request.POST.get("code", ""),
            text=request.POST.get("text", ""),
            rank=request.POST.get("rank", "primary"),
            certainty=request.POST.get("certainty", "provisional"),
        ),
        _("The diagnosis was added."),
    )
    return redirect("clinical:encounter", pk=item.pk)


@requires("clinical.write")
@require_POST
def remove_diagnosis(request: HttpRequest, pk: Any) -> HttpResponse:
    diagnosis = access_object(
        actor_of(request),
        "clinical.write",
        Diagnosis.objects.select_related("encounter"),
        pk=pk,
    )
    run_and_report(
        request,
        lambda: services.remove_diagnosis(actor=actor_of(request), diagnosis=diagnosis),
        _("The diagnosis was marked as entered in error."),
    )
    return redirect("clinical:encounter", pk=diagnosis.encounter_id)


@requires("clinical.write")
@require_POST
def use_template(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    item = _encounter(request, "clinical.write", pk)
    template = access_object(
        actor, "clinical.write", NoteTemplate.objects.all(), pk=request.POST.get("template") or 0
    )
    run_and_report(
        request,
        lambda: services.apply_template(actor=actor, encounter=item, template=template),
        _("The template was added to the note."),
    )
    return redirect("clinical:encounter", pk=item.pk)


@requires("clinical.write")
@require_POST
def save_template(request: HttpRequest, pk: Any) -> HttpResponse:
    item = _encounter(request, "clinical.write", pk)
    run_and_report(
        request,
        lambda: services.save_template(
            actor=actor_of(request),
            name=request.POST.get("name", ""),
            note={part: getattr(item, part) for part in NOTE_FIELDS},
        ),
        _("The note was saved as a template."),
    )
    return redirect("clinical:encounter", pk=item.pk)


@requires("clinical.write")
@require_POST
def sign(request: HttpRequest, pk: Any) -> HttpResponse:
    """Sign, with the diagnoses ticked for the problem list and, when the patient's allergies
    were not asked, the doctor's acknowledgement."""
    item = _encounter(request, "clinical.write", pk)
    try:
        chosen = [int(value) for value in request.POST.getlist("problem_list")]
    except ValueError:
        messages.error(request, _("Choose from this consultation's diagnoses."))
        return redirect("clinical:encounter", pk=item.pk)
    done = run_and_report(
        request,
        lambda: services.sign(
            actor=actor_of(request),
            encounter=item,
            problem_list=chosen,
            allergies_unasked_acknowledged=request.POST.get("acknowledge_allergies") == "yes",
        ),
        _("The consultation is signed."),
    )
    if done:
        return redirect("frontdesk:queue")
    return redirect(f"{reverse('clinical:encounter', args=[item.pk])}#sign")


def _back_to_encounter(item: Encounter, part: str) -> HttpResponse:
    return redirect(f"{reverse('clinical:encounter', args=[item.pk])}#{part}")


@requires("patients.clinical_edit")
@require_POST
def record_allergy(request: HttpRequest, pk: Any) -> HttpResponse:
    """An allergy told at the consultation (the doctor or a nurse)."""
    item = _encounter(request, "clinical.view", pk)
    submit_and_report(
        request,
        AllergyForm(request.POST, prefix="allergy"),
        lambda data: services.record_allergy(actor=actor_of(request), encounter=item, **data),
        _("The allergy was recorded."),
    )
    return _back_to_encounter(item, "allergies")


@requires("patients.clinical_edit")
@require_POST
def no_known_allergies(request: HttpRequest, pk: Any) -> HttpResponse:
    item = _encounter(request, "clinical.view", pk)
    run_and_report(
        request,
        lambda: patients.record_no_known_allergies(actor=actor_of(request), patient=item.patient),
        _("Recorded: no known allergies."),
    )
    return _back_to_encounter(item, "allergies")


@requires("patients.clinical_edit")
@require_POST
def record_pregnancy(request: HttpRequest, pk: Any) -> HttpResponse:
    """Pregnant, not pregnant, breastfeeding or unknown, as asked at the consultation."""
    item = _encounter(request, "clinical.view", pk)
    run_and_report(
        request,
        lambda: services.record_pregnancy_status(
            actor=actor_of(request), encounter=item, status=request.POST.get("status", "")
        ),
        _("The pregnancy status was recorded."),
    )
    return _back_to_encounter(item, "pregnancy")


@requires("clinical.write")
@require_POST
def amend(request: HttpRequest, pk: Any) -> HttpResponse:
    item = _encounter(request, "clinical.write", pk)
    run_and_report(
        request,
        lambda: services.amend(
            actor=actor_of(request),
            encounter=item,
            text=request.POST.get("text", ""),
            reason=request.POST.get("reason", ""),
        ),
        _("The correction was added."),
    )
    return redirect("clinical:encounter", pk=item.pk)


@requires("clinical.write")
@require_POST
def add_item(request: HttpRequest, pk: Any) -> HttpResponse:
    item = _encounter(request, "clinical.write", pk)
    fields = [*prescribing.ITEM_COPY]
    run_and_report(
        request,
        lambda: prescribing.add_item(
            actor=actor_of(request),
            encounter=item,
            details={name: request.POST.get(name, "") for name in fields},
        ),
        _("The medicine was added."),
    )
    return redirect(f"{reverse('clinical:encounter', args=[item.pk])}#prescription")


@requires("clinical.write")
@require_POST
def override_alert(request: HttpRequest, pk: Any) -> HttpResponse:
    alert = access_object(
        actor_of(request),
        "clinical.write",
        SafetyAlert.objects.select_related("item__prescription__encounter"),
        pk=pk,
    )
    run_and_report(
        request,
        lambda: prescribing.override(
            actor=actor_of(request), alert=alert, reason=request.POST.get("reason", "")
        ),
        _("The warning was overridden; the reason is kept."),
    )
    encounter = alert.item.prescription.encounter_id
    return redirect(f"{reverse('clinical:encounter', args=[encounter])}#prescription")


@requires("clinical.write")
@require_POST
def stop_item(request: HttpRequest, pk: Any) -> HttpResponse:
    item = access_object(
        actor_of(request),
        "clinical.write",
        PrescriptionItem.objects.select_related("prescription__encounter"),
        pk=pk,
    )
    run_and_report(
        request,
        lambda: prescribing.stop_item(
            actor=actor_of(request), item=item, reason=request.POST.get("reason", "")
        ),
        _("The medicine was stopped."),
    )
    encounter = item.prescription.encounter_id
    return redirect(f"{reverse('clinical:encounter', args=[encounter])}#prescription")


@requires("clinical.write")
@require_POST
def repeat_last(request: HttpRequest, pk: Any) -> HttpResponse:
    item = _encounter(request, "clinical.write", pk)
    run_and_report(
        request,
        lambda: prescribing.repeat_last(actor=actor_of(request), encounter=item),
        _("The last prescription was copied; check each medicine."),
    )
    return redirect(f"{reverse('clinical:encounter', args=[item.pk])}#prescription")


def _prescription(request: HttpRequest, pk: Any) -> Prescription:
    return access_object(
        actor_of(request),
        "prescriptions.view",
        Prescription.objects.select_related("clinic", "patient", "prescriber__user", "encounter"),
        pk=pk,
    )


@requires("prescriptions.view")
def prescription(request: HttpRequest, pk: Any) -> HttpResponse:
    """The prescription as issued (the page its printed QR code opens, to verify a paper one)."""
    item = _prescription(request, pk)
    record(AuditAction.VIEW, obj=item, changes={"part": "prescription"})
    items = list(item.items.all())
    return render(
        request,
        "clinical/prescription.html",
        {"item": item, "patient": item.patient, "items": items, "today": timezone.localdate()},
    )


@requires("prescriptions.view")
def prescription_pdf(request: HttpRequest, pk: Any) -> HttpResponse:
    item = _prescription(request, pk)
    record(AuditAction.VIEW, obj=item, changes={"part": "prescription", "format": "pdf"})
    verify = request.build_absolute_uri(reverse("clinical:prescription", args=[item.pk]))
    return pdf.response(
        printing.prescription_pdf(item, verify), f"prescription-{item.patient.mrn}.pdf"
    )


@requires("clinical.write")
def follow_up(request: HttpRequest, pk: Any) -> HttpResponse:
    """ "See again in N days": the booking page with this doctor's free slots from that day."""
    item = _encounter(request, "clinical.write", pk)
    try:
        days = int(request.GET.get("days", ""))
    except ValueError:
        days = 0
    if not 1 <= days <= 365:
        messages.error(request, _("See again in 1 to 365 days."))
        return redirect("clinical:encounter", pk=item.pk)
    day = timezone.localdate() + timedelta(days=days)
    query = urlencode(
        {"patient": item.patient_id, "practitioner": item.practitioner_id, "day": day}
    )
    return redirect(f"{reverse('scheduling:book')}?{query}")


@requires("clinical.view")
def icd10(request: HttpRequest) -> HttpResponse:
    """ICD-10 codes by code or words: the type-ahead's fragment, or JSON for scripts."""
    rows = selectors.search_icd10(request.GET.get("q") or request.GET.get("text") or "")
    if "json" in request.GET:
        return JsonResponse({"results": [{"code": r.code, "title": r.title} for r in rows]})
    return render(request, "clinical/_icd10_results.html", {"rows": rows})
