"""Balances, each a sum of ledger rows: what a patient owes and holds, what an invoice still
asks, a day's takings by method."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from clinicflow.billing.models import Entry, Invoice, LedgerEntry
from clinicflow.billing.money import summed


@dataclass(frozen=True)
class Balance:
    owed: Decimal
    credit: Decimal

    @property
    def net(self) -> Decimal:
        """Positive: the patient owes; negative: the clinic holds money for them."""
        return self.owed - self.credit


def of_patient(clinic: Any, patient_id: Any) -> Balance:
    sums = (
        LedgerEntry.objects.for_clinic(clinic)
        .filter(patient_id=patient_id)
        .aggregate(owed=Sum("owed"), credit=Sum("credit"))
    )
    return Balance(summed(sums["owed"]), summed(sums["credit"]))


def due_on(invoice: Invoice) -> Decimal:
    rows = LedgerEntry.objects.for_clinic(invoice.clinic_id).filter(invoice=invoice)
    return summed(rows.aggregate(t=Sum("owed"))["t"])


def day_bounds(clinic: Any, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=clinic.zone)
    return start, start + timedelta(days=1)


def takings(clinic: Any, day: date) -> dict[str, Decimal]:
    """Money in less money out at the counters and gateways on the clinic's ``day``."""
    start, end = day_bounds(clinic, day)
    rows = (
        LedgerEntry.objects.for_clinic(clinic)
        .filter(at__gte=start, at__lt=end)
        .exclude(cash=0)
        .values("method")
        .annotate(total=Sum("cash"))
        .order_by("method")
    )
    return {r["method"]: summed(r["total"]) for r in rows}


def refunds_on(clinic: Any, day: date) -> Decimal:
    start, end = day_bounds(clinic, day)
    total = (
        LedgerEntry.objects.for_clinic(clinic)
        .filter(Q(kind=Entry.REFUNDED), at__gte=start, at__lt=end)
        .aggregate(t=Sum("cash"))["t"]
    )
    return -summed(total)
