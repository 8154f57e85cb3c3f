"""The medicine schedule of the family member the portal shows: today's doses, each ticked
taken or skipped with one large button (HTMX swaps the dose; without JavaScript the page
reloads), and the adherence per medicine so far. Reading it is an audited read of the record."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.clinical import adherence
from clinicflow.core.access import actor_of, requires
from clinicflow.core.errors import DomainError
from clinicflow.portal import access
from clinicflow.portal.records import read_of


def _today(patient: Any) -> Any:
    return timezone.localtime(timezone.now(), patient.clinic.zone).date()


@requires("portal.medicines")
def medicines(request: HttpRequest) -> HttpResponse:
    member = access.selected_member(request)
    if member is None:
        return redirect("core:dashboard")
    today = _today(member)
    read_of(member, "medicines")
    return render(
        request,
        "portal/medicines.html",
        {
            "member": member,
            "today": today,
            "doses": adherence.doses_of_day(member, today),
            "adherence": adherence.adherence(member),
        },
    )


@requires("portal.medicines")
@require_POST
def dose(request: HttpRequest) -> HttpResponse:
    """Tell one dose taken or skipped; for HTMX, the dose as it now stands."""
    member = access.access_member(request, request.POST.get("patient"), adherence.RECORD)
    try:
        day = parse_date(request.POST.get("day") or "")
    except ValueError:
        day = None
    status = 200
    try:
        if day is None:
            raise DomainError(_("You can tell only the doses of the course so far."), field="day")
        told = adherence.record_dose(
            actor=actor_of(request),
            patient=member,
            item_id=request.POST.get("item"),
            day=day,
            time_of_day=request.POST.get("time", ""),
            outcome=request.POST.get("outcome", ""),
        )
    except DomainError as exc:
        if not getattr(request, "htmx", False):
            messages.error(request, exc.message)
            return redirect("portal:medicines")
        return HttpResponse(exc.message, status=400)
    if not getattr(request, "htmx", False):
        return redirect("portal:medicines")
    row = next(
        (
            r
            for r in adherence.doses_of_day(member, told.day)
            if r.dose.item.pk == told.item_id and r.time_of_day == told.time_of_day
        ),
        None,
    )
    return render(
        request,
        "portal/medicines.html#dose",
        {"member": member, "today": told.day, "row": row},
        status=status,
    )
