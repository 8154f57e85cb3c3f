from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.scheduling.services import add_rule, book_appointment, create_practitioner

ALL_DAYS = list(range(7))


@pytest.fixture
def cardiologist(doctor, manager):
    """Dr "doctor", working every hour of every day (so today always has free slots)."""
    practitioner = create_practitioner(
        actor=actor_for(manager), user=doctor, specialization="Cardiologist", details={}
    )

    for weekday in ALL_DAYS:
        add_rule(
            actor=actor_for(manager),
            practitioner=practitioner,
            weekday=weekday,
            start_time=time(0, 0),
            end_time=time(23, 45),
        )
    return practitioner


@pytest.fixture
def patient(register):
    return register()


@pytest.fixture
def later_today(clinic):
    """A slot start later today in the clinic (the next quarter hour, at least 15 min ahead)."""
    now = timezone.localtime(timezone.now(), clinic.zone)
    start = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
    start -= timedelta(minutes=start.minute % 15)
    if start.date() != now.date():
        pytest.skip("too close to midnight for a same-day slot")
    return start


@pytest.fixture
def booked(receptionist, cardiologist, patient, later_today):
    return book_appointment(
        actor=actor_for(receptionist),
        patient=patient,
        practitioner=cardiologist,
        starts_at=later_today,
    )


@pytest.fixture
def tomorrow(clinic):
    now = timezone.localtime(timezone.now(), clinic.zone)
    return datetime.combine(now.date() + timedelta(days=1), time(10, 0), tzinfo=clinic.zone)


@pytest.fixture
def make_doctor(clinic, manager):
    """Another doctor of the clinic, with a profile: ``make_doctor("gp", "GP")``."""
    from clinicflow.core.roles import Role
    from tests.factories import member

    def _make(username: str, specialization: str):
        return create_practitioner(
            actor=actor_for(manager),
            user=member(Role.DOCTOR, clinic, username=username),
            specialization=specialization,
            details={},
        )

    return _make
