"""Invoices: a draft gathers unbilled charges, issuing numbers it and records what is owed,
an issued invoice never changes, credit notes correct it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import balances, invoices
from clinicflow.billing.models import (
    Charge,
    ChargeStatus,
    Entry,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    LedgerEntry,
)
from clinicflow.core.errors import DomainError


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


def test_an_issued_invoice_never_changes_in_the_database(cashier, billing_patient, charged):
    invoice = invoices.invoice_now(actor=actor_for(cashier), patient=billing_patient)
    with pytest.raises(DatabaseError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(total=Decimal("1.00"))
    line = invoice.lines.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        InvoiceLine.objects.filter(pk=line.pk).update(total=Decimal("1.00"))
    with pytest.raises(DatabaseError), transaction.atomic():
        InvoiceLine.objects.create(
            clinic=invoice.clinic,
            invoice=invoice,
            charge=None,
            credits=line,
            description="x",
            quantity=1,
            unit_price=1,
            gross=1,
            tax_category="exempt",
            total=1,
        )
    invoice.refresh_from_db()
    assert invoice.total == Decimal("926.00")


def test_the_ledger_is_append_only(cashier, billing_patient, charged):
    invoice = invoices.invoice_now(actor=actor_for(cashier), patient=billing_patient)
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(invoice=invoice).update(owed=Decimal("1.00"))


def test_numbers_follow_each_other_without_gaps(cashier, register, services):
    from clinicflow.billing import charges

    actor = actor_for(cashier)
    numbers = []
    for index in range(3):
        person = register(given_name=f"P{index}", phone=f"98410000{index}9")
        charges.add_manual(actor=actor, patient=person, item=services["REG"])
        numbers.append(invoices.invoice_now(actor=actor, patient=person).sequence)
    assert numbers == [1, 2, 3]


def test_nothing_to_invoice_is_refused(cashier, billing_patient):
    with pytest.raises(DomainError):
        invoices.invoice_now(actor=actor_for(cashier), patient=billing_patient)
    assert not Invoice.objects.exists()


def test_a_receptionist_cannot_issue_invoices(receptionist, billing_patient, charged):
    with pytest.raises(DomainError):
        invoices.invoice_now(actor=actor_for(receptionist), patient=billing_patient)
    assert not Invoice.objects.exists()


def test_a_pharmacist_bills_only_where_the_clinic_lets_the_pharmacy(
    pharmacist, billing_patient, charged
):
    with pytest.raises(DomainError):
        invoices.invoice_now(actor=actor_for(pharmacist), patient=billing_patient)
    assert Charge.objects.filter(status=ChargeStatus.UNBILLED).count() == 2


def test_a_large_discount_waits_for_a_manager(cashier, manager, billing_patient, charged):
    actor = actor_for(cashier)
    draft = invoices.draft(actor=actor, patient=billing_patient)
    draft = invoices.set_discount(actor=actor, invoice=draft, amount="600", reason="Staff family")
    assert draft.discount_total == Decimal("600.00")
    with pytest.raises(DomainError):
        invoices.issue(actor=actor, invoice=draft)
    with pytest.raises(DomainError):
        invoices.approve_discount(actor=actor, invoice=draft)
    invoices.approve_discount(actor=actor_for(manager), invoice=draft)
    issued = invoices.issue(actor=actor, invoice=draft)
    assert issued.discount_approved_by == manager
    # 900 gross, 600 off in proportion (700 → 466.67, 200 → 133.33), VAT on 66.67 → 8.67
    assert (issued.subtotal, issued.tax_total, issued.total) == (
        Decimal("900.00"),
        Decimal("8.67"),
        Decimal("308.67"),
    )


def test_a_discount_needs_a_reason(cashier, billing_patient, charged):
    actor = actor_for(cashier)
    draft = invoices.draft(actor=actor, patient=billing_patient)
    with pytest.raises(DomainError):
        invoices.set_discount(actor=actor, invoice=draft, amount="50", reason="")


def test_a_discarded_draft_frees_its_charges(cashier, billing_patient, charged):
    actor = actor_for(cashier)
    draft = invoices.draft(actor=actor, patient=billing_patient)
    invoices.discard(actor=actor, invoice=draft)
    assert Charge.objects.filter(status=ChargeStatus.UNBILLED).count() == 2
    assert invoices.invoice_now(actor=actor, patient=billing_patient).total == Decimal("926.00")


def test_a_payer_covers_a_share_and_it_becomes_a_claim(
    manager, cashier, billing_patient, charged, clinic
):
    from clinicflow.billing.models import Claim, Payer

    payer = Payer.objects.create(clinic=clinic, name="Health Insurance Board", kind="insurer")
    invoice = invoices.invoice_now(
        actor=actor_for(cashier), patient=billing_patient, payer=payer, coverage_percent="80"
    )
    assert (invoice.payer_share, invoice.patient_due) == (Decimal("740.80"), Decimal("185.20"))
    assert Claim.objects.get(invoice=invoice).amount == Decimal("740.80")


def test_a_credit_note_takes_back_part_of_a_line_and_what_was_paid_becomes_credit(
    cashier, billing_patient, charged, shift
):
    from clinicflow.billing import payments

    actor = actor_for(cashier)
    invoice = invoices.invoice_now(actor=actor, patient=billing_patient)
    payments.pay(actor=actor, invoice=invoice, tenders=[payments.TenderIn("cash", "926")])
    dressing = invoice.lines.get(description="Wound dressing")
    note = invoices.credit(
        actor=actor, invoice=invoice, reason="One dressing not done", lines={dressing.pk: "350"}
    )
    assert note.kind == InvoiceKind.CREDIT_NOTE
    assert note.number.startswith("KTM-CN-")
    invoice.refresh_from_db()
    assert (invoice.credited, invoice.paid, invoice.patient_due) == (
        Decimal("350.00"),
        Decimal("576.00"),
        Decimal("0.00"),
    )
    assert balances.of_patient(invoice.clinic, billing_patient.pk).credit == Decimal("350.00")
    with pytest.raises(DomainError):  # never more than is left on the line
        invoices.credit(actor=actor, invoice=invoice, reason="Again", lines={dressing.pk: "351"})


def test_a_returned_medicine_is_settled_by_a_credit_note(cashier, billing_patient, clinic):
    from clinicflow.billing import charges, sources

    kind = sources.SourceKind("test.sale", "Test sale")
    sources.register(kind)
    sold = charges.capture(
        clinic=clinic,
        patient_id=billing_patient.pk,
        source=kind.key,
        source_id=1,
        description="Amoxicillin 500 mg",
        quantity=Decimal(10),
        unit_price=Decimal("2.50"),
        by=cashier,
    )
    actor = actor_for(cashier)
    invoice = invoices.invoice_now(actor=actor, patient=billing_patient)
    charges.reverse(
        clinic=clinic,
        source=kind.key,
        source_id=2,
        of_source=kind.key,
        of_id=1,
        quantity=Decimal(4),
        by=cashier,
    )
    note = invoices.credit(actor=actor, invoice=invoice, reason="Returned unopened", lines={})
    assert note.total == Decimal("10.00")
    assert note.lines.get().charge.reverses == sold
    assert not Charge.objects.filter(status=ChargeStatus.UNBILLED).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_cashiers_issuing_at_once_get_twenty_numbers_without_gaps(
    clinic, cashier, services, register
):
    import threading

    from django.db import connection

    from clinicflow.billing import charges

    actor = actor_for(cashier)
    patients = []
    for index in range(20):
        person = register(given_name=f"P{index}", phone=f"9841{index:06d}")
        charges.add_manual(actor=actor, patient=person, item=services["REG"])
        patients.append(person)
    barrier = threading.Barrier(20)
    errors = []

    def issue_one(person):
        try:
            barrier.wait()
            invoices.invoice_now(actor=actor, patient=person)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue_one, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    sequences = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, 21))
