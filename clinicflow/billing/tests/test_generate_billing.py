"""``generate_billing``: a synthetic billing history for demo and bench installations —
invoices numbered without gaps, payments in parts and split tenders, a ledger that sums to
every invoice's ``paid``, shifts counted to the cash their ledger says, and series the real
services go on numbering from. Runs on SQLite and, with DATABASE_URL, on PostgreSQL (there
through COPY, with the indexes dropped and rebuilt)."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F, Sum
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.demo import DEMO_PASSWORD
from clinicflow.accounts.models import Membership, User
from clinicflow.billing import charges, invoices, payments, shifts
from clinicflow.billing.management.commands.generate_billing import count_notes
from clinicflow.billing.models import (
    Charge,
    ChargeStatus,
    Entry,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LedgerEntry,
    Method,
    NumberSeries,
    Payment,
    PriceItem,
    Shift,
    ShiftStatus,
    Tender,
)
from clinicflow.core.models import AuditEvent
from clinicflow.core.roles import Role

pytestmark = pytest.mark.django_db

INVOICES = 200


def generate(**options: object) -> str:
    out = StringIO()
    arguments = {
        "clinic": "KTM",
        "invoices": INVOICES,
        "days": 20,
        "cashiers": 4,
        "seed": 1,
        "force": True,
        **options,
    }
    call_command("generate_billing", stdout=out, **arguments)
    return out.getvalue()


@pytest.fixture
def history(clinic, manager):
    call_command("generate_patients", clinic="KTM", count=40, seed=5, force=True)
    return generate()


def test_invoices_lines_charges_and_ledger_agree(clinic, history):
    assert f"Generated {INVOICES} invoices" in history
    issued = Invoice.objects.for_clinic(clinic)
    assert issued.count() == INVOICES
    assert set(issued.values_list("status", flat=True)) == {InvoiceStatus.ISSUED}
    for invoice in issued.prefetch_related("lines"):
        lines = list(invoice.lines.all())
        assert 1 <= len(lines) <= 4
        assert sum(line.total for line in lines) == invoice.total == invoice.subtotal
        assert 0 <= invoice.paid <= invoice.total
    # Every charge is billed on exactly one line of its own patient's invoice.
    assert (
        Charge.objects.for_clinic(clinic).count()
        == InvoiceLine.objects.filter(invoice__clinic=clinic).count()
    )
    assert not Charge.objects.for_clinic(clinic).exclude(status=ChargeStatus.BILLED).exists()
    assert (
        not InvoiceLine.objects.filter(invoice__clinic=clinic)
        .exclude(charge__patient=F("invoice__patient"))
        .exists()
    )
    # The ledger: one invoiced row per invoice; its payments' rows sum to what it says paid.
    owed = defaultdict(Decimal)
    for row in LedgerEntry.objects.for_clinic(clinic):
        owed[row.invoice_id] += row.owed
        if row.kind == Entry.PAID:
            assert row.cash == -row.owed > 0
            assert row.method
            assert row.shift_id
    for invoice in issued:
        assert owed[invoice.pk] == invoice.total - invoice.paid
    kinds = Counter(LedgerEntry.objects.for_clinic(clinic).values_list("kind", flat=True))
    assert kinds[Entry.INVOICED] == INVOICES
    assert kinds[Entry.PAID] == Tender.objects.for_clinic(clinic).count()


def test_payments_are_partial_split_and_never_beyond_the_due(clinic, history):
    made = Payment.objects.for_clinic(clinic)
    # About one and a half payments an invoice (fewer over a short history: a part due days
    # later often falls after now and is not made), some invoices unpaid or paid in part.
    assert INVOICES <= made.count() <= 1.8 * INVOICES
    issued = Invoice.objects.for_clinic(clinic)
    assert issued.filter(paid=0).exists()
    assert any(0 < i.paid < i.total for i in issued)
    for payment in made.prefetch_related("tenders"):
        tenders = list(payment.tenders.all())
        assert sum(t.amount for t in tenders) == payment.amount > 0
        assert all(t.reference for t in tenders if t.method != Method.CASH)
    split = [p for p in made.prefetch_related("tenders") if p.tenders.count() == 2]
    assert split
    assert all({t.method for t in p.tenders.all()} == {Method.CASH, Method.QR} for p in split)
    paid = made.values("invoice_id").annotate(total=Sum("amount"))
    by_invoice = {row["invoice_id"]: row["total"] for row in paid}
    for invoice in issued:
        assert by_invoice.get(invoice.pk, Decimal(0)) == invoice.paid
    assert made.filter(received_at__gt=timezone.now()).count() == 0


def test_numbers_have_no_gaps_and_the_series_stand_at_the_last(clinic, history):
    for series, rows in (("INV", Invoice.objects.for_clinic(clinic)), ("RCP", None)):
        numbers = (
            list(rows.values_list("number", flat=True))
            if rows is not None
            else list(Payment.objects.for_clinic(clinic).values_list("number", flat=True))
        )
        by_year: dict[str, list[int]] = defaultdict(list)
        for number in numbers:
            code, kind, year, sequence = number.split("-")
            assert (code, kind) == ("KTM", series)
            by_year[year].append(int(sequence))
        for year, sequences in by_year.items():
            assert sorted(sequences) == list(range(1, len(sequences) + 1))
            counter = NumberSeries.objects.for_clinic(clinic).get(series=series, fiscal_year=year)
            assert counter.last == len(sequences)
    # Invoices are numbered in the order they were issued.
    issued = Invoice.objects.for_clinic(clinic).order_by("issued_at", "pk")
    for year in set(issued.values_list("fiscal_year", flat=True)):
        sequences = list(issued.filter(fiscal_year=year).values_list("sequence", flat=True))
        assert sequences == sorted(sequences)


def test_shifts_are_closed_counted_and_signed_off(clinic, manager, history):
    made = Shift.objects.for_clinic(clinic)
    assert made.exists()
    assert set(made.values_list("status", flat=True)) == {ShiftStatus.SIGNED_OFF}
    assert set(made.values_list("signed_off_by", flat=True)) == {manager.pk}
    for shift in made:
        figures = shifts.summary(shift)
        assert shift.expected_cash == figures.expected_cash == shift.counted_cash
        total = sum(Decimal(k) * n for k, n in shift.counted.items())
        assert total == shift.counted_cash
    # Every payment was taken in a shift open at the time, by that shift's cashier.
    for payment in Payment.objects.for_clinic(clinic).select_related("shift"):
        assert payment.shift.opened_at <= payment.received_at <= payment.shift.closed_at
        assert payment.received_by_id == payment.shift.cashier_id


def test_the_real_services_carry_on_from_the_generated_history(clinic, history):
    cashier = User.objects.get(username="benchcashier01")
    assert cashier.check_password(DEMO_PASSWORD)
    assert Membership.objects.filter(user=cashier, clinic=clinic, role=Role.CASHIER).exists()
    actor = actor_for(cashier)
    shift = shifts.open_shift(actor=actor, opening_float=Decimal("1000"))
    item = PriceItem.objects.for_clinic(clinic).get(code="GEN-OPD")
    patient = Invoice.objects.for_clinic(clinic).first().patient
    charge = charges.add_manual(actor=actor, patient=patient, item=item)
    year_last = {(s.series, s.fiscal_year): s.last for s in NumberSeries.objects.for_clinic(clinic)}
    invoice = invoices.invoice_now(actor=actor, patient=patient, charge_ids=[charge.pk])
    assert invoice.sequence == year_last.get(("INV", invoice.fiscal_year), 0) + 1
    receipt = payments.pay(
        actor=actor,
        invoice=invoice,
        tenders=[
            payments.TenderIn(Method.CASH, "250.00"),
            payments.TenderIn(Method.QR, "250.00", "QR1"),
        ],
    )
    year = receipt.number.split("-")[2]
    assert receipt.number.endswith(f"{year_last.get(('RCP', year), 0) + 1:06d}")
    closed = shifts.close_shift(actor=actor, shift=shift, counted={"1000": 1, "100": 2, "50": 1})
    assert closed.counted_cash == closed.expected_cash == Decimal("1250.00")


def test_one_summary_audit_event_and_a_refusal_without_patients(clinic, manager):
    with pytest.raises(CommandError, match="no active patients"):
        generate()
    call_command("generate_patients", clinic="KTM", count=10, seed=5, force=True)
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    generate(invoices=20)
    added = AuditEvent.objects.exclude(pk__in=before)
    # One summary event for the rows; the clinic's billing settings and default price list,
    # made on first use by the services' own helpers, are audited as those helpers do.
    kinds = Counter(added.values_list("object_type", flat=True))
    assert kinds.pop("billing.invoice") == 1
    assert set(kinds) <= {"billing.billingsettings", "billing.pricelist"}


def test_cash_is_counted_in_the_fewest_notes():
    assert count_notes(3785, (1000, 500, 100, 50, 20, 10, 5, 2, 1)) == {
        "1000": 3, "500": 1, "100": 2, "50": 1, "20": 1, "10": 1, "5": 1,
    }  # fmt: skip
    with pytest.raises(CommandError):
        count_notes(3, (2,))


@pytest.mark.django_db(transaction=True)  # the load rebuilds indexes: no writes pending before
def test_numbers_carry_on_after_bills_the_clinic_has_already(clinic, manager, cashier, services):
    """A clinic with bills (the demo's) gets its generated numbers after them, never twice."""
    from clinicflow.accounts.actors import actor_for
    from clinicflow.billing import charges, invoices, payments, shifts
    from clinicflow.patients.models import Patient

    call_command("generate_patients", clinic="KTM", count=40, seed=5, force=True)
    person = Patient.objects.for_clinic(clinic).first()
    desk = actor_for(cashier)
    charges.add_manual(actor=desk, patient=person, item=services["REG"])
    first = invoices.invoice_now(actor=desk, patient=person)
    shift = shifts.open_shift(actor=desk, opening_float="0")
    payments.pay(actor=desk, invoice=first, tenders=[payments.TenderIn("cash", "100")])
    shifts.close_shift(actor=desk, shift=shift, counted={"100": 1})
    generate()
    for model in (Invoice, Payment):
        numbers = list(model.objects.for_clinic(clinic).values_list("number", flat=True))
        assert len(numbers) == len(set(numbers))
