"""The patient's arrival: checking in far from the booked time needs a confirmation (service,
page, API), a no-show only once the grace period is over, a last visit is never in the future,
and the page says what a move did, in words (histories too)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError, NeedsConfirmation
from clinicflow.frontdesk.models import QueueEntry
from clinicflow.frontdesk.services import set_desk
from clinicflow.patients import visits
from clinicflow.patients.visits import with_last_visit
from clinicflow.scheduling.models import Appointment
from clinicflow.scheduling.models import AppointmentStatus as S
from clinicflow.scheduling.services import change_status, mark_no_show, offered_moves

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def clock(monkeypatch):
    """Sets the clock: ``clock(moment)``."""

    def _set(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return _set


@pytest.fixture
def monday_ten(next_monday, at, book):
    """An appointment booked for Monday 10:00 (the clock still stands before it)."""
    return book(at(next_monday, 10))


def _check_in(user, appointment, **kwargs):
    return change_status(
        actor=actor_for(user), appointment=appointment, to_status=S.CHECKED_IN, **kwargs
    )


# ---------------------------------------------------------------- the check-in window


def test_checking_in_a_monday_appointment_on_sunday_needs_a_confirmation(
    monday_ten, next_monday, at, clock, receptionist
):
    clock(at(next_monday - timedelta(days=1), 10))
    with pytest.raises(NeedsConfirmation) as asked:
        _check_in(receptionist, monday_ten)
    assert asked.value.message == "This appointment is on Monday 10:00; check in anyway?"
    assert asked.value.code == "check_in_outside_window"
    monday_ten.refresh_from_db()
    assert monday_ten.status == S.BOOKED
    assert not QueueEntry.objects.exists()
    assert _check_in(receptionist, monday_ten, confirm=True).status == S.CHECKED_IN


def test_checking_in_within_the_window_needs_no_confirmation(
    monday_ten, next_monday, at, clock, receptionist
):
    clock(at(next_monday, 8, 5))  # an hour and 55 minutes early: within two hours
    assert _check_in(receptionist, monday_ten).status == S.CHECKED_IN


@pytest.mark.parametrize(("hour", "minute"), [(9, 29), (10, 31)])
def test_the_window_is_a_setting_on_either_side_of_the_booked_time(
    monday_ten, next_monday, at, clock, receptionist, settings, hour, minute
):
    settings.CLINICFLOW_CHECK_IN_WINDOW_MINUTES = 30
    clock(at(next_monday, hour, minute))
    with pytest.raises(NeedsConfirmation, match="today at 10:00; check in anyway"):
        _check_in(receptionist, monday_ten)
    clock(at(next_monday, 9, 30))
    assert _check_in(receptionist, monday_ten).status == S.CHECKED_IN


def test_a_date_weeks_away_is_said_with_its_date(monday_ten, next_monday, at, clock, receptionist):
    clock(at(next_monday - timedelta(days=10), 10))
    with pytest.raises(NeedsConfirmation, match=r"on Monday \d+ \w+ \d{4}, 10:00; check in"):
        _check_in(receptionist, monday_ten)


def test_the_appointment_page_asks_before_checking_in_and_then_says_token_and_room(
    monday_ten, next_monday, at, clock, receptionist, manager, cardiologist, sign_in
):
    set_desk(actor=actor_for(manager), practitioner=cardiologist, room="3", token_prefix="C")
    clock(at(next_monday - timedelta(days=1), 16))
    client = sign_in(receptionist)
    url = reverse("scheduling:appointment_status", args=[monday_ten.pk])
    asked = client.post(url, {"to_status": S.CHECKED_IN})
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "This appointment is on Monday 10:00; check in anyway?" in html
    assert 'name="to_status" value="checked_in"' in html  # the same form, to send again
    monday_ten.refresh_from_db()
    assert monday_ten.status == S.BOOKED
    done = client.post(url, {"to_status": S.CHECKED_IN, "confirm": "1"})
    assert done["Location"] == reverse("scheduling:appointment", args=[monday_ten.pk])
    (said,) = [str(m) for m in get_messages(done.wsgi_request)]
    assert said == f"Checked in: token C-1. Please wait for {cardiologist} at room 3."
    monday_ten.refresh_from_db()
    assert monday_ten.status == S.CHECKED_IN


def test_the_confirmation_page_keeps_the_way_back(
    monday_ten, next_monday, at, clock, cardiologist, sign_in
):
    clock(at(next_monday - timedelta(days=1), 16))
    day = reverse("scheduling:doctor_day")
    asked = sign_in(cardiologist.user).post(
        reverse("scheduling:appointment_status", args=[monday_ten.pk]),
        {"to_status": S.CHECKED_IN, "next": day},
    )
    html = asked.content.decode()
    assert f'name="next" value="{day}"' in html
    assert f'href="{day}"' in html


def test_the_api_answers_409_and_checks_in_when_sent_again_with_confirm(
    monday_ten, next_monday, at, clock, receptionist, sign_in
):
    clock(at(next_monday - timedelta(days=1), 10))
    api = sign_in(receptionist)
    url = f"/api/v1/appointments/{monday_ten.pk}/status/"
    refused = api.post(url, {"to_status": "checked_in"}, content_type=JSON)
    assert refused.status_code == 409
    assert refused.json()["code"] == "check_in_outside_window"
    assert refused.json()["resend_with"] == {"confirm": True}
    assert "check in anyway" in refused.json()["detail"]
    done = api.post(url, {"to_status": "checked_in", "confirm": True}, content_type=JSON)
    assert done.status_code == 200
    assert done.json()["status"] == "checked_in"


# ---------------------------------------------------------------- no-shows


def test_a_no_show_before_the_start_plus_grace_is_refused_and_after_it_allowed(
    monday_ten, next_monday, at, clock, receptionist, settings
):
    settings.CLINICFLOW_NO_SHOW_GRACE_MINUTES = 60
    clock(at(next_monday, 10, 59))
    with pytest.raises(DomainError, match=r"Too early for a no-show.*until 11:00"):
        change_status(actor=actor_for(receptionist), appointment=monday_ten, to_status=S.NO_SHOW)
    assert S.NO_SHOW not in offered_moves(monday_ten)
    assert mark_no_show(actor=actor_for(receptionist), appointment=monday_ten) == 0
    monday_ten.refresh_from_db()
    assert monday_ten.status == S.BOOKED
    clock(at(next_monday, 11))
    assert S.NO_SHOW in offered_moves(monday_ten)
    moved = change_status(
        actor=actor_for(receptionist), appointment=monday_ten, to_status=S.NO_SHOW
    )
    assert moved.status == S.NO_SHOW


def test_the_appointment_page_offers_no_show_only_once_the_patient_is_late(
    monday_ten, next_monday, at, clock, receptionist, sign_in
):
    page = reverse("scheduling:appointment", args=[monday_ten.pk])
    clock(at(next_monday, 10, 59))
    client = sign_in(receptionist)
    early = client.get(page).content.decode()
    assert "Mark no-show" not in early
    assert "Check in" in early
    clock(at(next_monday, 11))
    assert "Mark no-show" in client.get(page).content.decode()


# ---------------------------------------------------------------- last visit


def test_checked_in_a_day_early_the_last_visit_is_the_day_the_patient_came(
    monday_ten, next_monday, at, clock, receptionist, patient
):
    sunday = at(next_monday - timedelta(days=1), 10)
    clock(sunday)
    _check_in(receptionist, monday_ten, confirm=True)
    (found,) = with_last_visit([patient])
    assert found.last_visit == sunday  # the arrival at the desk, not Monday's booked time
    assert found.last_visit <= timezone.now()


def test_no_provider_can_date_a_last_visit_in_the_future(monday_ten, patient, monkeypatch):
    def careless(clinic_id, patient_ids, until):  # forgets ``until``: booked times to come
        return (
            Appointment.objects.filter(clinic_id=clinic_id, patient_id__in=patient_ids)
            .values_list("patient", "starts_at")
            .order_by()
        )

    monkeypatch.setitem(visits._PROVIDERS, "test.careless", careless)
    (found,) = with_last_visit([patient])
    assert found.last_visit is None


# ---------------------------------------------------------------- words, not codes


def test_a_move_says_what_it_did(monday_ten, receptionist, sign_in):
    response = sign_in(receptionist).post(
        reverse("scheduling:appointment_status", args=[monday_ten.pk]),
        {"to_status": S.CANCELLED, "reason": "Travelling"},
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "The appointment was cancelled."
    ]
