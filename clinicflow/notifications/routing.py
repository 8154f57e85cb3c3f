"""From an event to what is sent: for each recipient, the channels they hear it on (their
preference, else the kind's default), in their language, held until their quiet hours end
unless urgent. In-app notices are raised at once; e-mails and SMS are written to the outbox.

The same queries whatever the number of recipients: the clinic's settings and texts, the
recipients' preferences and addresses, the keys already queued, one insert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from clinicflow.core.roles import Role
from clinicflow.notifications import messaging, notices, quiet, wording
from clinicflow.notifications.events import Audience, Emitted, EventKind, Text
from clinicflow.notifications.models import (
    Channel,
    Message,
    MessageTemplate,
    PatientPreference,
    UserPreference,
)

#: Rows read or written in one statement.
CHUNK = 1000


@dataclass(frozen=True)
class Recipient:
    """A person as routing sees them: who, where they can be reached, what they chose."""

    patient_id: Any
    user_id: Any
    phone: str
    email: str
    language: str
    chosen: Mapping[str, list[str]]
    quiet: tuple[time, time] | None
    sms_opted_out: bool = False
    #: Told at one address rather than a person's own (``route_to_address``).
    at_address: bool = False

    @property
    def ident(self) -> str:
        if self.at_address:
            # The address itself stays out of the key (keys are shown in logs and headers).
            digest = hashlib.sha256((self.phone or self.email).encode()).hexdigest()[:16]
            return f"a{digest}"
        return f"p{self.patient_id}" if self.patient_id else f"u{self.user_id}"

    def address(self, channel: str) -> str:
        if channel == Channel.SMS:
            return "" if self.sms_opted_out else self.phone
        if channel == Channel.EMAIL:
            return self.email
        return "in-app" if self.user_id else ""


def channels_for(
    event: EventKind, person: Recipient, narrowed: Collection[str] | None
) -> list[str]:
    """The channels ``person`` hears ``event`` on: their own choice for an optional kind, the
    kind's default otherwise; those they can be reached on."""
    chosen = person.chosen.get(event.key) if event.optional else None
    wanted = list(event.channels if chosen is None else chosen)
    if narrowed is not None:
        wanted = [c for c in wanted if c in narrowed]
    return [c for c in wanted if person.address(c)]


def _patient_recipient(patient: Any, pref: PatientPreference | None, settings: Any) -> Recipient:
    quiet_hours = (settings.quiet_from, settings.quiet_until)
    if pref is not None and pref.quiet_from is not None and pref.quiet_until is not None:
        quiet_hours = (pref.quiet_from, pref.quiet_until)
    return Recipient(
        patient_id=patient.pk,
        user_id=None,
        phone=patient.phone,
        email=patient.email,
        language=messaging.language_for(pref.language if pref else None, settings.language),
        chosen=pref.channels if pref else {},
        quiet=quiet_hours,
        sms_opted_out=bool(pref and pref.sms_opted_out_at),
    )


def _patient_preferences(clinic: Any, patient_ids: list[Any]) -> dict[Any, PatientPreference]:
    found: dict[Any, PatientPreference] = {}
    for start in range(0, len(patient_ids), CHUNK):
        rows = PatientPreference.objects.for_clinic(clinic).filter(
            patient_id__in=patient_ids[start : start + CHUNK]
        )
        found.update((row.patient_id, row) for row in rows)
    return found


def _staff_recipients(user_ids: list[Any]) -> list[Recipient]:
    prefs = {p.user_id: p for p in UserPreference.objects.filter(user_id__in=user_ids)}
    people = get_user_model().objects.filter(pk__in=user_ids).values("pk", "phone", "email")
    found = []
    for person in people:
        pref = prefs.get(person["pk"])
        found.append(
            Recipient(
                patient_id=None,
                user_id=person["pk"],
                phone=person["phone"],
                email=person["email"],
                language=messaging.language_for(pref.language if pref else None),
                chosen=pref.channels if pref else {},
                quiet=(pref.quiet_from, pref.quiet_until)
                if pref and pref.quiet_from is not None and pref.quiet_until is not None
                else None,
            )
        )
    return found


def _clinic_texts(clinic: Any, event: EventKind) -> dict[tuple[str, str], MessageTemplate]:
    if event.secret:  # a one-time code's text is ClinicFlow's own: masked where it is known
        return {}
    rows = MessageTemplate.objects.for_clinic(clinic).filter(event=event.key)
    return {(row.channel, row.language): row for row in rows}


def wording_for(
    event: EventKind,
    channel: str,
    language: str,
    own: Mapping[tuple[str, str], MessageTemplate],
) -> tuple[str, str]:
    """(subject, text) of ``event`` through ``channel`` in ``language``: the clinic's own
    text when it wrote one, the kind's default otherwise."""
    mine = own.get((channel, language))
    if mine is not None:
        return mine.subject, mine.body
    default: Text = event.text(language)
    return default.for_channel(channel)


def message_key(event: EventKind, key: str, person: Recipient, channel: str) -> str:
    return f"{event.key}:{key}:{person.ident}:{channel}"[:200]


@dataclass(frozen=True)
class Reachable:
    """A patient as routing needs them, where a sweep reads rows rather than models."""

    pk: Any
    phone: str
    email: str


@dataclass(frozen=True)
class Told:
    """One instance of a patient event (``key``), told to ``patient`` (a ``Patient`` or a
    ``Reachable``) with its ``values``."""

    key: str
    patient: Any
    values: Mapping[str, Any]


def _composed(
    event: EventKind,
    person: Recipient,
    values: Mapping[str, Any],
    own: Mapping[tuple[str, str], MessageTemplate],
    channels: Collection[str] | None,
) -> list[tuple[str, str, str]]:
    """(channel, subject, text) of each channel ``person`` hears ``event`` on."""
    composed = []
    for channel in channels_for(event, person, channels):
        subject, text = wording_for(event, channel, person.language, own)
        composed.append((channel, wording.fill(subject, values), wording.fill(text, values)))
    return composed


def _message(
    event: EventKind,
    clinic: Any,
    key: str,
    person: Recipient,
    composed: tuple[str, str, str],
    now: datetime,
) -> Message:
    channel, subject, text = composed
    return Message(
        clinic=clinic,
        key=message_key(event, key, person, channel),
        event=event.key,
        channel=channel,
        patient_id=person.patient_id,
        user_id=person.user_id,
        to=person.address(channel),
        language=person.language,
        subject=subject[:200],
        body=text,
        urgent=event.urgent,
        next_attempt_at=now
        if event.urgent or person.quiet is None
        else quiet.next_allowed(now, clinic.zone, *person.quiet),
    )


def route_to_patients(
    event: EventKind,
    *,
    clinic: Any,
    items: Sequence[Told],
    channels: Collection[str] | None = None,
    now: datetime | None = None,
) -> Emitted:
    """A patient event told to many patients at once (a reminder sweep): the same few queries
    for a thousand as for one (settings, texts, preferences and queued keys by the
    thousand, one insert)."""
    now = now or timezone.now()
    reachable, emitted = [], Emitted()
    for item in items:
        if item.patient.phone or item.patient.email:
            reachable.append(item)
        else:  # nobody to reach (no in-app for patients): nothing to read or write for them
            emitted.skipped.append(f"p{item.patient.pk}")
    if not reachable:
        return emitted
    settings = messaging.settings_of(clinic)
    prefs = _patient_preferences(clinic, [item.patient.pk for item in reachable])
    own = _clinic_texts(clinic, event)
    queued: list[Message] = []
    for item in reachable:
        person = _patient_recipient(item.patient, prefs.get(item.patient.pk), settings)
        composed = _composed(event, person, item.values, own, channels)
        if not composed:
            emitted.skipped.append(person.ident)
        queued.extend(_message(event, clinic, item.key, person, c, now) for c in composed)
    emitted.messages = _queue(clinic, queued)
    return emitted


def route(
    event: EventKind,
    *,
    clinic: Any,
    key: str,
    values: Mapping[str, Any],
    patient: Any,
    users: Iterable[Any],
    roles: Collection[Role | str],
    url: str,
    channels: Collection[str] | None,
    now: datetime | None = None,
) -> Emitted:
    if event.audience == Audience.PATIENT:
        items = [Told(key, patient, values)] if patient is not None else []
        return route_to_patients(event, clinic=clinic, items=items, channels=channels, now=now)
    now = now or timezone.now()
    ids = {getattr(u, "pk", u) for u in users}
    ids.update(notices.recipients_with_roles(clinic, roles) if roles else ())
    own = _clinic_texts(clinic, event)
    emitted = Emitted()
    in_app: dict[tuple[str, str], list[Any]] = {}
    queued: list[Message] = []
    for person in _staff_recipients(sorted(ids, key=str)):
        composed = _composed(event, person, values, own, channels)
        if not composed:
            emitted.skipped.append(person.ident)
        for channel, subject, text in composed:
            if channel == Channel.IN_APP:
                in_app.setdefault((subject, text), []).append(person.user_id)
            else:
                queued.append(_message(event, clinic, key, person, (channel, subject, text), now))
    for (subject, text), user_ids in in_app.items():
        draft = notices.Draft(
            kind=event.key, key=f"{event.key}:{key}", title=subject, body=text, url=url
        )
        emitted.notices += notices.raise_notices(clinic=clinic, recipients=user_ids, drafts=[draft])
    emitted.messages = _queue(clinic, queued)
    return emitted


def route_to_address(
    event: EventKind,
    *,
    clinic: Any,
    key: str,
    values: Mapping[str, Any],
    address: str,
    patient_id: Any = None,
    user_id: Any = None,
    now: datetime | None = None,
) -> Emitted:
    """One message to one address: SMS to a phone number, e-mail to an address with "@", in
    the clinic's language, now (no preferences, no quiet hours: see ``events.emit_to_address``)."""
    now = now or timezone.now()
    is_email = "@" in address
    person = Recipient(
        patient_id=patient_id,
        user_id=user_id,
        phone="" if is_email else address,
        email=address if is_email else "",
        language=messaging.language_for(None, messaging.settings_of(clinic).language),
        chosen={},
        quiet=None,
        at_address=True,
    )
    own = _clinic_texts(clinic, event)
    channel = Channel.EMAIL if is_email else Channel.SMS
    composed = _composed(event, person, values, own, [channel])
    emitted = Emitted()
    if not composed:
        emitted.skipped.append(person.ident)
        return emitted
    emitted.messages = _queue(clinic, [_message(event, clinic, key, person, composed[0], now)])
    return emitted


def _queue(clinic: Any, messages: list[Message]) -> int:
    """Insert the messages not queued before (by key); how many were new. Two emitters racing
    with the same key: the unique constraint keeps one, and the loser's insert skips it."""
    if not messages:
        return 0
    had: set[str] = set()
    for start in range(0, len(messages), CHUNK):
        keys = [m.key for m in messages[start : start + CHUNK]]
        had.update(
            Message.objects.for_clinic(clinic).filter(key__in=keys).values_list("key", flat=True)
        )
    new = [m for m in messages if m.key not in had]
    Message.objects.bulk_create(new, ignore_conflicts=True, batch_size=CHUNK)
    return len(new)
