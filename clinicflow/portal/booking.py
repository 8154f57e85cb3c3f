"""Booking online: the portal's window around the scheduling services.

The clinic's ``OnlineBookingSettings`` say how far ahead and how late a patient may book, whether
the desk confirms an online booking (it waits as "requested", and reception hears of it on
their bell), and until how many hours before its time the patient may cancel or move it. Every
booking, move and cancellation is then the scheduling services' own (the same slot engine, the
same checks, the same database guard against double booking, the same messages to the
patient), under the portal's policy actions: an account acts only for the records it looks
after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clinicflow.billing import prices, qr
from clinicflow.billing.models import Invoice
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import DomainError, LimitReached
from clinicflow.core.roles import Role
from clinicflow.notifications import notices
from clinicflow.patients.models import Patient
from clinicflow.portal.access import patients_of
from clinicflow.portal.clinic_settings import save_settings, settings_row
from clinicflow.scheduling import charging, services, slots, states
from clinicflow.scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    OnlineBookingSettings,
    Practitioner,
)

BOOK = "portal.book"
MANAGE = "portal.appointments"
SETTINGS = "portal.booking_settings"

#: Who hears of an online booking waiting for confirmation (their bell counts it live).
DESK = (Role.RECEPTIONIST, Role.MANAGER)

#: How many bookings one account may hold unpaid at a time, across the records it looks
#: after: each keeps a doctor's time from others and issues a numbered invoice until it is
#: paid or released.
MAX_UNPAID_HOLDS = 2


def settings_of(clinic: Any) -> OnlineBookingSettings:
    """The clinic's online-booking settings (the defaults until a manager sets them)."""
    return settings_row(OnlineBookingSettings, clinic)


def update_settings(*, actor: Actor, **values: Any) -> OnlineBookingSettings:
    """A manager sets the clinic's online booking. Errors: ``DomainError`` at the field."""
    return save_settings(OnlineBookingSettings, actor=actor, action=SETTINGS, values=values)


@dataclass(frozen=True)
class Window:
    """The times a patient may book online now: from ``earliest`` to the end of ``last_day``
    (the clinic's local date)."""

    earliest: datetime
    last_day: date

    def holds(self, start: datetime, zone: Any) -> bool:
        return start >= self.earliest and timezone.localtime(start, zone).date() <= self.last_day


def window(clinic: Any, *, now: datetime | None = None) -> Window:
    rules = settings_of(clinic)
    now = now or timezone.now()
    today = timezone.localtime(now, clinic.zone).date()
    return Window(
        earliest=now + timedelta(hours=rules.min_notice_hours),
        last_day=today + timedelta(days=rules.days_ahead),
    )


def doctors(clinic: Any) -> QuerySet[Practitioner]:
    """The clinic's active doctors a patient may book, by specialization and name."""
    return (
        Practitioner.objects.for_clinic(clinic)
        .filter(is_active=True)
        .select_related("user", "specialization")
        .order_by("specialization__name", "user__first_name", "pk")
    )


def free_slots(practitioner: Practitioner, first: date, last: date) -> list[slots.Slot]:
    """The doctor's free slots between two local dates that a patient may book online now:
    the slot engine's, within the clinic's window."""
    clinic = practitioner.clinic
    open_now = window(clinic)
    last = min(last, open_now.last_day)
    if last < first:
        return []
    return [
        s
        for s in slots.free_slots(practitioner, first, last)
        if open_now.holds(s.starts_at, clinic.zone)
    ]


def _outside_window(clinic: Any, start: datetime) -> DomainError:
    rules = settings_of(clinic)
    return DomainError(
        _(
            "Online you can book from %(hours)s hours ahead up to %(days)s days ahead. "
            "Choose another time, or call the clinic."
        )
        % {"hours": rules.min_notice_hours, "days": rules.days_ahead},
        field="starts_at",
    )


@transaction.atomic
def book_online(
    *,
    actor: Actor,
    patient: Patient,
    practitioner: Practitioner,
    starts_at: datetime,
    reason: str = "",
    uploads: Sequence[services.NewDocument] = (),
) -> Appointment:
    """Book a free slot for a record the account looks after, within the clinic's window; the
    booking waits for the desk's confirmation when the clinic says so (reception's bells
    count it). Where the clinic has the fee paid online, the doctor's fee is invoiced at once
    and the time held for ``payment_hold_minutes``: the payment confirms it (the desk is not
    asked), and unpaid it is released (``scheduling.services``). Errors: ``DomainError``
    (bookings closed, outside the window, and every refusal of
    ``scheduling.services.book_appointment``), ``SlotTaken``."""
    clinic = policy.require(actor, BOOK, patient)
    rules = _open_online(clinic)
    if not window(clinic).holds(starts_at, clinic.zone):
        raise _outside_window(clinic, starts_at)
    if not reason.strip():
        raise DomainError(_("Say briefly why you want to see the doctor."), field="reason")
    if rules.fee_paid_online and charging.booking_fee(practitioner) is not None:
        _may_hold_another(actor, clinic)
    appointment = services.book_appointment(
        actor=actor,
        patient=patient,
        practitioner=practitioner,
        starts_at=starts_at,
        kind=AppointmentKind.IN_PERSON,
        reason=reason,
        requested=rules.needs_confirmation,
        uploads=uploads,
        action=BOOK,
        hold_for_fee=timedelta(minutes=rules.payment_hold_minutes)
        if rules.fee_paid_online
        else None,
    )
    if appointment.status == AppointmentStatus.REQUESTED and appointment.payment_due_by is None:
        local = timezone.localtime(appointment.starts_at, clinic.zone)
        notices.notify_roles(
            clinic=clinic,
            roles=DESK,
            drafts=[
                notices.Draft(
                    kind="scheduling.requested",
                    key=f"appointment.requested:{appointment.pk}",
                    title=_("Online booking to confirm: %(when)s with %(doctor)s")
                    % {"when": local.strftime("%a %d %b %H:%M"), "doctor": practitioner},
                    url=reverse("scheduling:appointment", args=[appointment.pk]),
                )
            ],
        )
    return appointment


def _may_hold_another(actor: Actor, clinic: Any) -> None:
    """Refuse a booking held for its fee when the account already holds
    ``MAX_UNPAID_HOLDS`` unpaid, for any of the records it looks after (or that it booked).
    The account's row is locked first, in the booking's transaction, so two bookings at once
    by one account are counted one after the other and never pass the limit together.
    Errors: ``LimitReached``."""
    user = actor.user
    get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).get()
    held = (
        Appointment.objects.for_clinic(clinic)
        .filter(status=AppointmentStatus.REQUESTED, payment_due_by__isnull=False)
        .filter(Q(patient__in=patients_of(user, clinic).values("pk")) | Q(booked_by=user))
        .count()
    )
    if held >= MAX_UNPAID_HOLDS:
        raise LimitReached(
            _(
                "You have %(count)s bookings waiting for payment. Pay for one, or cancel it, "
                "before you book another."
            )
            % {"count": held},
            code="unpaid_holds",
        )


def may_change(
    appointment: Appointment,
    *,
    now: datetime | None = None,
    rules: OnlineBookingSettings | None = None,
) -> bool:
    """May the patient still cancel or move it online (requested or booked, and far enough
    ahead by the clinic's limit)? ``rules``: the clinic's settings, when the caller has them
    (a list asks once)."""
    rules = rules or settings_of(appointment.clinic)
    now = now or timezone.now()
    return appointment.status in states.MOVABLE and appointment.starts_at - now >= timedelta(
        hours=rules.change_until_hours
    )


def _too_late(appointment: Appointment) -> DomainError:
    rules = settings_of(appointment.clinic)
    return DomainError(
        _(
            "Online you can change an appointment until %(hours)s hours before it. "
            "Please call the clinic."
        )
        % {"hours": rules.change_until_hours}
    )


@transaction.atomic
def cancel_online(*, actor: Actor, appointment: Appointment, reason: str = "") -> Appointment:
    """The patient cancels a requested or booked appointment, until the clinic's limit.
    Errors: ``DomainError``."""
    policy.require(actor, MANAGE, appointment)
    if not may_change(appointment):
        raise _too_late(appointment)
    said = reason.strip()
    return services.change_status(
        actor=actor,
        appointment=appointment,
        to_status=AppointmentStatus.CANCELLED,
        reason=(_("Cancelled in the portal: %(why)s") % {"why": said})
        if said
        else _("Cancelled in the portal"),
        action=MANAGE,
    )


def _open_online(clinic: Any) -> Any:
    """The clinic's online-booking rules, or a refusal while it takes no bookings online."""
    rules = settings_of(clinic)
    if not rules.enabled:
        raise DomainError(_("This clinic does not take bookings online. Please call it."))
    return rules


@transaction.atomic
def move_online(*, actor: Actor, appointment: Appointment, starts_at: datetime) -> Appointment:
    """The patient moves an appointment to another free slot of the same doctor: until the
    clinic's limit before its present time, to a time within the booking window.
    Errors: ``DomainError``, ``SlotTaken``."""
    clinic = policy.require(actor, MANAGE, appointment)
    _open_online(clinic)
    if not may_change(appointment):
        raise _too_late(appointment)
    if not window(clinic).holds(starts_at, clinic.zone):
        raise _outside_window(clinic, starts_at)
    return services.reschedule(
        actor=actor, appointment=appointment, starts_at=starts_at, action=MANAGE
    )


@dataclass(frozen=True)
class Held:
    """A booking waiting for its fee: the invoice to pay, its QR, and until when."""

    invoice: Invoice
    code: str | None
    due_by: datetime


def held_bills(rows: Sequence[Appointment]) -> dict[Any, Held]:
    """The fee invoices of the held bookings among ``rows``, by appointment id, with the QR
    to pay each (``billing.qr``, as on the bill's own page); one query for the invoices."""
    held = [row for row in rows if row.payment_due_by is not None]
    if not held:
        return {}
    clinic = held[0].clinic
    bills = charging.fee_bills(clinic, [row.pk for row in held])
    rules = prices.settings_of(clinic)  # once for every QR of the page
    found: dict[Any, Held] = {}
    for row in held:
        bill = bills.get(str(row.pk))
        if bill is not None and row.payment_due_by is not None and bill.patient_due > 0:
            found[row.pk] = Held(bill, qr.svg_for(bill, rules), row.payment_due_by)
    return found


def upcoming(patient: Patient) -> list[Appointment]:
    """The record's appointments still ahead (requested or booked), soonest first."""
    return list(
        Appointment.objects.for_clinic(patient.clinic)
        .filter(
            patient=patient,
            status__in=(AppointmentStatus.REQUESTED, AppointmentStatus.BOOKED),
            ends_at__gt=timezone.now(),
        )
        .select_related("practitioner__user", "practitioner__specialization", "clinic")
        .order_by("starts_at")
    )
