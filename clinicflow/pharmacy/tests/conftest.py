"""Fixtures for the pharmacy: a small catalogue, stock received through the goods-receipt
service, and a prescription issued by a doctor's signed consultation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.clinical import prescribing, services
from clinicflow.clinical.models import Prescription
from clinicflow.clinical.services import open_encounter
from clinicflow.clinical.tests.conftest import (  # noqa: F401  (fixtures shared with clinical)
    encounter,
    icd10,
    patient,
    practitioner,
    visit,
)
from clinicflow.frontdesk import services as frontdesk
from clinicflow.pharmacy import catalogue, stock
from clinicflow.pharmacy.models import Medicine, StockBatch

HEADER = ",".join(catalogue.COLUMNS)
CATALOGUE = [
    "Amoxicillin,,capsule,500 mg,capsule,amoxicillin,penicillin,,,no,no,20,1.00",
    "Amoxicillin,Amoxy,capsule,500 mg,capsule,amoxicillin,penicillin,,,no,no,20,1.50",
    "Amoxicillin,,capsule,250 mg,capsule,amoxicillin,penicillin,,,no,no,20,0.80",
    "Paracetamol,,tablet,500 mg,tablet,paracetamol,analgesic,4000,500,no,no,50,0.20",
]
PRESCRIBED = {
    "medicine_name": "Amoxicillin",
    "strength": "500 mg",
    "form": "capsule",
    "dose": "1",
    "dose_unit": "capsule",
    "frequency": "TDS",
    "duration_days": "5",
}


def in_days(days: int):
    return timezone.localdate() + timedelta(days=days)


@pytest.fixture
def medicines(pharmacist, clinic):
    content = ("\n".join([HEADER, *CATALOGUE]) + "\n").encode()
    catalogue.import_csv(actor=actor_for(pharmacist), content=content)
    return {
        (m.generic_name, m.brand, m.strength): m for m in Medicine.objects.filter(clinic=clinic)
    }


@pytest.fixture
def amoxicillin(medicines) -> Medicine:
    return medicines[("Amoxicillin", "", "500 mg")]


@pytest.fixture
def receive(pharmacist):
    """Receive lines (medicine, batch number, expiry in days, quantity) on one invoice."""
    counter = iter(range(1, 10_000))

    def _receive(*lines, actor_user=None):
        return stock.receive(
            actor=actor_for(actor_user or pharmacist),
            supplier="MedSupply",
            invoice_number=f"INV-{next(counter)}",
            lines=[
                {
                    "medicine": medicine,
                    "batch_number": number,
                    "expiry_date": in_days(days),
                    "quantity": str(quantity),
                    "cost_price": "0.50",
                }
                for medicine, number, days, quantity in lines
            ],
        )

    return _receive


def batch(medicine: Medicine, number: str) -> StockBatch:
    return StockBatch.objects.get(medicine=medicine, batch_number=number)


def sign_with(doctor, consultation, *items):
    """Prescribe the items (default: amoxicillin 500 mg TDS × 5 = 15) and sign: issued."""
    actor = actor_for(doctor)
    for details in items or (PRESCRIBED,):
        prescribing.add_item(actor=actor, encounter=consultation, details=details)
    consultation.refresh_from_db()
    signed = services.save_note(
        actor=actor,
        encounter=consultation,
        fields={"plan": "Antibiotic"},
        version=consultation.version,
    )
    services.sign(actor=actor, encounter=signed, allergies_unasked_acknowledged=True)
    return Prescription.objects.get(encounter=consultation)


def prescription_for(doctor, receptionist, profile, person, *items):
    """A whole visit: the patient walks in, the doctor calls them, prescribes and signs."""
    frontdesk.add_walk_in(actor=actor_for(receptionist), patient=person, practitioner=profile)
    entry = frontdesk.call_next(actor=actor_for(doctor), practitioner=profile)
    return sign_with(doctor, open_encounter(actor=actor_for(doctor), entry=entry), *items)


@pytest.fixture
def issue(doctor, encounter):  # noqa: F811  (the shared fixture)
    """Sign the fixture's encounter with the given items."""
    return lambda *items: sign_with(doctor, encounter, *items)


def on_hand_matches_ledger() -> None:
    for row in StockBatch.objects.all():
        total = sum((m.quantity for m in row.movements.all()), Decimal("0"))
        assert row.on_hand == total >= 0, row
