"""Payers' parts of invoices: a claim is submitted to its payer (with the payer's reference),
then paid (the money is a ledger row, as every movement is) or rejected with the reason.
A rejected part stays on the invoice, which never changes: the clinic corrects it with a
credit note and bills the patient anew."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from clinicflow.billing.models import Claim, ClaimStatus, Entry, LedgerEntry, Method
from clinicflow.billing.money import read_amount
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.chain import atomic_audited
from clinicflow.core.errors import Conflict, DomainError

ACTION = "billing.claims"
OPEN = (ClaimStatus.PENDING, ClaimStatus.SUBMITTED)


def _locked(actor: Actor, claim: Claim) -> Claim:
    clinic = policy.require(actor, ACTION, claim)
    locked = Claim.objects.for_clinic(clinic).select_for_update().get(pk=claim.pk)
    if locked.status not in OPEN:
        raise Conflict("This claim is settled already.")
    return locked


@transaction.atomic
def submit(*, actor: Actor, claim: Claim, reference: str = "") -> Claim:
    """The claim went to the payer (``reference``: the payer's claim number, if given)."""
    locked = _locked(actor, claim)
    if locked.status != ClaimStatus.PENDING:
        raise Conflict("This claim is submitted already.")
    locked.status, locked.external_id = ClaimStatus.SUBMITTED, reference.strip()[:80]
    locked.save(update_fields=["status", "external_id", "updated_at"])
    return locked


@atomic_audited
def record_payment(
    *, actor: Actor, claim: Claim, amount: Any, method: str = Method.BANK, reference: str = ""
) -> Claim:
    """The payer paid the claim, all or part of it (less is noted: the rest is not owed by
    the patient unless the clinic bills it anew)."""
    locked = _locked(actor, claim)
    value = read_amount(amount)
    if value > locked.amount:
        raise DomainError(f"The claim is for {locked.amount}.", field="amount")
    if method not in Method.values:
        raise DomainError("Choose how the payer paid.", field="method")
    locked.status, locked.paid_amount = ClaimStatus.PAID, value
    if reference.strip():
        locked.note = f"Paid: {reference.strip()}"[:200]
    locked.save(update_fields=["status", "paid_amount", "note", "updated_at"])
    LedgerEntry.objects.create(
        clinic_id=locked.clinic_id,
        patient_id=locked.invoice.patient_id,
        kind=Entry.CLAIM_PAID,
        invoice_id=locked.invoice_id,
        claim=locked,
        method=method,
        cash=value,
        by=actor.user,
    )
    return locked


@transaction.atomic
def reject(*, actor: Actor, claim: Claim, reason: str) -> Claim:
    locked = _locked(actor, claim)
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the payer rejected the claim.", field="reason")
    locked.status, locked.note = ClaimStatus.REJECTED, reason[:200]
    locked.save(update_fields=["status", "note", "updated_at"])
    return locked
