"""Taking the medicines: each dose of the medicine schedule (``prescribing.medicine_schedule``)
told taken or skipped, and the adherence per medicine: doses taken out of the doses due so far.

A dose is due at its time of day in the clinic's zone, from the moment the prescription was
issued to the last day of its course. The patient (or whoever looks after their record) tells
it in the portal; the doctor reads the adherence on the chart and at the consultation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinicflow.clinical import dosing
from clinicflow.clinical.models import DoseOutcome, DoseRecord, PrescriptionItem
from clinicflow.clinical.prescribing import Dose, medicine_schedule
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import DomainError
from clinicflow.patients.models import Patient

#: Who tells a dose: a portal account, for a record it looks after.
RECORD = "portal.medicines"


def instant(day: date, clock: str, zone: Any) -> datetime | None:
    """The moment of a dose at ``clock`` ("08:00"; "26:00" is 02:00 the next day: see
    ``dosing.clock_of``) of ``day``."""
    found = dosing.clock_of(clock)
    if found is None:
        return None
    return datetime.combine(day + timedelta(days=found.days_later), found.at, tzinfo=zone)


def start_of(dose: Dose, zone: Any) -> datetime:
    issued = dose.item.prescription.issued_at
    assert issued is not None
    return issued.astimezone(zone)


def due_instants(dose: Dose, zone: Any, *, now: datetime) -> list[tuple[date, str]]:
    """The (day, time) of every dose of ``dose`` due between its prescription's issue and
    ``now`` (and its last day)."""
    start = start_of(dose, zone)
    last = min(dose.until, now.astimezone(zone).date())
    due = []
    day = start.date()
    while day <= last:
        for clock in dose.times:
            moment = instant(day, clock, zone)
            if moment is not None and start <= moment <= now:
                due.append((day, clock))
        day += timedelta(days=1)
    return due


@dataclass(frozen=True)
class Adherence:
    item: PrescriptionItem
    due: int
    taken: int
    skipped: int

    @property
    def percent(self) -> int | None:
        """Doses taken out of those due so far, rounded; None before the first is due."""
        if not self.due:
            return None
        return round(100 * self.taken / self.due)

    @property
    def untold(self) -> int:
        return max(self.due - self.taken - self.skipped, 0)


def adherence(patient: Patient, *, now: datetime | None = None) -> list[Adherence]:
    """Per medicine of the schedule, the doses due so far, and how many of those were told
    taken or skipped (a dose ticked ahead of its time counts once it is due; two queries)."""
    now = now or timezone.now()
    zone = patient.clinic.zone
    schedule = [d for d in medicine_schedule(patient) if d.times]
    if not schedule:
        return []
    told: dict[tuple[Any, date, str], str] = {
        (item_id, day, clock): outcome
        for item_id, day, clock, outcome in DoseRecord.objects.for_clinic(patient.clinic)
        .filter(item__in=[d.item for d in schedule])
        .values_list("item_id", "day", "time_of_day", "outcome")
    }
    result = []
    for dose in schedule:
        due = due_instants(dose, zone, now=now)
        outcomes = [told.get((dose.item.pk, day, clock)) for day, clock in due]
        result.append(
            Adherence(
                item=dose.item,
                due=len(due),
                taken=outcomes.count(DoseOutcome.TAKEN),
                skipped=outcomes.count(DoseOutcome.SKIPPED),
            )
        )
    return result


@dataclass(frozen=True)
class DoseToday:
    dose: Dose
    time_of_day: str
    record: DoseRecord | None

    @property
    def shown_time(self) -> str:
        """The time as the patient reads it ("02:00 (next day)", never "26:00")."""
        return dosing.clock_shown(self.time_of_day)

    @property
    def key(self) -> str:
        return f"{self.dose.item.pk}-{self.time_of_day.replace(':', '')}"


def doses_of_day(patient: Patient, day: date) -> list[DoseToday]:
    """Every dose of the day in time order, with what was told of it (two queries)."""
    schedule = [d for d in medicine_schedule(patient, today=day) if d.times and d.until >= day]
    told = {
        (r.item_id, r.time_of_day): r
        for r in DoseRecord.objects.for_clinic(patient.clinic).filter(
            item__in=[d.item for d in schedule], day=day
        )
    }
    zone = patient.clinic.zone
    rows = [
        DoseToday(dose, clock, told.get((dose.item.pk, clock)))
        for dose in schedule
        if start_of(dose, zone).date() <= day
        for clock in dose.times
    ]
    return sorted(rows, key=lambda r: (r.time_of_day, r.dose.item.medicine_name))


@transaction.atomic
def record_dose(
    *,
    actor: Actor,
    patient: Patient,
    item_id: Any,
    day: date,
    time_of_day: str,
    outcome: str,
) -> DoseRecord:
    """Tell one dose of the patient's schedule taken or skipped (told again: changed). Rules:
    a medicine of the patient's present schedule, one of its times, a day of its course not
    after today. Errors: ``DomainError``."""
    clinic = policy.require(actor, RECORD, patient)
    if outcome not in DoseOutcome.values:
        raise DomainError(_("Choose taken or skipped."), field="outcome")
    zone = clinic.zone
    today = timezone.localtime(timezone.now(), zone).date()
    dose = next(
        (d for d in medicine_schedule(patient, today=day) if str(d.item.pk) == str(item_id)),
        None,
    )
    if dose is None or time_of_day not in dose.times:
        raise DomainError(_("This dose is not on the medicine schedule."))
    if day > today or day > dose.until or day < start_of(dose, zone).date():
        raise DomainError(_("You can tell only the doses of the course so far."), field="day")
    values = {
        "outcome": outcome,
        "recorded_at": timezone.now(),
        "recorded_by": actor.user,
        "patient": patient,
    }
    found = (
        DoseRecord.objects.for_clinic(clinic)
        .select_for_update()
        .filter(item=dose.item, day=day, time_of_day=time_of_day)
        .first()
    )
    if found is None:
        try:
            with transaction.atomic():
                return DoseRecord.objects.create(
                    clinic=clinic, item=dose.item, day=day, time_of_day=time_of_day, **values
                )
        except IntegrityError:  # told at the same moment elsewhere: change that one
            found = (
                DoseRecord.objects.for_clinic(clinic)
                .select_for_update()
                .get(item=dose.item, day=day, time_of_day=time_of_day)
            )
    for name, value in values.items():
        setattr(found, name, value)
    found.save(update_fields=list(values))
    return found
