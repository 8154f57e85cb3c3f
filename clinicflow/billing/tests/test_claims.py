"""Payers' claims: submitted, paid (the money is a ledger row in the day's takings), or
rejected with the reason; never paid beyond the claim, never moved once settled; the cashier
and the manager move them, reception does not."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import balances, claims, invoices
from clinicflow.billing.models import Claim, ClaimStatus, Entry, LedgerEntry, Payer
from clinicflow.core.errors import Conflict, DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(cashier, billing_patient, charged, clinic):
    payer = Payer.objects.create(clinic=clinic, name="Health Insurance Board", kind="insurer")
    invoice = invoices.invoice_now(
        actor=actor_for(cashier), patient=billing_patient, payer=payer, coverage_percent="80"
    )
    return Claim.objects.get(invoice=invoice)  # 740.80 of 926.00


def test_a_claim_is_submitted_then_paid_into_the_days_takings(cashier, claim, clinic):
    actor = actor_for(cashier)
    claims.submit(actor=actor, claim=claim, reference="HIB-77")
    paid = claims.record_payment(actor=actor, claim=claim, amount="740.80", reference="TT-9")
    assert (paid.status, paid.external_id, paid.paid_amount) == (
        ClaimStatus.PAID,
        "HIB-77",
        Decimal("740.80"),
    )
    row = LedgerEntry.objects.get(kind=Entry.CLAIM_PAID)
    assert (row.cash, row.owed, row.credit, row.method) == (Decimal("740.80"), 0, 0, "bank")
    assert balances.takings(clinic, clinic.local_date()) == {"bank": Decimal("740.80")}
    owed = balances.of_patient(clinic, claim.invoice.patient_id).owed
    assert owed == Decimal("185.20")  # the patient's part is untouched
    with pytest.raises(Conflict):
        claims.reject(actor=actor, claim=claim, reason="late")


def test_more_than_the_claim_is_refused_and_nothing_is_recorded(cashier, claim):
    with pytest.raises(DomainError):
        claims.record_payment(actor=actor_for(cashier), claim=claim, amount="741")
    assert not LedgerEntry.objects.filter(kind=Entry.CLAIM_PAID).exists()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING


def test_a_rejection_needs_its_reason(cashier, claim):
    with pytest.raises(DomainError):
        claims.reject(actor=actor_for(cashier), claim=claim, reason=" ")
    rejected = claims.reject(actor=actor_for(cashier), claim=claim, reason="Not covered")
    assert (rejected.status, rejected.note) == (ClaimStatus.REJECTED, "Not covered")


def test_the_database_refuses_a_paid_claim_beyond_its_amount(claim):
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(status="paid", paid_amount=Decimal("800"))


def test_reception_cannot_move_a_claim(receptionist, claim):
    with pytest.raises(DomainError):
        claims.submit(actor=actor_for(receptionist), claim=claim)


def test_the_invoice_page_moves_the_claim(cashier, sign_in, claim, receptionist):
    client = sign_in(cashier)
    page = client.get(reverse("billing:invoice", args=[claim.invoice_id])).content.decode()
    assert 'data-testid="claim"' in page
    client.post(reverse("billing:claim_submit", args=[claim.pk]), {"reference": "HIB-1"})
    client.post(reverse("billing:claim_paid", args=[claim.pk]), {"amount": "700"})
    claim.refresh_from_db()
    assert (claim.status, claim.paid_amount) == (ClaimStatus.PAID, Decimal("700.00"))
    url = reverse("billing:claim_rejected", args=[claim.pk])
    assert sign_in(receptionist).post(url, {"reason": "x"}).status_code == 403


def test_another_clinic_cannot_reach_the_claim(other_clinic_manager, sign_in, claim):
    url = reverse("billing:claim_submit", args=[claim.pk])
    assert sign_in(other_clinic_manager).post(url, {}).status_code == 404
