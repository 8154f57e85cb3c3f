"""SMS from patients: a gateway's inbound webhook hands each one to ``receive``.

The first word is the keyword. STOP opts the number out of SMS (every patient record with that
number, in every clinic, each change recorded as consent with the message as evidence), START
opts it in again; other keywords belong to the domain that registered them
(``register_keywords``: scheduling's C to confirm and X to cancel the appointment a reminder
was about). Each inbound SMS is handled once: the same one again (a provider retrying its
call) gets the first answer and changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinicflow.core.audit.context import audit_context
from clinicflow.notifications import messaging
from clinicflow.notifications.models import (
    Channel,
    ConsentChange,
    InboundSms,
    PatientPreference,
)
from clinicflow.notifications.models.preferences import ConsentSource
from clinicflow.patients.models import Patient

STOP_WORDS = frozenset({"STOP", "UNSUBSCRIBE", "STOPALL"})
START_WORDS = frozenset({"START", "UNSTOP"})
#: The replies of the notifications app itself, by language (English when the patient's is
#: missing); a domain's keyword handler words its own.
REPLIES = {
    "en": {
        "not understood": "Sorry, we did not understand. Reply C to confirm or X to cancel "
        "your appointment.",
        "opted in": "You will receive our SMS again. Reply STOP to stop them.",
        "opted out": "You will get no more SMS from us. Reply START to get them again.",
    },
    "ne": {
        "not understood": "माफ गर्नुहोस्, बुझिएन। भेट पुष्टि गर्न C, रद्द गर्न X लेखेर पठाउनुहोस्।",
        "opted in": "हाम्रा SMS फेरि आउने छन्। रोक्न STOP लेखेर पठाउनुहोस्।",
        "opted out": "अब हामीबाट SMS आउने छैन। फेरि पाउन START लेखेर पठाउनुहोस्।",
    },
}


def worded(replies: dict[str, dict[str, str]], patient: Any, outcome: str) -> str:
    """The reply for ``outcome`` in the language ``patient`` reads (English for a number with
    no patient, or where that language's text is not written)."""
    language = messaging.language_of(patient) if patient is not None else "en"
    return replies.get(language, replies["en"]).get(outcome) or replies["en"][outcome]


@dataclass(frozen=True)
class Received:
    """An inbound SMS as a gateway reported it; ``sender`` in E.164."""

    provider: str
    sender: str
    text: str
    provider_id: str = ""

    @property
    def keyword(self) -> str:
        words = self.text.strip().split(maxsplit=1)
        return words[0].strip(".,!?").upper() if words else ""

    @property
    def key(self) -> str:
        if self.provider_id:
            return f"{self.provider}:{self.provider_id}"[:100]
        # No id from the provider: the same sender and text within the same minute is the
        # same message sent again.
        minute = timezone.now().strftime("%Y%m%d%H%M")
        digest = hashlib.sha256(f"{self.sender}\n{self.text}\n{minute}".encode()).hexdigest()
        return f"{self.provider}:sha256:{digest}"[:100]


@dataclass(frozen=True)
class Answer:
    outcome: str
    reply: str


#: Takes the message and the active patients with its number; returns what was done.
Handler = Callable[[Received, list[Patient]], Answer]
_HANDLERS: dict[str, Handler] = {}


def register_keywords(keywords: Iterable[str], handler: Handler) -> None:
    for keyword in keywords:
        _HANDLERS[keyword.upper()] = handler


def receive(received: Received) -> InboundSms:
    """Handle an inbound SMS once; the stored message with its outcome and reply."""
    done = InboundSms.objects.filter(key=received.key).first()
    if done is not None:
        return done
    try:
        with transaction.atomic(), audit_context(source=f"sms:{received.provider}"):
            row = InboundSms.objects.create(
                provider=received.provider,
                key=received.key,
                sender=received.sender,
                text=received.text[:500],
            )
            answer = _answer(received)
            row.outcome, row.reply = answer.outcome[:40], answer.reply[:320]
            row.save(update_fields=["outcome", "reply"])
    except IntegrityError:
        # The same message, handled at this moment by another request: its answer.
        return InboundSms.objects.get(key=received.key)
    return row


def _answer(received: Received) -> Answer:
    patients = list(
        Patient.objects.all_clinics()
        .filter(phone=received.sender, is_active=True)
        .select_related("clinic")
        .order_by("pk")
    )
    keyword = received.keyword
    if keyword in STOP_WORDS:
        return _opt(received, patients, opted_in=False)
    if keyword in START_WORDS:
        return _opt(received, patients, opted_in=True)
    handler = _HANDLERS.get(keyword)
    if not patients:
        return Answer("not understood", "")
    if handler is None:
        return Answer("not understood", worded(REPLIES, patients[0], "not understood"))
    return handler(received, patients)


def _opt(received: Received, patients: list[Patient], *, opted_in: bool) -> Answer:
    now = timezone.now()
    for patient in patients:
        set_sms_consent(
            patient,
            opted_in=opted_in,
            source=ConsentSource.SMS_REPLY,
            evidence=received.text,
            now=now,
        )
    outcome = "opted in" if opted_in else "opted out"
    return Answer(outcome, worded(REPLIES, patients[0] if patients else None, outcome))


def set_sms_consent(
    patient: Patient,
    *,
    opted_in: bool,
    source: str,
    evidence: str = "",
    by: Any = None,
    now: Any = None,
) -> None:
    """Opt a patient's number in or out of SMS, recording the change as consent."""
    rows = PatientPreference.objects.for_clinic(patient.clinic)
    made, _created = rows.get_or_create(patient=patient, defaults={"clinic": patient.clinic})
    # Locked: two STOPs at once record one change (the second finds it done).
    preference = rows.select_for_update().get(pk=made.pk)
    opted_out_at = None if opted_in else (now or timezone.now())
    if (preference.sms_opted_out_at is None) == opted_in:
        return  # already so: nothing changes, nothing to record
    preference.sms_opted_out_at = opted_out_at
    preference.save(update_fields=["sms_opted_out_at", "updated_at"])
    ConsentChange.objects.create(
        clinic=patient.clinic,
        patient=patient,
        channel=Channel.SMS,
        opted_in=opted_in,
        source=source,
        evidence=evidence[:300],
        changed_by=by,
    )
