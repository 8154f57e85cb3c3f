"""The dispensing bench's own judgement: its stock checks find what they look for, and it reads
the dispensing service's refusals as the service words them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from bench.scenarios.dispensing import USERNAME, refusal_reason, stock_checks
from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.clinical.models import Prescription
from clinicflow.clinical.tests.conftest import practitioner  # noqa: F401  (a doctor who prescribes)
from clinicflow.core.errors import Conflict
from clinicflow.pharmacy import dispensing, stock
from clinicflow.pharmacy.models import Dispense, StockBatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def pharmacy(clinic, practitioner):  # noqa: F811  (the imported fixture)
    call_command("generate_patients", clinic="KTM", count=20, seed=5, force=True)
    call_command(
        "generate_stock", clinic="KTM", medicines=20, batches=80, prescriptions=30,
        pharmacists=2, hot=2, seed=3, force=True,
    )  # fmt: skip
    return actor_for(User.objects.get(username=USERNAME.format(1)))


def dispense_all(actor) -> list[str]:
    """Every item of every prescription; the refusals' messages."""
    refusals = []
    for prescription in Prescription.objects.for_clinic(actor.clinic).order_by("issued_at"):
        for item in prescription.items.all():
            try:
                dispensing.dispense(actor=actor, item=item)
            except Conflict as refusal:
                refusals.append(refusal.message)
            try:
                dispensing.dispense(actor=actor, item=item)  # again: nothing is left to give
            except Conflict as refusal:
                refusals.append(refusal.message)
    return refusals


def test_the_services_refusals_are_read_as_out_of_stock_or_already_dispensed(pharmacy):
    reasons = {refusal_reason(message) for message in dispense_all(pharmacy)}
    assert reasons == {"out_of_stock", "already_dispensed"}
    assert refusal_reason("Something else went wrong.") == "other"


@pytest.mark.postgres
def test_the_stock_checks_pass_after_real_dispensing_and_catch_each_fault(pharmacy, clinic):
    dispense_all(pharmacy)
    with connection.cursor() as cursor:
        assert set(stock_checks(cursor).values()) == {0}

    # A batch changed behind the ledger's back.
    batch = StockBatch.objects.for_clinic(clinic).filter(on_hand__gt=0).first()
    assert batch is not None
    StockBatch.objects.for_clinic(clinic).filter(pk=batch.pk).update(on_hand=batch.on_hand + 1)
    # Two dispenses behind the service's back, neither in the ledger, for more than was
    # prescribed: from an expired batch of the medicine, and from another medicine's batch.
    expired = StockBatch.objects.for_clinic(clinic).filter(expiry_date__lte=stock.today())
    given = (
        Dispense.objects.for_clinic(clinic)
        .filter(medicine__batches__in=expired)
        .select_related("item", "prescription", "patient", "medicine", "dispensed_by")
        .first()
    )
    assert given is not None
    usable = StockBatch.objects.for_clinic(clinic).filter(expiry_date__gt=stock.today())
    other = usable.exclude(medicine=given.medicine).first()
    for batch in (expired.filter(medicine=given.medicine).first(), other):
        Dispense.objects.create(
            clinic=clinic, prescription=given.prescription, item=given.item,
            patient=given.patient, medicine=given.medicine, batch=batch,
            quantity=given.item.quantity, unit_price=Decimal(1), dispensed_by=given.dispensed_by,
        )  # fmt: skip
    with connection.cursor() as cursor:
        assert stock_checks(cursor) == {
            "ledger_mismatches": 1,
            "negative_batches": 0,  # the database refuses it: a guard, never expected to fire
            "dispensed_from_expired": 1,
            "dispensed_from_other_medicine": 1,
            "items_over_dispensed": 1,
            "dispenses_without_ledger_row": 2,
        }
