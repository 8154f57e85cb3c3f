"""Patients answering a reminder by SMS: C to confirm, X to cancel (the inbound keywords
scheduling registers with the notifications app).

The answer is about the appointment the patient was reminded of: of their booked appointments
still ahead that a reminder was sent for, the soonest. An answer with no such appointment
changes nothing (an X never cancels an appointment nobody asked about), and reception hears
every answer that changed something.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from clinicflow.core.roles import Role
from clinicflow.notifications import events, inbound, wording
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


REPLIES = {
    "en": {
        "no appointment": "We found no upcoming appointment to confirm or cancel. "
        "Please call the clinic.",
        "no change": "Your appointment could not be changed now. Please call the clinic.",
        "confirmed": "Thank you. See you on {date} at {time}.",
        "cancelled": "Your appointment on {date} at {time} is cancelled.",
    },
    "ne": {
        "no appointment": "पुष्टि वा रद्द गर्ने कुनै आउँदो भेट भेटिएन। कृपया क्लिनिकमा फोन गर्नुहोस्।",
        "no change": "तपाईंको भेट अहिले बदल्न सकिएन। कृपया क्लिनिकमा फोन गर्नुहोस्।",
        "confirmed": "धन्यवाद। {date} {time} मा भेटौँला।",
        "cancelled": "{date} {time} को तपाईंको भेट रद्द गरियो।",
    },
}


def reminded_appointment(patients: list[Any]) -> Appointment | None:
    """The soonest booked appointment still ahead, of these patients (one phone, perhaps
    several records), that a reminder of its present time was sent for (a reminder of the
    time before a move is not one the patient can be answering now)."""
    return (
        Appointment.objects.all_clinics()
        .filter(
            patient__in=patients,
            status=AppointmentStatus.BOOKED,
            starts_at__gt=timezone.now(),
            reminders__starts_at=F("starts_at"),
        )
        .select_related("clinic", "patient", "practitioner")
        .order_by("starts_at", "pk")
        .first()
    )


def answer(received: inbound.Received, patients: list[Any]) -> inbound.Answer:
    appointment = reminded_appointment(patients)
    if appointment is None:
        return inbound.Answer(
            "no appointment", inbound.worded(REPLIES, patients[0], "no appointment")
        )
    patient = appointment.patient
    confirm = received.keyword in CONFIRM_WORDS
    if not services.answer_by_patient(
        appointment=appointment, confirm=confirm, via="SMS reply", answered_on=Channel.SMS
    ):
        return inbound.Answer("no change", inbound.worded(REPLIES, patient, "no change"))
    values = messages.values_of(appointment)
    outcome = "confirmed" if confirm else "cancelled"
    events.emit(
        REPLIED,
        clinic=appointment.clinic,
        key=f"{appointment.pk}:{outcome}",
        roles=[Role.RECEPTIONIST],
        values={**values, "patient": str(patient), "answer": outcome},
        url=reverse("scheduling:appointment", args=[appointment.pk]),
    )
    return inbound.Answer(outcome, wording.fill(inbound.worded(REPLIES, patient, outcome), values))
