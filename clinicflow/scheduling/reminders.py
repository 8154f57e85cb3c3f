"""The reminder sweep: each booked appointment is reminded at the clinic's hours before it
(24 h and 2 h unless the clinic set others), once.

Run every few minutes by beat (``tasks.send_reminders``). A reminder is due once its moment
has come and the appointment is still ahead, but only if the appointment was booked (or last
moved) before that moment: a patient who booked this morning for tonight has their booking
message and needs no "tomorrow" reminder. After downtime the sweep catches up on what fell
due meanwhile, never on appointments already past, and when both reminders are due only the
nearer one is sent. Each reminder is written (``AppointmentReminder``, unique; inserted with
``ON CONFLICT DO NOTHING RETURNING`` so a sweep knows the rows it wrote) in the transaction
that emits it, so two sweeps at once remind once. A thousand appointments a transaction, told
through ``events.emit_many`` in a few queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinicflow.notifications import events, messaging, routing
from clinicflow.scheduling import messages
from clinicflow.scheduling.models import (
    Appointment,
    AppointmentChange,
    AppointmentReminder,
    AppointmentStatus,
    doctor_name,
)

#: Appointments reminded in one transaction.
CHUNK = 1000


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
        .order_by("starts_at", "pk")
    )


@dataclass(frozen=True)
class Due:
    """An appointment whose reminder is due, as the sweep reads it."""

    pk: Any
    starts_at: datetime
    patient: routing.Reachable
    patient_name: str
    doctor: str


def _read(clinic: Any, ids: list[Any]) -> list[Due]:
    rows = (
        Appointment.objects.for_clinic(clinic)
        .filter(pk__in=ids)
        .order_by("starts_at", "pk")
        .values_list(
            "pk",
            "starts_at",
            "patient_id",
            "patient__phone",
            "patient__email",
            "patient__given_name",
            "practitioner__user__first_name",
            "practitioner__user__last_name",
        )
    )
    return [
        Due(pk, at, routing.Reachable(patient, phone, email), given, doctor_name(first, last))
        for pk, at, patient, phone, email, given, first, last in rows
    ]


def _mark(clinic: Any, appointments: list[Due], hours: int) -> set[Any]:
    """Write the reminder rows of these appointments that no sweep wrote before; the ids of
    the appointments this call marked (``ON CONFLICT DO NOTHING RETURNING``: a sweep running
    at the same moment marks the others, and each appointment is reminded by one)."""
    table = AppointmentReminder._meta.db_table
    quote = connection.ops.quote_name
    appointment_id = AppointmentReminder._meta.get_field("appointment").target_field
    clinic_id = AppointmentReminder._meta.get_field("clinic").target_field.get_db_prep_value(
        clinic.pk, connection
    )
    rows, params = [], []
    ids: dict[Any, Any] = {}
    for appointment in appointments:
        prepared = appointment_id.get_db_prep_value(appointment.pk, connection)
        ids[prepared] = appointment.pk
        rows.append("(%s, %s, %s, %s)")
        params += [
            clinic_id,
            prepared,
            connection.ops.adapt_datetimefield_value(appointment.starts_at),
            hours,
        ]
    # Only quoted names of our own model in the text; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(table)} ({quote('clinic_id')}, {quote('appointment_id')}, "  # noqa: S608
        f"{quote('starts_at')}, {quote('hours_before')}) VALUES {', '.join(rows)} "
        f"ON CONFLICT ({quote('appointment_id')}, {quote('starts_at')}, {quote('hours_before')}) "
        f"DO NOTHING RETURNING {quote('appointment_id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {ids[row[0]] for row in cursor.fetchall()}


def remind(clinic: Any, appointments: list[Due], hours: int) -> int:
    """Remind the patients of these appointments, each once whoever else sweeps: the rows
    and the messages in one transaction."""
    with transaction.atomic():
        marked = _mark(clinic, appointments, hours)
        events.emit_many(
            messages.REMINDER,
            clinic=clinic,
            items=[
                routing.Told(
                    f"{a.pk}:{a.starts_at.isoformat()}:{hours}h",
                    a.patient,
                    messages.worded(clinic, a.starts_at, patient=a.patient_name, doctor=a.doctor),
                )
                for a in appointments
                if a.pk in marked
            ],
        )
    return len(marked)


def send_reminders(clinic: Any, *, now: datetime | None = None) -> int:
    """The clinic's due reminders, sent a thousand at a time; how many."""
    now = now or timezone.now()
    hours = leads(clinic)
    sent = 0
    for i, lead in enumerate(hours):
        nearer = hours[i + 1] if i + 1 < len(hours) else 0
        waiting = list(due(clinic, lead, nearer, now).values_list("pk", flat=True))
        for start in range(0, len(waiting), CHUNK):
            sent += remind(clinic, _read(clinic, waiting[start : start + CHUNK]), lead)
    return sent
