"""The reminder sweep: each booked appointment is reminded at the clinic's hours before it
(24 h and 2 h unless the clinic set others), once.

Run every few minutes by beat (``tasks.send_reminders``). A reminder is due once its moment
has come and the appointment is still ahead, but only if the appointment was booked (or last
moved) before that moment: a patient who booked this morning for tonight has their booking
message and needs no "tomorrow" reminder. After downtime the sweep catches up on what fell
due meanwhile, never on appointments already past, and when both reminders are due only the
nearer one is sent. Each reminder is written (``AppointmentReminder``, unique) in the
transaction that emits it, so two sweeps at once remind once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinicflow.notifications import messaging
from clinicflow.scheduling import messages
from clinicflow.scheduling.models import (
    Appointment,
    AppointmentChange,
    AppointmentReminder,
    AppointmentStatus,
)


def leads(clinic: Any) -> list[int]:
    """The clinic's reminder hours, earliest reminder first (``[24, 2]``)."""
    rules = messaging.settings_of(clinic)
    hours = {rules.first_reminder_hours, rules.second_reminder_hours} - {0}
    return sorted(hours, reverse=True)


def due(clinic: Any, hours: int, nearer: int, now: datetime) -> Any:
    """Booked appointments whose ``hours``-before reminder is due now and not yet sent: they
    start after the ``nearer`` reminder's moment and within ``hours``, and were booked or
    last moved before the reminder's moment."""
    last_moved = (
        AppointmentChange.objects.filter(
            appointment=OuterRef("pk"), new_starts_at__isnull=False, clinic=clinic
        )
        .order_by("-changed_at")
        .values("changed_at")[:1]
    )
    reminded = AppointmentReminder.objects.filter(
        appointment=OuterRef("pk"), starts_at=OuterRef("starts_at"), hours_before=hours
    )
    return (
        Appointment.objects.for_clinic(clinic)
        .filter(
            status=AppointmentStatus.BOOKED,
            starts_at__gt=now + timedelta(hours=nearer),
            starts_at__lte=now + timedelta(hours=hours),
        )
        .annotate(
            fixed_at=Coalesce(Subquery(last_moved), F("created_at")),
            moment=ExpressionWrapper(
                F("starts_at") - timedelta(hours=hours), output_field=DateTimeField()
            ),
        )
        .filter(fixed_at__lte=F("moment"))
        .exclude(Exists(reminded))
        .select_related("clinic", "patient", "practitioner")
        .order_by("starts_at", "pk")
    )


def remind(appointment: Appointment, hours: int) -> bool:
    """Send one reminder unless it was sent (by another sweep, just now)."""
    try:
        with transaction.atomic():
            AppointmentReminder.objects.create(
                clinic=appointment.clinic,
                appointment=appointment,
                starts_at=appointment.starts_at,
                hours_before=hours,
            )
            messages.tell(
                messages.REMINDER,
                appointment,
                f"{appointment.pk}:{appointment.starts_at.isoformat()}:{hours}h",
            )
    except IntegrityError:
        return False
    return True


def send_reminders(clinic: Any, *, now: datetime | None = None) -> int:
    """The clinic's due reminders, sent; how many."""
    now = now or timezone.now()
    hours = leads(clinic)
    sent = 0
    for i, lead in enumerate(hours):
        nearer = hours[i + 1] if i + 1 < len(hours) else 0
        for appointment in due(clinic, lead, nearer, now):
            sent += remind(appointment, lead)
    return sent
