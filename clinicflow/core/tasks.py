"""Periodic housekeeping of the platform, run by Celery beat."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from clinicflow.core.audit.chain import seal, seal_all, verify_chains

logger = logging.getLogger(__name__)

HEARTBEAT_CACHE_KEY = "clinicflow:beat:last"
#: Set while a seal of the chain is queued: the writers of a busy clinic queue one task, not one
#: each. The worker clears it before it reads, so an event committed after the read queues
#: the next; if the task is lost, the mark expires and beat's catch-up seals the chain anyway.
SEAL_QUEUED = "clinicflow:audit:seal-queued:{key}"
SEAL_QUEUED_SECONDS = 30
SEAL_GATHER_SECONDS = 1.0


def request_seal(key: str) -> None:
    """Called after a commit that wrote audit events: seal them now where tasks run eagerly
    (the embedded default and the tests), else queue one sealing task for the chain."""
    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER:
        seal(key)
    elif cache.add(SEAL_QUEUED.format(key=key), 1, timeout=SEAL_QUEUED_SECONDS):
        # A moment's wait gathers a busy clinic's commits into one seal: a task per handful
        # of events cost the worker more CPU than the writes themselves.
        seal_audit_chain.apply_async((key,), countdown=SEAL_GATHER_SECONDS)


@shared_task(name="core.seal_audit_chain")
def seal_audit_chain(key: str) -> int:
    cache.delete(SEAL_QUEUED.format(key=key))
    return seal(key)


@shared_task(name="core.seal_audit")
def seal_audit() -> int:
    """Beat's catch-up: seal whatever a lost task or a stopped worker left pending."""
    return seal_all()


@shared_task(name="core.heartbeat")
def heartbeat() -> str:
    """Beat's pulse: the health page shows when it last arrived."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_CACHE_KEY, now, timeout=None)
    return now


@shared_task(name="core.verify_audit")
def verify_audit() -> dict[str, int]:
    """Walk every audit chain each night and log loudly if one is broken."""
    reports = verify_chains()
    for report in reports:
        if not report.ok:
            logger.error("Audit chain broken: %s", report.first_break)
    return {r.chain: r.events for r in reports}
