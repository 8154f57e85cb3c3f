"""Patients answering a reminder by SMS: C to confirm, X to cancel (the inbound keywords
scheduling registers with the notifications app).

The answer is about the appointment the patient was reminded of: of their booked appointments
still ahead that a reminder was sent for, the soonest. An answer with no such appointment
changes nothing (an X never cancels an appointment nobody asked about), and reception hears
every answer that changed something.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from clinicflow.core.roles import Role
from clinicflow.notifications import events, inbound
from clinicflow.notifications.events import Audience, EventKind, Text
from clinicflow.notifications.models import Channel
from clinicflow.scheduling import messages, services
from clinicflow.scheduling.models import Appointment, AppointmentStatus

CONFIRM_WORDS = ("C", "CONFIRM", "YES", "Y")
CANCEL_WORDS = ("X", "CANCEL", "NO")
REPLIED = "appointment.patient_replied"

KIND = EventKind(
    key=REPLIED,
    label="A patient answered a reminder",
    audience=Audience.STAFF,
    channels=(Channel.IN_APP,),
    placeholders=("patient", "answer", "doctor", "date", "time"),
    texts={
        "en": Text(
            subject="{patient} {answer} by SMS: {doctor}, {date} {time}",
            body="{patient} {answer} the appointment with {doctor} on {date} at {time} by "
            "replying to the reminder.",
        )
    },
)


def register() -> None:
    events.register_kind(KIND)
    inbound.register_keywords(CONFIRM_WORDS + CANCEL_WORDS, answer)


def reminded_appointment(patients: list[Any]) -> Appointment | None:
    """The soonest booked appointment still ahead, of these patients (one phone, perhaps
    several records), that a reminder was sent for."""
    return (
        Appointment.objects.all_clinics()
        .filter(
            patient__in=patients,
            status=AppointmentStatus.BOOKED,
            starts_at__gt=timezone.now(),
            reminders__starts_at__isnull=False,
        )
        .select_related("clinic", "patient", "practitioner")
        .order_by("starts_at", "pk")
        .first()
    )


def answer(received: inbound.Received, patients: list[Any]) -> inbound.Answer:
    appointment = reminded_appointment(patients)
    if appointment is None:
        return inbound.Answer(
            "no appointment",
            "We found no upcoming appointment to confirm or cancel. Please call the clinic.",
        )
    confirm = received.keyword in CONFIRM_WORDS
    if not services.answer_by_patient(appointment=appointment, confirm=confirm, via="SMS reply"):
        return inbound.Answer(
            "no change", "Your appointment could not be changed now. Please call the clinic."
        )
    values = messages.values_of(appointment)
    events.emit(
        REPLIED,
        clinic=appointment.clinic,
        key=f"{appointment.pk}:{'confirmed' if confirm else 'cancelled'}",
        roles=[Role.RECEPTIONIST],
        values={
            **values,
            "patient": str(appointment.patient),
            "answer": "confirmed" if confirm else "cancelled",
        },
        url=reverse("scheduling:appointment", args=[appointment.pk]),
    )
    if confirm:
        return inbound.Answer(
            "confirmed", f"Thank you. See you on {values['date']} at {values['time']}."
        )
    return inbound.Answer(
        "cancelled", f"Your appointment on {values['date']} at {values['time']} is cancelled."
    )
