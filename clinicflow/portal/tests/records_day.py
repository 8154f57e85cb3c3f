"""A patient's record written through the real services, for the portal's record and bill
pages: an allergy, a problem, a document, a coming appointment, vitals, a signed visit with an
ICD-10 diagnosis and a prescription, a lab order with one test verified and one only entered
(never to be shown), and a bill partly paid."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import charges, invoices, payments, prices, shifts
from clinicflow.billing.models import Invoice, ItemKind, Payment, PriceItem
from clinicflow.billing.selectors import open_shift
from clinicflow.clinical import prescribing
from clinicflow.clinical import services as clinical
from clinicflow.clinical.icd10 import load_codes
from clinicflow.clinical.models import Icd10Code, Prescription
from clinicflow.core.roles import Role
from clinicflow.frontdesk import services as frontdesk
from clinicflow.lab import orders, results, samples
from clinicflow.lab.models import LabOrder, LabSection, LabTest, OrderedTest, Parameter
from clinicflow.patients import services as patients
from clinicflow.patients.models import Patient, PatientDocument
from clinicflow.scheduling import services as scheduling
from tests.factories import member

#: The verified glucose value and the haemoglobin value still waiting for its second check.
GLUCOSE = "182"
UNVERIFIED_NAME = "Haemoglobin"
UNVERIFIED_VALUE = "9.87"
ASTHMA = "J45.0"


@dataclass(frozen=True)
class RecordDay:
    patient: Patient
    document: PatientDocument
    prescription: Prescription
    order: LabOrder
    invoice: Invoice
    payment: Payment


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()


def lab_catalogue(clinic: Any) -> tuple[LabTest, LabTest]:
    """Fasting glucose and haemoglobin, each one parameter with a range."""
    found = LabTest.objects.for_clinic(clinic).filter(code__in=["GLU", "HB"]).order_by("code")
    if found.count() == 2:
        glucose, haemoglobin = found
        return glucose, haemoglobin
    section = LabSection.objects.create(clinic=clinic, name="Biochemistry")
    made = []
    for code, name, unit, high in (
        ("GLU", "Fasting glucose", "mg/dL", "100"),
        ("HB", UNVERIFIED_NAME, "g/dL", "17"),
    ):
        test = LabTest.objects.create(clinic=clinic, code=code, name=name, section=section)
        parameter = Parameter.objects.create(
            clinic=clinic, test=test, code=code, name=name, unit=unit, unit_label=unit, decimals=2
        )
        parameter.ranges.create(clinic=clinic, low=Decimal("1"), high=Decimal(high))
        made.append(test)
    return made[0], made[1]


def practitioner_of(people: dict[str, Any]) -> Any:
    manager = actor_for(people["manager"])
    doctor = scheduling.create_practitioner(
        actor=manager, user=people["doctor"], specialization="GP", details={}
    )
    scheduling.apply_preset(
        actor=manager, practitioner=doctor, preset="full_day", weekdays=list(range(7))
    )
    return doctor


def record_day(
    patient: Patient,
    people: dict[str, Any],
    doctor: Any,
    *,
    hour: int = 10,
    medicine: str = "Salbutamol",
) -> RecordDay:
    """``people``: the clinic's manager, receptionist, nurse, doctor, lab technicians
    (``lab``, ``lab2``) and cashier; ``doctor``: the doctor's profile (``practitioner_of``)."""
    clinic = patient.clinic
    reception, nurse, physician, cashier = (
        actor_for(people[name]) for name in ("receptionist", "nurse", "doctor", "cashier")
    )
    if not Icd10Code.objects.filter(code=ASTHMA).exists():
        load_codes(Icd10Code)
    patients.record_allergy(actor=nurse, patient=patient, substance="Penicillin", severity="severe")
    patients.record_condition(actor=nurse, patient=patient, description="Asthma since childhood")
    document = patients.upload_document(
        actor=reception,
        patient=patient,
        content=png(),
        original_name="referral.png",
        category="referral",
        title=f"Referral of {patient.given_name}",
    )
    next_week = timezone.localdate() + timedelta(days=7)
    scheduling.book_appointment(
        actor=reception,
        patient=patient,
        practitioner=doctor,
        starts_at=datetime.combine(next_week, time(hour), tzinfo=clinic.zone),
    )
    entry = frontdesk.add_walk_in(actor=reception, patient=patient, practitioner=doctor)
    frontdesk.record_vitals(actor=nurse, entry=entry, values={"temperature": "38.4"})
    called = frontdesk.call_next(actor=physician, practitioner=doctor)
    assert called is not None
    visit = clinical.open_encounter(actor=physician, entry=called)
    clinical.add_diagnosis(actor=physician, encounter=visit, code=ASTHMA)
    prescribing.add_item(
        actor=physician,
        encounter=visit,
        details={
            "medicine_name": medicine,
            "strength": "4 mg",
            "form": "tablet",
            "dose": "1",
            "dose_unit": "tablet",
            "frequency": "TDS",
            "duration_days": "30",
        },
    )
    visit.refresh_from_db()
    visit = clinical.save_note(
        actor=physician, encounter=visit, fields={"plan": "Inhaler"}, version=visit.version
    )
    clinical.sign(actor=physician, encounter=visit)
    prescription = Prescription.objects.for_clinic(clinic).get(encounter=visit)

    glucose, haemoglobin = lab_catalogue(clinic)
    order = orders.place(
        actor=reception, patient=patient, tests=[glucose, haemoglobin], referrer="Dr Outside"
    )
    samples.collect(actor=nurse, order=order, collected_at=timezone.now() - timedelta(minutes=30))
    technician, second = actor_for(people["lab"]), actor_for(people["lab2"])
    for test, value in ((glucose, GLUCOSE), (haemoglobin, UNVERIFIED_VALUE)):
        ordered = OrderedTest.objects.for_clinic(clinic).get(order=order, test=test)
        parameter = Parameter.objects.for_clinic(clinic).get(test=test)
        results.enter(actor=technician, ordered_test=ordered, values={str(parameter.pk): value})
    results.verify(
        actor=second,
        ordered_test=OrderedTest.objects.for_clinic(clinic).get(order=order, test=glucose),
    )

    if open_shift(clinic, cashier.user) is None:
        shifts.open_shift(actor=cashier, opening_float="0")
    item = PriceItem.objects.for_clinic(clinic).filter(code="NEB").first() or (
        prices.create_item(
            actor=actor_for(people["manager"]),
            code="NEB",
            name="Nebulisation",
            kind=ItemKind.PROCEDURE,
            amount="500.00",
            valid_from=clinic.local_date(),
        )
    )
    charge = charges.add_manual(actor=cashier, patient=patient, item=item)
    invoice = invoices.invoice_now(actor=cashier, patient=patient, charge_ids=[charge.pk])
    payments.pay(actor=cashier, invoice=invoice, tenders=[payments.TenderIn("cash", "200.00")])
    invoice.refresh_from_db()
    return RecordDay(
        patient=patient,
        document=document,
        prescription=prescription,
        order=order,
        invoice=invoice,
        payment=Payment.objects.for_clinic(clinic).get(invoice=invoice),
    )


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def people(manager, receptionist, nurse, doctor, lab_technician, cashier, clinic):
    return {
        "manager": manager,
        "receptionist": receptionist,
        "nurse": nurse,
        "doctor": doctor,
        "lab": lab_technician,
        "lab2": member(Role.LAB_TECHNICIAN, clinic, username="lab2"),
        "cashier": cashier,
    }


@pytest.fixture
def gp(people):
    return practitioner_of(people)


@pytest.fixture
def priya_day(family, priya, people, gp):
    """Priya's record (the ``family`` account's own), with a day of care."""
    return record_day(priya, people, gp, hour=10)


@pytest.fixture
def anjali_day(family, anjali, people, gp):
    """Anjali's record (the child the ``family`` account looks after)."""
    return record_day(anjali, people, gp, hour=11)


@pytest.fixture
def stranger_day(other_family, stranger, people, gp):
    """Someone else's record at the same clinic, with the same kinds of rows."""
    return record_day(stranger, people, gp, hour=12)
