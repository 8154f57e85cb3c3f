"""Periodic work of scheduling, run by Celery beat."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from clinicflow.core.actor import Actor
from clinicflow.core.audit.context import audit_context
from clinicflow.core.models import Clinic
from clinicflow.scheduling import reminders
from clinicflow.scheduling.models import Appointment, AppointmentStatus
from clinicflow.scheduling.services import mark_no_show, no_show_grace, release_unpaid


@shared_task(name="scheduling.mark_no_shows")
def mark_no_shows() -> int:
    """Booked appointments whose start passed more than the grace period ago, and that were
    never checked in, become no-shows (each recorded as the system's change)."""
    cutoff = timezone.now() - no_show_grace()
    # Every clinic's appointments: this is the platform's periodic sweep.
    late = (
        Appointment.objects.all_clinics()
        .filter(status=AppointmentStatus.BOOKED, starts_at__lt=cutoff)
        .select_related("clinic")
    )
    marked = 0
    with audit_context(source="task:scheduling.mark_no_shows"):
        for appointment in late.iterator(chunk_size=500):
            marked += mark_no_show(actor=Actor.system(appointment.clinic), appointment=appointment)
    return marked


@shared_task(name="scheduling.release_unpaid_bookings")
def release_unpaid_bookings() -> int:
    """Online bookings still held for their fee after their time to pay are released: the
    time is free again and the bill withdrawn (``services.release_unpaid``, which decides
    under the invoice's lock, so a payment arriving now is never lost)."""
    # Every clinic's held bookings: this is the platform's periodic sweep.
    due = (
        Appointment.objects.all_clinics()
        .filter(
            payment_due_by__isnull=False,
            payment_due_by__lte=timezone.now(),
            status=AppointmentStatus.REQUESTED,
        )
        .select_related("clinic")
    )
    released = 0
    with audit_context(source="task:scheduling.release_unpaid_bookings"):
        for appointment in due.iterator(chunk_size=500):
            released += release_unpaid(
                actor=Actor.system(appointment.clinic), appointment=appointment
            )
    return released


def sweep_clinic(clinic: Clinic, *, now: datetime | None = None) -> int:
    """One clinic's due reminders, recorded as the sweep's work; how many were sent."""
    with audit_context(source="task:scheduling.send_reminders", clinic_id=clinic.pk):
        return reminders.send_reminders(clinic, now=now)


@shared_task(name="scheduling.send_clinic_reminders")
def send_clinic_reminders(clinic_id: str) -> int:
    clinic = Clinic.objects.filter(pk=clinic_id, is_active=True).first()
    return sweep_clinic(clinic) if clinic is not None else 0


@shared_task(name="scheduling.send_reminders")
def send_reminders() -> int:
    """Every five minutes: a task per active clinic for its due reminders (see
    ``reminders``), so that the workers share a large sweep; how many clinics."""
    clinics = [str(pk) for pk in Clinic.objects.filter(is_active=True).values_list("pk", flat=True)]
    for clinic_id in clinics:
        send_clinic_reminders.delay(clinic_id)
    return len(clinics)
