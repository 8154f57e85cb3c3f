"""What patients are told of their appointments: booked, moved, cancelled (in the change's
transaction), and the reminders before it (once each, only while still ahead, the nearer one
when both are due, none for what was booked after the reminder's moment)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.notifications.models import Message
from clinicflow.scheduling import reminders, services
from clinicflow.scheduling.models import Appointment, AppointmentReminder

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(register):
    return register(phone="+9779841000001", email="priya@example.com")


def told(event):
    return list(
        Message.objects.filter(event=event).order_by("channel").values_list("channel", "body")
    )


def test_a_booking_tells_the_patient_by_sms_and_e_mail(book, at, next_monday, clinic):
    book(at(next_monday, 10))
    [(email_channel, email), (sms_channel, sms)] = told("appointment.booked")
    assert (email_channel, sms_channel) == ("email", "sms")
    assert "10:00" in sms
    assert "booked" in sms
    assert "Dear Priya" in email
    assert clinic.name in email


def test_a_refused_booking_tells_nobody(book, at, next_monday, register):
    book(at(next_monday, 10))
    other = register(given_name="Gita", phone="+9779841000002")
    with pytest.raises(DomainError):
        book(at(next_monday, 10), for_patient=other)
    assert not Message.objects.filter(patient=other).exists()


def test_moving_and_cancelling_tell_the_patient(book, at, next_monday, receptionist):
    appointment = book(at(next_monday, 10))
    actor = actor_for(receptionist)
    services.reschedule(actor=actor, appointment=appointment, starts_at=at(next_monday, 11))
    assert any("11:00" in body for _c, body in told("appointment.rescheduled"))
    appointment.refresh_from_db()
    services.change_status(
        actor=actor, appointment=appointment, to_status="cancelled", reason="Travel"
    )
    assert len(told("appointment.cancelled")) == 2


def test_a_patient_without_contact_is_booked_and_told_nothing(book, at, next_monday, register):
    silent = register(given_name="Sita")
    appointment = book(at(next_monday, 10), for_patient=silent)
    assert appointment.pk
    assert not Message.objects.exists()


def sweep(clinic, appointment, before):
    return reminders.send_reminders(clinic, now=appointment.starts_at - before)


def test_each_reminder_is_sent_once_while_the_appointment_is_ahead(book, at, next_monday, clinic):
    appointment = book(at(next_monday, 10))
    assert sweep(clinic, appointment, timedelta(hours=25)) == 0
    assert sweep(clinic, appointment, timedelta(hours=23, minutes=59)) == 1
    assert sweep(clinic, appointment, timedelta(hours=23)) == 0
    assert sweep(clinic, appointment, timedelta(hours=1, minutes=59)) == 1
    assert sweep(clinic, appointment, timedelta(hours=1)) == 0
    assert sweep(clinic, appointment, -timedelta(minutes=5)) == 0
    reminded = AppointmentReminder.objects.filter(appointment=appointment)
    assert sorted(reminded.values_list("hours_before", flat=True)) == [2, 24]
    sms = [body for channel, body in told("appointment.reminder") if channel == "sms"]
    assert len(sms) == 2
    assert all("Reply C to confirm" in body for body in sms)


def test_after_downtime_only_the_nearer_reminder_is_sent(book, at, next_monday, clinic):
    appointment = book(at(next_monday, 10))
    assert sweep(clinic, appointment, timedelta(minutes=90)) == 1
    assert list(AppointmentReminder.objects.values_list("hours_before", flat=True)) == [2]


def test_no_reminder_for_a_moment_before_the_booking(book, at, next_monday, clinic):
    appointment = book(at(next_monday, 10))
    Appointment.objects.filter(pk=appointment.pk).update(
        created_at=appointment.starts_at - timedelta(hours=20)
    )
    assert sweep(clinic, appointment, timedelta(hours=19)) == 0
    assert sweep(clinic, appointment, timedelta(hours=1)) == 1


def test_a_moved_appointment_is_reminded_of_its_new_time(
    book, at, next_monday, clinic, receptionist
):
    appointment = book(at(next_monday, 10))
    assert sweep(clinic, appointment, timedelta(hours=23)) == 1
    services.reschedule(
        actor=actor_for(receptionist), appointment=appointment, starts_at=at(next_monday, 12)
    )
    appointment.refresh_from_db()
    assert sweep(clinic, appointment, timedelta(hours=23)) == 1
    assert AppointmentReminder.objects.filter(appointment=appointment).count() == 2


def test_a_cancelled_appointment_is_not_reminded(book, at, next_monday, clinic, receptionist):
    appointment = book(at(next_monday, 10))
    services.change_status(
        actor=actor_for(receptionist), appointment=appointment, to_status="cancelled", reason="x"
    )
    assert sweep(clinic, appointment, timedelta(hours=23)) == 0


def test_the_clinics_own_reminder_hours(book, at, next_monday, clinic, manager):
    from clinicflow.notifications import messaging

    settings = {"quiet_from": "21:00", "quiet_until": "07:00", "language": "en"}
    messaging.update_settings(
        actor=actor_for(manager), first_reminder_hours=48, second_reminder_hours=0, **settings
    )
    appointment = book(at(next_monday, 10))
    assert sweep(clinic, appointment, timedelta(hours=47)) == 1
    assert sweep(clinic, appointment, timedelta(hours=1)) == 0
    with pytest.raises(DomainError):
        messaging.update_settings(
            actor=actor_for(manager), first_reminder_hours=2, second_reminder_hours=3, **settings
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_remind_once(book, at, next_monday, clinic):
    appointment = book(at(next_monday, 10))
    counts = []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            counts.append(sweep(clinic, appointment, timedelta(hours=23)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == [0, 1]
    assert Message.objects.filter(event="appointment.reminder").count() == 2


@pytest.mark.parametrize("language", ["en", "ne"])
def test_a_reminder_fits_one_sms_segment_in_each_language(book, at, next_monday, language):
    from clinicflow.notifications import wording
    from clinicflow.notifications.sms.segments import count_segments
    from clinicflow.scheduling import messages

    appointment = book(at(next_monday, 10, 20))
    values = {**messages.values_of(appointment), "clinic": "Kathmandu Family Health Clinic"}
    values["doctor"] = "Dr Ramchandra Bahadur Shrestha"  # a long name
    text = messages.KINDS[-1].text(language).sms
    assert count_segments(wording.fill(text, values)).segments == 1


def test_the_beat_task_sweeps_every_active_clinic_in_its_own_task(book, at, next_monday, clinic):
    from django.utils import timezone

    from clinicflow.core.models import Clinic
    from clinicflow.scheduling import tasks

    appointment = book(at(next_monday, 10))
    soon = timezone.now() + timedelta(hours=23)
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=soon, ends_at=soon + timedelta(minutes=15), created_at=soon - timedelta(days=3)
    )
    active = Clinic.objects.filter(is_active=True).count()
    assert tasks.send_reminders() == active  # one task per clinic, run at once in tests
    assert AppointmentReminder.objects.filter(appointment=appointment, hours_before=24).exists()
    Clinic.objects.filter(pk=clinic.pk).update(is_active=False)
    AppointmentReminder.objects.all().delete()
    assert tasks.send_clinic_reminders(str(clinic.pk)) == 0
    assert not AppointmentReminder.objects.exists()
