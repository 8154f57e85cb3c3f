"""Every write of the front desk: check-in and walk-ins with the day's tokens, moves along the
queue (the appointment follows), priority and doctor changes, calling the next patient, and
vitals. Each call is one transaction; the live screens hear of it once it commits."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.chain import atomic_audited
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.core.models import Clinic
from clinicflow.frontdesk import live, messages, states, vitals
from clinicflow.frontdesk.models import (
    OPEN_STATUSES,
    BoardLink,
    DoctorDesk,
    Observation,
    Priority,
    QueueChange,
    QueueEntry,
    QueueStatus,
    TokenCounter,
)
from clinicflow.patients import services as patients
from clinicflow.patients.models import Patient
from clinicflow.patients.phones import normalise_phone
from clinicflow.scheduling import services as scheduling
from clinicflow.scheduling import states as appointment_states
from clinicflow.scheduling.models import Appointment, AppointmentStatus, Practitioner


def today(clinic: Clinic) -> date:
    return clinic.local_date()


def _next_token(clinic: Clinic, day: date) -> int:
    """The day's next token, from its counter row, locked until commit."""
    TokenCounter.objects.for_clinic(clinic).get_or_create(clinic=clinic, day=day)
    counter = TokenCounter.objects.for_clinic(clinic).select_for_update().get(day=day)
    counter.last_token += 1
    counter.save(update_fields=["last_token"])
    return counter.last_token


def _prefix(practitioner: Practitioner | None) -> str:
    if practitioner is None:
        return ""
    desk = DoctorDesk.objects.for_clinic(practitioner.clinic).filter(practitioner=practitioner)
    return desk.values_list("token_prefix", flat=True).first() or ""


def _log(entry: QueueEntry, actor: Actor, from_status: str, note: str = "") -> None:
    change = QueueChange.objects.create(
        clinic=entry.clinic,
        entry=entry,
        from_status=from_status,
        to_status=entry.status,
        note=note[:200],
        changed_by=actor.user if actor.is_authenticated else None,
    )
    live.announce(entry, change)
    messages.tell_change(entry, change)
    entry.handed_over = False  # told: later changes of this visit are ordinary ones


def _enqueue(clinic: Clinic, actor: Actor, **fields: Any) -> QueueEntry:
    day = today(clinic)
    practitioner = fields.get("practitioner")
    entry = QueueEntry(
        clinic=clinic,
        day=day,
        token=_next_token(clinic, day),
        token_prefix=_prefix(practitioner),
        checked_in_by=actor.user if actor.is_authenticated else None,
        **fields,
    )
    try:
        with transaction.atomic():
            entry.save(force_insert=True)
    except IntegrityError:  # the one-open-visit rule, held by the database
        raise Conflict(_("This patient is already in today's queue."), field="patient") from None
    _log(entry, actor, "")
    return entry


def _open_entry(clinic: Clinic, patient: Patient) -> QueueEntry | None:
    return (
        QueueEntry.objects.for_clinic(clinic)
        .filter(patient=patient, day=today(clinic), status__in=OPEN_STATUSES)
        .first()
    )


def _queue_time(appointment: Appointment) -> datetime:
    """Where a booked patient queues: by the booked time on its day; checked in on another
    day (confirmed), by arrival, not after everyone of the day."""
    clinic = appointment.clinic
    if timezone.localtime(appointment.starts_at, clinic.zone).date() == today(clinic):
        return appointment.starts_at
    return timezone.now()


@atomic_audited
def check_in(
    *,
    actor: Actor,
    appointment: Appointment,
    priority: int | None = None,
    confirm: bool = False,
) -> QueueEntry:
    """Check in a booked appointment: a token, a place in the queue by the booked time, and
    the appointment becomes ``checked_in``. Far from the booked time (another day, hours
    early or late) it needs ``confirm``. Errors: ``DomainError``; ``NeedsConfirmation``."""
    clinic = policy.require(actor, "frontdesk.check_in")
    appointment = (
        Appointment.objects.for_clinic(clinic)
        # The appointment and the patient (one open visit each), not the clinic's or the
        # doctor's row: FOR UPDATE on them would hold every insert naming them (their
        # foreign-key checks) until this check-in commits, and line up the clinic's check-ins.
        .select_for_update(of=("self", "patient"))
        .select_related("patient", "practitioner", "clinic")
        .get(pk=appointment.pk)
    )
    if appointment.status != AppointmentStatus.BOOKED:
        raise DomainError(
            _("Only a booked appointment can be checked in; this one is %(status)s.")
            % {"status": appointment.get_status_display().lower()}
        )
    scheduling.require_check_in_time(appointment, confirm=confirm)
    entry = _enqueue(
        clinic,
        actor,
        patient=appointment.patient,
        appointment=appointment,
        practitioner=appointment.practitioner,
        priority=_priority(priority, Priority.ROUTINE),
        reason=appointment.reason,
        queue_time=_queue_time(appointment),
    )
    scheduling.change_status(
        actor=actor,
        appointment=appointment,
        to_status=AppointmentStatus.CHECKED_IN,
        confirm=confirm,
    )
    return entry


def enqueue_checked_in(*, actor: Actor, appointment: Appointment) -> QueueEntry | None:
    """The queue entry of an appointment checked in elsewhere (the appointment page, the API),
    unless it has one."""
    if QueueEntry.objects.for_clinic(appointment.clinic).filter(appointment=appointment).exists():
        return None
    return _enqueue(
        appointment.clinic,
        actor,
        patient=appointment.patient,
        appointment=appointment,
        practitioner=appointment.practitioner,
        reason=appointment.reason,
        queue_time=_queue_time(appointment),
    )


def arrival_message(entry: QueueEntry) -> str:
    """What the front desk tells a patient just checked in: the token and where to wait."""
    done = _("Checked in: token %(token)s.") % {"token": entry.token_label}
    doctor = entry.practitioner
    if doctor is None:
        return f"{done} {_('Please wait to be called.')}"
    room = _room(doctor)
    if room:
        wait = _("Please wait for %(doctor)s at room %(room)s.") % {"doctor": doctor, "room": room}
    else:
        wait = _("Please wait for %(doctor)s.") % {"doctor": doctor}
    return f"{done} {wait}"


def _priority(value: int | str | None, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return Priority(int(value))
    except (TypeError, ValueError):
        raise DomainError(_("Choose a priority from the list."), field="priority") from None


def _doctor(clinic: Clinic, practitioner: Practitioner | None) -> Practitioner | None:
    if practitioner is None:
        return None
    if practitioner.clinic_id != clinic.pk or not practitioner.is_active:
        raise DomainError(_("Choose an active doctor of this clinic."), field="practitioner")
    return practitioner


@transaction.atomic
def add_walk_in(
    *,
    actor: Actor,
    patient: Patient | None = None,
    name: str = "",
    phone: str = "",
    practitioner: Practitioner | None = None,
    priority: int | str | None = None,
    reason: str = "",
) -> QueueEntry:
    """A walk-in: a registered patient, or someone known only by name and phone (registered
    later with ``register_walk_in`` or ``link_walk_in``). Errors: ``DomainError``;
    ``Conflict`` when the patient is already in today's queue."""
    clinic = policy.require(actor, "frontdesk.check_in")
    fields: dict[str, Any] = {}
    if patient is not None:
        if patient.clinic_id != clinic.pk:
            raise DomainError(_("You may not do this."), code="forbidden")
        if not patient.is_active:
            raise DomainError(_("This patient record is inactive."), field="patient")
        fields["patient"] = (
            Patient.objects.for_clinic(clinic).select_for_update().get(pk=patient.pk)
        )
    else:
        name = " ".join(name.split())
        if not name:
            raise DomainError(_("Give the walk-in's name, or choose a patient."), field="name")
        fields["walk_in_name"] = name[:120]
        if phone.strip():
            fields["walk_in_phone"] = normalise_phone(phone, region=clinic.country)
    return _enqueue(
        clinic,
        actor,
        practitioner=_doctor(clinic, practitioner),
        priority=_priority(priority, Priority.ROUTINE),
        reason=reason.strip()[:200],
        queue_time=timezone.now(),
        **fields,
    )


def _locked(clinic: Clinic, entry: QueueEntry) -> QueueEntry:
    return (
        QueueEntry.objects.for_clinic(clinic)
        .select_for_update(of=("self",))
        .select_related("appointment", "practitioner", "patient")
        .get(pk=entry.pk)
    )


def _enter(entry: QueueEntry, to_status: str, actor: Actor, reason: str = "") -> None:
    """Move a locked entry (no checks) and let its appointment follow."""
    current = entry.status
    entry.status = to_status
    fields = ["status", "status_reason"]
    entry.status_reason = reason.strip()[:200]
    stamp = states.STAMPS.get(to_status)
    if stamp:
        setattr(entry, stamp, timezone.now())
        fields.append(stamp)
    if to_status == QueueStatus.WITH_DOCTOR and entry.practitioner is not None:
        entry.room = _room(entry.practitioner)
        fields.append("room")
    try:
        with transaction.atomic():
            entry.save(update_fields=fields)
    except IntegrityError:  # one patient at a time with a doctor, held by the database
        raise Conflict(
            _("%(doctor)s already has a patient in the room. Finish that visit first.")
            % {"doctor": entry.practitioner},
        ) from None
    _log(entry, actor, current, entry.status_reason)
    _follow(entry, actor)


def _room(practitioner: Practitioner) -> str:
    desk = DoctorDesk.objects.for_clinic(practitioner.clinic).filter(practitioner=practitioner)
    return desk.values_list("room", flat=True).first() or ""


def _follow(entry: QueueEntry, actor: Actor) -> None:
    """Bring the appointment to the state that matches the entry's, where that is a legal move."""
    appointment = entry.appointment
    if appointment is None:
        return
    target = states.APPOINTMENT_STATE[entry.status]
    appointment.refresh_from_db(fields=["status"])
    if appointment.status == target or not appointment_states.may_move(appointment.status, target):
        return
    reason = entry.status_reason
    if entry.status == QueueStatus.LEFT:
        reason = _("Left without being seen: %(reason)s") % {"reason": reason}
    scheduling.change_status(actor=actor, appointment=appointment, to_status=target, reason=reason)


def follow_appointment(*, actor: Actor, appointment: Appointment, from_status: str) -> None:
    """The other direction: an appointment checked in, started, completed or cancelled outside
    the queue (its own page, the API) brings its queue entry along."""
    if appointment.status == AppointmentStatus.CHECKED_IN and from_status != appointment.status:
        enqueue_checked_in(actor=actor, appointment=appointment)
        return
    target = states.ENTRY_STATE.get(appointment.status)
    entry = QueueEntry.objects.for_clinic(appointment.clinic).filter(appointment=appointment)
    entry = entry.select_for_update(of=("self",)).select_related("appointment", "practitioner")
    entry = entry.first()
    if target is None or entry is None:
        return
    if states.APPOINTMENT_STATE[entry.status] == appointment.status:
        return
    if states.may_move(entry.status, target):
        _enter(entry, target, actor, appointment.status_reason)


def _check_move(entry: QueueEntry, to_status: str, reason: str) -> None:
    if not states.may_move(entry.status, to_status):
        raise DomainError(
            _("An entry that is %(current)s cannot move to %(target)s.")
            % {
                "current": QueueStatus(entry.status).label.lower(),
                "target": QueueStatus(to_status).label.lower()
                if to_status in QueueStatus.values
                else to_status,
            },
            field="status",
        )
    if to_status in states.NEEDS_REASON and not reason.strip():
        raise DomainError(_("Say why."), field="reason")


@transaction.atomic
def move(*, actor: Actor, entry: QueueEntry, to_status: str, reason: str = "") -> QueueEntry:
    """Move the entry along the queue (see ``states``); cancelling or "left" needs a reason.
    Calling in takes the doctor's room, one patient at a time. Errors: ``DomainError``."""
    clinic = policy.require(actor, action_for(to_status), entry)
    entry = _locked(clinic, entry)
    _check_move(entry, to_status, reason)
    if to_status == QueueStatus.WITH_DOCTOR:
        _give(entry, _calling_doctor(actor, entry))
    _enter(entry, to_status, actor, reason)
    return entry


def action_for(to_status: str) -> str:
    """The policy action a move takes: the doctor's for calling in and finishing, the front
    desk's for the rest."""
    if to_status in (QueueStatus.WITH_DOCTOR, QueueStatus.DONE):
        return "frontdesk.see_patients"
    return "frontdesk.manage"


def _calling_doctor(actor: Actor, entry: QueueEntry) -> Practitioner:
    """Who sees the patient: the assigned doctor; an unassigned patient goes to the doctor
    calling."""
    if entry.practitioner is not None:
        return entry.practitioner
    own = Practitioner.objects.for_clinic(entry.clinic).filter(user=actor.user).first()
    if own is None:
        raise DomainError(_("Assign a doctor first."), field="practitioner")
    return own


def _give(entry: QueueEntry, practitioner: Practitioner) -> None:
    if entry.practitioner_id != practitioner.pk:
        entry.hand_over(practitioner)
        entry.save(update_fields=["practitioner"])


def queue_order() -> tuple[str, ...]:
    return ("priority", "queue_time", "token")


@transaction.atomic
def call_next(*, actor: Actor, practitioner: Practitioner) -> QueueEntry | None:
    """The doctor calls in the next patient: their own waiting or ready patients and the
    unassigned ones, by priority then time. None when nobody waits. Two doctors calling at the
    same moment never get the same patient (the rows are locked, the locked ones skipped)."""
    clinic = policy.require(actor, "frontdesk.see_patients", practitioner)
    if practitioner.clinic_id != clinic.pk:
        raise DomainError(_("You may not do this."), code="forbidden")
    busy = QueueEntry.objects.for_clinic(clinic).filter(
        practitioner=practitioner, status=QueueStatus.WITH_DOCTOR
    )
    if busy.exists():
        raise Conflict(_("Finish the current visit before calling the next patient."))
    candidates = (
        QueueEntry.objects.for_clinic(clinic)
        .filter(day=today(clinic), status__in=states.CALLABLE)
        .filter(Q(practitioner=practitioner) | Q(practitioner__isnull=True))
        .order_by(*queue_order())
        .select_for_update(skip_locked=True, of=("self",))
    )
    entry = candidates.first()
    if entry is None:
        return None
    _give(entry, practitioner)
    _enter(entry, QueueStatus.WITH_DOCTOR, actor)
    return entry


@transaction.atomic
def set_priority(
    *, actor: Actor, entry: QueueEntry, priority: int | str, reason: str = ""
) -> QueueEntry:
    """Change the triage priority (audited, with the reason in the entry's history)."""
    clinic = policy.require(actor, "frontdesk.manage", entry)
    entry = _locked(clinic, entry)
    if not entry.is_open:
        raise DomainError(_("This visit is over."))
    new = _priority(priority, entry.priority)
    if new == entry.priority:
        return entry
    old = Priority(entry.priority).label
    entry.priority = new
    entry.save(update_fields=["priority"])
    note = _("Priority %(old)s → %(new)s") % {"old": old, "new": Priority(new).label}
    _log(entry, actor, entry.status, f"{note}. {reason.strip()}" if reason.strip() else note)
    return entry


@transaction.atomic
def assign(
    *,
    actor: Actor,
    entry: QueueEntry,
    practitioner: Practitioner | None = None,
    specialization_id: Any = None,
) -> QueueEntry:
    """Give the entry to a doctor, or to the least busy active doctor of a specialization.
    Not once the patient is with a doctor."""
    clinic = policy.require(actor, "frontdesk.manage", entry)
    entry = _locked(clinic, entry)
    if entry.status not in states.CALLABLE and entry.status != QueueStatus.VITALS:
        raise DomainError(_("Only a waiting patient can be given to another doctor."))
    if practitioner is None and specialization_id:
        practitioner = least_busy(clinic, specialization_id)
        if practitioner is None:
            raise DomainError(
                _("No doctor of that specialization is working."), field="practitioner"
            )
    doctor = _doctor(clinic, practitioner)
    if doctor is None:
        raise DomainError(_("Choose a doctor."), field="practitioner")
    if entry.practitioner_id == doctor.pk:
        return entry
    entry.hand_over(doctor)
    entry.save(update_fields=["practitioner"])
    _log(entry, actor, entry.status, _("Given to %(doctor)s") % {"doctor": doctor})
    return entry


def least_busy(clinic: Clinic, specialization_id: Any) -> Practitioner | None:
    """The active doctor of a specialization with the fewest open visits today."""
    return (
        Practitioner.objects.for_clinic(clinic)
        .filter(is_active=True, specialization_id=specialization_id)
        .annotate(
            load=Count(
                "queue_entries",
                filter=Q(queue_entries__day=today(clinic), queue_entries__status__in=OPEN_STATUSES),
            )
        )
        .order_by("load", "pk")
        .first()
    )


class AlreadyRegistered(Conflict):
    """The walk-in's visit has a patient already (someone registered them meanwhile)."""

    default_code = "already_registered"

    def __init__(self, patient: Patient):
        super().__init__(
            _(
                "This visit already belongs to %(patient)s (%(mrn)s): someone registered them "
                "a moment ago."
            )
            % {"patient": patient.full_name, "mrn": patient.mrn}
        )
        self.patient = patient


def _unregistered(clinic: Clinic, actor: Actor, entry: QueueEntry) -> QueueEntry:
    """The walk-in's visit, locked until commit and still without a patient. Locking first
    makes two people registering the same walk-in take turns: the second finds the visit
    linked and is told by whom, before a second record is made."""
    policy.require(actor, "frontdesk.register_walk_in", entry)
    entry = _locked(clinic, entry)
    if entry.patient_id is not None:
        # Read the patient afresh: after waiting for the lock, PostgreSQL hands back the
        # visit's new row but joins it to the patients as they were when the query began, so
        # the record made meanwhile is not in ``entry.patient``.
        raise AlreadyRegistered(Patient.objects.for_clinic(clinic).get(pk=entry.patient_id))
    return entry


def _link(entry: QueueEntry, patient: Patient, actor: Actor) -> QueueEntry:
    entry.patient = patient
    try:
        with transaction.atomic():
            entry.save(update_fields=["patient"])
    except IntegrityError:
        raise Conflict(_("This patient is already in today's queue."), field="patient") from None
    _log(entry, actor, entry.status, _("Registered as %(mrn)s") % {"mrn": patient.mrn})
    return entry


@transaction.atomic
def link_walk_in(*, actor: Actor, entry: QueueEntry, patient: Patient) -> QueueEntry:
    """Link an anonymous walk-in's visit to their existing patient record (found by MRN, or
    the likely duplicate the registration offered); the visit, its token and history stay.
    Errors: ``DomainError``; ``AlreadyRegistered`` when the visit has a patient already;
    ``Conflict`` when the patient is already in today's queue."""
    clinic = policy.require(actor, "frontdesk.register_walk_in")
    if patient.clinic_id != clinic.pk:
        raise DomainError(_("You may not do this."), code="forbidden")
    entry = _unregistered(clinic, actor, entry)
    return _link(entry, patient, actor)


@transaction.atomic
def register_walk_in(
    *, actor: Actor, entry: QueueEntry, details: Mapping[str, Any], confirm_new: bool = False
) -> QueueEntry:
    """Register an anonymous walk-in as a new patient and link the visit to the record, in one
    transaction: vitals and the consultation, which need a patient, can follow at once.

    The registration is ``patients.services.register_patient``'s, with its rules and its
    duplicate check (``confirm_new`` once the person registering has said the candidates are
    someone else). Errors: ``DomainError`` naming the field, ``PossibleDuplicates``, and
    ``AlreadyRegistered`` when someone else registered the walk-in first; on any of them
    neither the patient nor the link is saved."""
    clinic = policy.require(actor, "frontdesk.register_walk_in")
    entry = _unregistered(clinic, actor, entry)
    patient = patients.register_patient(actor=actor, details=details, confirm_new=confirm_new)
    return _link(entry, patient, actor)


# ---------------------------------------------------------------- vitals


def _number(raw: Any, vital: vitals.Vital) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        raise DomainError(_("Enter a number."), field=vital.key) from None
    if not value.is_finite():
        raise DomainError(_("Enter a number."), field=vital.key)
    low, high = vital.possible
    if not low <= value <= high:
        raise DomainError(
            _("%(vital)s of %(value)s %(unit)s is not possible (%(low)s–%(high)s).")
            % {
                "vital": vital.label,
                "value": value,
                "unit": vital.shown_unit,
                "low": low,
                "high": high,
            },
            field=vital.key,
        )
    return value.quantize(Decimal(1).scaleb(-vital.decimals))


def read_vitals(values: Mapping[str, Any]) -> dict[str, Decimal]:
    """The typed values checked and rounded, BMI added when height and weight are there.
    Errors: ``DomainError`` naming the field (impossible value, systolic not above diastolic,
    nothing entered)."""
    measured = {
        vital.key: number
        for vital in vitals.VITALS
        if (number := _number(values.get(vital.key), vital)) is not None
    }
    if not measured:
        raise DomainError(_("Enter at least one measurement."))
    if ("systolic" in measured) != ("diastolic" in measured):
        raise DomainError(_("Enter both blood pressure values."), field="systolic")
    if "systolic" in measured and measured["systolic"] <= measured["diastolic"]:
        raise DomainError(_("The systolic pressure must be above the diastolic."), field="systolic")
    if "height" in measured and "weight" in measured:
        measured["bmi"] = vitals.bmi(measured["height"], measured["weight"])
    return measured


@atomic_audited
def record_vitals(
    *,
    actor: Actor,
    values: Mapping[str, Any],
    entry: QueueEntry | None = None,
    patient: Patient | None = None,
) -> list[Observation]:
    """Record a set of vitals for a queue entry (which then is ready for the doctor) or for a
    patient directly. Impossible values are refused; abnormal ones are stored with their flag.
    Errors: ``DomainError`` naming the field; nothing is saved."""
    clinic = policy.require(actor, "frontdesk.vitals")
    if entry is not None:
        policy.require(actor, "frontdesk.vitals", entry)
        entry = _locked(clinic, entry)
        if not entry.is_open:
            raise DomainError(_("This visit is over."))
        if entry.patient is None:
            # Vitals are kept on a patient's record, where the chart, the consultation and the
            # FHIR facade read them; measurements of nobody would be lost or misfiled if the
            # walk-in left or was registered as someone else. So an unregistered walk-in is
            # registered first, in one step from this visit (``register_walk_in``, offered on
            # the vitals form's place), and the vitals follow at once.
            raise DomainError(_("Register the walk-in as a patient before recording vitals."))
        patient = entry.patient
    if patient is None or patient.clinic_id != clinic.pk:
        raise DomainError(_("You may not do this."), code="forbidden")
    measured = read_vitals(values)
    taken_at = timezone.now()
    rows = [
        Observation(
            clinic=clinic,
            patient=patient,
            entry=entry,
            code=vital.code,
            name=str(vital.label),
            value=value,
            unit=vital.unit,
            flag=vital.flag(value),
            taken_at=taken_at,
            recorded_by=actor.user,
        )
        for key, value in measured.items()
        for vital in [vitals.BY_KEY[key]]
    ]
    for row in rows:
        row.save(force_insert=True)
    if entry is not None and entry.status in (QueueStatus.WAITING, QueueStatus.VITALS):
        _enter(entry, QueueStatus.READY, actor)
    return rows


# ---------------------------------------------------------------- desks and board links


@transaction.atomic
def set_desk(
    *, actor: Actor, practitioner: Practitioner, room: str, token_prefix: str
) -> DoctorDesk:
    clinic = policy.require(actor, "frontdesk.setup")
    if practitioner.clinic_id != clinic.pk:
        raise DomainError(_("You may not do this."), code="forbidden")
    prefix = token_prefix.strip().upper()
    if not ((prefix.isascii() and prefix.isalpha()) or prefix == "") or len(prefix) > 4:
        raise DomainError(_("Use up to four letters, e.g. C."), field="token_prefix")
    desk, _created = DoctorDesk.objects.for_clinic(clinic).get_or_create(
        clinic=clinic, practitioner=practitioner
    )
    desk.room, desk.token_prefix = room.strip()[:20], prefix
    desk.save()
    return desk


@transaction.atomic
def create_board_link(*, actor: Actor, name: str) -> BoardLink:
    clinic = policy.require(actor, "frontdesk.setup")
    return BoardLink.objects.create(
        clinic=clinic,
        name=name.strip()[:60] or _("Waiting room"),
        token=secrets.token_urlsafe(32),
        created_by=actor.user,
    )


@transaction.atomic
def revoke_board_link(*, actor: Actor, link: BoardLink) -> BoardLink:
    policy.require(actor, "frontdesk.setup", link)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        live.close_board(link)
    return link
