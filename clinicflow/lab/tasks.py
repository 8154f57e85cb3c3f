"""Periodic work of the lab, run by Celery beat."""

from __future__ import annotations

from celery import shared_task

from clinicflow.core.audit.context import audit_context
from clinicflow.core.models import Clinic
from clinicflow.lab import alerts
from clinicflow.lab.models import CriticalAlert


@shared_task(name="lab.escalate_alerts")
def escalate_alerts() -> int:
    """Every minute: each clinic's critical values left unacknowledged past its minutes go to
    its managers. Safe to run twice at once (locked rows are skipped, an escalated alert is
    not escalated again). Returns how many escalated."""
    escalated = 0
    with audit_context(source="task:lab.escalate_alerts"):
        waiting = CriticalAlert.objects.filter(acknowledged_at=None, escalated_at=None)
        for clinic in Clinic.objects.filter(pk__in=waiting.values("clinic_id")).order_by("pk"):
            escalated += alerts.escalate_overdue(clinic)
    return escalated
