"""Preferences pages: a staff member's own (which staff messages through which channels, in
which language, quiet hours) and a patient's, kept at the desk with their SMS consent."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError
from clinicflow.core.models import AuditAction
from clinicflow.notifications import messaging, preferences
from clinicflow.notifications.events import Audience
from clinicflow.notifications.forms import PreferenceForm, SmsConsentForm
from clinicflow.notifications.models import Language
from clinicflow.notifications.preferences import OWN, PATIENTS
from clinicflow.patients.models import Patient
from clinicflow.patients.selectors import active_allergies


def _initial(current: Any) -> dict[str, Any]:
    return {
        "language": current.language,
        "quiet_from": current.quiet_from,
        "quiet_until": current.quiet_until,
    }


def _show_error(form: PreferenceForm, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@requires(OWN)
def own_preferences(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own choices for the messages staff receive."""
    actor = actor_of(request)
    current = preferences.own_preference(actor.user)
    kinds = preferences.choices_of(Audience.STAFF, current.channels or {})
    form = PreferenceForm(
        request.POST or None,
        kinds=kinds,
        default_language=_("English (the default)"),
        quiet_help=_(
            "Leave both empty for none: messages come at any hour. Urgent ones come during "
            "quiet hours too."
        ),
        initial=_initial(current),
    )
    if request.method == "POST" and form.is_valid():
        try:
            preferences.update_user_preference(
                actor=actor,
                language=form.cleaned_data["language"],
                channels=form.channels(),
                quiet_from=form.cleaned_data["quiet_from"],
                quiet_until=form.cleaned_data["quiet_until"],
            )
        except DomainError as exc:
            _show_error(form, exc)
        else:
            flash.success(request, _("Your preferences were saved."))
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


def _patient(request: HttpRequest, pk: Any) -> Patient:
    """A patient of the actor's clinic, or 404 (missing and "not yours" alike)."""
    found: Patient = access_object(actor_of(request), PATIENTS, Patient.objects.all(), pk=pk)
    return found


def patient_form(patient: Patient, data: Any = None) -> tuple[PreferenceForm, Any]:
    """The form of a patient's message preferences (the desk's and the portal's), and the
    preferences as they stand."""
    current = preferences.patient_preference(patient)
    rules = messaging.settings_of(patient.clinic)
    form = PreferenceForm(
        data,
        kinds=preferences.choices_of(Audience.PATIENT, current.channels or {}),
        default_language=_("The clinic's: %(language)s")
        % {"language": Language(rules.language).label},
        quiet_help=_("Leave both empty for the clinic's: %(start)s to %(end)s.")
        % {"start": time_format(rules.quiet_from), "end": time_format(rules.quiet_until)},
        initial=_initial(current),
    )
    return form, current


def saved_patient_form(form: PreferenceForm, *, actor: Any, patient: Patient, action: str) -> bool:
    """Save a valid patient preferences form under ``action``; False with the errors on the
    form (nothing saved)."""
    if not form.is_valid():
        return False
    try:
        preferences.update_patient_preference(
            actor=actor,
            patient=patient,
            language=form.cleaned_data["language"],
            channels=form.channels(),
            quiet_from=form.cleaned_data["quiet_from"],
            quiet_until=form.cleaned_data["quiet_until"],
            action=action,
        )
    except DomainError as exc:
        _show_error(form, exc)
        return False
    return True


@requires(PATIENTS)
def patient_preferences(request: HttpRequest, pk: Any) -> HttpResponse:
    """How the patient wants to hear from the clinic, their SMS consent and its history."""
    actor = actor_of(request)
    patient = _patient(request, pk)
    form, current = patient_form(patient, request.POST or None)
    if request.method == "POST" and saved_patient_form(
        form, actor=actor, patient=patient, action=PATIENTS
    ):
        flash.success(request, _("The patient's message preferences were saved."))
        return redirect("notifications:patient_preferences", pk=patient.pk)
    if request.method == "GET":
        record(AuditAction.VIEW, obj=patient, changes={"part": "message preferences"})
    opted_out = current.sms_opted_out_at is not None
    return render(
        request,
        "notifications/patient_preferences.html",
        {
            "patient": patient,
            "allergies": active_allergies(patient),
            "today": timezone.localdate(),
            "form": form,
            "sms_opted_out_at": current.sms_opted_out_at,
            "consent_form": SmsConsentForm(initial={"opted_in": "1" if opted_out else "0"}),
            "history": preferences.consent_history(patient),
        },
    )


@requires(PATIENTS)
@require_POST
def patient_sms_consent(request: HttpRequest, pk: Any) -> HttpResponse:
    """The patient stops SMS, or asks for them again, at the desk."""
    patient = _patient(request, pk)
    form = SmsConsentForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                flash.error(request, str(error))
    else:
        opted_in = form.cleaned_data["opted_in"]
        try:
            changed = preferences.record_sms_consent(
                actor=actor_of(request),
                patient=patient,
                opted_in=opted_in,
                evidence=form.cleaned_data["evidence"],
            )
        except DomainError as exc:
            flash.error(request, exc.message)
        else:
            if not changed:
                flash.info(request, _("Nothing changed: it was already so."))
            elif opted_in:
                flash.success(request, _("SMS will be sent to this patient again."))
            else:
                flash.success(request, _("No more SMS will be sent to this patient."))
    return redirect("notifications:patient_preferences", pk=patient.pk)
