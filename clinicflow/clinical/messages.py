"""What the consultation tells: the pharmacy, in-app, that a doctor has issued a prescription
for it to dispense (the bell rings for every active pharmacist of the clinic). Registered as
an event kind of the notifications app; emitted by ``prescribing.issue`` inside the signing's
transaction, so a refused signature tells nobody."""

from __future__ import annotations

from django.urls import reverse

from clinicflow.clinical.models import Prescription
from clinicflow.core.roles import Role
from clinicflow.notifications import events
from clinicflow.notifications.events import Audience, EventKind, Text
from clinicflow.notifications.models import Channel

NEW_PRESCRIPTION = "clinical.prescription_issued"

KIND = EventKind(
    key=NEW_PRESCRIPTION,
    label="A new prescription for the pharmacy",
    audience=Audience.STAFF,
    channels=(Channel.IN_APP,),
    placeholders=("patient", "doctor", "items"),
    texts={
        "en": Text(
            subject="New prescription: {patient}, from {doctor}",
            body="{doctor} issued a prescription of {items} medicine(s) for {patient}: "
            "it is waiting for the pharmacy.",
        ),
        "ne": Text(
            subject="नयाँ प्रेस्क्रिप्सन: {patient}, {doctor} बाट",
            body="{doctor} ले {patient} का लागि {items} औषधिको प्रेस्क्रिप्सन दिनुभयो: "
            "फार्मेसीमा पर्खिरहेको छ।",
        ),
    },
)


def register() -> None:
    events.register_kind(KIND)


def prescription_issued(prescription: Prescription, items: int) -> events.Emitted:
    """Tell the clinic's pharmacists of a prescription just issued (once per prescription)."""
    return events.emit(
        NEW_PRESCRIPTION,
        clinic=prescription.clinic,
        key=str(prescription.pk),
        roles=[Role.PHARMACIST],
        values={
            "patient": str(prescription.patient),
            "doctor": str(prescription.prescriber) if prescription.prescriber_id else "",
            "items": items,
        },
        url=reverse("pharmacy:dispense", args=[prescription.pk]),
    )
