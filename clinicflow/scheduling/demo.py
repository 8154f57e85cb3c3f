"""Demo doctor profiles and working hours (Sunday to Friday, as Nepali clinics work; the
Kathmandu general physician also sees patients in Pokhara on Saturdays), and a few booked
appointments."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone

from clinicflow.accounts.demo import demo_actor
from clinicflow.accounts.models import User
from clinicflow.core.models import Clinic
from clinicflow.patients.models import Patient
from clinicflow.scheduling import slots
from clinicflow.scheduling.models import Appointment, Practitioner, Weekday
from clinicflow.scheduling.services import apply_preset, book_appointment, create_practitioner

SUNDAY_TO_FRIDAY = [d.value for d in Weekday if d != Weekday.SATURDAY]


class DemoDoctor(NamedTuple):
    specialization: str
    fee: Decimal
    slot_minutes: int
    preset: str
    weekdays: list[int]


#: Per clinic code: username → the doctor's profile and hours there.
DOCTORS: dict[str, dict[str, DemoDoctor]] = {
    "KTM": {
        "doc001": DemoDoctor("General Physician", Decimal("500"), 15, "full_day", SUNDAY_TO_FRIDAY),
        "doc002": DemoDoctor("Cardiologist", Decimal("1200"), 20, "full_day", SUNDAY_TO_FRIDAY),
        "doc003": DemoDoctor("Pediatrician", Decimal("800"), 15, "morning", SUNDAY_TO_FRIDAY),
        "doc004": DemoDoctor("Orthopedic", Decimal("1000"), 20, "evening", SUNDAY_TO_FRIDAY),
    },
    "PKR": {
        "doc001": DemoDoctor(
            "General Physician", Decimal("500"), 15, "full_day", [Weekday.SATURDAY.value]
        ),
    },
}


class DemoAppointment(NamedTuple):
    doctor: str  # username
    working_day: int  # 0: the doctor's first working day after today, 1: the next one…
    at: time  # the clinic's local time, on the doctor's slot grid
    patient: str  # "given family", a demo patient of the clinic
    reason: str


A = DemoAppointment

#: Per clinic code, the appointments its front desk books ahead.
APPOINTMENTS: dict[str, list[DemoAppointment]] = {
    "PKR": [
        A("doc001", 0, time(9, 0), "Bhim Gurung", "Blood pressure review"),
        A("doc001", 0, time(9, 30), "Kamala Sherchan", "Diabetes review"),
        A("doc001", 0, time(10, 15), "Aarav Baral", "Fever for three days"),
        A("doc001", 0, time(14, 0), "Dil Kumari Bhattarai", "Knee pain"),
        A("doc001", 1, time(9, 15), "Tek Bahadur Pun", "Breathlessness, follow-up"),
        A("doc001", 1, time(11, 0), "Parbati Khadka", "Thyroid results"),
    ],
}


def load_demo_schedules(*, manager: User, clinic: Clinic | None = None) -> int:
    """Profiles and hours of the demo doctors of ``clinic`` (the manager's first clinic when
    none is named). Once: nothing happens when the clinic has any doctor's profile. Returns
    how many profiles were made."""
    actor = demo_actor(manager, clinic)
    assert actor.clinic is not None
    if Practitioner.objects.for_clinic(actor.clinic).exists():
        return 0
    doctors = DOCTORS.get(actor.clinic.code, {})
    for username, spec in doctors.items():
        doctor = create_practitioner(
            actor=actor,
            user=User.objects.get(username=username),
            specialization=spec.specialization,
            details={
                "consultation_fee": spec.fee,
                "follow_up_fee": spec.fee / 2,
                "slot_minutes": spec.slot_minutes,
            },
        )
        apply_preset(actor=actor, practitioner=doctor, preset=spec.preset, weekdays=spec.weekdays)
    return len(doctors)


def load_demo_appointments(*, receptionist: User, clinic: Clinic | None = None) -> int:
    """Book the demo appointments of ``clinic`` (the receptionist's first clinic when none is
    named) on the doctors' next working days, through the booking service. Once: nothing
    happens when the clinic has any appointment. Returns how many were booked (a time the
    doctor does not work is skipped)."""
    actor = demo_actor(receptionist, clinic)
    clinic = actor.clinic
    assert clinic is not None
    if Appointment.objects.for_clinic(clinic).exists():
        return 0
    tomorrow = timezone.localtime(timezone.now(), clinic.zone).date() + timedelta(days=1)
    patients = {f"{p.given_name} {p.family_name}": p for p in Patient.objects.for_clinic(clinic)}
    doctors = {
        p.user.username: p
        for p in Practitioner.objects.for_clinic(clinic).select_related("user", "clinic")
    }
    booked = 0
    for username, doctor in doctors.items():
        # The doctor's slots, by local day and time; two weeks hold two of any working day.
        grid: dict[tuple[int, time], slots.Slot] = {}
        days: list[date] = []
        for slot in slots.working_slots(doctor, tomorrow, tomorrow + timedelta(days=13)):
            local = timezone.localtime(slot.starts_at, clinic.zone)
            if local.date() not in days:
                days.append(local.date())
            grid[(len(days) - 1, local.time())] = slot
        for item in APPOINTMENTS.get(clinic.code, []):
            chosen = grid.get((item.working_day, item.at))
            if item.doctor != username or chosen is None:
                continue
            book_appointment(
                actor=actor,
                patient=patients[item.patient],
                practitioner=doctor,
                starts_at=chosen.starts_at,
                reason=item.reason,
            )
            booked += 1
    return booked
