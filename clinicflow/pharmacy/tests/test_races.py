"""Two pharmacists at the same moment, on PostgreSQL: the last units of a batch go to exactly
one of them (the other is told how much is left), one prescription is never dispensed twice,
and no batch ever goes below zero."""

from __future__ import annotations

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import Conflict
from clinicflow.core.roles import Role
from clinicflow.pharmacy import dispensing
from clinicflow.pharmacy.models import Dispense, StockBatch
from clinicflow.pharmacy.tests.conftest import on_hand_matches_ledger, prescription_for
from tests.concurrency import at_once
from tests.factories import member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pharmacists(pharmacist, clinic):
    return [pharmacist, member(Role.PHARMACIST, clinic, username="second-pharmacist")]


def attempt(pharmacist, item) -> str:
    try:
        dispensing.dispense(actor=actor_for(pharmacist), item=item)
    except Conflict as refused:
        return refused.message
    return "dispensed"


def test_the_last_units_go_to_exactly_one_of_two_pharmacists(
    pharmacists, doctor, receptionist, practitioner, register, amoxicillin, receive, icd10
):
    receive((amoxicillin, "LAST", 100, 15))  # enough for one course of 15, not two
    prescriptions = [
        prescription_for(doctor, receptionist, practitioner, register(given_name=name))
        for name in ("Asha", "Bina")
    ]
    for who, prescription in zip(pharmacists, prescriptions, strict=True):
        dispensing.review(actor=actor_for(who), prescription=prescription)
    items = [p.items.get() for p in prescriptions]

    outcomes, errors = at_once(lambda n: attempt(pharmacists[n], items[n]), 2)

    assert errors == []
    assert sorted(outcomes, key=len) == ["dispensed", "Only 0 in stock that has not expired."]
    assert StockBatch.objects.get(batch_number="LAST").on_hand == 0
    assert Dispense.objects.count() == 1
    on_hand_matches_ledger()


def test_one_prescription_dispensed_twice_at_once_is_given_once(
    pharmacists, doctor, receptionist, practitioner, register, amoxicillin, receive, icd10
):
    receive((amoxicillin, "PLENTY", 100, 500))
    prescription = prescription_for(doctor, receptionist, practitioner, register())
    dispensing.review(actor=actor_for(pharmacists[0]), prescription=prescription)
    item = prescription.items.get()

    outcomes, errors = at_once(lambda n: attempt(pharmacists[n], item), 2)

    assert errors == []
    assert sorted(outcomes) == ["This prescription is dispensed: nothing more can be dispensed.",
                                "dispensed"]  # fmt: skip
    assert StockBatch.objects.get(batch_number="PLENTY").on_hand == 485
    on_hand_matches_ledger()
