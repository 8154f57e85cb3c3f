"""Reminders of the medicine schedule's doses, for the patients who asked for them (an opt-in
kind: no channel unless the patient, or whoever looks after their record, chose one in the
portal or at the desk).

Beat runs ``send_dose_reminders`` every few minutes; each run tells the doses whose moment
fell in the last ``WINDOW`` (a late run still finds them), and each dose is told once (the
message's key is the item, day and time of day). Only doses of a course under way: from the
prescription's issue to its last day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinicflow.clinical.adherence import instant, start_of
from clinicflow.clinical.prescribing import medicine_schedule
from clinicflow.notifications import events, routing
from clinicflow.notifications.events import Audience, EventKind, Text
from clinicflow.notifications.models import Channel, PatientPreference

DOSE_DUE = "clinical.dose_due"
WINDOW = timedelta(minutes=15)

KIND = EventKind(
    key=DOSE_DUE,
    label="Time for a medicine",
    audience=Audience.PATIENT,
    channels=(),  # opt-in
    offered=(Channel.SMS, Channel.EMAIL),
    placeholders=("patient", "medicine", "time"),
    texts={
        "en": Text(
            subject="{time}: time for {medicine}",
            body="Dear {patient},\n\nIt is {time}: time for {medicine}. You can tick it taken "
            "in the patient portal.\n\n{clinic}",
            sms="{clinic}: {time}, time for {medicine}.",
        ),
        "ne": Text(
            subject="{time}: {medicine} खाने समय",
            body="{patient} ज्यू,\n\n{time} भयो: {medicine} खाने समय। खानुभयो भने पोर्टलमा "
            "चिनो लगाउनुहोला।\n\n{clinic}",
            sms="{time}: {medicine} खाने समय।",
        ),
    },
)


def register() -> None:
    events.register_kind(KIND)


def asked(clinic: Any) -> list[Any]:
    """The clinic's patients who chose a channel for dose reminders."""
    chosen = (
        PatientPreference.objects.for_clinic(clinic)
        .filter(channels__has_key=DOSE_DUE)
        .select_related("patient__clinic")
    )
    return [p.patient for p in chosen if p.channels.get(DOSE_DUE) and p.patient.is_active]


def due_now(patient: Any, now: datetime) -> list[routing.Told]:
    """The patient's doses whose moment fell in the last ``WINDOW``, each as an event."""
    zone = patient.clinic.zone
    today = now.astimezone(zone).date()
    told = []
    for dose in medicine_schedule(patient, today=today):
        start = start_of(dose, zone)
        # Yesterday too: a dose at "26:00" of yesterday is at 02:00 today.
        for day in (today - timedelta(days=1), today):
            if day > dose.until:
                continue
            for clock in dose.times:
                moment = instant(day, clock, zone)
                if moment is None or not (start <= moment and now - WINDOW < moment <= now):
                    continue
                told.append(
                    routing.Told(
                        f"{dose.item.pk}:{day.isoformat()}:{clock}",
                        patient,
                        {
                            "patient": patient.given_name,
                            "medicine": str(dose.item),
                            "time": moment.strftime("%H:%M"),
                        },
                    )
                )
    return told


def send_dose_reminders(clinic: Any, *, now: datetime | None = None) -> int:
    """Tell the clinic's patients who asked of the doses due now; how many messages."""
    now = now or timezone.now()
    items = [told for patient in asked(clinic) for told in due_now(patient, now)]
    if not items:
        return 0
    with transaction.atomic():
        return events.emit_many(DOSE_DUE, clinic=clinic, items=items).messages
