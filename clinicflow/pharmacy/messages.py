"""What the pharmacy tells: the patient that their medicines are ready to collect (once the
whole prescription is dispensed), and the pharmacists and managers, by e-mail, the day's stock
alerts in one digest. Registered as event kinds of the notifications app; emitted inside the
transaction of the dispense (``dispensing``) and of the daily alerts (``alerts``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from clinicflow.clinical.models import Prescription
from clinicflow.notifications import events
from clinicflow.notifications.events import Audience, EventKind, Text
from clinicflow.notifications.models import Channel

READY = "pharmacy.prescription_ready"
DIGEST = "pharmacy.stock_digest"

#: The digest lists at most this many items; the rest are counted, and on the alerts page.
DIGEST_LINES = 20

KINDS = (
    EventKind(
        key=READY,
        label="Medicines ready to collect",
        audience=Audience.PATIENT,
        channels=(Channel.SMS, Channel.EMAIL),
        placeholders=("patient", "doctor"),
        texts={
            "en": Text(
                subject="Your medicines are ready at {clinic}",
                body="Dear {patient},\n\nThe medicines {doctor} prescribed for you are ready "
                "to collect at the pharmacy.\n\n{clinic}",
                sms="{clinic}: your medicines are ready to collect at the pharmacy.",
            ),
            "ne": Text(
                subject="{clinic} मा तपाईंको औषधि तयार छ",
                body="{patient} ज्यू,\n\n{doctor} ले लेख्नुभएको औषधि फार्मेसीमा तयार छ, लिन "
                "आउनुहोला।\n\n{clinic}",
                sms="तपाईंको औषधि फार्मेसीमा तयार छ, लिन आउनुहोला।",
            ),
        },
    ),
    EventKind(
        key=DIGEST,
        label="Daily stock alerts (e-mail digest)",
        audience=Audience.STAFF,
        channels=(Channel.EMAIL,),
        placeholders=("date", "low_stock", "near_expiry", "expired", "items"),
        texts={
            "en": Text(
                subject="Stock alerts for {date}: {low_stock} low, {near_expiry} expiring soon",
                body="Stock alerts of {clinic} for {date}:\n"
                "{low_stock} medicines at or below their reorder level, {near_expiry} batches "
                "expiring soon, {expired} expired batches to write off.\n\n{items}\n\n"
                "The pharmacy's stock alerts page has the whole list.",
            ),
            "ne": Text(
                subject="{date} को मौज्दात सूचना: {low_stock} कम, {near_expiry} म्याद सकिन लागेका",
                body="{clinic} को {date} को मौज्दात सूचना:\n"
                "{low_stock} औषधि पुनः अर्डर तहमा वा तल, {near_expiry} ब्याचको म्याद सकिन "
                "लागेको, {expired} म्याद सकिएका ब्याच।\n\n{items}\n\n"
                "पूरा सूची फार्मेसीको मौज्दात सूचना पृष्ठमा छ।",
            ),
        },
    ),
)


def register() -> None:
    for kind in KINDS:
        events.register_kind(kind)


def prescription_ready(prescription: Prescription) -> events.Emitted:
    """The whole prescription is dispensed: the patient may collect it (once)."""
    return events.emit(
        READY,
        clinic=prescription.clinic,
        key=str(prescription.pk),
        patient=prescription.patient,
        values={
            "patient": prescription.patient.given_name,
            "doctor": str(prescription.prescriber) if prescription.prescriber_id else "",
        },
    )


def digest_items(low: list[Any], soon: list[Any], gone: list[Any]) -> str:
    """The digest's list: a heading per kind with its items, ``DIGEST_LINES`` items at most,
    then how many more there are."""
    sections = [
        (
            _("Low stock"),
            [
                _("%(medicine)s: %(available)s available, reorder level %(level)d")
                % {
                    "medicine": m,
                    "available": f"{m.available.normalize():f}",
                    "level": m.reorder_level,
                }
                for m in low
            ],
        ),
        (
            _("Expiring soon"),
            [
                _("%(medicine)s, batch %(batch)s: %(quantity)s on hand, expires %(date)s")
                % {
                    "medicine": b.medicine,
                    "batch": b.batch_number,
                    "quantity": f"{b.on_hand.normalize():f}",
                    "date": b.expiry_date.isoformat(),
                }
                for b in soon
            ],
        ),
        (
            _("Expired, to write off"),
            [
                _("%(medicine)s, batch %(batch)s: %(quantity)s on hand, expired %(date)s")
                % {
                    "medicine": b.medicine,
                    "batch": b.batch_number,
                    "quantity": f"{b.on_hand.normalize():f}",
                    "date": b.expiry_date.isoformat(),
                }
                for b in gone
            ],
        ),
    ]
    lines: list[str] = []
    room, left = DIGEST_LINES, 0
    for heading, items in sections:
        if not items:
            continue
        shown, left = items[:room], left + len(items[room:])
        room -= len(shown)
        if shown:
            lines.append(f"{heading} ({len(items)}):")
            lines.extend(f"- {line}" for line in shown)
    if left:
        lines.append(_("… and %(n)d more.") % {"n": left})
    return "\n".join(lines)


def stock_digest(
    clinic: Any, on: date, *, low: list[Any], soon: list[Any], gone: list[Any], roles: Any
) -> events.Emitted:
    """The day's stock alerts of the clinic in one e-mail per person: keyed by the day, so a
    second run the same day sends nothing more."""
    if not (low or soon or gone):
        return events.Emitted()
    return events.emit(
        DIGEST,
        clinic=clinic,
        key=on.isoformat(),
        roles=roles,
        values={
            "date": on.isoformat(),
            "low_stock": len(low),
            "near_expiry": len(soon),
            "expired": len(gone),
            "items": digest_items(low, soon, gone),
        },
    )
