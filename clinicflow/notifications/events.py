"""Events: what a domain tells the notifications app, and the kinds it may tell.

A domain registers its event kinds from its ``contributions.py`` (``register_kind``) and emits
one from inside its service's transaction (``emit``)::

    events.emit("appointment.booked", clinic=clinic, key=str(appointment.pk),
                patient=appointment.patient, values={"doctor": ..., "when": ...})

``emit`` decides who hears it through which channel (``routing``), writes the in-app notices
and the outbox's messages in that same transaction, and asks for delivery once it commits: a
rolled-back booking sends nothing, a committed one always sends, and the same event emitted
twice (same kind and key) writes each message once.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db import transaction

from clinicflow.core.roles import Role
from clinicflow.notifications.models import Channel


class Audience(StrEnum):
    PATIENT = "patient"
    STAFF = "staff"


@dataclass(frozen=True)
class Text:
    """A message's wording in one language: ``subject`` heads an e-mail and titles an in-app
    notice; ``body`` is the e-mail's and the notice's text; ``sms`` the SMS (``body`` when
    empty), written to fit one segment."""

    subject: str
    body: str
    sms: str = ""

    def for_channel(self, channel: str) -> tuple[str, str]:
        """(subject, text) as sent through ``channel``."""
        if channel == Channel.SMS:
            return "", self.sms or self.body
        return self.subject, self.body


@dataclass(frozen=True)
class EventKind:
    """One kind of event and how it is told by default.

    ``channels``: where it goes when the person chose nothing else; ``placeholders``: the
    values an emitter gives (and a clinic's text may use; ``clinic`` is always there);
    ``texts``: per language, English required; ``urgent``: sent during quiet hours too;
    ``offered``: channels a person may add to the defaults;
    ``optional``: the person may turn it off (service messages a clinic must send, such as a
    changed appointment, are not optional, but STOP still stops SMS); ``secret``: the text
    carries a one-time code (``{code}``), which nobody but its addressee may read: the
    delivery log shows the text with the code masked, the stored text is masked once the
    message has left (or failed for good), and nobody sends it again by hand."""

    key: str
    label: str
    audience: Audience
    channels: tuple[str, ...]
    placeholders: tuple[str, ...]
    texts: Mapping[str, Text]
    urgent: bool = False
    optional: bool = True
    #: More channels a person may choose than those told by default (an opt-in kind has no
    #: default channel at all).
    offered: tuple[str, ...] = ()
    secret: bool = False

    @property
    def possible(self) -> list[str]:
        """Every channel the kind may be told through, in the channels' own order."""
        return [c for c in Channel.values if c in self.channels or c in self.offered]

    def text(self, language: str) -> Text:
        return self.texts.get(language) or self.texts["en"]

    @property
    def all_placeholders(self) -> tuple[str, ...]:
        return ("clinic", *self.placeholders)


#: What a one-time code looks like in a text (the clinic's own wording may move it).
SECRET_DIGITS = re.compile(r"(?<!\d)\d{4,8}(?!\d)")
MASK = "••••••"


def masked(text: str) -> str:
    """The text with every run of 4 to 8 digits (a one-time code) masked."""
    return SECRET_DIGITS.sub(MASK, text)


def is_secret(key: str) -> bool:
    kind = _KINDS.get(key)
    return bool(kind and kind.secret)


_KINDS: dict[str, EventKind] = {}


def register_kind(kind: EventKind) -> None:
    if "en" not in kind.texts:
        raise ValueError(f"{kind.key}: an event kind needs an English text.")
    _KINDS[kind.key] = kind


def unregister_kind(key: str) -> None:
    """Forget a kind (tests register their own and leave the registry as they found it)."""
    _KINDS.pop(key, None)


def kind_of(key: str) -> EventKind:
    return _KINDS[key]


def kinds(audience: Audience | None = None) -> list[EventKind]:
    return sorted(
        (k for k in _KINDS.values() if audience is None or k.audience == audience),
        key=lambda k: k.key,
    )


@dataclass
class Emitted:
    """What an event produced: notices raised and messages queued (new ones only)."""

    notices: int = 0
    messages: int = 0
    skipped: list[str] = field(default_factory=list)


def emit(
    kind: str,
    *,
    clinic: Any,
    key: str,
    values: Mapping[str, Any],
    patient: Any = None,
    users: Iterable[Any] = (),
    roles: Collection[Role | str] = (),
    url: str = "",
    channels: Collection[str] | None = None,
) -> Emitted:
    """Tell the event ``kind`` (an instance named by ``key``, unique within the kind) to the
    ``patient`` (patient events) or to ``users`` and everyone holding ``roles`` in the clinic
    (staff events). ``channels`` narrows the kind's channels for this one event. Must run
    inside the emitter's transaction."""
    from clinicflow.notifications import routing

    event = kind_of(kind)
    emitted = routing.route(
        event,
        clinic=clinic,
        key=key,
        values=_with_clinic(clinic, values),
        patient=patient,
        users=users,
        roles=roles,
        url=url,
        channels=channels,
    )
    _deliver_once_committed(emitted)
    return emitted


def emit_to_address(
    kind: str,
    *,
    clinic: Any,
    key: str,
    values: Mapping[str, Any],
    address: str,
    patient: Any = None,
    user: Any = None,
) -> Emitted:
    """Tell the event ``kind`` to one ``address`` (an E.164 phone number: SMS; an e-mail
    address: e-mail) rather than to a person's own addresses: a one-time code for an address
    being verified, which may belong to nobody yet (self-registration) or is the one on a
    record being linked. ``patient`` or ``user`` name whom it concerns in the log, when known.
    Preferences and quiet hours do not apply (such kinds are urgent and not optional). Must
    run inside the emitter's transaction."""
    from clinicflow.notifications import routing

    event = kind_of(kind)
    emitted = routing.route_to_address(
        event,
        clinic=clinic,
        key=key,
        values=_with_clinic(clinic, values),
        address=address,
        patient_id=getattr(patient, "pk", patient),
        user_id=getattr(user, "pk", user),
    )
    _deliver_once_committed(emitted)
    return emitted


def emit_many(kind: str, *, clinic: Any, items: Sequence[Any]) -> Emitted:
    """A patient event told to many patients at once (``routing.Told``: key, patient,
    values each), as ``emit`` would one by one, in a few queries per thousand."""
    from clinicflow.notifications import routing

    event = kind_of(kind)
    told = [
        routing.Told(item.key, item.patient, _with_clinic(clinic, item.values)) for item in items
    ]
    emitted = routing.route_to_patients(event, clinic=clinic, items=told)
    _deliver_once_committed(emitted)
    return emitted


def _with_clinic(clinic: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """The emitter's values (None as empty) and the clinic's name, ``{clinic}``."""
    return {"clinic": clinic.name, **{k: "" if v is None else v for k, v in values.items()}}


def _deliver_once_committed(emitted: Emitted) -> None:
    if emitted.messages:
        from clinicflow.notifications import outbox

        transaction.on_commit(outbox.deliver_soon, robust=True)
