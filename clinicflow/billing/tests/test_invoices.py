"""Invoices: a draft gathers unbilled charges, issuing numbers it and records what is owed,
an issued invoice never changes, credit notes correct it."""

from __future__ import annotations

from decimal import Decimal

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import balances, invoices
from clinicflow.billing.models import (
    Charge,
    ChargeStatus,
    Entry,
    LedgerEntry,
)


def test_cashier_issues_an_invoice_of_the_patients_unbilled_charges(
    cashier, billing_patient, charged
):
    invoice = invoices.invoice_now(actor=actor_for(cashier), patient=billing_patient)
    assert invoice.is_issued
    assert invoice.number.startswith("KTM-INV-")
    assert invoice.number.endswith("-000001")
    assert invoice.subtotal == Decimal("900.00")
    assert invoice.tax_total == Decimal("26.00")  # 13 % of the 200 certificate
    assert invoice.total == Decimal("926.00")
    assert invoice.patient_due == Decimal("926.00")
    assert set(Charge.objects.values_list("status", flat=True)) == {ChargeStatus.BILLED}
    entry = LedgerEntry.objects.get(invoice=invoice)
    assert (entry.kind, entry.owed) == (Entry.INVOICED, Decimal("926.00"))
    assert balances.of_patient(invoice.clinic, billing_patient.pk).owed == Decimal("926.00")
