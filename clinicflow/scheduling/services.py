"""Every write on schedules and appointments. Booking and moving lock the patient's row, check
the time is a working slot and free for both, and insert. Two bookings of one doctor's time are
settled by the database, not by a lock that would queue every booking of the doctor: on
PostgreSQL the exclusion constraints refuse the second insert (it waits for the first to
commit), on SQLite every write transaction is serialised (BEGIN IMMEDIATE), so the check always
sees the winner. A loser hears "that time was just taken" with that day's free slots."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from clinicflow.accounts.models import Membership
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.chain import atomic_audited
from clinicflow.core.errors import Conflict, DomainError, NeedsConfirmation, field_errors
from clinicflow.core.models import Clinic
from clinicflow.core.roles import Role
from clinicflow.patients import services as patient_services
from clinicflow.patients.models import DocumentCategory, DocumentStatus, Patient, PatientDocument
from clinicflow.patients.uploads import check_upload
from clinicflow.scheduling import charging, messages, signals, slots, states
from clinicflow.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentChange,
    AppointmentDocument,
    AppointmentKind,
    AppointmentStatus,
    AvailabilityRule,
    Practitioner,
    Specialization,
    TimeOff,
)


class SlotTaken(Conflict):
    """Someone else got the time first (or the patient is busy then)."""

    default_code = "slot_taken"

    def __init__(self, message: str, fresh: list[slots.Slot]):
        super().__init__(message, field="starts_at")
        self.fresh = fresh

    @property
    def payload(self) -> dict[str, object]:
        # In the clinic's zone with its offset, as every time the API writes.
        return {
            "free_slots": [timezone.localtime(s.starts_at).isoformat() for s in self.fresh[:10]]
        }


def _require(actor: Actor, action: str, obj: Any = None) -> Clinic:
    clinic: Clinic = policy.require(actor, action, obj)
    return clinic


#: Who books and manages appointments besides the desk: the patient portal, for the records an
#: account looks after (the policy's object rule on the patient or appointment). Each may book
#: (``BOOK``) and make only the moves named here, through these same services and rules; the
#: portal adds its own window (how far ahead, how late) before calling them.
BOOK = "appointments.book"
MANAGE = "appointments.manage"
SELF_SERVICE_MOVES: dict[str, frozenset[str]] = {
    "portal.appointments": frozenset({AppointmentStatus.CANCELLED}),
}


#: PostgreSQL's "deadlock detected" (two inserts waiting on each other's overlapping row).
DEADLOCK = "40P01"
#: The exclusion constraints of migration 0002 and the refusal each one means.
_OVERLAP_MESSAGES = {
    "appointment_no_doctor_overlap": _lazy("That time was just taken. Choose another one."),
    "appointment_no_patient_overlap": _lazy("The patient already has an appointment at that time."),
}


def _lock(
    clinic: Clinic, practitioner: Practitioner, patient: Patient
) -> tuple[Practitioner, Patient]:
    """The patient's row, fresh and locked (a merge or deactivation waits for the booking),
    and the doctor with their clinic. The doctor's row is not locked: that made every booking
    of the doctor wait in line, and the database already settles two bookings of the same
    time (see the module's doc)."""
    if practitioner.clinic_id != clinic.pk or patient.clinic_id != clinic.pk:
        raise DomainError(_("You may not do this."), code="forbidden")
    practitioner.clinic = clinic  # the same row: spares loading it again
    person = Patient.objects.for_clinic(clinic).select_for_update().get(pk=patient.pk)
    return practitioner, person


def _day_of(doctor: Practitioner, start: datetime) -> date:
    return timezone.localtime(start, doctor.clinic.zone).date()


def _overlap_refusal(doctor: Practitioner, start: datetime, error: IntegrityError) -> SlotTaken:
    """The refusal for an insert PostgreSQL's exclusion constraint stopped (another booking
    committed first); any other integrity error is a bug and is raised as it is."""
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    message = _OVERLAP_MESSAGES.get(getattr(diag, "constraint_name", None) or "")
    if getattr(cause, "sqlstate", None) != "23P01" or message is None:
        raise error
    day = _day_of(doctor, start)
    return SlotTaken(str(message), slots.free_slots(doctor, day, day))


def _check_free(
    doctor: Practitioner,
    patient: Patient,
    start: datetime,
    *,
    moving: Appointment | None = None,
) -> datetime:
    """The end of a bookable slot starting at ``start``, or a refusal with fresh slots."""
    day = _day_of(doctor, start)
    working_day = slots.working_slots(doctor, day, day)
    working = {s.starts_at: s for s in working_day}
    if start not in working:
        raise DomainError(
            _("%(doctor)s does not see patients at that time.") % {"doctor": doctor},
            field="starts_at",
        )
    if start < timezone.now():
        raise DomainError(_("That time has passed."), field="starts_at")
    end = working[start].ends_at
    overlapping = (
        Appointment.objects.for_clinic(doctor.clinic)
        .filter(Q(practitioner=doctor) | Q(patient=patient))
        .filter(status__in=ACTIVE_STATUSES, starts_at__lt=end, ends_at__gt=start)
    )
    if moving is not None:
        overlapping = overlapping.exclude(pk=moving.pk)
    clash = overlapping.first()
    if clash is not None:
        if clash.practitioner_id == doctor.pk:
            message = _("That time was just taken. Choose another one.")
        else:
            message = _("The patient already has an appointment at that time.")
        # That day's free slots only: the refusal stays cheap when many lose a race.
        raise SlotTaken(message, slots.free_among(doctor, working_day, day, day))
    return end


def _log(
    appointment: Appointment,
    actor: Actor,
    from_status: str,
    *,
    answered_on: str = "",
    **changes: Any,
) -> None:
    AppointmentChange.objects.create(
        clinic=appointment.clinic,
        appointment=appointment,
        from_status=from_status,
        to_status=appointment.status,
        changed_by=actor.user if actor.is_authenticated else None,
        **changes,
    )
    signals.appointment_changed.send(
        Appointment, appointment=appointment, from_status=from_status, actor=actor
    )
    messages.tell_change(appointment, from_status, changes, answered_on=answered_on)


@atomic_audited
def book_appointment(
    *,
    actor: Actor,
    patient: Patient,
    practitioner: Practitioner,
    starts_at: datetime,
    kind: str = AppointmentKind.IN_PERSON,
    reason: str = "",
    requested: bool = False,
    documents: Sequence[PatientDocument] = (),
    uploads: Sequence[NewDocument] = (),
    action: str = BOOK,
    hold_for_fee: timedelta | None = None,
) -> Appointment:
    """Book a free slot of the doctor for the patient (``requested`` waits for confirmation),
    with the patient's ``documents`` and new ``uploads`` attached (see ``attach_documents``).
    ``action``: the desk's (any patient of the clinic) or the portal's ``portal.book`` (a
    record the account looks after; its uploads are kept without the desk's upload right).

    ``hold_for_fee``: the doctor's fee is paid online (the portal, where the clinic says so):
    it is charged and invoiced at once, and the booking waits as "requested", its time
    taken, until it is paid (confirmed: ``fee_paid``) or ``hold_for_fee`` has passed
    (released: ``release_unpaid``). A doctor without a priced fee is booked as usual.

    Rules: the doctor works then (rules, time off); the time is not past; neither the doctor
    nor the patient has another active appointment overlapping it. Errors: ``DomainError``;
    ``SlotTaken`` (409) with that day's free slots when the time is taken; a refused document
    or file refuses the whole booking.
    """
    clinic = _require(actor, action, patient)
    if practitioner.clinic_id != clinic.pk or patient.clinic_id != clinic.pk:
        raise DomainError(_("You may not do this."), code="forbidden")
    if not practitioner.is_active:
        raise DomainError(_("This doctor does not take appointments now."), field="practitioner")
    if not patient.is_active:
        raise DomainError(_("This patient record is inactive."), field="patient")
    doctor, person = _lock(clinic, practitioner, patient)
    end = _check_free(doctor, person, starts_at)
    fee = charging.booking_fee(doctor) if hold_for_fee is not None else None
    appointment = Appointment(
        clinic=clinic,
        patient=person,
        practitioner=doctor,
        starts_at=starts_at,
        ends_at=end,
        kind=kind,
        reason=reason.strip(),
        status=AppointmentStatus.REQUESTED
        if requested or fee is not None
        else AppointmentStatus.BOOKED,
        booked_by=actor.user,
        payment_due_by=timezone.now() + hold_for_fee
        if fee is not None and hold_for_fee is not None
        else None,
    )
    with field_errors():
        appointment.full_clean(
            exclude=["patient", "practitioner", "clinic", "booked_by"], validate_unique=False
        )
    _insert(appointment, doctor, starts_at)
    if fee is not None:
        charging.charge_booking_fee(appointment, fee, by=actor.user)
    _log(appointment, actor, "")
    if documents or uploads:
        _attach(actor, appointment, documents, uploads, checked=action != BOOK)
    return appointment


def _insert(appointment: Appointment, doctor: Practitioner, starts_at: datetime) -> None:
    """Insert a new appointment under the database's overlap guard (PostgreSQL's exclusion
    constraints), past a deadlock (``_write_under_overlap_guard``)."""
    try:
        _write_under_overlap_guard(lambda: appointment.save(force_insert=True))
    except IntegrityError as error:
        raise _overlap_refusal(doctor, starts_at, error) from None


def _write_under_overlap_guard(write: Callable[[], None]) -> None:
    """Run ``write`` (one insert or update of an appointment's time) in its own savepoint.
    Two overlapping writes at the same instant (two bookings, a booking and a move) can each
    wait for the other's row in the exclusion constraints' indexes: PostgreSQL then cancels
    one as a deadlock. That write is tried once more (back to its savepoint, its own row
    version gone): it now meets the other's row and raises the ``IntegrityError`` of the
    overlap, or finds the time free if the other was rolled back. A second deadlock, and any
    other error, is raised as it is."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                write()
            return
        except OperationalError as error:
            if attempt or getattr(error.__cause__, "sqlstate", None) != DEADLOCK:
                raise


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.for_clinic(appointment.clinic)
        # The patient's row as _lock takes it, never the doctor's (see _lock).
        .select_for_update(of=("self", "patient"))
        .select_related("practitioner", "patient")
        .get(pk=appointment.pk)
    )


# ---------------------------------------------------------------- arrival and no-show


def no_show_grace() -> timedelta:
    """How long after its start a booked appointment waits for the patient."""
    return timedelta(minutes=settings.CLINICFLOW_NO_SHOW_GRACE_MINUTES)


def no_show_from(appointment: Appointment) -> datetime:
    """When the appointment may become a no-show: its start plus the grace period (before
    that the patient may still come)."""
    return appointment.starts_at + no_show_grace()


def _when(appointment: Appointment, now: datetime) -> str:
    """The booked time as the front desk says it: "today at 15:00", "on Monday 9:00", or with
    the date when it is more than a few days away."""
    zone = appointment.clinic.zone
    start = timezone.localtime(appointment.starts_at, zone)
    days = abs((start.date() - timezone.localtime(now, zone).date()).days)
    if days == 0:
        return _("today at %(time)s") % {"time": date_format(start, "G:i")}
    return _("on %(when)s") % {"when": date_format(start, "l G:i" if days < 7 else "l j F Y, G:i")}


def require_check_in_time(appointment: Appointment, *, confirm: bool = False) -> None:
    """Checking in further than the window (``CLINICFLOW_CHECK_IN_WINDOW_MINUTES``) from the
    booked start, on either side, is what happens when a patient comes on the wrong day or
    the wrong appointment was clicked: it needs the person's ``confirm``.
    Errors: ``NeedsConfirmation`` (409, code ``check_in_outside_window``)."""
    now = timezone.now()
    window = timedelta(minutes=settings.CLINICFLOW_CHECK_IN_WINDOW_MINUTES)
    if confirm or abs(now - appointment.starts_at) <= window:
        return
    raise NeedsConfirmation(
        _("This appointment is %(when)s; check in anyway?") % {"when": _when(appointment, now)},
        code="check_in_outside_window",
    )


def offered_moves(appointment: Appointment) -> list[str]:
    """The moves to offer for the appointment now: the legal ones, without "no-show" before
    its time has come (see ``no_show_from``), nor "confirm" while it waits for its fee."""
    moves = sorted(states.TRANSITIONS[appointment.status])
    if timezone.now() < no_show_from(appointment):
        moves = [s for s in moves if s != AppointmentStatus.NO_SHOW]
    if appointment.payment_due_by is not None:  # its payment confirms it, not the desk
        moves = [s for s in moves if s != AppointmentStatus.BOOKED]
    return moves


@transaction.atomic
def change_status(
    *,
    actor: Actor,
    appointment: Appointment,
    to_status: str,
    reason: str = "",
    confirm: bool = False,
    action: str = MANAGE,
) -> Appointment:
    """Move the appointment along its life (see ``states``). Cancelling needs a reason;
    checking in far from the booked time needs ``confirm`` (``require_check_in_time``); a
    no-show only once the start plus the grace period has passed. ``action``: the desk's, or
    one of ``SELF_SERVICE_MOVES`` (only its moves).
    Errors: ``DomainError`` for an illegal or early move, e.g. completing a cancelled
    appointment; ``NeedsConfirmation``."""
    _require(actor, action, appointment)
    if action != MANAGE and to_status not in SELF_SERVICE_MOVES.get(action, ()):
        raise DomainError(_("You may not do this."), code="forbidden")
    if to_status == AppointmentStatus.CANCELLED:
        # A held booking's bill is locked before the booking, in the order a payment takes
        # them (see ``release_unpaid``).
        charging.fee_bill(appointment, lock=True)
    appointment = _locked(appointment)
    current = appointment.status
    if to_status == AppointmentStatus.BOOKED and appointment.payment_due_by is not None:
        raise DomainError(
            _(
                "This booking waits for its fee, paid online until %(time)s; take the payment "
                "at the cash desk to confirm it."
            )
            % {"time": _time_of(appointment, appointment.payment_due_by)},
            field="status",
            code="awaiting_payment",
        )
    if not states.may_move(current, to_status):
        raise DomainError(
            _("A %(current)s appointment cannot become %(target)s.")
            % {
                "current": AppointmentStatus(current).label.lower(),
                "target": AppointmentStatus(to_status).label.lower()
                if to_status in AppointmentStatus.values
                else to_status,
            },
            field="status",
        )
    if to_status in states.CLINICIAN_MOVES:
        _require(actor, states.action_for(to_status), appointment)  # see_patients
    if to_status == AppointmentStatus.CANCELLED and not reason.strip():
        raise DomainError(_("Say why the appointment is cancelled."), field="reason")
    if to_status == AppointmentStatus.CHECKED_IN:
        require_check_in_time(appointment, confirm=confirm)
    if to_status == AppointmentStatus.NO_SHOW and timezone.now() < no_show_from(appointment):
        raise DomainError(
            _("Too early for a no-show: the patient may still come until %(time)s.")
            % {
                "time": date_format(
                    timezone.localtime(no_show_from(appointment), appointment.clinic.zone), "G:i"
                )
            },
            field="status",
        )
    appointment.status = to_status
    appointment.status_reason = reason.strip()[:200]
    held = appointment.payment_due_by is not None
    appointment.payment_due_by = None
    appointment.save(update_fields=["status", "status_reason", "payment_due_by"])
    if held:  # cancelled before it was paid for: the fee's bill is withdrawn
        charging.withdraw_fee(appointment, reason=appointment.status_reason)
    _log(appointment, actor, current, reason=appointment.status_reason)
    return appointment


def _time_of(appointment: Appointment, moment: datetime) -> str:
    return date_format(timezone.localtime(moment, appointment.clinic.zone), "G:i")


# ---------------------------------------------------------------- held for the booking fee


def _held(clinic: Clinic, ids: Sequence[Any]) -> Any:
    """Bookings still held for their fee, locked (their own rows only: a payment holds the
    invoice's lock and takes nothing the booking services take before it)."""
    return (
        Appointment.objects.for_clinic(clinic)
        .select_for_update(of=("self",))
        .filter(pk__in=ids, status=AppointmentStatus.REQUESTED, payment_due_by__isnull=False)
    )


def fee_paid(clinic: Clinic, appointment_ids: list[str]) -> int:
    """Billing's word (``SourceKind.settled``, inside the payment's transaction and under
    its invoice's lock) that the fee of these bookings is paid: each one still held is
    confirmed, however late the payment (until the release sweep withdrew the bill, the
    time is still the patient's). How many were confirmed."""
    actor = Actor.system(clinic)
    confirmed = 0
    for appointment in _held(clinic, appointment_ids).select_related("practitioner", "patient"):
        appointment.clinic = clinic
        appointment.status, appointment.payment_due_by = AppointmentStatus.BOOKED, None
        appointment.save(update_fields=["status", "payment_due_by"])
        _log(appointment, actor, AppointmentStatus.REQUESTED, reason=_("Booking fee paid"))
        confirmed += 1
    return confirmed


#: Why a held booking was released.
NOT_PAID = _lazy("Not paid in time")


@atomic_audited
def release_unpaid(*, actor: Actor, appointment: Appointment) -> int:
    """The release sweep's: a booking still held for its fee after its time to pay is
    cancelled as "not paid in time" (its time free again) and its bill withdrawn through
    billing's rules (a credit note of the issued invoice). The invoice is locked first, as
    a payment locks it, so a payment and the release of one booking happen one after the
    other: paid first, it is confirmed and not released; released first, the payment that
    follows is kept as the patient's credit (``billing.payments``). 0 when it was paid,
    cancelled or moved on meanwhile."""
    charging.fee_bill(appointment, lock=True)
    held = (
        _held(appointment.clinic, [appointment.pk])
        .filter(payment_due_by__lte=timezone.now())
        .first()
    )
    if held is None:
        return 0
    held.clinic = appointment.clinic
    held.status, held.status_reason = AppointmentStatus.CANCELLED, str(NOT_PAID)
    held.payment_due_by = None
    held.save(update_fields=["status", "status_reason", "payment_due_by"])
    charging.withdraw_fee(held, reason=held.status_reason)
    _log(held, actor, AppointmentStatus.REQUESTED, reason=held.status_reason)
    return 1


@transaction.atomic
def answer_by_patient(
    *, appointment: Appointment, confirm: bool, via: str, answered_on: str = ""
) -> bool:
    """The patient's own answer to a reminder, from the phone on their record: they will come
    (noted on the appointment) or they will not (cancelled, the slot freed). No staff member
    acts, so no role is asked; the caller has matched the sender to the patient, and its
    reply on ``answered_on`` tells them the outcome. False when the appointment is no longer
    booked or already begun (nothing changes)."""
    appointment = _locked(appointment)
    if appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= timezone.now():
        return False
    actor = Actor.system(appointment.clinic)
    if confirm:
        appointment.patient_confirmed_at = timezone.now()
        appointment.save(update_fields=["patient_confirmed_at"])
        _log(
            appointment, actor, AppointmentStatus.BOOKED, reason=f"Confirmed by the patient ({via})"
        )
        return True
    appointment.status = AppointmentStatus.CANCELLED
    appointment.status_reason = f"Cancelled by the patient ({via})"
    appointment.save(update_fields=["status", "status_reason"])
    _log(
        appointment,
        actor,
        AppointmentStatus.BOOKED,
        answered_on=answered_on,
        reason=appointment.status_reason,
    )
    return True


@transaction.atomic
def mark_no_show(*, actor: Actor, appointment: Appointment) -> int:
    """The system marks a booked appointment that nobody checked in as a no-show (the
    periodic task), once its grace period is over; 0 when someone changed it in the meantime
    (or it is not late yet)."""
    appointment = _locked(appointment)
    if appointment.status != AppointmentStatus.BOOKED or timezone.now() < no_show_from(appointment):
        return 0
    appointment.status = AppointmentStatus.NO_SHOW
    appointment.status_reason = _("Not checked in by the end of the grace period.")
    appointment.save(update_fields=["status", "status_reason"])
    _log(appointment, actor, AppointmentStatus.BOOKED, reason=appointment.status_reason)
    return 1


@transaction.atomic
def reschedule(
    *, actor: Actor, appointment: Appointment, starts_at: datetime, action: str = MANAGE
) -> Appointment:
    """Move a requested or booked appointment to another free slot of the same doctor; the
    history keeps the old time. ``action``: the desk's or the portal's
    (``portal.appointments``: an appointment of a record the account looks after).
    Errors: ``DomainError``; ``SlotTaken``."""
    _require(actor, action, appointment)
    doctor, person = _lock(appointment.clinic, appointment.practitioner, appointment.patient)
    appointment = _locked(appointment)
    if appointment.status not in states.MOVABLE:
        raise DomainError(_("Only a requested or booked appointment can be moved."))
    old = appointment.starts_at
    end = _check_free(doctor, person, starts_at, moving=appointment)
    appointment.starts_at, appointment.ends_at = starts_at, end
    try:
        _write_under_overlap_guard(lambda: appointment.save(update_fields=["starts_at", "ends_at"]))
    except IntegrityError:
        raise SlotTaken(_("That time was just taken. Choose another one."), []) from None
    _log(appointment, actor, appointment.status, old_starts_at=old, new_starts_at=starts_at)
    return appointment


# ---------------------------------------------------------------- documents


@dataclass(frozen=True)
class NewDocument:
    """A file to keep as the patient's document and attach to the appointment."""

    content: bytes
    original_name: str
    category: str = DocumentCategory.OTHER
    title: str = ""


def _attach(
    actor: Actor,
    appointment: Appointment,
    documents: Sequence[PatientDocument],
    uploads: Sequence[NewDocument],
    *,
    checked: bool = False,
) -> list[PatientDocument]:
    """Check every document and file first, then keep the files and write the links: a
    refusal leaves nothing behind (the rows roll back; the files stored so far are removed).
    ``checked``: the caller's own action already covers keeping the patient's files (a
    portal account uploading to its own booking), else the desk's upload right is asked."""
    patient = appointment.patient
    if documents and not policy.allows_object(actor, "patients.documents.view", patient):
        raise DomainError(_("You may not do this."), code="forbidden")
    ids = {d.pk for d in documents}
    found = {
        d.pk: d
        for d in PatientDocument.objects.for_clinic(appointment.clinic).filter(
            pk__in=ids, patient=patient, status=DocumentStatus.CURRENT
        )
    }
    if len(found) != len(ids):
        raise DomainError(_("Attach only current documents of this patient."), field="documents")
    for upload in uploads:
        check_upload(upload.content)  # every file refused before any is kept
    kept: list[PatientDocument] = []
    try:
        for upload in uploads:
            keep = (
                functools.partial(patient_services.keep_document, clinic=appointment.clinic)
                if checked
                else patient_services.upload_document
            )
            kept.append(
                keep(
                    actor=actor,
                    patient=patient,
                    content=upload.content,
                    original_name=upload.original_name,
                    category=upload.category,
                    title=upload.title,
                )
            )
        attached = set(
            AppointmentDocument.objects.for_clinic(appointment.clinic)
            .filter(appointment=appointment)
            .values_list("document_id", flat=True)
        )
        chosen = [d for d in (*found.values(), *kept) if d.pk not in attached]
        for document in chosen:
            AppointmentDocument.objects.create(
                clinic=appointment.clinic,
                appointment=appointment,
                document=document,
                attached_by=actor.user,
            )
    except Exception:
        for document in kept:
            _delete_files(document.file, document.thumbnail)
        raise
    return chosen


@transaction.atomic
def attach_documents(
    *,
    actor: Actor,
    appointment: Appointment,
    documents: Sequence[PatientDocument] = (),
    uploads: Sequence[NewDocument] = (),
) -> list[PatientDocument]:
    """Attach documents of the appointment's patient, existing ones or new uploads (kept as
    the patient's documents, checked by content), to the appointment. A document already
    attached is left as it is. Returns the newly attached ones.

    Rules: the actor may manage the appointment; linking needs the right to open the patient's
    documents, uploading the right to upload them; only current documents of the same patient
    (never another patient's or clinic's). Errors: ``DomainError`` at ``documents`` or
    ``file``; nothing is kept when any is refused."""
    _require(actor, "appointments.manage", appointment)
    if not documents and not uploads:
        raise DomainError(_("Choose a document or a file."), field="documents")
    appointment = _locked(appointment)
    return _attach(actor, appointment, documents, uploads)


# ---------------------------------------------------------------- availability


@dataclass(frozen=True)
class Preset:
    name: str
    hours: tuple[tuple[time, time], ...]


#: Shift presets; each is one click to fill a week (times are the clinic's).
PRESETS = {
    "full_day": Preset(_("Full day"), ((time(9), time(13)), (time(14), time(17)))),
    "morning": Preset(_("Morning"), ((time(8), time(12)),)),
    "evening": Preset(_("Evening"), ((time(16), time(20)),)),
}


def _conflicting(practitioner: Practitioner, *, since: datetime) -> list[Appointment]:
    """Booked appointments that no longer sit in a working slot (for staff to reschedule)."""
    upcoming = list(
        Appointment.objects.for_clinic(practitioner.clinic)
        .filter(practitioner=practitioner, status__in=ACTIVE_STATUSES, starts_at__gte=since)
        .select_related("patient")
        .order_by("starts_at")[:500]
    )
    if not upcoming:
        return []
    zone = practitioner.clinic.zone
    first = timezone.localtime(upcoming[0].starts_at, zone).date()
    last = timezone.localtime(upcoming[-1].starts_at, zone).date()
    working = {s.starts_at for s in slots.working_slots(practitioner, first, last)}
    return [a for a in upcoming if a.starts_at not in working]


@transaction.atomic
def add_rule(
    *,
    actor: Actor,
    practitioner: Practitioner,
    weekday: int,
    start_time: time,
    end_time: time,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> AvailabilityRule:
    """Add working hours; overlapping hours of the same day are refused."""
    clinic = _require(actor, "scheduling.availability", practitioner)
    rule = AvailabilityRule(
        clinic=clinic,
        practitioner=practitioner,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    if end_time <= start_time:
        raise DomainError(_("The end must be after the start."), field="end_time")
    with field_errors():
        rule.full_clean(exclude=["practitioner", "clinic"], validate_unique=False)
    same_day = AvailabilityRule.objects.for_clinic(clinic).filter(
        practitioner=practitioner,
        weekday=weekday,
        start_time__lt=end_time,
        end_time__gt=start_time,
    )
    if (
        valid_from is None
        and valid_until is None
        and same_day.filter(valid_from__isnull=True, valid_until__isnull=True).exists()
    ):
        raise DomainError(
            _("These hours overlap hours already set for that day."), field="start_time"
        )
    rule.save()
    return rule


@transaction.atomic
def apply_preset(
    *, actor: Actor, practitioner: Practitioner, preset: str, weekdays: list[int]
) -> list[Appointment]:
    """Replace the weekly hours of these days with a preset. Returns the booked appointments
    that now fall outside the hours: listed for rescheduling, never dropped."""
    clinic = _require(actor, "scheduling.availability", practitioner)
    chosen = PRESETS.get(preset)
    if chosen is None:
        raise DomainError(_("Unknown preset."), field="preset")
    AvailabilityRule.objects.for_clinic(clinic).filter(
        practitioner=practitioner,
        weekday__in=weekdays,
        valid_from__isnull=True,
        valid_until__isnull=True,
    ).delete()
    for weekday in weekdays:
        for start, end in chosen.hours:
            AvailabilityRule.objects.create(
                clinic=clinic,
                practitioner=practitioner,
                weekday=weekday,
                start_time=start,
                end_time=end,
            )
    return _conflicting(practitioner, since=timezone.now())


@transaction.atomic
def remove_rule(*, actor: Actor, rule: AvailabilityRule) -> list[Appointment]:
    """Remove working hours; returns appointments left outside the hours, for rescheduling."""
    _require(actor, "scheduling.availability", rule.practitioner)
    practitioner = rule.practitioner
    rule.delete()
    return _conflicting(practitioner, since=timezone.now())


@transaction.atomic
def add_time_off(
    *,
    actor: Actor,
    practitioner: Practitioner | None,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
) -> tuple[TimeOff, list[Appointment]]:
    """Leave for one doctor, or a clinic-wide holiday (no doctor). Returns the appointments it
    covers, for staff to reschedule: they are never cancelled silently."""
    action = "scheduling.availability" if practitioner else "scheduling.manage"
    clinic = _require(actor, action, practitioner)
    if ends_at <= starts_at:
        raise DomainError(_("The end must be after the start."), field="ends_at")
    if not reason.strip():
        raise DomainError(_("Give a reason (leave, holiday…)."), field="reason")
    off = TimeOff.objects.create(
        clinic=clinic,
        practitioner=practitioner,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip()[:120],
        created_by=actor.user,
    )
    covered = Appointment.objects.for_clinic(clinic).filter(
        status__in=ACTIVE_STATUSES, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if practitioner is not None:
        covered = covered.filter(practitioner=practitioner)
    return off, list(covered.select_related("patient", "practitioner__user").order_by("starts_at"))


@transaction.atomic
def create_practitioner(
    *, actor: Actor, user: Any, specialization: str, details: dict[str, Any]
) -> Practitioner:
    """A doctor's profile in the actor's clinic; the specialization is added to the clinic's
    list if new. Errors: ``DomainError`` (not a doctor here, a profile already exists)."""
    clinic = _require(actor, "scheduling.manage")
    if not Membership.objects.filter(
        user=user, clinic=clinic, role=Role.DOCTOR, is_active=True
    ).exists():
        raise DomainError(_("Only a doctor of this clinic can have a profile."), field="user")
    if Practitioner.objects.for_clinic(clinic).filter(user=user).exists():
        raise DomainError(_("This doctor already has a profile."), field="user")
    name = specialization.strip()
    if not name:
        raise DomainError(_("Name the specialization."), field="specialization_name")
    kind, _created = Specialization.objects.for_clinic(clinic).get_or_create(
        clinic=clinic, name=name
    )
    practitioner = Practitioner(clinic=clinic, user=user, specialization=kind, **details)
    with field_errors():
        practitioner.full_clean(exclude=["clinic", "user", "specialization"], validate_unique=False)
    practitioner.save()
    return practitioner


#: A doctor's photo is small: a portrait, not a scan.
PHOTO_MAX_MB = 2
PHOTO_TYPES = ("image/jpeg", "image/png")


def _delete_files(*stored: Any) -> None:
    for item in stored:
        if item.name:
            item.storage.delete(item.name)


def _delete_after_commit(storage: Any, names: tuple[str, ...]) -> None:
    """Files a committed change no longer points at (kept if the change rolls back)."""

    def delete() -> None:
        for name in names:
            if name:
                storage.delete(name)

    transaction.on_commit(delete)


@transaction.atomic
def set_practitioner_photo(
    *, actor: Actor, practitioner: Practitioner, content: bytes
) -> Practitioner:
    """Give the doctor's profile a photo (replacing any former one, whose files go once the
    change is committed). Rules: a JPEG or PNG, checked by what it is (``uploads``), at most
    ``PHOTO_MAX_MB``; stored privately under a random name, with a thumbnail.
    Errors: ``DomainError`` at ``photo``."""
    _require(actor, "scheduling.manage", practitioner)
    if len(content) > PHOTO_MAX_MB * 1024 * 1024:
        raise DomainError(
            _("A photo may be at most %(mb)s MB.") % {"mb": PHOTO_MAX_MB}, field="photo"
        )
    try:
        checked = check_upload(content)
    except DomainError as exc:
        raise DomainError(exc.message, field="photo") from None
    if checked.content_type not in PHOTO_TYPES or checked.thumbnail is None:
        raise DomainError(_("A photo must be a JPEG or PNG image."), field="photo")
    doctor = (
        Practitioner.objects.for_clinic(practitioner.clinic)
        .select_for_update()
        .get(pk=practitioner.pk)
    )
    former = (doctor.photo.name, doctor.photo_thumbnail.name)
    doctor.photo.save(f"photo.{checked.extension}", ContentFile(checked.content), save=False)
    doctor.photo_thumbnail.save("thumb.jpg", ContentFile(checked.thumbnail), save=False)
    try:
        with transaction.atomic():
            doctor.save(update_fields=["photo", "photo_thumbnail"])
    except Exception:
        _delete_files(doctor.photo, doctor.photo_thumbnail)  # nothing half-written survives
        raise
    _delete_after_commit(doctor.photo.storage, former)
    return doctor


@transaction.atomic
def remove_practitioner_photo(*, actor: Actor, practitioner: Practitioner) -> Practitioner:
    """Take the photo off the profile; its files go once the change is committed."""
    _require(actor, "scheduling.manage", practitioner)
    doctor = (
        Practitioner.objects.for_clinic(practitioner.clinic)
        .select_for_update()
        .get(pk=practitioner.pk)
    )
    former = (doctor.photo.name, doctor.photo_thumbnail.name)
    storage = doctor.photo.storage
    doctor.photo = doctor.photo_thumbnail = ""
    doctor.save(update_fields=["photo", "photo_thumbnail"])
    _delete_after_commit(storage, former)
    return doctor


@transaction.atomic
def renew_calendar_feed(*, actor: Actor, practitioner: Practitioner) -> str:
    """A new secret for the doctor's calendar feed; the old URL stops working at once."""
    _require(actor, "scheduling.availability", practitioner)
    doctor = (
        Practitioner.objects.for_clinic(practitioner.clinic)
        .select_for_update()
        .get(pk=practitioner.pk)
    )
    doctor.calendar_token = secrets.token_urlsafe(32)
    doctor.save(update_fields=["calendar_token"])
    return doctor.calendar_token
