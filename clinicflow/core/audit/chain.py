"""The hash chains of audit events: written without waiting, sealed in order right after commit.

A writer inserts its event with ``mac = HMAC(key, canonical(content))`` — one INSERT, no lock —
in its own transaction, so the event lands exactly when the write it records does. Right after
commit a *sealer* (:func:`seal`, run by Celery, or at once where tasks run eagerly) takes the
chain's head row lock, gives each committed pending event the next ``seq`` and
``hash = HMAC(key, prev_hash + canonical(content with seq))``, and moves the head. Only sealers
contend for the head, so a clinic's writers no longer queue behind each other's transactions.

The key comes from settings (``AUDIT_HMAC_KEY``), never from the database, so someone who can
write the table but not read the key cannot forge either MAC. ``verify_chains`` walks every
chain, names the first event that does not match (altered before sealing: its ``mac``; after:
its ``hash``), and counts the events still pending.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import connection, transaction
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


def event_content(event: AuditEvent, *, sealed: bool = True) -> dict[str, Any]:
    """Everything about an event that its MACs vouch for: the hash adds the place in the chain."""
    content = {
        "chain": event.chain.key if event.chain_id else None,
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
    if sealed:
        content["seq"] = event.seq
    return content


def content_mac(event: AuditEvent) -> str:
    return compute_hash("", event_content(event, sealed=False))


# -- chains ------------------------------------------------------------------------------------

#: Chain key → row id. Chains are created once and never deleted (the database refuses it).
_chain_ids: dict[str, int] = {}


def forget_chains() -> None:
    """Drop the remembered chain ids (tests roll the rows back between them)."""
    _chain_ids.clear()


def _chain_id(key: str, clinic_id: Any, pending: _SealChain | None) -> int:
    """The chain's id: remembered once a commit has written to it, else this transaction's, else
    read (and the chain created with the clinic's first event)."""
    chain_id = _chain_ids.get(key) or (pending.chain_id if pending else None)
    if chain_id is None:
        chain, _ = AuditChain.objects.get_or_create(key=key, defaults={"clinic_id": clinic_id})
        chain_id = chain.pk
    return chain_id


# -- writing -----------------------------------------------------------------------------------


@dataclass
class _Batch:
    """Events of one ``batched`` block, written in one INSERT when it ends."""

    depth: int
    events: list[AuditEvent] = field(default_factory=list)


_batch: ContextVar[_Batch | None] = ContextVar("audit_batch", default=None)


@contextmanager
def batched() -> Iterator[None]:
    """Write the events recorded in this block with one INSERT at its end (inside the caller's
    transaction). Events recorded inside a savepoint opened within the block are written at
    once: the savepoint may roll back without the block noticing."""
    if not connection.in_atomic_block:
        raise RuntimeError("batched() needs a transaction: use atomic_audited")
    batch = _Batch(depth=len(connection.savepoint_ids))
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
    if batch.events:
        AuditEvent.objects.bulk_create(batch.events)


def atomic_audited(func: Any) -> Any:
    """``transaction.atomic`` whose audit events are written together when the work is done."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with transaction.atomic(), batched():
            return func(*args, **kwargs)

    return wrapper


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
    """Add one event to its clinic's chain, pending until sealed after the caller's commit.

    No savepoint of its own: an event that cannot be written fails the caller's whole
    transaction (the write it records must not land without it)."""
    key = chain_key(clinic_id)
    pending = _pending_seal(key)
    chain_id = _chain_id(key, clinic_id, pending)
    event = AuditEvent(
        chain=AuditChain(pk=chain_id, key=key, clinic_id=clinic_id),
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
    )
    event.mac = content_mac(event)
    batch = _batch.get()
    if batch is not None and len(connection.savepoint_ids) == batch.depth:
        batch.events.append(event)
    else:
        event.save(force_insert=True)
    if pending is None:
        # Robust: the write has committed; a sealer that cannot be reached now is caught up
        # by the periodic one, never a reason to fail the request.
        transaction.on_commit(_SealChain(key, chain_id), robust=True)
    return event


class _SealChain:
    """The on-commit callback of a transaction that wrote to a chain: the chain's id is known
    for good (a chain created in a transaction that rolls back is gone with it), and its new
    events are to be sealed. One per chain and transaction."""

    def __init__(self, key: str, chain_id: int) -> None:
        self.key, self.chain_id = key, chain_id
        self.__qualname__ = f"seal of {key}"  # Django names a failed callback by it

    def __call__(self) -> None:
        from clinicflow.core.tasks import request_seal

        _chain_ids[self.key] = self.chain_id
        request_seal(self.key)


def _pending_seal(key: str) -> _SealChain | None:
    """This transaction's callback for the chain, if it has written to it already."""
    if not connection.in_atomic_block:
        return None
    for _savepoints, callback, *_ in connection.run_on_commit:
        if isinstance(callback, _SealChain) and callback.key == key:
            return callback
    return None


# -- sealing -----------------------------------------------------------------------------------

SEAL_BATCH = 2000


def seal(key: str) -> int:
    """Seal the committed pending events of one chain, in the order they were written; return
    how many. Concurrent sealers of one chain take turns on its head row."""
    sealed = 0
    while True:
        with transaction.atomic():
            chain = AuditChain.objects.select_for_update().filter(key=key).first()
            if chain is None:
                return sealed
            pending = list(
                AuditEvent.objects.all_clinics()
                .filter(chain=chain, seq__isnull=True)
                .order_by("id")[:SEAL_BATCH]
            )
            if not pending:
                return sealed
            now = timezone.now()
            prev_hash, seq = chain.last_hash, chain.last_seq
            for event in pending:
                seq += 1
                event.chain = chain
                event.seq, event.prev_hash, event.sealed_at = seq, prev_hash, now
                event.hash = prev_hash = compute_hash(prev_hash, event_content(event))
            # One statement run for many rows (bulk_update's CASE over thousands of rows cost
            # the sealer more than the sealing).
            at = connection.ops.adapt_datetimefield_value(now)
            with connection.cursor() as cursor:
                cursor.executemany(
                    "UPDATE core_auditevent SET seq = %s, prev_hash = %s,"
                    " hash = %s, sealed_at = %s WHERE id = %s",
                    [(e.seq, e.prev_hash, e.hash, at, e.pk) for e in pending],
                )
            AuditChain.objects.filter(pk=chain.pk).update(last_seq=seq, last_hash=prev_hash)
            sealed += len(pending)
        if len(pending) < SEAL_BATCH:
            return sealed


def pending_chains() -> list[str]:
    return list(
        AuditChain.objects.filter(events__seq__isnull=True).values_list("key", flat=True).distinct()
    )


def seal_all() -> int:
    """Seal every chain that has pending events (the periodic catch-up)."""
    return sum(seal(key) for key in pending_chains())


@dataclass(frozen=True)
class ChainBreak:
    chain: str
    event_id: int | None
    seq: int | None
    reason: str

    def __str__(self) -> str:
        place = f"seq {self.seq}" if self.seq else "pending"
        where = f"event id {self.event_id} ({place})" if self.event_id else "chain head"
        return f"{self.chain}: {where}: {self.reason}"


#: A pending event older than this means the sealer is not running.
SEAL_OVERDUE = timedelta(minutes=1)


@dataclass(frozen=True)
class ChainReport:
    chain: str
    events: int
    first_break: ChainBreak | None
    pending: int = 0
    overdue: int = 0

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _altered_before_sealing(event: AuditEvent) -> bool:
    # Events written before sealing existed carry no mac; their hash covers them.
    return bool(event.mac) and not hmac.compare_digest(event.mac, content_mac(event))


def _events(chain: AuditChain, *, sealed: bool) -> Iterator[AuditEvent]:
    """The chain's sealed events in chain order, or its pending ones in the order written."""
    return (
        AuditEvent.objects.all_clinics()
        .filter(chain=chain, seq__isnull=not sealed)
        .select_related("chain")
        .order_by("seq" if sealed else "id")
        .iterator(chunk_size=2000)
    )


def _walk(chain: AuditChain) -> Iterator[ChainBreak | int]:
    """Yield the number of sealed events checked, or the first break."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
    for event in _events(chain, sealed=True):
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
        if _altered_before_sealing(event):
            yield ChainBreak(chain.key, event.pk, event.seq, "content altered before sealing")
            return
        if not hmac.compare_digest(event.hash or "", compute_hash(prev_hash, event_content(event))):
            yield ChainBreak(chain.key, event.pk, event.seq, "content altered (hash mismatch)")
            return
        prev_hash = event.hash or ""
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


def _check_pending(chain: AuditChain) -> tuple[ChainBreak | None, int, int]:
    """The first pending event altered since it was written, how many are pending, how many
    of them overdue."""
    pending = overdue = 0
    late = timezone.now() - SEAL_OVERDUE
    for event in _events(chain, sealed=False):
        if _altered_before_sealing(event) or not event.mac:
            return ChainBreak(chain.key, event.pk, None, "content altered before sealing"), 0, 0
        pending += 1
        overdue += event.occurred_at < late
    return None, pending, overdue


def verify_chains() -> list[ChainReport]:
    """Walk every chain; a clinic whose chain is gone altogether is reported too (its creation
    is always audited, so every clinic has one). Pending events are checked against their own
    MAC and counted, not a break: the sealer reaches them within seconds."""
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
        pending_break, pending, overdue = _check_pending(chain)
        reports.append(
            ChainReport(chain.key, count, first_break or pending_break, pending, overdue)
        )
    return reports
