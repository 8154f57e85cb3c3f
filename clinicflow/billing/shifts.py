"""The cashier's shift: opened with a float, closed with the cash counted note by note, and
signed off by a manager. What the drawer should hold is the float plus the shift's cash rows
of the ledger (cash in, refunds out), never a figure kept aside."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from clinicflow.billing import prices
from clinicflow.billing.models import (
    Entry,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    LedgerEntry,
    Method,
    Shift,
    ShiftStatus,
)
from clinicflow.billing.money import ZERO, read_amount, summed
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import Conflict, DomainError


@transaction.atomic
def open_shift(*, actor: Actor, opening_float: Any) -> Shift:
    clinic = policy.require(actor, "billing.shifts")
    amount = read_amount(opening_float, "opening_float", allow_zero=True)
    try:
        with transaction.atomic():
            return Shift.objects.create(clinic=clinic, cashier=actor.user, opening_float=amount)
    except IntegrityError:
        raise Conflict("You have a shift open already; close it first.") from None


@dataclass(frozen=True)
class Summary:
    """A shift's figures, from its ledger rows."""

    by_method: dict[str, Decimal]
    payments: int
    refunds: Decimal
    refund_count: int
    deposits: Decimal
    expected_cash: Decimal
    discounts: Decimal
    credit_notes: Decimal

    @property
    def takings(self) -> Decimal:
        return sum(self.by_method.values(), ZERO)


def summary(shift: Shift) -> Summary:
    """Takings by method, refunds, deposits, and the cash the drawer should hold; the
    discounts given and credit notes issued by the cashier while the shift was open."""
    rows = LedgerEntry.objects.for_clinic(shift.clinic_id).filter(shift=shift)
    by_method = {
        r["method"]: summed(r["cash"])
        for r in rows.values("method").annotate(cash=Sum("cash")).order_by("method")
    }
    figures = rows.aggregate(
        refunds=Sum("cash", filter=Q(kind=Entry.REFUNDED)),
        refund_count=Count("pk", filter=Q(kind=Entry.REFUNDED)),
        deposits=Sum("cash", filter=Q(kind=Entry.DEPOSITED)),
        payments=Count("payment", distinct=True),
    )
    until = shift.closed_at or timezone.now()
    issued = Invoice.objects.filter(
        clinic_id=shift.clinic_id,
        issued_by_id=shift.cashier_id,
        status=InvoiceStatus.ISSUED,
        issued_at__gte=shift.opened_at,
        issued_at__lte=until,
    ).aggregate(
        discounts=Sum("discount_total", filter=Q(kind=InvoiceKind.INVOICE)),
        credit_notes=Sum("total", filter=Q(kind=InvoiceKind.CREDIT_NOTE)),
    )
    return Summary(
        by_method=by_method,
        payments=figures["payments"],
        refunds=-summed(figures["refunds"]),
        refund_count=figures["refund_count"],
        deposits=summed(figures["deposits"]),
        expected_cash=shift.opening_float + by_method.get(Method.CASH, ZERO),
        discounts=summed(issued["discounts"]),
        credit_notes=summed(issued["credit_notes"]),
    )


def count_cash(clinic: Any, counted: Mapping[Any, Any]) -> tuple[dict[str, int], Decimal]:
    """Notes and coins counted, by denomination (the clinic's), and their total."""
    denominations = {str(d.normalize()): d for d in prices.settings_of(clinic).denomination_values}
    pieces: dict[str, int] = {}
    total = ZERO
    for raw, raw_count in counted.items():
        key = str(Decimal(str(raw)).normalize()) if str(raw).replace(".", "", 1).isdigit() else ""
        if key not in denominations:
            raise DomainError(f"{raw} is not one of the clinic's notes or coins.", field="counted")
        try:
            count = int(str(raw_count).strip() or 0)
        except ValueError:
            raise DomainError(f"Enter how many {raw}s were counted.", field="counted") from None
        if count < 0 or count > 100000:
            raise DomainError(f"Enter how many {raw}s were counted.", field="counted")
        if count:
            pieces[key] = count
            total += denominations[key] * count
    return pieces, total


@transaction.atomic
def close_shift(
    *, actor: Actor, shift: Shift, counted: Mapping[Any, Any], reason: str = ""
) -> Shift:
    """Close with the cash counted: expected against counted, and the reason for any
    difference. Waits for a manager's sign-off."""
    clinic = policy.require(actor, "billing.shifts", shift)
    locked = Shift.objects.for_clinic(clinic).select_for_update().get(pk=shift.pk)
    if locked.cashier_id != actor.user.pk:
        raise DomainError("Only the cashier of a shift closes it.", code="forbidden")
    if locked.status != ShiftStatus.OPEN:
        raise Conflict("This shift is closed already.")
    pieces, total = count_cash(clinic, counted)
    expected = summary(locked).expected_cash
    reason = reason.strip()
    if total != expected and not reason:
        raise DomainError(
            f"The drawer should hold {expected} and {total} was counted: say why.",
            field="reason",
        )
    locked.status, locked.closed_at = ShiftStatus.CLOSED, timezone.now()
    locked.counted, locked.counted_cash, locked.expected_cash = pieces, total, expected
    locked.variance_reason = reason[:200] if total != expected else ""
    locked.save()
    return locked


@transaction.atomic
def sign_off(*, actor: Actor, shift: Shift) -> Shift:
    clinic = policy.require(actor, "billing.shifts.sign_off", shift)
    locked = Shift.objects.for_clinic(clinic).select_for_update().get(pk=shift.pk)
    if locked.status != ShiftStatus.CLOSED:
        raise Conflict("Only a closed shift is signed off.")
    if locked.cashier_id == actor.user.pk:
        raise DomainError("Someone else signs off your own shift.", code="forbidden")
    locked.status = ShiftStatus.SIGNED_OFF
    locked.signed_off_by, locked.signed_off_at = actor.user, timezone.now()
    locked.save(update_fields=["status", "signed_off_by", "signed_off_at"])
    return locked
