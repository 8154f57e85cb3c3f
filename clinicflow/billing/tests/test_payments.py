"""Payments: split tender and partial payment, never beyond what is owed (also when two
cashiers pay at once), deposits used on later bills, refunds with approval above the
threshold, gateway payments recorded once, the shift's cash."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import balances, invoices, payments, shifts
from clinicflow.billing.gateways import GatewayCallback
from clinicflow.billing.models import Entry, LedgerEntry, Payment, RefundStatus, ShiftStatus
from clinicflow.core.errors import Conflict, DomainError

TenderIn = payments.TenderIn


@pytest.fixture
def invoice(cashier, billing_patient, charged):
    return invoices.invoice_now(actor=actor_for(cashier), patient=billing_patient)


def test_split_tender_and_a_partial_payment_leave_the_balance_open(cashier, invoice, shift):
    actor = actor_for(cashier)
    paid = payments.pay(
        actor=actor,
        invoice=invoice,
        tenders=[TenderIn("cash", "500"), TenderIn("qr", "300", "FP-123")],
    )
    assert paid.number.startswith("KTM-RCP-")
    assert sorted(paid.tenders.values_list("amount", flat=True)) == [
        Decimal("300.00"),
        Decimal("500.00"),
    ]
    invoice.refresh_from_db()
    assert invoice.patient_due == Decimal("126.00") == balances.due_on(invoice)
    summary = shifts.summary(shift)
    assert summary.by_method == {"cash": Decimal("500.00"), "qr": Decimal("300.00")}
    assert summary.expected_cash == Decimal("1500.00")


def test_paying_more_than_is_owed_is_refused_and_saves_nothing(cashier, invoice, shift):
    with pytest.raises(Conflict):
        payments.pay(actor=actor_for(cashier), invoice=invoice, tenders=[TenderIn("cash", "927")])
    assert not Payment.objects.exists()
    assert not LedgerEntry.objects.exclude(kind=Entry.INVOICED).exists()


@pytest.mark.parametrize(
    ("method", "amount", "reference"),
    [
        ("cash", "-5", ""),
        ("cash", "10.005", ""),
        ("gold", "10", ""),
        ("card", "10", ""),
        ("cash", "0", ""),
    ],
)
def test_bad_tenders_are_refused(cashier, invoice, shift, method, amount, reference):
    with pytest.raises(DomainError):
        payments.pay(
            actor=actor_for(cashier), invoice=invoice, tenders=[TenderIn(method, amount, reference)]
        )
    assert not Payment.objects.exists()


def test_payment_needs_an_open_shift_and_the_right_role(cashier, receptionist, invoice):
    with pytest.raises(DomainError):
        payments.pay(actor=actor_for(cashier), invoice=invoice, tenders=[TenderIn("cash", "5")])
    with pytest.raises(DomainError):
        payments.pay(
            actor=actor_for(receptionist), invoice=invoice, tenders=[TenderIn("cash", "5")]
        )
    assert not Payment.objects.exists()


def test_a_discarded_draft_cannot_be_paid(cashier, billing_patient, charged, shift):
    actor = actor_for(cashier)
    draft = invoices.draft(actor=actor, patient=billing_patient)
    invoices.discard(actor=actor, invoice=draft)
    with pytest.raises(Conflict):
        payments.pay(actor=actor, invoice=draft, tenders=[TenderIn("cash", "5")])


def test_a_deposit_is_used_on_a_later_bill(cashier, billing_patient, invoice, shift):
    actor = actor_for(cashier)
    payments.deposit(actor=actor, patient=billing_patient, tenders=[TenderIn("cash", "1000")])
    assert payments.credit_of(invoice.clinic, billing_patient.pk) == Decimal("1000.00")
    payments.apply_credit(actor=actor, invoice=invoice, amount="926")
    invoice.refresh_from_db()
    assert invoice.patient_due == 0
    balance = balances.of_patient(invoice.clinic, billing_patient.pk)
    assert (balance.owed, balance.credit) == (Decimal("0.00"), Decimal("74.00"))
    with pytest.raises(Conflict):
        payments.apply_credit(actor=actor, invoice=invoice, amount="1")


def test_a_refund_above_the_threshold_waits_for_a_manager(cashier, manager, billing_patient, shift):
    actor = actor_for(cashier)
    payments.deposit(actor=actor, patient=billing_patient, tenders=[TenderIn("cash", "3000")])
    small = payments.refund(actor=actor, patient=billing_patient, amount="200", reason="Change")
    assert small.status == RefundStatus.PAID
    assert small.number.startswith("KTM-RF-")
    large = payments.refund(actor=actor, patient=billing_patient, amount="2000", reason="Cancelled")
    assert large.status == RefundStatus.AWAITING_APPROVAL
    with pytest.raises(Conflict):  # the large one holds its credit while it waits
        payments.refund(actor=actor, patient=billing_patient, amount="900", reason="More")
    with pytest.raises(DomainError):
        payments.approve_refund(actor=actor, refund=large)
    payments.approve_refund(actor=actor_for(manager), refund=large)
    paid = payments.pay_refund(actor=actor, refund=large)
    assert paid.status == RefundStatus.PAID
    summary = shifts.summary(shift)
    assert (summary.refunds, summary.refund_count) == (Decimal("2200.00"), 2)
    assert summary.expected_cash == Decimal("1800.00")  # 1000 float + 3000 − 2200


def test_a_refund_beyond_the_patients_credit_is_refused(cashier, billing_patient, shift):
    with pytest.raises(Conflict):
        payments.refund(actor=actor_for(cashier), patient=billing_patient, amount="1", reason="x")


def test_a_gateway_callback_twice_records_one_payment(invoice, clinic):
    callback = GatewayCallback(
        provider="signed",
        provider_reference="TXN-9",
        bill_number=invoice.number,
        amount=Decimal("926.00"),
        currency=clinic.currency,
        paid_at=None,
        raw={},
    )
    first = payments.record_gateway_payment(clinic=clinic, callback=callback)
    again = payments.record_gateway_payment(clinic=clinic, callback=callback)
    assert first.pk == again.pk
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.patient_due == 0


def test_a_gateway_callback_for_another_clinics_invoice_is_refused(invoice, other_clinic):
    callback = GatewayCallback(
        provider="signed",
        provider_reference="TXN-1",
        bill_number=invoice.number,
        amount=Decimal("10.00"),
        currency=other_clinic.currency,
        paid_at=None,
        raw={},
    )
    with pytest.raises(DomainError):
        payments.record_gateway_payment(clinic=other_clinic, callback=callback)
    assert not Payment.objects.exists()


def test_closing_a_shift_counts_the_cash_and_a_difference_needs_a_reason(
    cashier, manager, invoice, shift
):
    actor = actor_for(cashier)
    payments.pay(actor=actor, invoice=invoice, tenders=[TenderIn("cash", "926")])
    counted = {"1000": 1, "500": 1, "100": 4, "20": 1, "5": 1}  # 1925: one short of 1926
    with pytest.raises(DomainError):
        shifts.close_shift(actor=actor, shift=shift, counted=counted)
    with pytest.raises(DomainError):
        shifts.close_shift(actor=actor, shift=shift, counted={"3": 1}, reason="x")
    closed = shifts.close_shift(actor=actor, shift=shift, counted=counted, reason="Change error")
    assert (closed.expected_cash, closed.counted_cash, closed.variance) == (
        Decimal("1926.00"),
        Decimal("1925.00"),
        Decimal("-1.00"),
    )
    with pytest.raises(DomainError):
        shifts.sign_off(actor=actor, shift=closed)
    assert shifts.sign_off(actor=actor_for(manager), shift=closed).status == ShiftStatus.SIGNED_OFF


def test_one_open_shift_per_cashier(cashier, shift):
    with pytest.raises(Conflict):
        shifts.open_shift(actor=actor_for(cashier), opening_float="0")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_cashiers_paying_the_same_invoice_at_once_never_overpay(
    cashier, manager, billing_patient, services
):
    from clinicflow.billing import charges

    desk, boss = actor_for(cashier), actor_for(manager)
    charges.add_manual(actor=desk, patient=billing_patient, item=services["DRESS"])
    invoice = invoices.invoice_now(actor=desk, patient=billing_patient)  # 350 due
    shifts.open_shift(actor=desk, opening_float="0")
    shifts.open_shift(actor=boss, opening_float="0")
    barrier = threading.Barrier(2)
    outcomes = []

    def pay(actor):
        try:
            barrier.wait()
            payments.pay(actor=actor, invoice=invoice, tenders=[TenderIn("cash", "300")])
            outcomes.append("paid")
        except Conflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(a,)) for a in (desk, boss)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["paid", "refused"]
    invoice.refresh_from_db()
    assert (
        invoice.paid
        == Decimal("300.00")
        == -sum(
            LedgerEntry.objects.filter(invoice=invoice, kind=Entry.PAID).values_list(
                "owed", flat=True
            )
        )
    )


def test_a_cashier_cannot_close_another_cashiers_shift(clinic, cashier, shift):
    from tests.factories import member

    other = member("cashier", clinic, username="cashier2")
    with pytest.raises(DomainError):
        shifts.close_shift(actor=actor_for(other), shift=shift, counted={"1000": 1})
    shift.refresh_from_db()
    assert shift.status == ShiftStatus.OPEN
