"""A clinic's own wording of its messages (``MessageTemplate``), as its manager writes it: one
text per event kind, channel and language, checked before it is kept, previewed with sample
values, and reset to the event kind's default by deleting it.

A text is data, never code (``wording``): only the event kind's ``{placeholders}`` mean
anything, so a manager cannot reach the server's settings or objects through a text, and a
text with anything else in braces is refused rather than sent with the braces in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import DomainError
from clinicflow.notifications import events, routing, wording
from clinicflow.notifications.events import EventKind
from clinicflow.notifications.models import Channel, Language, MessageTemplate
from clinicflow.notifications.sms.segments import Estimate, count_segments, estimate

ACTION = "notifications.manage"

#: The longest text a clinic may keep: an SMS of a few parts, an e-mail or notice of a page.
LONGEST = {Channel.SMS: 800, Channel.EMAIL: 4000, Channel.IN_APP: 1000}

#: Values the preview fills in for placeholders, of a typical length (so the preview's SMS
#: segments are what the patient will typically receive). An event kind may bring its own
#: (``samples``, a mapping); a placeholder nobody knows shows its own name.
SAMPLE_VALUES: dict[str, str] = {
    "patient": "Priya",
    "doctor": "Dr. Anil Shrestha",
    "date": "12 Mar",
    "time": "10:30",
    "clinic_phone": "01-4412345",
    "answer": "confirmed",
    "medicine": "Amoxicillin 500 mg",
    "test": "Complete blood count",
    "number": "INV-2025-00123",
    "amount": "1,250.00",
    "token": "A-12",
    "room": "Room 3",
}


def channels_of(kind: EventKind) -> list[str]:
    """The channels a kind may be told through, in a stable order."""
    return kind.possible


@dataclass(frozen=True)
class Wording:
    """What one (event, channel, language) says now: the clinic's own text or the default."""

    kind: EventKind
    channel: str
    language: str
    subject: str
    body: str
    own: MessageTemplate | None

    @property
    def is_own(self) -> bool:
        return self.own is not None

    @property
    def channel_label(self) -> str:
        return str(Channel(self.channel).label)

    @property
    def language_label(self) -> str:
        return str(Language(self.language).label)

    @property
    def has_default_in_language(self) -> bool:
        """Whether the kind has a default of its own in this language (else English is sent)."""
        return self.language in self.kind.texts

    @property
    def segments(self) -> int | None:
        """The SMS parts of this text with sample values (None for other channels)."""
        if self.channel != Channel.SMS:
            return None
        return count_segments(wording.fill(self.body, sample_values(self.kind))).segments


def _own_texts(clinic: Any) -> dict[tuple[str, str, str], MessageTemplate]:
    rows = MessageTemplate.objects.for_clinic(clinic).select_related("updated_by")
    return {(row.event, row.channel, row.language): row for row in rows}


def catalogue(clinic: Any) -> list[Wording]:
    """Every registered event kind × its channels × language, with what the clinic sends
    (one query)."""
    own = _own_texts(clinic)
    found = []
    for kind in events.kinds():
        if kind.secret:  # not editable (``kind_for``)
            continue
        for channel in channels_of(kind):
            for language in Language.values:
                found.append(_wording(kind, channel, language, own))
    return found


def _wording(
    kind: EventKind,
    channel: str,
    language: str,
    own: Mapping[tuple[str, str, str], MessageTemplate],
) -> Wording:
    mine = own.get((kind.key, channel, language))
    per_channel = {(c, lang): row for (e, c, lang), row in own.items() if e == kind.key}
    subject, body = routing.wording_for(kind, channel, language, per_channel)
    return Wording(kind, channel, language, subject, body, mine)


def wording_of(clinic: Any, kind: EventKind, channel: str, language: str) -> Wording:
    rows = MessageTemplate.objects.for_clinic(clinic).filter(
        event=kind.key, channel=channel, language=language
    )
    own = {(row.event, row.channel, row.language): row for row in rows.select_related("updated_by")}
    return _wording(kind, channel, language, own)


def kind_for(event: str, channel: str, language: str) -> EventKind:
    """The event kind of a text, when the text may exist at all; a refusal otherwise."""
    try:
        kind = events.kind_of(event)
    except KeyError:
        raise DomainError(_("No such message."), field="event") from None
    if kind.secret:
        raise DomainError(
            _("This message carries a one-time code: its text is not edited."), field="event"
        )
    if channel not in kind.possible:
        raise DomainError(_("This message is not sent through that channel."), field="channel")
    if language not in Language.values:
        raise DomainError(_("Choose a language."), field="language")
    return kind


def text_problems(kind: EventKind, channel: str, subject: str, body: str) -> dict[str, list[str]]:
    """What is wrong with a text, per field (``subject``, ``body``); empty when it is good."""
    found: dict[str, list[str]] = {}
    allowed = kind.all_placeholders
    if channel != Channel.SMS:
        if not subject.strip():
            found["subject"] = [
                _("An e-mail needs a subject.")
                if channel == Channel.EMAIL
                else _("A notice needs a title.")
            ]
        elif "\n" in subject or "\r" in subject:
            found["subject"] = [_("The subject is one line.")]
        elif len(subject) > 200:
            found["subject"] = [_("Keep the subject within 200 characters.")]
        else:
            found["subject"] = wording.problems(subject, allowed)
    body_problems = []
    if not body.strip():
        body_problems.append(_("Write the message."))
    elif len(body) > LONGEST[Channel(channel)]:
        body_problems.append(
            _("Keep the message within %d characters.") % LONGEST[Channel(channel)]
        )
    body_problems += wording.problems(body, allowed)
    found["body"] = body_problems
    return {name: problems for name, problems in found.items() if problems}


@transaction.atomic
def save_template(
    *,
    actor: Actor,
    event: str,
    channel: str,
    language: str,
    subject: str,
    body: str,
) -> MessageTemplate:
    """Keep the clinic's own text of ``event`` through ``channel`` in ``language`` (created or
    changed). Errors: ``DomainError`` at ``subject`` or ``body`` for a text with unknown
    placeholders, stray braces, nothing in it or too long; at ``event``/``channel``/
    ``language`` for a message that does not exist. Nothing is saved on error."""
    clinic = policy.require(actor, ACTION)
    kind = kind_for(event, channel, language)
    if channel == Channel.SMS:
        subject = ""  # an SMS has no subject; the form does not offer one
    problems = text_problems(kind, channel, subject, body)
    if problems:
        name, messages = next(iter(problems.items()))
        raise DomainError(" ".join(messages), field=name)
    row, _created = (
        MessageTemplate.objects.for_clinic(clinic)
        .select_for_update()
        .get_or_create(
            clinic=clinic,
            event=kind.key,
            channel=channel,
            language=language,
            defaults={"subject": subject, "body": body, "updated_by": actor.user},
        )
    )
    if not _created:
        row.subject, row.body, row.updated_by = subject, body, actor.user
        row.save()
    return row


@transaction.atomic
def reset_template(*, actor: Actor, event: str, channel: str, language: str) -> bool:
    """Go back to the event kind's default text: the clinic's own text is deleted (the
    deletion audited). False when the clinic had none."""
    clinic = policy.require(actor, ACTION)
    kind = kind_for(event, channel, language)
    row = (
        MessageTemplate.objects.for_clinic(clinic)
        .select_for_update()
        .filter(event=kind.key, channel=channel, language=language)
        .first()
    )
    if row is None:
        return False
    row.delete()
    return True


# ---------------------------------------------------------------- the preview


def sample_values(kind: EventKind, clinic: Any = None) -> dict[str, str]:
    """A value for each of the kind's placeholders: the kind's own samples, else ours, else
    the placeholder's name; the clinic's own name and phone where known."""
    own: Mapping[str, Any] = getattr(kind, "samples", None) or {}
    values = {
        name: str(own.get(name, SAMPLE_VALUES.get(name, name.replace("_", " "))))
        for name in kind.placeholders
    }
    name: str = getattr(clinic, "name", "")
    phone: str = getattr(clinic, "phone", "")
    values["clinic"] = name or "Himalaya Family Clinic"
    if "clinic_phone" in values and phone:
        values["clinic_phone"] = phone
    return values


@dataclass(frozen=True)
class Preview:
    """A text as a recipient would read it, with sample values; for an SMS, what it costs."""

    problems: dict[str, list[str]]
    subject: str
    body: str
    sms: Estimate | None
    currency: str
    #: A reminder should fit one SMS in each language: said when it does not.
    too_long_for_reminder: bool

    @property
    def cost(self) -> Decimal | None:
        return self.sms.cost if self.sms else None


def is_reminder(kind: EventKind) -> bool:
    """Reminders are sent to every patient with an appointment: kept to one SMS each."""
    return "reminder" in kind.key


def preview(*, clinic: Any, kind: EventKind, channel: str, subject: str, body: str) -> Preview:
    """The text filled with sample values; its problems instead, when it has some (a text with
    problems is never filled)."""
    if channel == Channel.SMS:
        subject = ""
    problems = text_problems(kind, channel, subject, body)
    values = sample_values(kind, clinic)
    filled_subject = wording.fill(subject, values) if "subject" not in problems else ""
    filled_body = wording.fill(body, values) if "body" not in problems else ""
    sms = None
    if channel == Channel.SMS and "body" not in problems:
        sms = estimate(filled_body, price_per_segment=settings.SMS_PRICE_PER_SEGMENT)
    return Preview(
        problems=problems,
        subject=filled_subject,
        body=filled_body,
        sms=sms,
        currency=getattr(clinic, "currency", ""),
        too_long_for_reminder=bool(sms and is_reminder(kind) and sms.count.segments > 1),
    )
