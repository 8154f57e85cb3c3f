"""Appointments as iCalendar: one file per appointment, and a private feed per doctor that
calendar apps subscribe to. Calendar services sync to other companies' servers, so an event
names the patient by initials and record number only, never by full name or reason."""

from __future__ import annotations

from collections.abc import Iterable

from icalendar import Calendar, Event

from clinicflow.scheduling.models import Appointment
from clinicflow.scheduling.models import AppointmentStatus as S

PRODUCT = "-//ClinicFlow//Appointments//EN"

#: The event's STATUS (RFC 5545: TENTATIVE, CONFIRMED or CANCELLED) for each appointment state.
#: Only a cancelled appointment is CANCELLED: calendar apps strike it out or hide it. A
#: completed one is a confirmed event that has happened. A no-show is CONFIRMED too: the time
#: was booked and held for the patient (nobody else could have it) until the grace period
#: ran out, so it was not free; cancelled would say it was given back. Whether the patient
#: came is not the feed's to tell: it syncs to other companies' servers.
EVENT_STATUS: dict[str, str] = {
    S.REQUESTED: "TENTATIVE",
    S.BOOKED: "CONFIRMED",
    S.CHECKED_IN: "CONFIRMED",
    S.IN_CONSULTATION: "CONFIRMED",
    S.COMPLETED: "CONFIRMED",
    S.NO_SHOW: "CONFIRMED",
    S.CANCELLED: "CANCELLED",
}


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
    event.add("status", EVENT_STATUS[appointment.status])
    return event


def calendar(appointments: Iterable[Appointment], *, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODUCT)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for appointment in appointments:
        cal.add_component(_event(appointment))
    return bytes(cal.to_ical())
