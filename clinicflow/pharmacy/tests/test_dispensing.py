"""Dispensing: the review, first-expiry-first-out picking, expired batches never offered, a
batch or another medicine picked with a reason, partial dispensing, cancelling, refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.clinical.models import PrescriptionStatus
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.patients.services import record_allergy
from clinicflow.pharmacy import dispensing, stock
from clinicflow.pharmacy.models import Dispense, Medicine, MovementKind, Review, StockMovement
from clinicflow.pharmacy.tests.conftest import batch, on_hand_matches_ledger

pytestmark = pytest.mark.django_db


def reviewed(pharmacist, prescription, note=""):
    dispensing.review(actor=actor_for(pharmacist), prescription=prescription, note=note)
    return prescription


def test_fefo_takes_the_first_expiring_batches_and_writes_the_ledger(
    pharmacist, amoxicillin, receive, issue
):
    receive((amoxicillin, "LATE", 300, 100), (amoxicillin, "SOON", 30, 10))
    prescription = reviewed(pharmacist, issue())
    item = prescription.items.get()
    given = dispensing.dispense(actor=actor_for(pharmacist), item=item)
    assert [(d.batch.batch_number, d.quantity) for d in given] == [
        ("SOON", Decimal("10")),
        ("LATE", Decimal("5")),
    ]
    assert batch(amoxicillin, "SOON").on_hand == 0
    assert batch(amoxicillin, "LATE").on_hand == 95
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.DISPENSED
    assert StockMovement.objects.filter(kind=MovementKind.DISPENSE).count() == 2
    on_hand_matches_ledger()


def test_an_expired_batch_is_never_offered_nor_counted(amoxicillin, receive):
    receive((amoxicillin, "OLD", 10, 50), (amoxicillin, "NEW", 200, 50))
    assert stock.available(amoxicillin) == 100
    on_expiry_day = batch(amoxicillin, "OLD").expiry_date
    assert [b.batch_number for b in stock.usable(amoxicillin, on_expiry_day)] == ["NEW"]
    assert stock.available(amoxicillin, on_expiry_day) == 50
    assert stock.available(amoxicillin, batch(amoxicillin, "NEW").expiry_date) == 0


def test_partial_dispense_leaves_the_rest_pending(pharmacist, amoxicillin, receive, issue):
    receive((amoxicillin, "B1", 100, 100))
    prescription = reviewed(pharmacist, issue())
    item = prescription.items.get()
    dispensing.dispense(actor=actor_for(pharmacist), item=item, quantity="6")
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.PARTIALLY_DISPENSED
    [state] = dispensing.progress(prescription)
    assert state.remaining == 9
    with pytest.raises(DomainError) as refused:
        dispensing.dispense(actor=actor_for(pharmacist), item=item, quantity="10")
    assert refused.value.field == "quantity"
    dispensing.dispense(actor=actor_for(pharmacist), item=item)
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.DISPENSED
    with pytest.raises(Conflict):
        dispensing.dispense(actor=actor_for(pharmacist), item=item, quantity="1")
    assert batch(amoxicillin, "B1").on_hand == 85


def test_not_enough_stock_is_refused_and_nothing_moves(pharmacist, amoxicillin, receive, issue):
    receive((amoxicillin, "B1", 100, 4))
    prescription = reviewed(pharmacist, issue())
    with pytest.raises(Conflict, match="Only 4"):
        dispensing.dispense(actor=actor_for(pharmacist), item=prescription.items.get())
    assert not Dispense.objects.exists()
    assert batch(amoxicillin, "B1").on_hand == 4


def test_dispensing_waits_for_the_review(pharmacist, amoxicillin, receive, issue):
    receive((amoxicillin, "B1", 100, 100))
    prescription = issue()
    with pytest.raises(DomainError, match="Review"):
        dispensing.dispense(actor=actor_for(pharmacist), item=prescription.items.get())
    assert not Dispense.objects.exists()


def test_another_batch_than_the_first_expiring_needs_a_reason(
    pharmacist, amoxicillin, receive, issue
):
    receive((amoxicillin, "SOON", 30, 50), (amoxicillin, "LATE", 300, 50))
    prescription = reviewed(pharmacist, issue())
    item = prescription.items.get()
    late = batch(amoxicillin, "LATE")
    with pytest.raises(DomainError) as refused:
        dispensing.dispense(actor=actor_for(pharmacist), item=item, batch=late)
    assert refused.value.field == "batch_reason"
    [row] = dispensing.dispense(
        actor=actor_for(pharmacist), item=item, batch=late, batch_reason="patient travels"
    )
    assert row.batch == late
    assert row.batch_reason == "patient travels"
    assert batch(amoxicillin, "SOON").on_hand == 50


def test_an_expired_batch_cannot_be_picked(pharmacist, amoxicillin, receive, issue, clinic):
    receive((amoxicillin, "B1", 100, 50))
    old = batch(amoxicillin, "B1")
    type(old).objects.filter(pk=old.pk).update(expiry_date=stock.today())
    prescription = reviewed(pharmacist, issue())
    with pytest.raises(Conflict, match="expired"):
        dispensing.dispense(
            actor=actor_for(pharmacist), item=prescription.items.get(), batch=old,
            batch_reason="x",
        )  # fmt: skip
    with pytest.raises(Conflict, match="Only 0"):
        dispensing.dispense(actor=actor_for(pharmacist), item=prescription.items.get())


def test_another_brand_is_not_a_substitution_another_strength_is(
    pharmacist, medicines, amoxicillin, receive, issue
):
    brand = medicines[("Amoxicillin", "Amoxy", "500 mg")]
    weaker = medicines[("Amoxicillin", "", "250 mg")]
    receive((brand, "BR", 100, 50), (weaker, "WK", 100, 50))
    prescription = reviewed(pharmacist, issue())
    item = prescription.items.get()
    assert weaker in dispensing.alternatives(item)
    [row] = dispensing.dispense(actor=actor_for(pharmacist), item=item, quantity="5")
    assert row.medicine == brand
    assert not row.is_substitution
    with pytest.raises(DomainError) as refused:
        dispensing.dispense(actor=actor_for(pharmacist), item=item, medicine=weaker, quantity="5")
    assert refused.value.field == "substitution_reason"
    [row] = dispensing.dispense(
        actor=actor_for(pharmacist), item=item, medicine=weaker, quantity="10",
        substitution_reason="500 mg out of stock: two 250 mg",
    )  # fmt: skip
    assert row.medicine == weaker
    assert row.is_substitution


def test_the_review_shows_the_doctors_override_and_asks_for_a_note_on_a_new_warning(
    pharmacist, amoxicillin, receive, issue, patient, nurse
):
    prescription = issue()
    assert dispensing.findings(prescription) == []
    record_allergy(
        actor=actor_for(nurse), patient=patient, substance="penicillin", severity="severe"
    )  # fmt: skip
    [finding] = dispensing.findings(prescription)
    assert finding.kind == "allergy"
    assert finding.is_new
    with pytest.raises(DomainError) as refused:
        dispensing.review(actor=actor_for(pharmacist), prescription=prescription)
    assert refused.value.field == "note"
    assert not Review.objects.exists()
    review = dispensing.review(
        actor=actor_for(pharmacist), prescription=prescription, note="Called the doctor: go on"
    )
    assert review.findings[0]["kind"] == "allergy"


def test_a_caution_for_information_asks_no_note_of_the_pharmacist(pharmacist, medicines, issue):
    """A woman who may be pregnant: the doctor was told, nothing blocked, nothing to answer."""
    Medicine.objects.filter(generic_name="Paracetamol").update(pregnancy_caution=True)
    prescription = issue(
        {"medicine_name": "Paracetamol", "dose": "1", "frequency": "TDS", "duration_days": "3"}
    )
    [finding] = dispensing.findings(prescription)
    assert (finding.kind, finding.severity, finding.is_new) == ("pregnancy", "low", False)
    review = dispensing.review(actor=actor_for(pharmacist), prescription=prescription)
    assert review.findings[0]["kind"] == "pregnancy"


def test_cancel_needs_a_reason_and_stops_dispensing(pharmacist, amoxicillin, receive, issue):
    receive((amoxicillin, "B1", 100, 50))
    prescription = reviewed(pharmacist, issue())
    with pytest.raises(DomainError):
        dispensing.cancel(actor=actor_for(pharmacist), prescription=prescription, reason=" ")
    dispensing.cancel(actor=actor_for(pharmacist), prescription=prescription, reason="Declined")
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.CANCELLED
    with pytest.raises(Conflict):
        dispensing.dispense(actor=actor_for(pharmacist), item=prescription.items.get())


def test_only_a_pharmacist_of_the_clinic_dispenses(
    pharmacist, doctor, manager, amoxicillin, receive, issue
):
    receive((amoxicillin, "B1", 100, 50))
    prescription = reviewed(pharmacist, issue())
    for user in (doctor, manager):
        with pytest.raises(DomainError) as refused:
            dispensing.dispense(actor=actor_for(user), item=prescription.items.get())
        assert refused.value.code == "forbidden"
    assert not Dispense.objects.exists()
