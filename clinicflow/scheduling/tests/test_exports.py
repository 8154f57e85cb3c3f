"""Exports parse back: CSV, Excel (openpyxl) and iCalendar (icalendar), and the private feed."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar
from openpyxl import load_workbook

from clinicflow.accounts.actors import actor_for
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.scheduling.services import renew_calendar_feed

pytestmark = pytest.mark.django_db


def test_appointments_export_to_csv_and_excel_with_the_same_rows(
    next_monday, at, book, receptionist, patient, sign_in
):
    book(at(next_monday, 10))
    client = sign_in(receptionist)
    params = {"day": next_monday.isoformat()}
    csv_rows = list(
        csv.reader(
            io.StringIO(
                b"".join(
                    client.get(reverse("scheduling:appointments_export"), params).streaming_content
                ).decode()
            )
        )
    )
    excel = client.get(reverse("scheduling:appointments_export_xlsx"), params)
    sheet = load_workbook(io.BytesIO(b"".join(excel.streaming_content)), read_only=True).active
    xlsx_rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert csv_rows[0] == [str(h) for h in xlsx_rows[0]]
    assert csv_rows[0][:2] == ["Starts", "Ends"]
    assert len(csv_rows) == len(xlsx_rows) == 2
    assert csv_rows[1][4] == xlsx_rows[1][4] == patient.mrn
    assert xlsx_rows[1][0].hour == 10  # a local time the spreadsheet reads as a date-time
    assert (
        AuditEvent.objects.for_clinic(patient.clinic).filter(action=AuditAction.EXPORT).count() == 2
    )


def test_one_appointment_as_ics(next_monday, at, book, receptionist, sign_in):
    appointment = book(at(next_monday, 10))
    response = sign_in(receptionist).get(
        reverse("scheduling:appointment_ics", args=[appointment.pk])
    )
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert event.decoded("dtstart") == appointment.starts_at
    assert event.decoded("dtend") == appointment.ends_at
    assert str(event["uid"]) == f"{appointment.pk}@clinicflow"


def test_the_doctors_feed_is_private_revocable_and_names_no_patient(
    next_monday, at, book, cardiologist, patient
):
    book(at(next_monday, 10))
    token = renew_calendar_feed(actor=actor_for(cardiologist.user), practitioner=cardiologist)
    feed = Client().get(reverse("scheduling:calendar_feed", args=[token]))
    assert feed.status_code == 200
    events = list(Calendar.from_ical(feed.content).walk("VEVENT"))
    assert len(events) == 1
    assert patient.mrn in str(events[0]["summary"])
    assert patient.family_name not in feed.content.decode()
    new = renew_calendar_feed(actor=actor_for(cardiologist.user), practitioner=cardiologist)
    assert Client().get(reverse("scheduling:calendar_feed", args=[token])).status_code == 404
    assert Client().get(reverse("scheduling:calendar_feed", args=[new])).status_code == 200
    assert Client().get(reverse("scheduling:calendar_feed", args=["x" * 43])).status_code == 404


def test_the_feed_cancels_only_cancelled_appointments(
    next_monday, at, book, cardiologist, register
):
    """Completed is a confirmed event that happened; a no-show kept its time (confirmed too);
    a request not yet confirmed is tentative; only a cancelled one says CANCELLED."""
    from clinicflow.scheduling.calendars import EVENT_STATUS
    from clinicflow.scheduling.models import Appointment, AppointmentStatus

    expected = {
        AppointmentStatus.REQUESTED: "TENTATIVE",
        AppointmentStatus.BOOKED: "CONFIRMED",
        AppointmentStatus.CHECKED_IN: "CONFIRMED",
        AppointmentStatus.IN_CONSULTATION: "CONFIRMED",
        AppointmentStatus.COMPLETED: "CONFIRMED",
        AppointmentStatus.NO_SHOW: "CONFIRMED",
        AppointmentStatus.CANCELLED: "CANCELLED",
    }
    assert set(EVENT_STATUS) == set(AppointmentStatus.values)  # every state has its word
    uids = {}
    hours = [9, 10, 11, 12, 14, 15, 16]  # 13:00 is the lunch break
    for hour, status in zip(hours, expected, strict=True):
        appointment = book(at(next_monday, hour), for_patient=register(given_name=status))
        Appointment.objects.for_clinic(appointment.clinic).filter(pk=appointment.pk).update(
            status=status, status_reason="set by the test"
        )
        uids[f"{appointment.pk}@clinicflow"] = status
    token = renew_calendar_feed(actor=actor_for(cardiologist.user), practitioner=cardiologist)
    feed = Client().get(reverse("scheduling:calendar_feed", args=[token]))
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    shown = {uids[str(e["uid"])]: str(e["status"]) for e in events}
    assert shown == expected
