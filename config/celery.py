"""The Celery application: a worker runs tasks, beat runs the periodic ones below.

In the embedded default (no ``REDIS_URL``) tasks run eagerly inside the web process.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("clinicflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Seconds between beat's heartbeats (the health page shows the last one).
HEARTBEAT_SECONDS = float(os.environ.get("CLINICFLOW_HEARTBEAT_SECONDS", "60"))

app.conf.beat_schedule = {
    "heartbeat": {"task": "core.heartbeat", "schedule": HEARTBEAT_SECONDS},
    # Audit events are sealed by a task queued on commit; this catches up on any it missed.
    "seal-audit": {"task": "core.seal_audit", "schedule": 10.0},
    "expire-sessions": {"task": "accounts.expire_sessions", "schedule": 15 * 60.0},
    "mark-no-shows": {"task": "scheduling.mark_no_shows", "schedule": 5 * 60.0},
    # Online bookings not paid in time free their time (within a minute of the deadline).
    "release-unpaid-bookings": {"task": "scheduling.release_unpaid_bookings", "schedule": 60.0},
    "send-reminders": {"task": "scheduling.send_reminders", "schedule": 5 * 60.0},
    "send-dose-reminders": {"task": "clinical.send_dose_reminders", "schedule": 5 * 60.0},
    # Messages are delivered as their transaction commits; this catches up on retries, the
    # end of quiet hours and anything a lost task left.
    "deliver-messages": {"task": "notifications.deliver_due", "schedule": 30.0},
    "lab-escalate-alerts": {"task": "lab.escalate_alerts", "schedule": 60.0},
    "verify-audit-nightly": {"task": "core.verify_audit", "schedule": crontab(hour=2, minute=30)},
    # Beat keeps UTC: 00:15 UTC is 06:00 in Kathmandu (the default clinic zone); each clinic's
    # notices are dated by its own today.
    "pharmacy-stock-alerts": {
        "task": "pharmacy.stock_alerts",
        "schedule": crontab(hour=0, minute=15),
    },
    # Unused one-time codes a day past their expiry: what they held is forgotten.
    "portal-forget-codes": {"task": "portal.forget_expired_codes", "schedule": 60 * 60.0},
}
