"""The hash chain of audit events.

Each event stores ``hash = HMAC-SHA256(key, prev_hash + canonical(content))`` where the key
comes from settings (``AUDIT_HMAC_KEY``), never from the database, so someone who can write the
table but not read the key cannot forge a consistent chain. Each clinic has its own chain (and
the platform one more); appending locks the chain's head row, so concurrent writers line up and
the chain stays unbroken. ``verify_chains`` walks every chain and names the first event that
does not match.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinicflow.core.models import GENESIS_HASH, AuditChain, AuditEvent, Clinic

PLATFORM_CHAIN = "platform"


def chain_key(clinic_id: Any) -> str:
    return f"clinic:{clinic_id}" if clinic_id else PLATFORM_CHAIN


def canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(prev_hash: str, content: dict[str, Any]) -> str:
    key = str(settings.AUDIT_HMAC_KEY).encode()
    message = (prev_hash + canonical(content)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def event_content(event: AuditEvent) -> dict[str, Any]:
    """Everything about an event that the hash vouches for."""
    return {
        "chain": event.chain.key if event.chain_id else None,
        "seq": event.seq,
        "at": _utc_iso(event.occurred_at),
        "clinic": str(event.clinic_id) if event.clinic_id else None,
        "actor": str(event.actor_id) if event.actor_id else None,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
    }


def append(
    *,
    action: str,
    clinic_id: Any = None,
    actor: Any = None,
    actor_label: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    ip: str | None = None,
    user_agent: str = "",
    request_id: str = "",
) -> AuditEvent:
    """Append one event to its clinic's chain (in the caller's transaction, if any)."""
    key = chain_key(clinic_id)
    # No savepoint of its own: an event that cannot be written fails the caller's whole
    # transaction (the write it records must not land without it), and each write is spared
    # two round trips. The chain row exists after a clinic's first event: lock it straight away.
    with transaction.atomic(savepoint=False):
        chain = AuditChain.objects.select_for_update().filter(key=key).first()
        if chain is None:
            AuditChain.objects.get_or_create(key=key, defaults={"clinic_id": clinic_id})
            chain = AuditChain.objects.select_for_update().get(key=key)
        event = AuditEvent(
            chain=chain,
            seq=chain.last_seq + 1,
            occurred_at=timezone.now(),
            clinic_id=clinic_id,
            actor=actor,
            actor_label=(actor_label or getattr(actor, "username", "") or "")[:150],
            action=action,
            object_type=object_type[:100],
            object_id=str(object_id)[:64],
            object_repr=str(object_repr)[:200],
            changes=changes or {},
            ip=ip or "",
            user_agent=user_agent[:300],
            request_id=request_id[:64],
            prev_hash=chain.last_hash,
        )
        event.hash = compute_hash(event.prev_hash, event_content(event))
        event.save(force_insert=True)
        AuditChain.objects.filter(pk=chain.pk).update(last_seq=event.seq, last_hash=event.hash)
    return event


@dataclass(frozen=True)
class ChainBreak:
    chain: str
    event_id: int | None
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event id {self.event_id} (seq {self.seq})" if self.event_id else "chain head"
        return f"{self.chain}: {where}: {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    chain: str
    events: int
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _walk(chain: AuditChain) -> Iterator[ChainBreak | int]:
    """Yield the number of events checked, or the first break."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
    events = (
        AuditEvent.objects.all_clinics()
        .filter(chain=chain)
        .select_related("chain")
        .order_by("seq")
        .iterator(chunk_size=2000)
    )
    for event in events:
        if event.seq != expected_seq:
            yield ChainBreak(
                chain.key,
                event.pk,
                event.seq,
                f"expected seq {expected_seq}: events before this one are missing",
            )
            return
        if event.prev_hash != prev_hash:
            yield ChainBreak(chain.key, event.pk, event.seq, "prev_hash does not match")
            return
        if not hmac.compare_digest(event.hash, compute_hash(prev_hash, event_content(event))):
            yield ChainBreak(chain.key, event.pk, event.seq, "content altered (hash mismatch)")
            return
        prev_hash = event.hash
        expected_seq += 1
        count += 1
    if chain.last_seq != count or chain.last_hash != prev_hash:
        yield ChainBreak(
            chain.key,
            None,
            None,
            f"head says {chain.last_seq} events but {count} are there: events removed at the end",
        )
        return
    yield count


def verify_chains() -> list[ChainReport]:
    """Walk every chain; a clinic whose chain is gone altogether is reported too (its creation
    is always audited, so every clinic has one)."""
    reports = []
    chained = set(AuditChain.objects.exclude(clinic=None).values_list("clinic_id", flat=True))
    for clinic_id in Clinic.objects.exclude(pk__in=chained).values_list("pk", flat=True):
        key = chain_key(clinic_id)
        reports.append(ChainReport(key, 0, ChainBreak(key, None, None, "the chain is missing")))
    for chain in AuditChain.objects.order_by("key"):
        count = 0
        first_break = None
        for outcome in _walk(chain):
            if isinstance(outcome, ChainBreak):
                first_break = outcome
            else:
                count = outcome
        reports.append(ChainReport(chain.key, count, first_break))
    return reports
