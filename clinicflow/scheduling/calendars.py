"""Appointments as iCalendar: one file per appointment, and a private feed per doctor that
calendar apps subscribe to. Calendar services sync to other companies' servers, so an event
names the patient by initials and record number only, never by full name or reason."""

from __future__ import annotations

from collections.abc import Iterable

from icalendar import Calendar, Event

from clinicflow.scheduling.models import Appointment

PRODUCT = "-//ClinicFlow//Appointments//EN"


def patient_label(appointment: Appointment) -> str:
    patient = appointment.patient
    return f"{patient.given_name[:1]}.{patient.family_name[:1]}. ({patient.mrn})"


def _event(appointment: Appointment) -> Event:
    event = Event()
    event.add("uid", f"{appointment.pk}@clinicflow")
    event.add("dtstamp", appointment.created_at)
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("summary", f"{patient_label(appointment)} · {appointment.get_kind_display()}")
    event.add("location", appointment.clinic.name)
    event.add("status", "CANCELLED" if not appointment.is_active else "CONFIRMED")
    return event


def calendar(appointments: Iterable[Appointment], *, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODUCT)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for appointment in appointments:
        cal.add_component(_event(appointment))
    return bytes(cal.to_ical())
