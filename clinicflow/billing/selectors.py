"""Reads the cash desk's pages share: who is waiting to pay, what was invoiced today, a
patient's open bill, what the payment QR of an invoice carries, and the BS date printed
beside the AD one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet, Sum

from clinicflow.billing import balances
from clinicflow.billing.models import (
    Charge,
    ChargeStatus,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Shift,
    ShiftStatus,
)
from clinicflow.billing.money import ZERO, rounded
from clinicflow.patients.models import Patient
from clinicflow.patients.search import search_patients

#: The desk lists at most this many waiting patients (newest first).
WAITING_SHOWN = 100


@dataclass(frozen=True)
class Waiting:
    patient: Patient
    amount: Decimal
    charges: int
    since: datetime


def waiting_to_pay(clinic: Any, *, limit: int = WAITING_SHOWN) -> list[Waiting]:
    """Patients with unbilled charges, the most recently charged first, with what the charges
    come to (two queries)."""
    rows = list(
        Charge.objects.for_clinic(clinic)
        .filter(status=ChargeStatus.UNBILLED)
        .values("patient_id")
        .annotate(amount=Sum("amount"), latest=Max("charged_at"), count=Count("pk"))
        .order_by("-latest")[:limit]
    )
    people = Patient.objects.for_clinic(clinic).in_bulk([r["patient_id"] for r in rows])
    return [
        # In cents: SQLite sums in binary floating point (537.5 for 537.50).
        Waiting(people[r["patient_id"]], rounded(r["amount"] or ZERO), r["count"], r["latest"])
        for r in rows
        if r["patient_id"] in people
    ]


def waiting_count(clinic: Any) -> int:
    return (
        Charge.objects.for_clinic(clinic)
        .filter(status=ChargeStatus.UNBILLED)
        .values("patient_id")
        .distinct()
        .count()
    )


def issued_on(clinic: Any, day: date) -> QuerySet[Invoice]:
    start, end = balances.day_bounds(clinic, day)
    return (
        Invoice.objects.for_clinic(clinic)
        .filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED)
        .filter(issued_at__gte=start, issued_at__lt=end)
        .select_related("patient")
        .order_by("-issued_at", "-pk")
    )


def search(clinic: Any, text: str, *, limit: int = 20) -> tuple[list[Patient], list[Invoice]]:
    """Patients as the patient search finds them (MRN, phone, a name with typos), and
    invoices by number."""
    if not text.strip():
        return [], []
    invoices = (
        Invoice.objects.for_clinic(clinic)
        .filter(number__icontains=text.strip())
        .exclude(number="")
        .select_related("patient")[:limit]
    )
    return search_patients(clinic, text, limit=limit), list(invoices)


def unbilled(clinic: Any, patient: Patient) -> QuerySet[Charge]:
    return (
        Charge.objects.for_clinic(clinic)
        .filter(patient=patient, status=ChargeStatus.UNBILLED)
        .select_related("performer")
        .order_by("-charged_at", "-pk")
    )


def outstanding(clinic: Any, patient: Patient) -> QuerySet[Invoice]:
    """The patient's drafts and issued invoices with something still due."""
    due = F("total") - F("payer_share") - F("credited") - F("paid")
    return (
        Invoice.objects.for_clinic(clinic)
        .filter(patient=patient, kind=InvoiceKind.INVOICE)
        .annotate(due=due)
        .filter(Q(status=InvoiceStatus.DRAFT) | Q(status=InvoiceStatus.ISSUED, due__gt=0))
        .order_by("-created_at", "-pk")
    )


def recent_invoices(clinic: Any, patient: Patient, limit: int = 5) -> list[Invoice]:
    return list(
        Invoice.objects.for_clinic(clinic)
        .filter(patient=patient, status=InvoiceStatus.ISSUED)
        .order_by("-issued_at", "-pk")[:limit]
    )


def open_shift(clinic: Any, user: Any) -> Shift | None:
    return Shift.objects.for_clinic(clinic).filter(cashier=user, status=ShiftStatus.OPEN).first()
