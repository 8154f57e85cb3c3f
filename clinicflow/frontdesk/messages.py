"""What the front desk tells through the notifications app: the doctor, in-app, that a patient
of theirs has checked in (or walked in for them); and the patient that their token is called
(for patients waiting outside) — a kind patients opt in to: its default is no channel at all,
so only those who asked for it (an SMS, say) hear it. Emitted from the queue's change log
(``services._log``), inside the change's transaction."""

from __future__ import annotations

from django.urls import reverse

from clinicflow.frontdesk.models import QueueChange, QueueEntry, QueueStatus
from clinicflow.notifications import events
from clinicflow.notifications.events import Audience, EventKind, Text
from clinicflow.notifications.models import Channel

CHECKED_IN = "frontdesk.checked_in"
TOKEN_CALLED = "frontdesk.token_called"

KINDS = (
    EventKind(
        key=CHECKED_IN,
        label="A patient checked in for me",
        audience=Audience.STAFF,
        channels=(Channel.IN_APP,),
        placeholders=("patient", "token", "reason"),
        texts={
            "en": Text(
                subject="Checked in: {patient}, token {token}",
                body="{patient} has checked in (token {token}) and is waiting for you. {reason}",
            ),
            "ne": Text(
                subject="आइपुग्नुभयो: {patient}, टोकन {token}",
                body="{patient} आइपुग्नुभयो (टोकन {token}) र तपाईंलाई पर्खिरहनुभएको छ। {reason}",
            ),
        },
    ),
    EventKind(
        key=TOKEN_CALLED,
        label="Your token is called",
        audience=Audience.PATIENT,
        # Opt-in: most patients wait in the waiting room and see the board.
        channels=(),
        offered=(Channel.SMS, Channel.EMAIL),
        placeholders=("patient", "token", "doctor"),
        texts={
            "en": Text(
                subject="Token {token}: please come in now",
                body="Dear {patient},\n\nYour token {token} is called: please come in to see "
                "{doctor} now.\n\n{clinic}",
                sms="{clinic}: token {token} is called. Please come in to see {doctor} now.",
            ),
            "ne": Text(
                subject="टोकन {token}: अब भित्र आउनुहोस्",
                body="{patient} ज्यू,\n\nतपाईंको टोकन {token} बोलाइयो: {doctor} लाई भेट्न अब "
                "भित्र आउनुहोस्।\n\n{clinic}",
                sms="टोकन {token}: {doctor} कहाँ अब आउनुहोस्।",
            ),
        },
    ),
)


def register() -> None:
    for kind in KINDS:
        events.register_kind(kind)


def tell_change(entry: QueueEntry, change: QueueChange) -> None:
    """A new entry with a doctor: the doctor hears the patient arrived. An entry called in:
    the patient hears it (when they asked to). Keyed by the entry (arrival) and by the change
    (each call)."""
    doctor = entry.practitioner
    if not change.from_status and doctor is not None and doctor.user_id is not None:
        events.emit(
            CHECKED_IN,
            clinic=entry.clinic,
            key=str(entry.pk),
            users=[doctor.user_id],
            values={
                "patient": entry.display_name,
                "token": entry.token_label,
                "reason": entry.reason,
            },
            url=reverse("frontdesk:entry", args=[entry.pk]),
        )
    elif (
        change.to_status == QueueStatus.WITH_DOCTOR
        and change.from_status != QueueStatus.WITH_DOCTOR
        and entry.patient is not None
    ):
        events.emit(
            TOKEN_CALLED,
            clinic=entry.clinic,
            key=f"{entry.pk}:{change.pk}",
            patient=entry.patient,
            values={
                "patient": entry.patient.given_name,
                "token": entry.token_label,
                "doctor": str(doctor) if doctor is not None else "",
            },
        )
