"""Arriving at the desk: checking in says the token and where to wait, asks first when far
from the booked time (page and API)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.frontdesk import services
from clinicflow.frontdesk.models import QueueEntry
from clinicflow.scheduling.models import AppointmentStatus
from clinicflow.scheduling.services import book_appointment

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def morning(clinic, monkeypatch):
    """The clinic's clock stands at 08:00 on a day a week ahead (no waiting on the real one)."""
    day = timezone.localdate() + timedelta(days=7)
    eight = datetime.combine(day, time(8), tzinfo=clinic.zone)
    monkeypatch.setattr(timezone, "now", lambda: eight)
    return eight


@pytest.fixture
def later_booked(morning, receptionist, cardiologist, register):
    """An appointment booked for noon: four hours on, beyond the check-in window."""
    return book_appointment(
        actor=actor_for(receptionist),
        patient=register(given_name="Later"),
        practitioner=cardiologist,
        starts_at=morning.replace(hour=12),
    )


def _said(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_checking_in_at_the_desk_says_the_token_and_where_to_wait(
    receptionist, manager, cardiologist, booked, sign_in
):
    services.set_desk(
        actor=actor_for(manager), practitioner=cardiologist, room="3", token_prefix="C"
    )
    response = sign_in(receptionist).post("/frontdesk/check-in/", {"appointment": booked.pk})
    assert _said(response) == [f"Checked in: token C-1. Please wait for {cardiologist} at room 3."]


def test_without_a_room_the_message_names_the_doctor(receptionist, cardiologist, booked):
    entry = services.check_in(actor=actor_for(receptionist), appointment=booked)
    assert services.arrival_message(entry) == (
        f"Checked in: token 1. Please wait for {cardiologist}."
    )
    walk_in = services.add_walk_in(actor=actor_for(receptionist), name="Ram")
    assert services.arrival_message(walk_in) == "Checked in: token 2. Please wait to be called."


def test_the_queue_asks_before_checking_in_hours_early_then_checks_in(
    receptionist, later_booked, sign_in
):
    client = sign_in(receptionist)
    asked = client.post("/frontdesk/check-in/", {"appointment": later_booked.pk, "priority": 2})
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "This appointment is today at 12:00; check in anyway?" in html
    assert 'name="priority" value="2"' in html  # the same form, sent again
    assert not QueueEntry.objects.exists()
    done = client.post(
        "/frontdesk/check-in/", {"appointment": later_booked.pk, "priority": 2, "confirm": "1"}
    )
    assert done.status_code == 302
    assert _said(done) == [f"Checked in: token 1. Please wait for {later_booked.practitioner}."]
    later_booked.refresh_from_db()
    assert later_booked.status == AppointmentStatus.CHECKED_IN
    assert QueueEntry.objects.get().priority == 2


def test_the_api_answers_409_and_checks_in_when_sent_again_with_confirm(
    receptionist, later_booked, sign_in
):
    api = sign_in(receptionist)
    refused = api.post(
        "/api/v1/queue/check-in/", {"appointment": str(later_booked.pk)}, content_type=JSON
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "check_in_outside_window"
    assert refused.json()["resend_with"] == {"confirm": True}
    assert not QueueEntry.objects.exists()
    done = api.post(
        "/api/v1/queue/check-in/",
        {"appointment": str(later_booked.pk), "confirm": True},
        content_type=JSON,
    )
    assert done.status_code == 201
    assert done.json()["token"] == 1
