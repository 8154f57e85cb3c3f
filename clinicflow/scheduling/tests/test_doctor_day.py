"""Each doctor's day: today's appointments in the clinic's time, in order, with the free time
between them and the next moves at a click; doctors see their own day, the front desk any."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.core.roles import Role
from clinicflow.scheduling.models import Appointment
from clinicflow.scheduling.models import AppointmentStatus as S
from clinicflow.scheduling.services import apply_preset, change_status, create_practitioner
from tests.factories import member

pytestmark = pytest.mark.django_db
DAY = reverse("scheduling:doctor_day")


@pytest.fixture
def today(next_monday, clinic, monkeypatch):
    """The clinic's clock stands at 08:00 on a known Monday (no waiting on the real clock)."""
    morning = datetime.combine(next_monday, time(8), tzinfo=clinic.zone)
    monkeypatch.setattr(timezone, "now", lambda: morning)
    return next_monday


@pytest.fixture
def colleague(clinic, manager):
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


def _rows(page):
    return [
        (e.starts_at.astimezone(page.context["chosen"].clinic.zone).strftime("%H:%M"),
         e.appointment.patient.given_name if e.appointment else f"free {e.free_slots}")
        for e in page.context["entries"]
    ]  # fmt: skip


def test_the_doctor_sees_their_day_in_order_with_the_free_time_between(
    today, cardiologist, at, book, register, sign_in
):
    book(at(today, 10), for_patient=register(given_name="Later", phone=""))
    early = book(at(today, 9), for_patient=register(given_name="Early", phone=""))
    book(at(today + timedelta(days=1), 9))  # tomorrow: not on today's page
    page = sign_in(cardiologist.user).get(DAY)
    assert page.status_code == 200
    assert page.context["chosen"] == cardiologist
    assert _rows(page) == [
        ("09:00", "Early"),
        ("09:20", "free 2"),
        ("10:00", "Later"),
        ("10:20", "free 8"),
        ("14:00", "free 9"),
    ]
    html = page.content.decode()
    assert reverse("patients:chart", args=[early.patient.pk]) in html
    assert early.patient.mrn in html
    assert "Check in" in html
    assert "Mark no-show" in html


def test_a_doctor_cannot_open_another_doctors_day(today, cardiologist, colleague, sign_in):
    client = sign_in(cardiologist.user)
    assert client.get(DAY, {"practitioner": colleague.pk}).status_code == 404
    assert client.get(DAY).context["doctors"] == [cardiologist]


def test_the_receptionist_chooses_any_doctors_day(
    today, cardiologist, colleague, at, book, receptionist, sign_in
):
    book(at(today, 9))
    client = sign_in(receptionist)
    unchosen = client.get(DAY)
    assert unchosen.context["chosen"] is None
    assert set(unchosen.context["doctors"]) == {cardiologist, colleague}
    page = client.get(DAY, {"practitioner": cardiologist.pk})
    assert _rows(page)[0] == ("09:00", "Priya")
    assert client.get(DAY, {"practitioner": colleague.pk}).context["chosen"] == colleague


def test_another_clinic_cannot_see_the_day(today, cardiologist, other_clinic_manager, sign_in):
    page = sign_in(other_clinic_manager).get(DAY, {"practitioner": cardiologist.pk})
    assert page.status_code == 404


def test_a_quick_check_in_comes_back_to_the_day(today, cardiologist, at, book, sign_in):
    appointment = book(at(today, 9))
    client = sign_in(cardiologist.user)
    response = client.post(
        reverse("scheduling:appointment_status", args=[appointment.pk]),
        {"to_status": S.CHECKED_IN, "next": DAY},
    )
    assert response["Location"] == DAY
    appointment.refresh_from_db()
    assert appointment.status == S.CHECKED_IN
    page = client.get(DAY)
    (entry,) = [e for e in page.context["entries"] if e.appointment]
    assert [state for state, _verb in entry.moves] == [S.IN_CONSULTATION]


def test_a_foreign_next_address_is_ignored(today, cardiologist, at, book, sign_in):
    appointment = book(at(today, 9))
    response = sign_in(cardiologist.user).post(
        reverse("scheduling:appointment_status", args=[appointment.pk]),
        {"to_status": S.CHECKED_IN, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("scheduling:appointment", args=[appointment.pk])


def test_cancelled_and_finished_appointments_show_without_actions(
    today, cardiologist, at, book, receptionist, sign_in
):
    appointment = book(at(today, 9))
    change_status(
        actor=actor_for(receptionist), appointment=appointment, to_status=S.CANCELLED, reason="Ill"
    )
    page = sign_in(cardiologist.user).get(DAY)
    (entry,) = [e for e in page.context["entries"] if e.appointment]
    assert entry.appointment.status == S.CANCELLED
    assert entry.moves == ()
    assert "Cancelled" in page.content.decode()


def test_the_day_takes_the_same_queries_for_one_or_many_appointments(
    today, cardiologist, at, book, register, sign_in
):
    client = sign_in(cardiologist.user)
    book(at(today, 9))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(DAY).status_code == 200
        return len(queries)

    count()  # the first request after signing in fills the per-session membership cache
    one = count()
    for n, hour in enumerate((10, 11, 14, 15, 16)):
        book(at(today, hour), for_patient=register(given_name=f"P{n}", phone=""))
    assert Appointment.objects.for_clinic(cardiologist.clinic).count() == 6
    assert count() == one


def test_the_navigation_links_the_day_for_doctors(today, cardiologist, sign_in):
    page = sign_in(cardiologist.user).get(DAY)
    assert any(item.url_name == "scheduling:doctor_day" for item in page.context["navigation"])
