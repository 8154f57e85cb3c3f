"""Periodic work of the consultation's side, run by Celery beat."""

from __future__ import annotations

from celery import shared_task

from clinicflow.clinical import dose_reminders
from clinicflow.core.audit.context import audit_context
from clinicflow.core.models import Clinic


@shared_task(name="clinical.send_dose_reminders")
def send_dose_reminders() -> int:
    """Every five minutes: each clinic's doses due now, told to the patients who asked."""
    sent = 0
    with audit_context(source="task:clinical.send_dose_reminders"):
        for clinic in Clinic.objects.filter(is_active=True).order_by("pk"):
            sent += dose_reminders.send_dose_reminders(clinic)
    return sent
