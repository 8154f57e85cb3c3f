"""An appointment offers each person only the moves they may make: starting and completing the
consultation are the clinician's (as calling in and finishing are in the queue), so the front
desk neither sees those buttons nor gets through by posting; and the dashboards count the day's
appointments each person may see."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.core.roles import Role
from clinicflow.scheduling.models import AppointmentStatus as S
from clinicflow.scheduling.services import apply_preset, change_status, create_practitioner
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(next_monday, clinic, monkeypatch):
    """The clinic's clock stands at 08:00 on a known Monday."""
    morning = datetime.combine(next_monday, time(8), tzinfo=clinic.zone)
    monkeypatch.setattr(timezone, "now", lambda: morning)
    return next_monday


@pytest.fixture
def arrived(today, at, book, receptionist):
    """Today's 9 o'clock appointment, checked in."""
    appointment = book(at(today, 9))
    return change_status(
        actor=actor_for(receptionist), appointment=appointment, to_status=S.CHECKED_IN
    )


def _buttons(html: str) -> list[str]:
    return [
        verb
        for verb in ("Start consultation", "Complete", "Cancel", "Check in")
        if f">{verb}</button>" in html
    ]


def test_the_receptionist_is_not_offered_to_start_the_consultation(arrived, receptionist, sign_in):
    client = sign_in(receptionist)
    page = client.get(reverse("scheduling:appointment", args=[arrived.pk])).content.decode()
    assert _buttons(page) == ["Cancel"]
    day = client.get(reverse("scheduling:doctor_day"), {"practitioner": arrived.practitioner_id})
    assert "Start consultation" not in day.content.decode()


def test_the_doctor_is_offered_to_start_their_own_consultation(arrived, doctor, sign_in):
    client = sign_in(doctor)
    page = client.get(reverse("scheduling:appointment", args=[arrived.pk])).content.decode()
    assert _buttons(page) == ["Start consultation", "Cancel"]
    assert (
        ">Start consultation</button>"
        in client.get(reverse("scheduling:doctor_day")).content.decode()
    )


def test_the_receptionist_cannot_start_the_consultation_by_posting(
    arrived, receptionist, nurse, sign_in
):
    for person in (receptionist, nurse):
        with pytest.raises(DomainError):
            change_status(actor=actor_for(person), appointment=arrived, to_status=S.IN_CONSULTATION)
        sign_in(person).post(
            reverse("scheduling:appointment_status", args=[arrived.pk]),
            {"to_status": S.IN_CONSULTATION},
        )
        arrived.refresh_from_db()
        assert arrived.status == S.CHECKED_IN


def test_the_doctor_and_the_manager_start_and_complete_it(arrived, doctor, manager):
    change_status(actor=actor_for(doctor), appointment=arrived, to_status=S.IN_CONSULTATION)
    change_status(actor=actor_for(manager), appointment=arrived, to_status=S.COMPLETED)
    arrived.refresh_from_db()
    assert arrived.status == S.COMPLETED


# ---------------------------------------------------------------- the dashboards' figure


def _card(client, key: str):
    cards = client.get(reverse("core:dashboard")).context["dashboard"].cards
    return next(card for card in cards if card.key == key)


def test_the_front_desk_and_the_doctor_count_todays_appointments(
    today, at, book, register, receptionist, doctor, manager, colleague_day, sign_in
):
    first = book(at(today, 9))
    book(at(today, 10), for_patient=register(given_name="Second", phone=""))
    gone = book(at(today, 11), for_patient=register(given_name="Gone", phone=""))
    change_status(
        actor=actor_for(receptionist), appointment=gone, to_status=S.CANCELLED, reason="Ill"
    )
    change_status(actor=actor_for(receptionist), appointment=first, to_status=S.CHECKED_IN)
    book(at(today, 12), practitioner=colleague_day)

    for person in (receptionist, manager):
        card = _card(sign_in(person), "scheduling.appointments_today")
        assert (str(card.title), card.value) == ("Appointments today", 3)
        assert str(card.note) == "2 still to arrive."
        assert card.url == reverse("scheduling:appointments")

    card = _card(sign_in(doctor), "scheduling.appointments_today")
    assert (str(card.title), card.value) == ("My appointments today", 2)  # not the colleague's
    assert card.url == reverse("scheduling:doctor_day")


def test_tomorrows_appointments_are_not_todays(today, at, book, receptionist, sign_in):
    book(at(today + timedelta(days=1), 9))
    assert _card(sign_in(receptionist), "scheduling.appointments_today").value == 0


@pytest.fixture
def colleague_day(clinic, manager):
    """A second doctor with hours every day."""
    profile = create_practitioner(
        actor=actor_for(manager),
        user=member(Role.DOCTOR, clinic, username="gp"),
        specialization="GP",
        details={},
    )
    apply_preset(
        actor=actor_for(manager), practitioner=profile, preset="full_day", weekdays=list(range(7))
    )
    return profile
