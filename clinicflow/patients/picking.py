"""The first step of a page that starts from a patient (booking, a direct lab visit): find
them as you type (name, phone, e-mail or MRN) and choose one. The rows shown name patients,
so showing them is an audited read (one event, naming those shown)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from clinicflow.core import policy
from clinicflow.core.access import actor_of
from clinicflow.core.audit.reads import record_rows_read
from clinicflow.patients.models import Patient
from clinicflow.patients.search import search_patients


def choose_patient(request: HttpRequest, *, template: str, part: str, limit: int) -> HttpResponse:
    """``template`` with the patients matching ``?q=`` (at most ``limit``); its ``#choices``
    partial alone for HTMX. ``part`` names the read in the audit trail."""
    actor = actor_of(request)
    assert actor.clinic is not None
    text = request.GET.get("q", "").strip()
    found: list[Patient] = []
    if text and policy.allows(actor, "patients.search"):
        found = search_patients(actor.clinic, text, limit=limit)
    record_rows_read(Patient, found, patient_key="pk", part=part, filters={"q": text})
    if getattr(request, "htmx", False):
        template += "#choices"
    return render(
        request,
        template,
        {
            "q": text,
            "found": found,
            "limit": limit,
            "today": timezone.localdate(),
            "may_register": policy.allows(actor, "patients.register"),
        },
    )
