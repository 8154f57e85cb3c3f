"""Money in and out: payments of invoices (split tender, partial), deposits held on the
patient's account and used on later bills, refunds of the patient's credit, and payments a
gateway reports. Each is a numbered receipt (or refund) and rows of the ledger; nothing is
ever paid beyond what is owed (the invoice's row lock, and a check the database holds)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from clinicflow.billing import counters, live, messages, numbers, prices, selectors, sources
from clinicflow.billing.gateways import GatewayCallback
from clinicflow.billing.models import (
    Entry,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    LedgerEntry,
    Method,
    Payment,
    PaymentPurpose,
    Refund,
    RefundStatus,
    Shift,
    Tender,
)
from clinicflow.billing.money import ZERO, read_amount, summed
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.chain import atomic_audited
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.core.roles import Role
from clinicflow.patients.models import Patient


@dataclass(frozen=True)
class TenderIn:
    method: str
    amount: Any
    reference: str = ""


def read_tenders(tenders: Iterable[TenderIn]) -> list[TenderIn]:
    read = []
    for index, tender in enumerate(tenders):
        if tender.method not in Method.values:
            raise DomainError("Choose how the patient pays.", field=f"tenders.{index}.method")
        amount = read_amount(tender.amount, f"tenders.{index}.amount")
        reference = str(tender.reference or "").strip()[:80]
        if tender.method in (Method.CARD, Method.QR, Method.BANK, Method.CHEQUE) and not reference:
            raise DomainError(
                "Give the slip, transaction or cheque number.",
                field=f"tenders.{index}.reference",
            )
        read.append(TenderIn(tender.method, amount, reference))
    if not read:
        raise DomainError("Enter what the patient pays.", field="tenders")
    return read


def open_shift_of(actor: Actor) -> Shift:
    """The actor's open shift: every payment and refund at a counter belongs to one."""
    found = selectors.open_shift(actor.clinic, actor.user)
    if found is None:
        raise DomainError("Open your shift first (with its float).", code="no_shift")
    return found


def _receipt(
    clinic: Any,
    *,
    patient_id: Any,
    invoice: Invoice | None,
    tenders: Sequence[TenderIn],
    shift: Shift | None,
    by: Any,
    gateway_reference: str | None = None,
    kept: Decimal = ZERO,
) -> Payment:
    """The numbered receipt of money received, and its rows of the ledger: a payment of
    ``invoice`` (None: a deposit, all of it held as the patient's credit). ``kept``: of the
    money received, what the invoice does not take (a gateway's payment beyond the bill),
    held as the patient's credit on the same receipt, from the last tenders."""
    total = sum((Decimal(t.amount) for t in tenders), ZERO)
    to_invoice = total - kept if invoice is not None else ZERO
    rule = prices.settings_of(clinic).fiscal_year_rule
    number = numbers.take(clinic, numbers.Series.RECEIPT, clinic.local_date(), rule)
    payment = Payment.objects.create(
        clinic=clinic,
        patient_id=patient_id,
        purpose=PaymentPurpose.INVOICE if invoice is not None else PaymentPurpose.DEPOSIT,
        invoice=invoice,
        number=number.text,
        amount=total,
        shift=shift,
        received_by=by,
    )
    for tender in tenders:
        Tender.objects.create(
            clinic=clinic,
            payment=payment,
            method=tender.method,
            amount=tender.amount,
            reference=tender.reference,
            gateway_reference=gateway_reference,
        )
        paid = min(Decimal(tender.amount), to_invoice)
        to_invoice -= paid
        for kind, value in ((Entry.PAID, paid), (Entry.DEPOSITED, Decimal(tender.amount) - paid)):
            if value <= 0:
                continue
            LedgerEntry.objects.create(
                clinic=clinic,
                patient_id=patient_id,
                kind=kind,
                invoice=invoice if kind == Entry.PAID else None,
                payment=payment,
                method=tender.method,
                shift=shift,
                owed=-value if kind == Entry.PAID else ZERO,
                credit=value if kind == Entry.DEPOSITED else ZERO,
                cash=value,
                by=by,
            )
    live.announce(clinic, "paid", patient_id)
    messages.payment_received(payment)
    return payment


def _payable(actor: Actor, invoice: Invoice) -> Invoice:
    locked = Invoice.objects.for_clinic(actor.clinic).select_for_update().get(pk=invoice.pk)
    if locked.kind != InvoiceKind.INVOICE or locked.status != InvoiceStatus.ISSUED:
        raise Conflict("Only an issued invoice can be paid.")
    return locked


def _sources_of(invoice: Invoice) -> dict[str, list[str]]:
    """The sources the invoice's charges came from: ids by kind (one query)."""
    found: dict[str, list[str]] = {}
    pairs = invoice.lines.filter(charge__isnull=False).values_list(
        "charge__source_kind", "charge__source_id"
    )
    for kind, source_id in pairs:
        found.setdefault(kind, []).append(source_id)
    return found


def _kinds_of(invoice: Invoice) -> dict[str, tuple[sources.SourceKind | None, list[str]]]:
    """The source kinds of the invoice's charges (None: a kind not installed), with ids."""
    return {key: (sources.find(key), ids) for key, ids in _sources_of(invoice).items()}


def _paid_whole(kinds: dict[str, tuple[sources.SourceKind | None, list[str]]]) -> bool:
    return any(kind is not None and kind.paid_whole for kind, _ids in kinds.values())


def _settle(invoice: Invoice, amount: Decimal) -> None:
    """Pay ``amount`` of the locked invoice: never more than is due, all of it where a
    source asks (``SourceKind.paid_whole``); once nothing is due, each source kind that
    asked is told, in this transaction (a booking held for its fee is confirmed)."""
    if amount > invoice.patient_due:
        raise Conflict(
            f"That is more than the {invoice.patient_due} still owed on {invoice.number}.",
            field="tenders",
        )
    kinds = _kinds_of(invoice)
    if amount != invoice.patient_due and _paid_whole(kinds):
        raise Conflict(
            f"{invoice.number} is paid in one payment of {invoice.patient_due}.",
            field="tenders",
            code="pay_whole",
        )
    invoice.paid += amount
    invoice.save(update_fields=["paid"])
    if invoice.patient_due <= 0:
        for kind, ids in kinds.values():
            if kind is not None and kind.settled is not None:
                kind.settled(invoice.clinic, ids)


@atomic_audited
def pay(*, actor: Actor, invoice: Invoice, tenders: Iterable[TenderIn]) -> Payment:
    """Take payment of an invoice, in one or more tenders, all or part of what is owed."""
    clinic = policy.require(actor, "billing.payments.take", invoice)
    read = read_tenders(tenders)
    shift = open_shift_of(actor)
    locked = _payable(actor, invoice)
    counters.may_take_payment(actor, clinic, locked)
    _settle(locked, sum((Decimal(t.amount) for t in read), ZERO))
    return _receipt(
        clinic,
        patient_id=locked.patient_id,
        invoice=locked,
        tenders=read,
        shift=shift,
        by=actor.user,
    )


@atomic_audited
def deposit(*, actor: Actor, patient: Patient, tenders: Iterable[TenderIn]) -> Payment:
    """An advance held on the patient's account, for later bills."""
    clinic = policy.require(actor, "billing.payments.take", patient)
    read = read_tenders(tenders)
    shift = open_shift_of(actor)
    return _receipt(
        clinic,
        patient_id=patient.pk,
        invoice=None,
        tenders=read,
        shift=shift,
        by=actor.user,
    )


def credit_of(clinic: Any, patient_id: Any) -> Decimal:
    """What the clinic holds for the patient (deposits and credit notes' excess, less what
    was used or refunded): the ledger's sum."""
    total = (
        LedgerEntry.objects.for_clinic(clinic)
        .filter(patient_id=patient_id)
        .aggregate(t=Sum("credit"))["t"]
    )
    return summed(total)


def _lock_patient(clinic: Any, patient_id: Any) -> None:
    """Serialise uses of one patient's credit (two cashiers spending the same deposit)."""
    Patient.objects.for_clinic(clinic).select_for_update(no_key=True).filter(pk=patient_id).get()


@atomic_audited
def apply_credit(*, actor: Actor, invoice: Invoice, amount: Any) -> LedgerEntry:
    """Use the patient's credit (a deposit) on an invoice."""
    clinic = policy.require(actor, "billing.payments.take", invoice)
    value = read_amount(amount)
    _lock_patient(clinic, invoice.patient_id)
    locked = _payable(actor, invoice)
    held = credit_of(clinic, locked.patient_id)
    if value > held:
        raise Conflict(f"The patient has {held} on account.", field="amount")
    _settle(locked, value)
    entry = LedgerEntry.objects.create(
        clinic=clinic,
        patient_id=locked.patient_id,
        kind=Entry.APPLIED,
        invoice=locked,
        owed=-value,
        credit=-value,
        by=actor.user,
    )
    live.announce(clinic, "paid", locked.patient_id)
    return entry


# ---------------------------------------------------------------- refunds


@atomic_audited
def refund(
    *,
    actor: Actor,
    patient: Patient,
    amount: Any,
    reason: str,
    method: str = Method.CASH,
    payment: Payment | None = None,
) -> Refund:
    """Give back the patient's credit: to the original payment's method or in cash. Above the
    clinic's threshold it waits for a manager's approval (a manager's own is approved)."""
    clinic = policy.require(actor, "billing.refunds.request", patient)
    value = read_amount(amount)
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the money is given back.", field="reason")
    if method not in Method.values:
        raise DomainError("Choose how the money is given back.", field="method")
    if payment is not None and (payment.clinic_id != clinic.pk or payment.patient_id != patient.pk):
        raise DomainError("Choose one of this patient's payments.", field="payment")
    if payment is not None and method != Method.CASH:
        methods = set(payment.tenders.values_list("method", flat=True))
        if method not in methods:
            raise DomainError("Refund to the way the patient paid, or in cash.", field="method")
    _lock_patient(clinic, patient.pk)
    held = credit_of(clinic, patient.pk) - _awaiting(clinic, patient.pk)
    if value > held:
        raise Conflict(f"The patient has {held} to refund.", field="amount")
    threshold = prices.settings_of(clinic).refund_approval_above
    manager = actor.has_role(Role.MANAGER)
    row = Refund.objects.create(
        clinic=clinic,
        patient=patient,
        payment=payment,
        method=method,
        amount=value,
        reason=reason[:200],
        status=RefundStatus.APPROVED,
        requested_by=actor.user,
        approved_by=actor.user if manager else None,
    )
    if value > threshold and not manager:
        row.status = RefundStatus.AWAITING_APPROVAL
        row.save(update_fields=["status"])
        return row
    return _pay_out(actor, clinic, row)


def _awaiting(clinic: Any, patient_id: Any) -> Decimal:
    """Refunds asked for and not yet paid out (they hold the credit they would use)."""
    total = (
        Refund.objects.for_clinic(clinic)
        .filter(
            patient_id=patient_id,
            status__in=[RefundStatus.AWAITING_APPROVAL, RefundStatus.APPROVED],
        )
        .aggregate(t=Sum("amount"))["t"]
    )
    return summed(total)


@transaction.atomic
def approve_refund(*, actor: Actor, refund: Refund, approve: bool = True) -> Refund:
    policy.require(actor, "billing.refunds.approve", refund)
    locked = Refund.objects.for_clinic(actor.clinic).select_for_update().get(pk=refund.pk)
    if locked.status != RefundStatus.AWAITING_APPROVAL:
        raise Conflict("This refund is not waiting for approval.")
    locked.status = RefundStatus.APPROVED if approve else RefundStatus.REJECTED
    locked.approved_by = actor.user
    locked.save(update_fields=["status", "approved_by"])
    return locked


@atomic_audited
def pay_refund(*, actor: Actor, refund: Refund) -> Refund:
    """Hand out an approved refund from the counter."""
    clinic = policy.require(actor, "billing.refunds.request", refund)
    _lock_patient(clinic, refund.patient_id)
    locked = Refund.objects.for_clinic(clinic).select_for_update().get(pk=refund.pk)
    if locked.status != RefundStatus.APPROVED:
        raise Conflict("Only an approved refund is paid out.")
    return _pay_out(actor, clinic, locked)


def _pay_out(actor: Actor, clinic: Any, row: Refund) -> Refund:
    shift = open_shift_of(actor)
    if credit_of(clinic, row.patient_id) < row.amount:
        raise Conflict("The patient's credit is less than this refund now.")
    rule = prices.settings_of(clinic).fiscal_year_rule
    row.number = numbers.take(clinic, numbers.Series.REFUND, clinic.local_date(), rule).text
    row.status, row.shift = RefundStatus.PAID, shift
    row.paid_by, row.paid_at = actor.user, timezone.now()
    row.save(update_fields=["number", "status", "shift", "paid_by", "paid_at"])
    LedgerEntry.objects.create(
        clinic=clinic,
        patient_id=row.patient_id,
        kind=Entry.REFUNDED,
        refund=row,
        method=row.method,
        shift=shift,
        credit=-row.amount,
        cash=-row.amount,
        by=actor.user,
    )
    live.announce(clinic, "refunded", row.patient_id)
    return row


# ---------------------------------------------------------------- gateways


def record_gateway_payment(*, clinic: Any, callback: GatewayCallback, by: Any = None) -> Payment:
    """A payment a gateway reported against an invoice's QR: recorded once, however many
    times the callback comes (the provider's transaction is unique). The provider has moved
    the money already, so it is never refused for its amount (``gateway_share``): what the
    invoice takes pays it, and the rest (all of it, when the bill was withdrawn or paid at
    the desk meanwhile) is kept as the patient's credit, to use or to refund.
    Errors: ``DomainError`` for another currency or a number no issued invoice has."""
    key = f"{callback.provider}:{callback.provider_reference}"
    if callback.currency != clinic.currency:
        raise DomainError("The payment is in another currency.", field="currency")
    existing = _gateway_payment(clinic, key)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _record_gateway(clinic, callback, key, by)
    except IntegrityError:
        found = _gateway_payment(clinic, key)
        if found is None:
            raise
        return found


def gateway_share(invoice: Invoice, amount: Decimal) -> Decimal:
    """What the locked ``invoice`` takes of ``amount`` a gateway received for it: all that it
    still asks when the amount covers it; the amount itself when it is less and the invoice
    may be paid in part; nothing when it asks nothing (withdrawn by a credit note, or paid
    at the desk meanwhile) or is paid only whole (a held booking's fee: a part would hold
    nothing, so the booking stays held and the money is the patient's credit)."""
    due = max(invoice.patient_due, ZERO)
    if amount >= due:
        return due
    return ZERO if _paid_whole(_kinds_of(invoice)) else amount


@atomic_audited
def _record_gateway(clinic: Any, callback: GatewayCallback, key: str, by: Any) -> Payment:
    locked = (
        Invoice.objects.for_clinic(clinic)
        .select_for_update()
        .filter(number=callback.bill_number, kind=InvoiceKind.INVOICE)
        .first()
    )
    if locked is None or locked.status != InvoiceStatus.ISSUED:
        raise DomainError("No issued invoice has this number.", field="bill_number")
    amount = read_amount(callback.amount)
    taken = gateway_share(locked, amount)
    if taken:
        _settle(locked, taken)
    return _receipt(
        clinic,
        patient_id=locked.patient_id,
        invoice=locked if taken else None,
        tenders=[TenderIn(Method.QR, amount, callback.provider_reference[:80])],
        shift=None,
        by=by,
        gateway_reference=key,
        kept=amount - taken,
    )


def _gateway_payment(clinic: Any, key: str) -> Payment | None:
    tender = (
        Tender.objects.for_clinic(clinic)
        .filter(gateway_reference=key)
        .select_related("payment")
        .first()
    )
    return tender.payment if tender else None
