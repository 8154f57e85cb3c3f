"""One patient's whole visit, written through the real services, so that every kind of record
that carries patients' data exists once: the record itself (every field filled), an allergy, a
problem, a document, an appointment, a queue entry with vitals, a signed consultation with a
prescription, and a dispense. Tests that look at what each role receives of them use it."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone
from PIL import Image

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.billing import charges, invoices, payments, prices, shifts
from clinicflow.billing.models import ItemKind
from clinicflow.clinical import prescribing
from clinicflow.clinical import services as clinical
from clinicflow.clinical.icd10 import load_codes
from clinicflow.clinical.models import Icd10Code, Prescription
from clinicflow.core.models import Clinic
from clinicflow.frontdesk import services as frontdesk
from clinicflow.patients import services as patients
from clinicflow.patients.models import Patient
from clinicflow.pharmacy import catalogue, dispensing, stock
from clinicflow.pharmacy.models import Dispense, Medicine
from clinicflow.scheduling import services as scheduling

#: Free text that only a reader of the record may see.
SECRET_NOTE = "Confidential: discussed family matters"
MEDICINE_CSV = (
    ",".join(catalogue.COLUMNS)
    + "\nParacetamol,,tablet,500 mg,tablet,paracetamol,analgesic,4000,500,no,no,50,0.20\n"
)


@dataclass(frozen=True)
class CareDay:
    patient: Patient
    prescription: Prescription
    dispense: Dispense


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()


def care_day(clinic: Clinic, people: dict[str, User]) -> CareDay:
    """``people``: the clinic's manager, receptionist, nurse, doctor and pharmacist."""
    manager, reception, nurse, doctor, pharmacist = (
        actor_for(people[name])
        for name in ("manager", "receptionist", "nurse", "doctor", "pharmacist")
    )
    if not Icd10Code.objects.filter(code="J45.0").exists():
        load_codes(Icd10Code)
    patient = patients.register_patient(
        actor=reception,
        details={
            "given_name": "Kabita",
            "family_name": "Lama",
            "sex": "female",
            "birth_date": timezone.localdate() - timedelta(days=365 * 34),
            "phone": "9841000001",
            "email": "kabita@example.org",
            "address": "Baneshwor, Kathmandu",
            "blood_group": "O+",
            "emergency_contact_name": "Pemba Lama",
            "emergency_contact_phone": "9841000002",
            "emergency_contact_relation": "husband",
            "height_cm": "160",
            "weight_kg": "58",
            "current_medications": "Levothyroxine 50 mcg",
            "notes": SECRET_NOTE,
        },
        confirm_new=True,
    )
    patients.record_allergy(actor=nurse, patient=patient, substance="Penicillin", severity="severe")
    patients.record_condition(actor=nurse, patient=patient, description="Hypothyroidism")
    patients.upload_document(
        actor=reception,
        patient=patient,
        content=_png(),
        original_name="referral.png",
        category="referral",
        title="Referral",
    )
    practitioner = scheduling.create_practitioner(
        actor=manager, user=people["doctor"], specialization="GP", details={}
    )
    scheduling.apply_preset(
        actor=manager, practitioner=practitioner, preset="full_day", weekdays=list(range(7))
    )
    next_week = timezone.localdate() + timedelta(days=7)
    scheduling.book_appointment(
        actor=reception,
        patient=patient,
        practitioner=practitioner,
        starts_at=datetime.combine(next_week, time(10), tzinfo=clinic.zone),
    )
    entry = frontdesk.add_walk_in(actor=reception, patient=patient, practitioner=practitioner)
    frontdesk.record_vitals(actor=nurse, entry=entry, values={"temperature": "37.2"})
    called = frontdesk.call_next(actor=doctor, practitioner=practitioner)
    assert called is not None
    consultation = clinical.open_encounter(actor=doctor, entry=called)
    catalogue.import_csv(actor=pharmacist, content=MEDICINE_CSV.encode())
    prescribing.add_item(
        actor=doctor,
        encounter=consultation,
        details={
            "medicine_name": "Paracetamol",
            "strength": "500 mg",
            "form": "tablet",
            "dose": "1",
            "dose_unit": "tablet",
            "frequency": "TDS",
            "duration_days": "3",
        },
    )
    consultation.refresh_from_db()
    consultation = clinical.save_note(
        actor=doctor,
        encounter=consultation,
        fields={"plan": "Rest and fluids"},
        version=consultation.version,
    )
    clinical.sign(actor=doctor, encounter=consultation)
    prescription = Prescription.objects.get(encounter=consultation)
    medicine = Medicine.objects.for_clinic(clinic).get(generic_name="Paracetamol")
    stock.receive(
        actor=pharmacist,
        supplier="MedSupply",
        invoice_number="INV-1",
        lines=[
            {
                "medicine": medicine,
                "batch_number": "B1",
                "expiry_date": timezone.localdate() + timedelta(days=400),
                "quantity": "100",
                "cost_price": "0.10",
            }
        ],
    )
    dispensing.review(actor=pharmacist, prescription=prescription)
    given: Any = dispensing.dispense(
        actor=pharmacist, item=prescription.items.get(), quantity="3", complete=True
    )
    # The bill, at the manager's counter: a service charged, invoiced and paid; a deposit,
    # part of it refunded.
    shifts.open_shift(actor=manager, opening_float="0")
    dressing = prices.create_item(
        actor=manager,
        code="DRESS",
        name="Wound dressing",
        kind=ItemKind.PROCEDURE,
        amount="350.00",
        valid_from=clinic.local_date(),
    )
    charge = charges.add_manual(actor=manager, patient=patient, item=dressing)
    invoice = invoices.invoice_now(actor=manager, patient=patient, charge_ids=[charge.pk])
    cash = payments.TenderIn("cash", "350.00")
    payments.pay(actor=manager, invoice=invoice, tenders=[cash])
    payments.deposit(actor=manager, patient=patient, tenders=[payments.TenderIn("cash", "500")])
    payments.refund(actor=manager, patient=patient, amount="100.00", reason="Fewer visits")
    return CareDay(patient=patient, prescription=prescription, dispense=given[0])
