"""What patients are told of their bills: an invoice issued and a payment received, with the
number and the amount in the clinic's currency, in the transaction that numbers them (a
refused payment tells nothing), once per invoice or receipt; nobody is told when the patient
has no phone or e-mail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import charges, invoices, messages, payments
from clinicflow.billing.gateways import GatewayCallback
from clinicflow.billing.money import shown
from clinicflow.core.errors import Conflict
from clinicflow.notifications import wording
from clinicflow.notifications.models import Message
from clinicflow.notifications.sms.segments import count_segments

pytestmark = pytest.mark.django_db

TenderIn = payments.TenderIn


def told(event):
    return list(
        Message.objects.filter(event=event)
        .order_by("channel")
        .values_list("channel", "to", "subject", "body")
    )


@pytest.fixture
def patient_with_email(register):
    return register(
        given_name="Sita", family_name="Gurung", phone="9841000001", email="sita@example.com"
    )


@pytest.fixture
def invoice(cashier, patient_with_email, services):
    actor = actor_for(cashier)
    charges.add_manual(actor=actor, patient=patient_with_email, item=services["DRESS"], quantity=2)
    charges.add_manual(actor=actor, patient=patient_with_email, item=services["CERT"])
    return invoices.invoice_now(actor=actor, patient=patient_with_email)


def test_money_is_shown_with_the_clinics_currency():
    assert shown(Decimal("1250.5"), "NPR") == "1,250.50 NPR"
    assert shown(Decimal("0"), "USD") == "0.00 USD"


def test_an_issued_invoice_tells_the_patient_its_number_and_amount(invoice, clinic):
    [(email_channel, address, subject, email), (sms_channel, phone, _s, sms)] = told(
        messages.INVOICE_ISSUED
    )
    assert (email_channel, sms_channel) == ("email", "sms")
    assert address == "sita@example.com"
    assert phone == invoice.patient.phone
    assert invoice.number in subject
    assert f"{invoice.number} issued, 926.00 {clinic.currency} to pay" in sms
    assert "Dear Sita" in email
    assert f"926.00 {clinic.currency} for you to pay" in email


def test_a_payment_tells_the_patient_the_receipt(cashier, invoice, shift, clinic):
    paid = payments.pay(
        actor=actor_for(cashier), invoice=invoice, tenders=[TenderIn("cash", "500")]
    )
    sent = told(messages.PAYMENT_RECEIVED)
    assert len(sent) == 2
    sms = next(body for channel, _to, _s, body in sent if channel == "sms")
    assert sms == (
        f"{clinic.name}: 500.00 {clinic.currency} received, receipt {paid.number}. Thank you."
    )


def test_a_deposit_is_receipted_too(cashier, patient_with_email, shift, clinic):
    payments.deposit(
        actor=actor_for(cashier), patient=patient_with_email, tenders=[TenderIn("cash", "1500")]
    )
    sent = told(messages.PAYMENT_RECEIVED)
    assert any(f"1,500.00 {clinic.currency}" in body for _c, _t, _s, body in sent)


def test_a_refused_payment_tells_nothing(cashier, invoice, shift):
    with pytest.raises(Conflict):
        payments.pay(actor=actor_for(cashier), invoice=invoice, tenders=[TenderIn("cash", "927")])
    assert not Message.objects.filter(event=messages.PAYMENT_RECEIVED).exists()


def test_an_invoice_rolled_back_tells_nothing(cashier, patient_with_email, services):
    actor = actor_for(cashier)
    charges.add_manual(actor=actor, patient=patient_with_email, item=services["REG"])

    def issued_then_failed():
        with transaction.atomic():
            invoices.invoice_now(actor=actor, patient=patient_with_email)
            assert Message.objects.filter(event=messages.INVOICE_ISSUED).count() == 2
            raise RuntimeError("the request failed after issuing")

    with pytest.raises(RuntimeError):
        issued_then_failed()
    assert not Message.objects.exists()


def test_a_credit_note_is_not_an_invoice_to_pay(cashier, manager, invoice):
    invoices.credit(actor=actor_for(manager), invoice=invoice, reason="Charged twice")
    assert len(told(messages.INVOICE_ISSUED)) == 2


def test_a_gateway_callback_twice_receipts_once(invoice, clinic):
    callback = GatewayCallback(
        provider="signed",
        provider_reference="TXN-9",
        bill_number=invoice.number,
        amount=Decimal("926.00"),
        currency=clinic.currency,
        paid_at=None,
        raw={},
    )
    payments.record_gateway_payment(clinic=clinic, callback=callback)
    payments.record_gateway_payment(clinic=clinic, callback=callback)
    assert len(told(messages.PAYMENT_RECEIVED)) == 2


def test_the_same_invoice_told_again_queues_nothing_new(invoice):
    assert messages.invoice_issued(invoice).messages == 0
    assert Message.objects.filter(event=messages.INVOICE_ISSUED).count() == 2


def test_a_patient_without_contact_is_billed_and_told_nothing(cashier, register, services, shift):
    actor = actor_for(cashier)
    silent = register(given_name="Maya")
    charges.add_manual(actor=actor, patient=silent, item=services["REG"])
    made = invoices.invoice_now(actor=actor, patient=silent)
    payments.pay(actor=actor, invoice=made, tenders=[TenderIn("cash", "100")])
    assert made.number
    assert not Message.objects.exists()


@pytest.mark.parametrize("language", ["en", "ne"])
@pytest.mark.parametrize("kind", messages.KINDS, ids=lambda k: k.key)
def test_a_bill_fits_one_sms_segment_in_each_language(kind, language):
    values = {
        "clinic": "Kathmandu Family Health Clinic",
        "patient": "Ramchandra",
        "number": "KTM-INV-2082/83-000123",
        "amount": "1,234,567.89 NPR",
        "total": "1,234,567.89 NPR",
        "invoice": "KTM-INV-2082/83-000123",
    }
    text = kind.text(language).sms
    assert count_segments(wording.fill(text, values)).segments == 1
