"""Booking online, the patient's upcoming appointments (cancel, move), and the clinic's
online-booking settings.

Every page is about the family member the portal shows (``access.selected_member``); a form
names the record it books for and is fetched again through ``access.access_member``, and an
appointment through the policy's object rule (``portal.appointments``): another patient's
id is a 404. The bookings are the scheduling services' own, through ``portal.booking``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from clinicflow.core import policy
from clinicflow.core.access import actor_of, requires
from clinicflow.core.errors import DomainError
from clinicflow.patients.models import Patient
from clinicflow.portal import access, booking
from clinicflow.portal.booking_forms import (
    BookingSettingsForm,
    BookOnlineForm,
    CancelForm,
    MoveForm,
    first_error,
)
from clinicflow.portal.records import read_of
from clinicflow.portal.settings_views import settings_page
from clinicflow.scheduling import reviews, slots
from clinicflow.scheduling.models import Appointment, Practitioner, Specialization

WEEK = 7


def _member_or_home(request: HttpRequest) -> Patient | None:
    member = access.selected_member(request)
    if member is None:
        messages.info(request, _("Link your record first: then you can book and see it here."))
    return member


def _first_day(request: HttpRequest, last: date) -> date:
    today = timezone.localdate()
    try:
        asked = parse_date(request.GET.get("day") or "") or today
    except ValueError:
        asked = today
    return min(max(asked, today), last)


def _week(doctor: Practitioner, first: date) -> dict[date, list[slots.Slot]]:
    days: dict[date, list[slots.Slot]] = {}
    for slot in booking.free_slots(doctor, first, first + timedelta(days=WEEK - 1)):
        days.setdefault(timezone.localtime(slot.starts_at, doctor.clinic.zone).date(), []).append(
            slot
        )
    return days


@requires("portal.book")
def book(request: HttpRequest) -> HttpResponse:
    """Choose a doctor, by specialization: their fee and the average of patients' reviews."""
    actor = actor_of(request)
    member = _member_or_home(request)
    if member is None:
        return redirect("core:dashboard")
    rules = booking.settings_of(actor.clinic)
    doctors = list(booking.doctors(actor.clinic))
    chosen = request.GET.get("specialization", "")
    if chosen:
        doctors = [d for d in doctors if str(d.specialization_id) == chosen]
    ratings = reviews.ratings(actor.clinic, [d.pk for d in doctors])
    return render(
        request,
        "portal/book.html",
        {
            "member": member,
            "rules": rules,
            "doctors": [(d, ratings.get(d.pk)) for d in doctors],
            "specializations": Specialization.objects.for_clinic(actor.clinic),
            "chosen": chosen,
        },
    )


@requires("portal.book")
def book_doctor(request: HttpRequest, pk: Any) -> HttpResponse:
    """One doctor: profile, fee, reviews, a week of free times within the clinic's window;
    choosing a time, giving a reason (and a document) books it."""
    actor = actor_of(request)
    member = _member_or_home(request)
    if member is None:
        return redirect("core:dashboard")
    doctor = booking.doctors(actor.clinic).filter(pk=pk).first()
    if doctor is None:
        raise Http404
    rules = booking.settings_of(actor.clinic)
    form = BookOnlineForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        patient = access.access_member(request, request.POST.get("patient"), booking.BOOK)
        if not form.is_valid():
            messages.error(request, first_error(form))
            status = 400
        else:
            try:
                appointment = booking.book_online(
                    actor=actor,
                    patient=patient,
                    practitioner=doctor,
                    starts_at=form.cleaned_data["starts_at"],
                    reason=form.cleaned_data["reason"],
                    uploads=form.uploads(),
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                status = getattr(exc, "status_code", 400)
            else:
                zone = doctor.clinic.zone
                due_by = appointment.payment_due_by
                said = {
                    "when": timezone.localtime(appointment.starts_at, zone).strftime(
                        "%a %d %b %H:%M"
                    ),
                    "doctor": doctor,
                    "until": timezone.localtime(due_by, zone).strftime("%H:%M") if due_by else "",
                }
                if due_by is not None:
                    text = _(
                        "Held: %(when)s with %(doctor)s. Pay now to keep this time "
                        "(until %(until)s)."
                    )
                elif appointment.status == "requested":
                    text = _("Requested: %(when)s with %(doctor)s. The clinic will confirm it.")
                else:
                    text = _("Booked: %(when)s with %(doctor)s.")
                messages.success(request, text % said)
                return redirect("portal:appointments")
    open_now = booking.window(actor.clinic)
    first = _first_day(request, open_now.last_day)
    return render(
        request,
        "portal/book_doctor.html",
        {
            "member": member,
            "doctor": doctor,
            "rules": rules,
            "rating": reviews.ratings(actor.clinic, [doctor.pk]).get(doctor.pk),
            "days": _week(doctor, first) if rules.enabled else {},
            "first": first,
            "earlier": max(first - timedelta(days=WEEK), timezone.localdate()),
            "later": first + timedelta(days=WEEK)
            if first + timedelta(days=WEEK) <= open_now.last_day
            else None,
            "form": form,
        },
        status=status,
    )


# ---------------------------------------------------------------- upcoming appointments


def _appointment(request: HttpRequest, pk: Any) -> Appointment:
    actor = actor_of(request)
    found = (
        policy.restrict(actor, booking.MANAGE, Appointment.objects.for_clinic(actor.clinic))
        .select_related("practitioner__user", "patient", "clinic")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


@requires("portal.appointments")
def appointments(request: HttpRequest) -> HttpResponse:
    member = _member_or_home(request)
    if member is None:
        return redirect("core:dashboard")
    rows = booking.upcoming(member)
    rules = booking.settings_of(member.clinic)
    held = booking.held_bills(rows)
    # The fee invoices shown with held bookings are reads of the bill too.
    shown_bills: dict[str, Any] = {"invoices": [h.invoice.number for h in held.values()]}
    read_of(member, "appointments", **(shown_bills if held else {}))
    return render(
        request,
        "portal/appointments.html",
        {
            "member": member,
            "rows": [(row, booking.may_change(row, rules=rules), held.get(row.pk)) for row in rows],
            "rules": rules,
            # While a booking waits for its payment the page looks again by itself, so the
            # payment's confirmation shows without a refresh.
            "polling": bool(held),
        },
    )


@requires("portal.appointments")
def appointment_cancel(request: HttpRequest, pk: Any) -> HttpResponse:
    appointment = _appointment(request, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                booking.cancel_online(
                    actor=actor_of(request),
                    appointment=appointment,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Your appointment is cancelled."))
        else:
            messages.error(request, first_error(form))
        return redirect("portal:appointments")
    return render(
        request, "portal/appointment_cancel.html", {"appointment": appointment, "form": form}
    )


@requires("portal.appointments")
def appointment_move(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    appointment = _appointment(request, pk)
    form = MoveForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, first_error(form))
            status = 400
        else:
            try:
                moved = booking.move_online(
                    actor=actor, appointment=appointment, starts_at=form.cleaned_data["starts_at"]
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                status = getattr(exc, "status_code", 400)
            else:
                when = timezone.localtime(moved.starts_at, moved.clinic.zone)
                messages.success(
                    request, _("Moved to %(when)s.") % {"when": when.strftime("%a %d %b %H:%M")}
                )
                return redirect("portal:appointments")
    open_now = booking.window(actor.clinic)
    first = _first_day(request, open_now.last_day)
    return render(
        request,
        "portal/appointment_move.html",
        {
            "appointment": appointment,
            "may_change": booking.may_change(appointment),
            "days": _week(appointment.practitioner, first),
            "first": first,
            "earlier": max(first - timedelta(days=WEEK), timezone.localdate()),
            "later": first + timedelta(days=WEEK)
            if first + timedelta(days=WEEK) <= open_now.last_day
            else None,
            "form": form,
        },
        status=status,
    )


# ---------------------------------------------------------------- the clinic's settings


@requires("portal.booking_settings")
def booking_settings(request: HttpRequest) -> HttpResponse:
    return settings_page(
        request,
        current=booking.settings_of(actor_of(request).clinic),
        form_class=BookingSettingsForm,
        fields=(
            "enabled",
            "days_ahead",
            "min_notice_hours",
            "needs_confirmation",
            "change_until_hours",
            "fee_paid_online",
            "payment_hold_minutes",
        ),
        save=booking.update_settings,
        saved=_("Online booking settings saved."),
        page={
            "heading": _("Online booking"),
            "intro": _("How patients book, cancel and move appointments in the portal."),
            "testid": "booking-settings",
        },
    )
