"""Periodic housekeeping of the platform, run by Celery beat."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from clinicflow.core.audit.chain import verify_chains

logger = logging.getLogger(__name__)

HEARTBEAT_CACHE_KEY = "clinicflow:beat:last"


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
