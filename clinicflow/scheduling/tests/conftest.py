from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.scheduling.services import apply_preset, create_practitioner

ALL_DAYS = list(range(7))


@pytest.fixture
def next_monday() -> date:
    today = date.today()
    return today + timedelta(days=7 - today.weekday() + 7)  # a Monday more than a week ahead


@pytest.fixture
def cardiologist(doctor, manager):
    """Dr "doctor": 20-minute slots, 09–13 and 14–17 every day (lunch break 13–14)."""
    practitioner = create_practitioner(
        actor=actor_for(manager),
        user=doctor,
        specialization="Cardiologist",
        details={"slot_minutes": 20},
    )
    apply_preset(
        actor=actor_for(manager), practitioner=practitioner, preset="full_day", weekdays=ALL_DAYS
    )
    return practitioner


@pytest.fixture
def at(clinic):
    """An aware datetime at local wall-clock time in the clinic."""

    def _at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=clinic.zone)

    return _at


@pytest.fixture
def patient(register):
    return register()


@pytest.fixture
def book(receptionist, cardiologist, patient):
    from clinicflow.scheduling.services import book_appointment

    def _book(starts_at, *, who=None, practitioner=None, for_patient=None):
        return book_appointment(
            actor=actor_for(who or receptionist),
            patient=for_patient or patient,
            practitioner=practitioner or cardiologist,
            starts_at=starts_at,
        )

    return _book
