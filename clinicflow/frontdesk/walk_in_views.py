"""Registering an unregistered walk-in from their visit, in one step, and carrying the person
who did it on: the doctor with the patient in the room into the consultation, whoever records
vitals to the vitals form, the front desk back to the queue. Or linking the visit to the
record the walk-in already has."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.core import policy
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.errors import DomainError
from clinicflow.frontdesk import services
from clinicflow.frontdesk.forms import LinkForm, WalkInPatientForm
from clinicflow.frontdesk.models import QueueEntry, QueueStatus
from clinicflow.patients.models import Patient
from clinicflow.patients.services import PossibleDuplicates


def _walk_in(request: HttpRequest, pk: Any) -> QueueEntry:
    return access_object(
        actor_of(request),
        "frontdesk.register_walk_in",
        QueueEntry.objects.select_related("patient", "practitioner", "clinic"),
        pk=pk,
    )


def _next_step(actor: Any, item: QueueEntry) -> str:
    """Where someone who has just registered a walk-in goes on to: the doctor who has the
    patient in the room, the consultation; whoever records vitals, the vitals form; the front
    desk, the queue."""
    doctor = item.practitioner
    if (
        item.status == QueueStatus.WITH_DOCTOR
        and doctor is not None
        and doctor.user_id == actor.user.pk
        and policy.allows(actor, "clinical.write")
    ):
        return "consultation"
    if item.is_open and policy.allows_object(actor, "frontdesk.vitals", item):
        return "vitals"
    return "queue"


def _carry_on(request: HttpRequest, item: QueueEntry) -> HttpResponse:
    """The answer to the registering POST: on to the next step (see ``_next_step``)."""
    item.refresh_from_db()
    step = _next_step(actor_of(request), item)
    if step == "consultation":
        # Opening the consultation is a POST (it creates the encounter). A 307 has the browser
        # repeat this POST, CSRF token included, at the consultation's start: the doctor lands
        # in the note without a second click, and no GET ever creates an encounter.
        response = HttpResponseRedirect(reverse("clinical:start", args=[item.pk]))
        response.status_code = 307
        return response
    if step == "vitals":
        return redirect(reverse("frontdesk:entry", args=[item.pk]) + "#vitals")
    return redirect("frontdesk:queue")


def _registered(request: HttpRequest, item: QueueEntry) -> HttpResponse:
    """Tell who the visit now belongs to, and carry on."""
    response = _carry_on(request, item)
    assert item.patient is not None
    messages.success(
        request,
        _("%(name)s is registered as %(mrn)s: the visit is on their record.")
        % {"name": item.patient.full_name, "mrn": item.patient.mrn},
    )
    return response


@requires("frontdesk.register_walk_in")
def register_walk_in(request: HttpRequest, pk: Any) -> HttpResponse:
    """Register an unregistered walk-in from their visit, in one step: the form comes filled
    with the name and phone given at the desk and asks only sex and age; records that may be
    the same person are offered to link instead; then on to the consultation, the vitals or
    the queue."""
    actor = actor_of(request)
    item = _walk_in(request, pk)
    if item.patient is not None:
        if request.method == "POST":  # registered meanwhile, by someone else or in another tab
            messages.error(request, services.AlreadyRegistered(item.patient).message)
            return _carry_on(request, item)
        messages.info(
            request,
            _("This visit already belongs to %(patient)s (%(mrn)s).")
            % {"patient": item.patient.full_name, "mrn": item.patient.mrn},
        )
        return redirect("frontdesk:entry", pk=item.pk)
    form = WalkInPatientForm(request.POST or None, entry=item)
    candidates: list[Patient] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.register_walk_in(
                actor=actor,
                entry=item,
                details=form.details(),
                confirm_new=request.POST.get("confirm_new") == "1",
            )
        except PossibleDuplicates as exc:
            candidates = exc.candidates
        except services.AlreadyRegistered as exc:
            messages.error(request, exc.message)
            return _carry_on(request, item)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return _registered(request, item)
    return render(
        request,
        "frontdesk/register_walk_in.html",
        {
            "item": item,
            "form": form,
            "candidates": candidates,
            "next_step": _next_step(actor, item),
            "today": timezone.localdate(),
        },
    )


@requires("frontdesk.register_walk_in")
@require_POST
def link_patient(request: HttpRequest, pk: Any) -> HttpResponse:
    """An unregistered walk-in's visit joins the record they already have: the one the
    registration found as a likely duplicate, or one found by MRN."""
    actor = actor_of(request)
    item = _walk_in(request, pk)
    form = LinkForm(request.POST)
    patient = form.find(policy.restrict(actor, "patients.chart", Patient.objects.all()))
    if patient is None:
        mrn = request.POST.get("mrn", "").strip().upper() or "—"
        messages.error(request, _("No patient has the record number %(mrn)s.") % {"mrn": mrn})
        return redirect("frontdesk:entry", pk=item.pk)
    try:
        services.link_walk_in(actor=actor, entry=item, patient=patient)
    except services.AlreadyRegistered as exc:
        messages.error(request, exc.message)
        return _carry_on(request, item)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("frontdesk:entry", pk=item.pk)
    messages.success(
        request,
        _("The visit now belongs to %(patient)s (%(mrn)s).")
        % {"patient": patient.full_name, "mrn": patient.mrn},
    )
    return _carry_on(request, item)
