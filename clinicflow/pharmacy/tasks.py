"""Periodic work of the pharmacy, run by Celery beat."""

from __future__ import annotations

from celery import shared_task

from clinicflow.core.audit.context import audit_context
from clinicflow.core.models import Clinic
from clinicflow.pharmacy.alerts import notify_stock_alerts


@shared_task(name="pharmacy.stock_alerts")
def stock_alerts() -> int:
    """Each morning, every active clinic's pharmacists and managers get the day's stock
    notices (low stock, expiring soon, expired), dated by the clinic's own today. Safe to run
    again: a notice already raised today is not raised twice. Returns how many were new."""
    raised = 0
    with audit_context(source="task:pharmacy.stock_alerts"):
        for clinic in Clinic.objects.filter(is_active=True).order_by("code"):
            raised += notify_stock_alerts(clinic=clinic)
    return raised
