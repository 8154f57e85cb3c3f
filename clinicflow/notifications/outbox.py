"""Delivering the outbox: the worker's side of ``events.emit``.

``deliver_due`` takes the due messages one at a time, each in its own transaction holding its
row lock (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL): two workers never take the same
message, and a message leaves the queue in the transaction that records it sent, so it is
sent once. A temporary failure is tried again later, each wait twice the last
(``RETRY_BASE``, up to ``MAX_ATTEMPTS`` tries), then the message is failed with the provider's
error; a permanent failure fails it at once. A manager may queue a failed message again
(``resend``).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError
from clinicflow.core.models import AuditAction
from clinicflow.notifications import events, senders
from clinicflow.notifications.models import Message, MessageStatus

MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(seconds=30)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 30 s, 1 min, 2 min, 4 min..."""
    return RETRY_BASE * (2 ** (attempts - 1))


def deliver_due(*, limit: int = 200, now: datetime | None = None) -> Counter[str]:
    """Deliver up to ``limit`` due messages; how many ended in each status."""
    outcomes: Counter[str] = Counter()
    for _n in range(limit):
        status = deliver_next(now=now)
        if status is None:
            break
        outcomes[status] += 1
    return outcomes


def deliver_next(*, now: datetime | None = None) -> str | None:
    """Take the oldest due message no other worker holds and try it; its new status, or None
    when nothing is due."""
    now = now or timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.all_clinics()
            .select_for_update(skip_locked=True)
            .filter(status=MessageStatus.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if message is None:
            return None
        attempt(message, now=now)
        return message.status


def attempt(message: Message, *, now: datetime) -> None:
    """One try at sending a message the caller holds locked, and its outcome saved; a retry
    is timed from ``now``."""
    message.attempts += 1
    secret = events.is_secret(message.event)
    try:
        sent = senders.send(message)
    except senders.DeliveryError as error:
        message.last_error = str(error)[:300] or error.__class__.__name__
        if error.permanent or message.attempts >= MAX_ATTEMPTS:
            message.status = MessageStatus.FAILED
        else:
            message.next_attempt_at = now + retry_delay(message.attempts)
    else:
        message.status = MessageStatus.SENT
        message.sent_at = timezone.now()
        message.provider = sent.provider
        message.provider_id = sent.provider_id
        message.cost = sent.cost
        message.segments = sent.segments
        message.last_error = ""
    fields = []
    if secret and message.status != MessageStatus.QUEUED:
        # Gone (or given up on): the code needs keeping no longer than that.
        message.body = events.masked(message.body)
        message.subject = events.masked(message.subject)
        fields += ["body", "subject"]
    message.save(
        update_fields=[
            *fields,
            "attempts",
            "status",
            "next_attempt_at",
            "last_error",
            "sent_at",
            "provider",
            "provider_id",
            "cost",
            "segments",
        ]
    )


#: What a provider's delivery report may say of a sent message.
REPORTED = {MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.BOUNCED}


def record_report(*, provider: str, provider_id: str, status: str, error: str = "") -> int:
    """A provider's delivery report: the message it sent as ``provider_id`` was delivered,
    failed or bounced. Reports may come twice or out of order: only a sent message (or a
    delivered one, to failed/bounced no more) changes. How many messages changed."""
    if status not in REPORTED or not provider_id:
        return 0
    rows = Message.objects.all_clinics().filter(
        provider=provider, provider_id=provider_id, status=MessageStatus.SENT
    )
    if status == MessageStatus.DELIVERED:
        return rows.update(status=status, delivered_at=timezone.now())
    return rows.update(status=status, last_error=(error or status)[:300])


@transaction.atomic
def resend(*, actor: Actor, message: Message) -> Message:
    """Queue a failed or bounced message again, from now, its tries counted afresh."""
    clinic = policy.require(actor, "notifications.log")
    locked = Message.objects.for_clinic(clinic).select_for_update().filter(pk=message.pk).first()
    if locked is None:
        raise DomainError(_("You may not do this."), code="forbidden")
    if locked.status not in (MessageStatus.FAILED, MessageStatus.BOUNCED):
        raise DomainError(_("Only a failed or bounced message can be sent again."))
    if events.is_secret(locked.event):
        raise DomainError(
            _("A one-time code is never sent again by hand: the person asks for a new one.")
        )
    before = locked.status
    locked.status = MessageStatus.QUEUED
    locked.attempts = 0
    locked.next_attempt_at = timezone.now()
    locked.save(update_fields=["status", "attempts", "next_attempt_at"])
    record(
        AuditAction.UPDATE,
        obj=locked,
        changes={"status": [before, MessageStatus.QUEUED], "resent": True},
    )
    transaction.on_commit(deliver_soon, robust=True)
    return locked


def deliver_soon() -> None:
    """Ask a worker to deliver what is due (called once a transaction that queued messages
    commits; the periodic sweep catches anything this misses)."""
    from clinicflow.notifications import tasks

    tasks.deliver_due.delay()


def health(clinic: Any, *, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Per channel, the messages of the last hour: sent (or delivered), failed, still queued."""
    since = (now or timezone.now()) - timedelta(hours=1)
    rows = (
        Message.objects.for_clinic(clinic)
        .filter(created_at__gte=since)
        .values_list("channel", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    figures: dict[str, Counter[str]] = {}
    for channel, status, n in rows:
        figures.setdefault(channel, Counter())[status] += n
    return {
        channel: {
            "sent": c[MessageStatus.SENT] + c[MessageStatus.DELIVERED],
            "failed": c[MessageStatus.FAILED] + c[MessageStatus.BOUNCED],
            "queued": c[MessageStatus.QUEUED],
        }
        for channel, c in figures.items()
    }
