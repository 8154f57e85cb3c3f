"""Delivery of the outbox, run by Celery: after each commit that queued messages, and every
half minute by beat (retries, quiet hours ending)."""

from __future__ import annotations

from celery import shared_task

from clinicflow.notifications import outbox


@shared_task(name="notifications.deliver_due")
def deliver_due() -> dict[str, int]:
    """Deliver what is due; how many messages ended in each status. Safe to run on several
    workers at once (see ``outbox``)."""
    return dict(outbox.deliver_due())
