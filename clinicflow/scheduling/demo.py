"""Demo doctor profiles and working hours (Sunday to Friday, as Nepali clinics work)."""

from __future__ import annotations

from decimal import Decimal

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.scheduling.models import Practitioner, Weekday
from clinicflow.scheduling.services import apply_preset, create_practitioner

#: username → (specialization, consultation fee, slot minutes, preset)
DOCTORS = {
    "doc001": ("General Physician", Decimal("500"), 15, "full_day"),
    "doc002": ("Cardiologist", Decimal("1200"), 20, "full_day"),
    "doc003": ("Pediatrician", Decimal("800"), 15, "morning"),
    "doc004": ("Orthopedic", Decimal("1000"), 20, "evening"),
}
WORKING_DAYS = [d.value for d in Weekday if d != Weekday.SATURDAY]


def load_demo_schedules(*, manager: User) -> int:
    """Profiles and hours for the demo doctors of the manager's clinic (once)."""
    actor = actor_for(manager)
    assert actor.clinic is not None
    if Practitioner.objects.for_clinic(actor.clinic).exists():
        return 0
    for username, (specialization, fee, minutes, preset) in DOCTORS.items():
        doctor = create_practitioner(
            actor=actor,
            user=User.objects.get(username=username),
            specialization=specialization,
            details={"consultation_fee": fee, "follow_up_fee": fee / 2, "slot_minutes": minutes},
        )
        apply_preset(actor=actor, practitioner=doctor, preset=preset, weekdays=WORKING_DAYS)
    return len(DOCTORS)
