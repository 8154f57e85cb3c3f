"""The patient's account at the counter: a deposit, a refund of their credit (a large one
waits for a manager, then is paid out), and the refusals: no shift, more than the credit,
no reason, the wrong role."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import payments
from clinicflow.billing.models import Payment, Refund, RefundStatus

pytestmark = pytest.mark.django_db


def deposit(client, patient, amount, method="cash", reference=""):
    url = reverse("billing:deposit", args=[patient.pk])
    return client.post(url, {"amount": amount, "method": method, "reference": reference})


def test_the_cashier_takes_a_deposit_and_the_page_shows_the_credit(
    cashier, sign_in, billing_patient, shift
):
    client = sign_in(cashier)
    assert deposit(client, billing_patient, "1500").status_code == 302
    held = Payment.objects.get(purpose="deposit")
    assert (held.amount, held.shift) == (Decimal("1500.00"), shift)
    page = client.get(reverse("billing:patient", args=[billing_patient.pk])).content.decode()
    assert 'data-testid="credit">1500.00<' in page
    assert 'data-testid="refund-form"' in page


@pytest.mark.parametrize(
    ("amount", "method", "reference", "message"),
    [
        ("-5", "cash", "", "more than zero"),
        ("10.005", "cash", "", "two decimals"),
        ("100", "card", "", "slip, transaction or cheque number"),
    ],
)
def test_a_bad_deposit_is_refused_at_the_form_and_nothing_is_taken(
    cashier, sign_in, billing_patient, shift, amount, method, reference, message
):
    page = deposit(sign_in(cashier), billing_patient, amount, method, reference)
    assert page.status_code == 200
    assert message in page.content.decode()
    assert not Payment.objects.exists()


def test_a_deposit_needs_an_open_shift(cashier, sign_in, billing_patient):
    page = deposit(sign_in(cashier), billing_patient, "100")
    assert "Open your shift first" in page.content.decode()
    assert not Payment.objects.exists()


def test_reception_may_not_take_a_deposit(receptionist, sign_in, billing_patient):
    assert deposit(sign_in(receptionist), billing_patient, "100").status_code == 403
    assert not Payment.objects.exists()


def test_a_large_refund_waits_for_a_manager_and_is_then_paid_out(
    cashier, manager, sign_in, billing_patient, shift
):
    payments.deposit(
        actor=actor_for(cashier),
        patient=billing_patient,
        tenders=[payments.TenderIn("cash", "3000")],
    )
    client = sign_in(cashier)
    url = reverse("billing:refund", args=[billing_patient.pk])
    answer = client.post(url, {"amount": "2500", "method": "cash", "reason": "Surgery cancelled"})
    assert answer.status_code == 302
    asked = Refund.objects.get()
    assert asked.status == RefundStatus.AWAITING_APPROVAL
    payout = reverse("billing:pay_out", args=[asked.pk])
    client.post(payout)  # not approved yet: refused, nothing paid
    assert Refund.objects.get().status == RefundStatus.AWAITING_APPROVAL
    sign_in(manager).post(reverse("billing:approve_refund", args=[asked.pk]), {"approve": "1"})
    assert Refund.objects.get().status == RefundStatus.APPROVED
    page = client.get(reverse("billing:patient", args=[billing_patient.pk])).content.decode()
    assert 'data-testid="pay-out"' in page
    client.post(payout)
    paid = Refund.objects.get()
    assert (paid.status, paid.shift) == (RefundStatus.PAID, shift)
    assert payments.credit_of(billing_patient.clinic, billing_patient.pk) == Decimal("500.00")


def test_a_refund_beyond_the_credit_or_without_a_reason_is_refused(
    cashier, sign_in, billing_patient, shift
):
    payments.deposit(
        actor=actor_for(cashier),
        patient=billing_patient,
        tenders=[payments.TenderIn("cash", "100")],
    )
    client = sign_in(cashier)
    url = reverse("billing:refund", args=[billing_patient.pk])
    page = client.post(url, {"amount": "150", "method": "cash", "reason": "Too much"})
    assert "The patient has 100.00 to refund" in page.content.decode()
    page = client.post(url, {"amount": "50", "method": "cash", "reason": ""})
    assert page.status_code == 200
    assert not Refund.objects.exists()


def test_reception_may_not_refund(receptionist, sign_in, billing_patient):
    url = reverse("billing:refund", args=[billing_patient.pk])
    answer = sign_in(receptionist).post(url, {"amount": "5", "method": "cash", "reason": "x"})
    assert answer.status_code == 403


def test_the_bills_forms_label_their_own_fields(cashier, sign_in, billing_patient, shift):
    """The deposit and refund forms sit side by side: each label names its own field."""
    import re
    from collections import Counter

    payments.deposit(
        actor=actor_for(cashier),
        patient=billing_patient,
        tenders=[payments.TenderIn("cash", "100")],
    )
    page = sign_in(cashier).get(reverse("billing:patient", args=[billing_patient.pk]))
    ids = Counter(re.findall(r'\sid="([^"]+)"', page.content.decode()))
    assert [name for name, seen in ids.items() if seen > 1] == []
    assert ids["deposit_amount"] == ids["refund_amount"] == 1
