"""Invoices and credit notes: a draft gathers a patient's unbilled charges, takes discounts
(above the clinic's threshold only with a manager's approval) and a payer's part; issuing
numbers it and records what the patient owes in the ledger, and from then on it never
changes. A correction is a credit note against its lines, possible whatever was paid: the
part already paid becomes the patient's credit, to refund or to use on a later bill."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from clinicflow.billing import counters, live, messages, numbers, prices
from clinicflow.billing.charges import void_source
from clinicflow.billing.models import (
    Charge,
    ChargeStatus,
    Claim,
    Entry,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LedgerEntry,
    Payer,
    TaxCategory,
)
from clinicflow.billing.money import ZERO, read_amount, rounded, share, summed, tax_on
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.chain import atomic_audited
from clinicflow.core.errors import Conflict, DomainError


def _locked(actor: Actor, invoice: Invoice) -> Invoice:
    return Invoice.objects.for_clinic(actor.clinic).select_for_update().get(pk=invoice.pk)


# ---------------------------------------------------------------- drafts


@atomic_audited
def draft(
    *,
    actor: Actor,
    patient: Any,
    charge_ids: Iterable[Any] | None = None,
    payer: Payer | None = None,
    coverage_percent: Any = None,
    coverage_amount: Any = None,
) -> Invoice:
    """A draft of the patient's unbilled charges (all, or those named)."""
    clinic = policy.require(actor, "billing.invoices.issue", patient)
    rows = (
        Charge.objects.for_clinic(clinic)
        .select_for_update()
        .filter(patient=patient, status=ChargeStatus.UNBILLED)
        .order_by("charged_at", "pk")
    )
    if charge_ids is not None:
        wanted = {str(i) for i in charge_ids}
        charges = list(rows.filter(pk__in=wanted))
        if len(charges) != len(wanted):
            raise Conflict("Some of these charges are invoiced or void already; reload the list.")
    else:
        charges = list(rows)
    if not charges:
        raise DomainError("This patient has nothing to invoice.")
    counters.may_bill(actor, clinic, charges)
    if payer is not None and (payer.clinic_id != clinic.pk or not payer.is_active):
        raise DomainError("Choose one of this clinic's payers.", field="payer")
    invoice = Invoice.objects.create(
        clinic=clinic, patient=patient, payer=payer, created_by=actor.user
    )
    _add_lines(clinic, invoice, charges)
    _cover(invoice, coverage_percent, coverage_amount)
    invoice.save()
    return invoice


def _add_lines(clinic: Any, invoice: Invoice, charges: list[Charge]) -> None:
    """A line per charge, the charges billed, and the invoice's totals."""
    vat = prices.settings_of(clinic).vat_rate
    for charge in charges:
        rate = vat if charge.tax_category == TaxCategory.VAT else ZERO
        tax = tax_on(charge.amount, rate) if charge.amount > 0 else -tax_on(-charge.amount, rate)
        InvoiceLine.objects.create(
            clinic=clinic,
            invoice=invoice,
            charge=charge,
            description=charge.description,
            quantity=charge.quantity,
            unit_price=charge.unit_price,
            gross=charge.amount,
            tax_category=charge.tax_category,
            tax_rate=rate,
            tax=tax,
            total=charge.amount + tax,
        )
    Charge.objects.for_clinic(clinic).filter(pk__in=[c.pk for c in charges]).update(
        status=ChargeStatus.BILLED
    )
    _total(invoice)


def _total(invoice: Invoice) -> None:
    sums = invoice.lines.aggregate(
        gross=Sum("gross"), discount=Sum("discount"), tax=Sum("tax"), total=Sum("total")
    )
    invoice.subtotal = summed(sums["gross"])
    invoice.discount_total = summed(sums["discount"])
    invoice.tax_total = summed(sums["tax"])
    invoice.total = summed(sums["total"])
    if invoice.total < 0:
        raise DomainError(
            "The returns on this bill are more than its charges: credit the invoice that "
            "charged them instead."
        )


def _cover(invoice: Invoice, percent: Any, amount: Any) -> None:
    """The payer's part, by percentage or amount (not both), within the total."""
    if invoice.payer is None:
        if percent not in (None, "") or amount not in (None, ""):
            raise DomainError("Choose the payer that covers part of the bill.", field="payer")
        invoice.payer_share = ZERO
        return
    if percent not in (None, ""):
        value = read_amount(percent, "coverage_percent")
        if value > 100:
            raise DomainError("Coverage is at most 100 %.", field="coverage_percent")
        invoice.payer_share = share(invoice.total, value)
    elif amount not in (None, ""):
        invoice.payer_share = read_amount(amount, "coverage_amount")
    else:
        raise DomainError("Say how much the payer covers.", field="coverage_percent")
    if invoice.payer_share > invoice.total:
        raise DomainError("The payer cannot cover more than the bill.", field="coverage_amount")


@atomic_audited
def set_discount(
    *, actor: Actor, invoice: Invoice, amount: Any, reason: str, line_ids: Iterable[Any] = ()
) -> Invoice:
    """A discount on the draft's lines (those named, or all), spread in proportion to what
    each costs, with the reason. Replaces an earlier discount and its approval."""
    policy.require(actor, "billing.invoices.issue", invoice)
    locked = _locked(actor, invoice)
    if locked.status != InvoiceStatus.DRAFT:
        raise Conflict("This invoice is issued; it can only be corrected by a credit note.")
    value = read_amount(amount, allow_zero=True)
    reason = reason.strip()
    if value and not reason:
        raise DomainError("Say why the discount is given.", field="reason")
    lines = list(locked.lines.filter(gross__gt=0).order_by("pk"))
    wanted = {str(i) for i in line_ids}
    if wanted:
        lines = [line for line in lines if str(line.pk) in wanted]
    base = sum((line.gross for line in lines), ZERO)
    if value > base:
        raise DomainError("The discount is more than the lines it is on.", field="amount")
    parts: dict[int, Decimal] = {}
    left = value
    for index, line in enumerate(lines):
        part = left if index == len(lines) - 1 else rounded(value * line.gross / base)
        parts[line.pk] = min(part, left, line.gross)
        left -= parts[line.pk]
    for line in locked.lines.filter(gross__gt=0):
        line.discount = parts.get(line.pk, ZERO)
        line.tax = tax_on(line.gross - line.discount, line.tax_rate)
        line.total = line.gross - line.discount + line.tax
        line.save(update_fields=["discount", "tax", "total"])
    locked.discount_reason = reason if value else ""
    locked.discount_approved_by = None
    _total(locked)
    _cover_again(locked)
    locked.save()
    return locked


def _cover_again(invoice: Invoice) -> None:
    """After a change of total, a payer's part stays within it."""
    invoice.payer_share = min(invoice.payer_share, invoice.total)


@transaction.atomic
def approve_discount(*, actor: Actor, invoice: Invoice) -> Invoice:
    policy.require(actor, "billing.discounts.approve", invoice)
    locked = _locked(actor, invoice)
    if locked.status != InvoiceStatus.DRAFT or not locked.discount_total:
        raise Conflict("There is no discount on a draft to approve.")
    locked.discount_approved_by = actor.user
    locked.save(update_fields=["discount_approved_by"])
    return locked


@atomic_audited
def discard(*, actor: Actor, invoice: Invoice) -> Invoice:
    """Throw a draft away: its charges are unbilled again."""
    clinic = policy.require(actor, "billing.invoices.issue", invoice)
    locked = _locked(actor, invoice)
    if locked.status != InvoiceStatus.DRAFT:
        raise Conflict("This invoice is issued; it can only be corrected by a credit note.")
    charge_ids = list(locked.lines.values_list("charge_id", flat=True))
    locked.lines.all().delete()
    Charge.objects.for_clinic(clinic).filter(pk__in=charge_ids).update(status=ChargeStatus.UNBILLED)
    locked.status = InvoiceStatus.VOID
    locked.save(update_fields=["status"])
    return locked


# ---------------------------------------------------------------- issuing


@atomic_audited
def issue(*, actor: Actor, invoice: Invoice) -> Invoice:
    """Number the draft and record what the patient owes. From now on it never changes."""
    clinic = policy.require(actor, "billing.invoices.issue", invoice)
    locked = _locked(actor, invoice)
    if locked.status != InvoiceStatus.DRAFT:
        raise Conflict("This invoice is issued or discarded already.")
    rules = prices.settings_of(clinic)
    if (
        locked.discount_total > rules.discount_approval_above
        and locked.discount_approved_by_id is None
    ):
        raise DomainError(
            f"A discount above {rules.discount_approval_above} needs a manager's approval.",
            code="needs_approval",
        )
    return _issue(actor.user, clinic, locked, numbers.Series.INVOICE, rules.fiscal_year_rule)


def _issue(by: Any, clinic: Any, invoice: Invoice, series: str, rule: str) -> Invoice:
    """Number the invoice and record what is owed; ``by``: who issued it (None: the
    system)."""
    now = timezone.now()
    number = numbers.take(clinic, series, clinic.local_date(now), rule)
    invoice.number, invoice.fiscal_year, invoice.sequence = (
        number.text,
        number.fiscal_year,
        number.sequence,
    )
    invoice.status, invoice.issued_at, invoice.issued_by = InvoiceStatus.ISSUED, now, by
    invoice.save()
    if invoice.kind == InvoiceKind.INVOICE:
        LedgerEntry.objects.create(
            clinic=clinic,
            patient_id=invoice.patient_id,
            kind=Entry.INVOICED,
            invoice=invoice,
            owed=invoice.patient_share,
            by=by,
        )
        if invoice.payer_id and invoice.payer_share > 0:
            Claim.objects.create(
                clinic=clinic,
                invoice=invoice,
                payer_id=invoice.payer_id,
                amount=invoice.payer_share,
            )
        live.announce(clinic, "invoice_issued", invoice.patient_id)
        messages.invoice_issued(invoice)
    return invoice


@atomic_audited
def invoice_now(
    *,
    actor: Actor,
    patient: Any,
    charge_ids: Iterable[Any] | None = None,
    payer: Payer | None = None,
    coverage_percent: Any = None,
    coverage_amount: Any = None,
) -> Invoice:
    """Draft and issue in one step: the counter's usual path."""
    made = draft(
        actor=actor,
        patient=patient,
        charge_ids=charge_ids,
        payer=payer,
        coverage_percent=coverage_percent,
        coverage_amount=coverage_amount,
    )
    return issue(actor=actor, invoice=made)


# ---------------------------------------------------------------- credit notes


def credited_so_far(line_ids: Iterable[Any]) -> dict[int, Decimal]:
    rows = (
        # The lines are of one invoice, already fetched in its clinic's scope.
        InvoiceLine.objects.all_clinics()
        .filter(credits_id__in=list(line_ids))
        .values("credits_id")
        .annotate(total=Sum("total"))
    )
    return {r["credits_id"]: summed(r["total"]) for r in rows}


@atomic_audited
def credit(
    *,
    actor: Actor,
    invoice: Invoice,
    reason: str,
    lines: Mapping[Any, Any] | None = None,
    returns: bool = True,
) -> Invoice:
    """A credit note against an issued invoice: ``lines`` maps line ids to the amount to take
    back (None or "" for all that is left of the line); by default every line's remainder.
    ``returns`` also settles the unbilled returns of medicines that this invoice charged: a
    line gives back at least its returns, and an amount asked of it includes them.

    What the patient had not paid is taken off what they owe; what they had paid becomes
    their credit (to refund, or to use on another bill)."""
    clinic = policy.require(actor, "billing.invoices.credit", invoice)
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the invoice is corrected.", field="reason")
    locked = _locked(actor, invoice)
    if locked.kind != InvoiceKind.INVOICE or locked.status != InvoiceStatus.ISSUED:
        raise Conflict("Only an issued invoice can be credited.")
    return _credit(clinic, locked, reason, lines, returns=returns, by=actor.user)


def _credit(
    clinic: Any,
    locked: Invoice,
    reason: str,
    lines: Mapping[Any, Any] | None,
    *,
    returns: bool,
    by: Any,
) -> Invoice:
    """The credit note of ``credit`` against the issued invoice ``locked`` (its row lock
    taken); ``by`` made it (None: the system)."""
    originals = {line.pk: line for line in locked.lines.filter(charge__isnull=False)}
    done = credited_so_far(originals)
    plan = _credit_plan(originals, done, lines)
    settled = _returns_of(clinic, originals) if returns else []
    returned: dict[int, Decimal] = {}
    for charge, line in settled:
        returned[line.pk] = returned.get(line.pk, ZERO) - charge.amount
    for pk, back in returned.items():
        # What is asked off a line includes its returns (the cashier enters what was
        # brought back): it is given back once, never the return on top of the amount.
        left = originals[pk].total - done.get(pk, ZERO)
        plan[pk] = max(plan.get(pk, ZERO), min(back, left))
    plan = {pk: amount for pk, amount in plan.items() if amount > 0}
    if not plan:
        raise DomainError("There is nothing left on this invoice to credit.")
    amount = sum(plan.values(), ZERO)
    room = locked.patient_share - locked.credited
    if amount > room:
        raise DomainError(
            f"The patient's part left to credit is {room}; the payer's part is corrected on "
            "its claim.",
            field="lines",
        )
    note = Invoice.objects.create(
        clinic=clinic,
        kind=InvoiceKind.CREDIT_NOTE,
        patient_id=locked.patient_id,
        credit_of=locked,
        reason=reason[:200],
        created_by=by,
    )
    by_line = {line.pk: charge for charge, line in settled}
    for pk, value in plan.items():
        original = originals[pk]
        tax = rounded(value * original.tax / original.total) if original.total else ZERO
        InvoiceLine.objects.create(
            clinic=clinic,
            invoice=note,
            credits=original,
            charge=by_line.get(pk),
            description=original.description,
            quantity=original.quantity,
            unit_price=original.unit_price,
            gross=value - tax,
            tax_category=original.tax_category,
            tax_rate=original.tax_rate,
            tax=tax,
            total=value,
        )
    Charge.objects.for_clinic(clinic).filter(pk__in=[c.pk for c, _line in settled]).update(
        status=ChargeStatus.BILLED
    )
    _total(note)
    _issue(
        by, clinic, note, numbers.Series.CREDIT_NOTE, prices.settings_of(clinic).fiscal_year_rule
    )
    excess = max(ZERO, amount - locked.patient_due)
    locked.credited += amount
    locked.paid -= excess
    locked.save(update_fields=["credited", "paid"])
    LedgerEntry.objects.create(
        clinic=clinic,
        patient_id=locked.patient_id,
        kind=Entry.CREDITED,
        invoice=locked,
        owed=excess - amount,
        credit=excess,
        by=by,
    )
    return note


def _credit_plan(
    originals: Mapping[int, InvoiceLine],
    done: Mapping[int, Decimal],
    asked: Mapping[Any, Any] | None,
) -> dict[int, Decimal]:
    plan: dict[int, Decimal] = {}
    wanted = asked if asked is not None else dict.fromkeys(originals)
    for raw_pk, raw_amount in wanted.items():
        try:
            line = originals[int(raw_pk)]
        except (KeyError, TypeError, ValueError):
            raise DomainError("Choose lines of this invoice.", field="lines") from None
        left = line.total - done.get(line.pk, ZERO)
        value = left if raw_amount in (None, "") else read_amount(raw_amount, "lines")
        if value > left:
            raise DomainError(f"“{line.description}” has {left} left to credit.", field="lines")
        if value > 0:
            plan[line.pk] = value
    return plan


def _returns_of(
    clinic: Any, originals: Mapping[int, InvoiceLine]
) -> list[tuple[Charge, InvoiceLine]]:
    """Unbilled returns (negative charges) of charges billed on these lines."""
    by_charge = {line.charge_id: line for line in originals.values()}
    rows = (
        Charge.objects.for_clinic(clinic)
        .select_for_update()
        .filter(reverses_id__in=list(by_charge), status=ChargeStatus.UNBILLED)
    )
    return [(charge, by_charge[charge.reverses_id]) for charge in rows]


# ---------------------------------------------------------------- a source billed at once


def invoice_of_source(
    clinic: Any, source: str, source_id: Any, *, lock: bool = False
) -> Invoice | None:
    """The issued invoice that bills the charge of ``source``/``source_id``, if any; with
    ``lock``, its row locked (taken before the source's own rows, as a payment takes it)."""
    rows = Invoice.objects.for_clinic(clinic).filter(
        kind=InvoiceKind.INVOICE,
        status=InvoiceStatus.ISSUED,
        lines__charge__source_kind=source,
        lines__charge__source_id=str(source_id),
    )
    if lock:
        rows = rows.select_for_update(of=("self",))
    return rows.first()


def invoices_of_sources(clinic: Any, source: str, source_ids: Iterable[Any]) -> dict[str, Invoice]:
    """The issued invoice of each source's charge, by source id, in one query."""
    rows = (
        InvoiceLine.objects.for_clinic(clinic)
        .filter(
            invoice__kind=InvoiceKind.INVOICE,
            invoice__status=InvoiceStatus.ISSUED,
            charge__source_kind=source,
            charge__source_id__in=[str(i) for i in source_ids],
        )
        .select_related("invoice__clinic", "charge")
    )
    return {line.charge.source_id: line.invoice for line in rows if line.charge is not None}


def bill_source(*, clinic: Any, source: str, source_id: Any, by: Any) -> Invoice:
    """Invoice the charge of ``source``/``source_id`` on its own, at once: a fee paid before
    the service (an online booking's). For the domain's service that just captured the
    charge, inside its transaction: that service decided who may do it, so no counter's
    right is asked; ``by`` is the person whose action it was."""
    charge = (
        Charge.objects.for_clinic(clinic)
        .select_for_update()
        .get(source_kind=source, source_id=str(source_id), status=ChargeStatus.UNBILLED)
    )
    invoice = Invoice.objects.create(clinic=clinic, patient_id=charge.patient_id, created_by=by)
    _add_lines(clinic, invoice, [charge])
    invoice.save()
    return _issue(
        by, clinic, invoice, numbers.Series.INVOICE, prices.settings_of(clinic).fiscal_year_rule
    )


def withdraw_source(*, clinic: Any, source: str, source_id: Any, reason: str) -> Invoice | None:
    """The source was called off before it was paid for (a held booking released): its
    unbilled charge is voided; an invoiced one is corrected by a credit note of what is
    left on its invoice (the invoice never changes; whatever was paid becomes the patient's
    credit). By the system; returns the credit note, if one was made."""
    invoice = invoice_of_source(clinic, source, source_id, lock=True)
    if invoice is None:
        void_source(clinic=clinic, source=source, source_id=source_id, reason=reason)
        return None
    if invoice.patient_share - invoice.credited <= 0:
        return None  # credited already
    return _credit(clinic, invoice, reason, None, returns=True, by=None)
