"""Answering a reminder by SMS: C confirms and X cancels the appointment the patient was
reminded of (freeing the slot), reception hears of it, and nothing else is touched."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.notifications.models import Message, Notice
from clinicflow.patients.models import Patient
from clinicflow.scheduling import reminders, services
from clinicflow.scheduling.models import AppointmentStatus

pytestmark = pytest.mark.django_db

SECRET = "inbound-secret"


@pytest.fixture(autouse=True)
def _inbound_on(settings):
    settings.SMS_INBOUND_SECRET = SECRET


@pytest.fixture
def patient(register):
    return register(phone="+9779841000001")


def reply(text, sender="9841000001"):
    url = reverse("notifications:inbound", args=["sparrow"])
    data = {"key": SECRET, "from": sender, "keyword": text, "text": ""}
    return Client().get(url, data).content.decode()


def reminded(book, at, day, clinic, hour=10):
    appointment = book(at(day, hour))
    reminders.send_reminders(clinic, now=appointment.starts_at - timedelta(hours=23))
    return appointment


def test_c_confirms_the_reminded_appointment_and_reception_hears(
    book, at, next_monday, clinic, receptionist
):
    appointment = reminded(book, at, next_monday, clinic)
    assert "Thank you" in reply("C")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.patient_confirmed_at is not None
    notice = Notice.objects.get(recipient=receptionist)
    assert "confirmed" in notice.title


def test_x_cancels_it_frees_the_slot_and_a_second_x_cancels_nothing_else(
    book, at, next_monday, clinic, register
):
    first = reminded(book, at, next_monday, clinic)
    later = book(at(next_monday + timedelta(days=1), 10))  # not reminded yet
    assert "is cancelled" in reply("X")
    first.refresh_from_db()
    assert first.status == AppointmentStatus.CANCELLED
    assert "by the patient" in first.status_reason
    assert "no upcoming appointment" in reply("x")
    later.refresh_from_db()
    assert later.status == AppointmentStatus.BOOKED
    # The slot is free again: someone else books it.
    other = register(given_name="Gita", phone="+9779841000002")
    assert book(at(next_monday, 10), for_patient=other).pk


def test_an_answer_without_a_reminded_appointment_changes_nothing(book, at, next_monday):
    appointment = book(at(next_monday, 10))
    assert "no upcoming appointment" in reply("X")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_another_number_never_answers_for_the_patient(book, at, next_monday, clinic, register):
    appointment = reminded(book, at, next_monday, clinic)
    register(given_name="Hari", phone="+9779841000005")
    assert "no upcoming appointment" in reply("X", sender="9841000005")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_x_is_told_by_the_reply_not_by_a_second_sms(book, at, next_monday, clinic, register):
    register(given_name="Asha", phone="+9779841000009", email="asha@example.com")
    appointment = book(at(next_monday, 11), for_patient=Patient.objects.get(given_name="Asha"))
    reminders.send_reminders(clinic, now=appointment.starts_at - timedelta(hours=23))
    assert "is cancelled" in reply("X", sender="9841000009")
    cancelled = Message.objects.filter(event="appointment.cancelled", patient__given_name="Asha")
    assert list(cancelled.values_list("channel", flat=True)) == ["email"]


def test_a_reply_to_the_reminder_of_a_moved_time_answers_nothing(
    book, at, next_monday, clinic, receptionist
):
    appointment = reminded(book, at, next_monday, clinic)
    services.reschedule(
        actor=actor_for(receptionist), appointment=appointment, starts_at=at(next_monday, 12)
    )
    assert "no upcoming appointment" in reply("X")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_the_patient_is_answered_in_their_language(book, at, next_monday, clinic, patient, manager):
    from clinicflow.notifications import preferences

    preferences.update_patient_preference(
        actor=actor_for(manager),
        patient=patient,
        language="ne",
        channels={},
        quiet_from=None,
        quiet_until=None,
    )
    reminded(book, at, next_monday, clinic)
    assert "धन्यवाद" in reply("C")
    assert "बुझिएन" in reply("HELLO")
    assert "SMS आउने छैन" in reply("STOP")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_the_same_reply_at_once_cancel_once(book, at, next_monday, clinic):
    appointment = reminded(book, at, next_monday, clinic)
    answers = []
    barrier = threading.Barrier(2)

    def deliver():
        try:
            barrier.wait()
            answers.append(reply("X"))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers[0] == answers[1]
    assert "is cancelled" in answers[0]
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.changes.filter(to_status=AppointmentStatus.CANCELLED).count() == 1
