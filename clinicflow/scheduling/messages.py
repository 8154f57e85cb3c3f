"""What scheduling tells patients: an appointment booked, moved or cancelled, and the
reminders before it (``reminders``). Registered as event kinds of the notifications app;
emitted from the services' change log (``tell_change``), inside their transaction."""

from __future__ import annotations

import functools
from datetime import datetime, tzinfo
from typing import Any

from django.utils import formats, timezone, translation

from clinicflow.notifications import events
from clinicflow.notifications.events import Audience, EventKind, Text
from clinicflow.notifications.models import Channel
from clinicflow.scheduling.models import Appointment, AppointmentStatus

BOOKED = "appointment.booked"
RESCHEDULED = "appointment.rescheduled"
CANCELLED = "appointment.cancelled"
REMINDER = "appointment.reminder"

PLACEHOLDERS = ("patient", "doctor", "date", "time", "clinic_phone")
PATIENT_CHANNELS = (Channel.SMS, Channel.EMAIL)

KINDS = (
    EventKind(
        key=BOOKED,
        label="Appointment booked",
        audience=Audience.PATIENT,
        channels=PATIENT_CHANNELS,
        placeholders=PLACEHOLDERS,
        optional=False,
        texts={
            "en": Text(
                subject="Your appointment with {doctor} on {date}",
                body="Dear {patient},\n\nYour appointment with {doctor} is booked for {date} "
                "at {time}. Please come 10 minutes early.\n\nTo change it, call {clinic_phone}."
                "\n\n{clinic}",
                sms="{clinic}: appointment with {doctor} booked for {date} at {time}. "
                "To change it call {clinic_phone}.",
            ),
            "ne": Text(
                subject="{doctor} सँग {date} मा तपाईंको भेट",
                body="{patient} ज्यू,\n\n{doctor} सँग {date} {time} मा तपाईंको भेट तय भयो। "
                "१० मिनेट अगाडि आउनुहोला।\n\nफेर्न {clinic_phone} मा फोन गर्नुहोस्।\n\n{clinic}",
                sms="{date} {time} मा {doctor} सँग भेट तय भयो। {clinic_phone}",
            ),
        },
    ),
    EventKind(
        key=RESCHEDULED,
        label="Appointment moved",
        audience=Audience.PATIENT,
        channels=PATIENT_CHANNELS,
        placeholders=PLACEHOLDERS,
        optional=False,
        texts={
            "en": Text(
                subject="Your appointment is moved to {date} at {time}",
                body="Dear {patient},\n\nYour appointment with {doctor} is now on {date} at "
                "{time}.\n\nQuestions: {clinic_phone}.\n\n{clinic}",
                sms="{clinic}: your appointment with {doctor} is moved to {date} at {time}.",
            ),
            "ne": Text(
                subject="तपाईंको भेट {date} {time} मा सारियो",
                body="{patient} ज्यू,\n\n{doctor} सँगको भेट अब {date} {time} मा छ।\n\n"
                "सोध्न: {clinic_phone}\n\n{clinic}",
                sms="{doctor} सँगको भेट {date} {time} मा सारियो।",
            ),
        },
    ),
    EventKind(
        key=CANCELLED,
        label="Appointment cancelled",
        audience=Audience.PATIENT,
        channels=PATIENT_CHANNELS,
        placeholders=PLACEHOLDERS,
        optional=False,
        texts={
            "en": Text(
                subject="Your appointment on {date} is cancelled",
                body="Dear {patient},\n\nYour appointment with {doctor} on {date} at {time} "
                "is cancelled. To book again, call {clinic_phone}.\n\n{clinic}",
                sms="{clinic}: your appointment with {doctor} on {date} at {time} is cancelled.",
            ),
            "ne": Text(
                subject="{date} को भेट रद्द भयो",
                body="{patient} ज्यू,\n\n{doctor} सँग {date} {time} को भेट रद्द भयो। फेरि "
                "समय लिन {clinic_phone} मा फोन गर्नुहोस्।\n\n{clinic}",
                sms="{doctor} सँग {date} {time} को भेट रद्द भयो।",
            ),
        },
    ),
    EventKind(
        key=REMINDER,
        label="Appointment reminder",
        audience=Audience.PATIENT,
        channels=(Channel.SMS, Channel.EMAIL),
        placeholders=PLACEHOLDERS,
        texts={
            "en": Text(
                subject="Reminder: {doctor}, {date} at {time}",
                body="Dear {patient},\n\nThis is a reminder of your appointment with {doctor} "
                "on {date} at {time}.\n\nCannot come? Call {clinic_phone}.\n\n{clinic}",
                sms="Reminder: {doctor}, {date} at {time}. Reply C to confirm or X to cancel. "
                "{clinic}",
            ),
            "ne": Text(
                subject="सम्झना: {doctor}, {date} {time}",
                body="{patient} ज्यू,\n\n{doctor} सँग {date} {time} मा तपाईंको भेट छ।\n\n"
                "आउन नसक्ने भए {clinic_phone} मा फोन गर्नुहोस्।\n\n{clinic}",
                sms="सम्झना: {date} {time} {doctor}। C पुष्टि, X रद्द",
            ),
        },
    ),
)


def register() -> None:
    for kind in KINDS:
        events.register_kind(kind)


def values_of(appointment: Appointment) -> dict[str, Any]:
    return worded(
        appointment.clinic,
        appointment.starts_at,
        patient=appointment.patient.given_name,
        doctor=str(appointment.practitioner),
    )


def worded(clinic: Any, starts_at: datetime, *, patient: str, doctor: str) -> dict[str, Any]:
    """The placeholders' values of an appointment's messages."""
    day, hour = _when(starts_at, clinic.zone, translation.get_language())
    return {
        "patient": patient,
        "doctor": doctor,
        "date": day,
        "time": hour,
        "clinic_phone": clinic.phone,
    }


@functools.lru_cache(maxsize=1024)
def _when(starts_at: datetime, zone: tzinfo, language: str | None) -> tuple[str, str]:
    """An appointment's day and time as the clinic reads them (a sweep meets each start time
    many times over)."""
    local = timezone.localtime(starts_at, zone)
    return formats.date_format(local, "j M"), formats.time_format(local, "G:i")


def tell(kind: str, appointment: Appointment, key: str, *, answered_on: str = "") -> events.Emitted:
    """Tell the patient; not on ``answered_on``, the channel whose reply already told them."""
    channels = None
    if answered_on:
        channels = [c for c in events.kind_of(kind).channels if c != answered_on]
    return events.emit(
        kind,
        clinic=appointment.clinic,
        key=key,
        patient=appointment.patient,
        values=values_of(appointment),
        channels=channels,
    )


def tell_change(
    appointment: Appointment, from_status: str, changes: dict[str, Any], *, answered_on: str = ""
) -> None:
    """Tell the patient what a logged change means to them: booked (directly, or a request
    confirmed), moved to another time, cancelled. Other moves (checked in, completed) they
    lived through. A change the patient made by answering on a channel (an SMS reply) is not
    told again on it."""
    status = appointment.status
    if "new_starts_at" in changes and status in (
        AppointmentStatus.BOOKED,
        AppointmentStatus.REQUESTED,
    ):
        tell(RESCHEDULED, appointment, f"{appointment.pk}:{appointment.starts_at.isoformat()}")
    elif status == AppointmentStatus.BOOKED and from_status in ("", AppointmentStatus.REQUESTED):
        tell(BOOKED, appointment, str(appointment.pk))
    elif status == AppointmentStatus.CANCELLED and from_status != status:
        tell(CANCELLED, appointment, str(appointment.pk), answered_on=answered_on)
