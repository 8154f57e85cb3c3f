"""Seed 004's walk-in scenario end to end in real browsers on the ASGI server: reception checks
in a walk-in, the nurse records vitals, the doctor calls them in, writes the note, codes the
diagnosis by searching, prescribes a medicine the patient is allergic to, sees the warning,
overrides it with a reason and signs; the prescription appears at once in the pharmacy's live
list; the pharmacist reviews it (seeing the doctor's reason), dispenses it from stock, prints
the label, and the patient's chart shows the dispense.

And the emergency nobody has registered: reception adds them by name and phone as an
emergency, the doctor calls them in first, registers them from the visit in one step and is in
the consultation at once, and prescribes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.clinical.icd10 import load_codes
from clinicflow.clinical.models import Icd10Code, Prescription, SafetyAlert
from clinicflow.frontdesk.models import QueueEntry
from clinicflow.patients.demo import load_demo_patients
from clinicflow.patients.models import Patient
from clinicflow.patients.services import record_allergy
from clinicflow.pharmacy import stock
from clinicflow.pharmacy.demo import load_demo_catalogue
from clinicflow.pharmacy.models import Dispense, Medicine, StockBatch
from clinicflow.scheduling.models import Practitioner
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

RECEIVED = Decimal("100")


@pytest.fixture
def allergic_patient(asgi_server: str) -> Patient:
    nurse = User.objects.get(username="nurse")
    load_demo_patients(receptionist=User.objects.get(username="reception"), nurse=nurse)
    pharmacist = User.objects.get(username="pharmacist")
    load_demo_catalogue(pharmacist=pharmacist)
    # A delivery of every amoxicillin product, whichever the doctor picks.
    stock.receive(
        actor=actor_for(pharmacist),
        supplier="MedSupply",
        invoice_number="E2E-1",
        lines=[
            {
                "medicine": medicine,
                "batch_number": f"AMX-{medicine.pk}",
                "expiry_date": timezone.localdate() + timedelta(days=365),
                "quantity": str(RECEIVED),
                "cost_price": "1.00",
            }
            for medicine in Medicine.objects.filter(clinic__code="KTM", generic_name="Amoxicillin")
        ],
    )
    load_codes(Icd10Code)
    patient = (
        Patient.objects.filter(clinic__code="KTM", allergy__isnull=True).order_by("mrn").first()
    )
    record_allergy(
        actor=actor_for(nurse), patient=patient, substance="Penicillin", severity="severe"
    )
    return patient


def test_a_walk_in_from_the_front_desk_to_the_pharmacy(
    asgi_page: Callable[[], Page], allergic_patient: Patient
) -> None:
    patient = allergic_patient
    reception = asgi_page()
    sign_in(reception, "reception")
    reception.goto("/frontdesk/")
    walk_in = reception.get_by_test_id("walk-in-form")
    walk_in.get_by_label("MRN (registered patient)").fill(patient.mrn)
    gp = Practitioner.objects.get(user__username="doc001")
    walk_in.get_by_label("Doctor").select_option(str(gp.pk))
    walk_in.get_by_label("Reason").fill("Sore throat")
    walk_in.get_by_test_id("add-walk-in").click()
    expect(reception.get_by_text("The walk-in is in the queue.")).to_be_visible()

    nurse = asgi_page()
    sign_in(nurse, "nurse")
    nurse.goto("/frontdesk/")
    nurse.get_by_test_id("queue").locator("tr.queue-row", has_text=patient.full_name).get_by_role(
        "link", name="Vitals"
    ).click()
    form = nurse.get_by_test_id("vitals-form")
    form.get_by_label("Temperature (°C)").fill("38.4")
    form.get_by_label("Pulse (bpm)").fill("96")
    form.get_by_label("SpO₂ (%)").fill("98")
    form.get_by_test_id("save-vitals").click()
    expect(nurse.get_by_text("The vitals were recorded.")).to_be_visible()
    expect(nurse.get_by_test_id("vitals").locator("[data-flag=high]")).to_have_count(1)

    doctor = asgi_page()
    sign_in(doctor, "doc001")
    doctor.goto("/frontdesk/")
    doctor.get_by_test_id("call-next").click()
    expect(doctor.get_by_test_id("current-patient")).to_contain_text(patient.full_name)
    doctor.get_by_test_id("open-consultation").click()
    expect(doctor.get_by_test_id("latest-vitals")).to_contain_text("Temperature")
    doctor.locator("#n-subjective").fill("Sore throat for two days, fever.")
    doctor.locator("#n-plan").fill("Antibiotic, fluids, rest.")
    expect(doctor.get_by_test_id("save-state")).to_contain_text("Saved")

    doctor.wait_for_load_state("load")
    doctor.locator("#dx-text").fill("streptococcal pharyngitis")
    doctor.get_by_test_id("icd10-results").get_by_role("button").filter(has_text="J02.0").click()
    doctor.get_by_test_id("add-diagnosis").click()
    expect(doctor.get_by_test_id("diagnoses")).to_contain_text("J02.0")

    medicine = doctor.get_by_test_id("medicine-form")
    doctor.wait_for_load_state("load")  # the type-ahead listens once HTMX has started
    medicine.locator("#rx-name").fill("Amoxicillin")
    doctor.get_by_test_id("medicine-options").get_by_role("button").first.click()
    expect(medicine.locator("#rx-strength")).not_to_have_value("")
    medicine.locator("#rx-frequency").select_option("TDS")
    medicine.locator("#rx-days").fill("5")
    medicine.get_by_test_id("add-medicine").click()
    warning = doctor.get_by_test_id("safety-alert")
    expect(warning).to_contain_text("allergic to penicillin")
    warning.get_by_label("Reason").fill("Tolerated amoxicillin last year; patient consents")
    warning.get_by_test_id("override").click()
    expect(doctor.get_by_text("The warning was overridden")).to_be_visible()

    pharmacy = asgi_page()
    sign_in(pharmacy, "pharmacist")
    pharmacy.goto("/pharmacy/")
    expect(pharmacy.locator("body")).to_have_attribute("data-queue-live", "on")
    pending = pharmacy.get_by_test_id("pending-prescriptions")
    expect(pending).to_contain_text("Nothing waiting.")

    doctor.once("dialog", lambda dialog: dialog.accept())
    doctor.get_by_test_id("sign").click()
    expect(doctor.get_by_text("The consultation is signed.")).to_be_visible()
    assert SafetyAlert.objects.get().override_reason.startswith("Tolerated")

    # The pharmacist's open list hears of the signed prescription, without a reload.
    expect(pending).to_contain_text(patient.full_name)
    expect(pending).to_contain_text("Amoxicillin")
    expect(pending).to_contain_text("three times a day for 5 days")
    pending.get_by_test_id("pending-row").filter(has_text=patient.full_name).get_by_test_id(
        "open-prescription"
    ).click()
    expect(pharmacy.get_by_test_id("allergy-banner")).to_contain_text("Penicillin")
    finding = pharmacy.get_by_test_id("finding")
    expect(finding).to_contain_text("allergic to penicillin")
    expect(finding.get_by_test_id("override-reason")).to_contain_text(
        "Tolerated amoxicillin last year"
    )
    pharmacy.get_by_test_id("reviewed-button").click()
    expect(pharmacy.get_by_text("The prescription is reviewed.")).to_be_visible()
    pharmacy.get_by_test_id("dispense-form").get_by_test_id("dispense-button").click()
    expect(pharmacy.get_by_text("Dispensed.")).to_be_visible()
    expect(pharmacy.get_by_test_id("prescription-status")).to_have_text("Dispensed")

    [given] = Dispense.objects.filter(patient=patient)
    left = StockBatch.objects.get(pk=given.batch_id).on_hand
    assert given.quantity > 0
    assert left == RECEIVED - given.quantity
    history = pharmacy.get_by_test_id("dispense-row")
    expect(history).to_contain_text(f"{left.normalize():f} left in batch")

    pharmacy.get_by_test_id("label-link").click()
    label = pharmacy.get_by_test_id("label")
    expect(label).to_contain_text(patient.full_name)
    expect(label).to_contain_text(patient.mrn)
    expect(label).to_contain_text(str(given.medicine))
    expect(label).to_contain_text("three times a day for 5 days")
    expect(label).to_contain_text(given.batch.batch_number)

    doctor.goto(reverse("patients:chart", args=[patient.pk]))
    timeline = doctor.get_by_test_id("timeline")
    expect(timeline).to_contain_text(f"Dispensed {given.medicine}")


@pytest.fixture
def catalogue(asgi_server: str) -> None:
    load_demo_catalogue(pharmacist=User.objects.get(username="pharmacist"))


def test_an_unregistered_emergency_is_registered_from_the_visit_and_treated_at_once(
    asgi_page: Callable[[], Page], catalogue: None
) -> None:
    reception = asgi_page()
    sign_in(reception, "reception")
    reception.goto("/frontdesk/")
    walk_in = reception.get_by_test_id("walk-in-form")
    walk_in.get_by_label("Name (not registered)").fill("Came First")
    walk_in.get_by_test_id("add-walk-in").click()
    expect(reception.get_by_text("The walk-in is in the queue.")).to_be_visible()
    walk_in.get_by_label("Name (not registered)").fill("Ram Bahadur Thapa")
    walk_in.get_by_label("Phone").fill("9841234567")
    walk_in.get_by_label("Priority").select_option(label="Emergency")
    walk_in.get_by_label("Reason").fill("Crushing chest pain")
    walk_in.get_by_test_id("add-walk-in").click()
    expect(reception.get_by_text("The walk-in is in the queue.")).to_be_visible()

    doctor = asgi_page()
    sign_in(doctor, "doc001")
    doctor.goto("/frontdesk/")
    doctor.get_by_test_id("call-next").click()
    current = doctor.get_by_test_id("current-patient")
    expect(current).to_contain_text("Ram Bahadur Thapa")  # the emergency, though they came last
    expect(current).to_contain_text("walk-in, not registered")
    current.get_by_test_id("register-walk-in").click()

    form = doctor.get_by_test_id("register-walk-in-form")
    expect(form.get_by_label("Given name")).to_have_value("Ram Bahadur")
    expect(form.get_by_label("Family name")).to_have_value("Thapa")
    expect(form.get_by_label("Phone")).to_have_value("+9779841234567")
    form.get_by_label("Sex").select_option(label="Male")
    form.get_by_label("Age in years (an estimate will do)").fill("58")
    form.get_by_role("button", name="Register and open the consultation").click()

    expect(doctor.get_by_text("Ram Bahadur Thapa is registered as KTM-")).to_be_visible()
    expect(doctor.get_by_test_id("encounter-status")).to_have_text("Being written")
    patient = Patient.objects.get(given_name="Ram Bahadur", family_name="Thapa")
    assert QueueEntry.objects.get(walk_in_name="Ram Bahadur Thapa").patient == patient

    doctor.locator("#n-subjective").fill("Crushing chest pain for an hour.")
    doctor.locator("#n-plan").fill("Pain relief; ECG and troponin now.")
    expect(doctor.get_by_test_id("save-state")).to_contain_text("Saved")
    medicine = doctor.get_by_test_id("medicine-form")
    doctor.wait_for_load_state("load")  # the type-ahead listens once HTMX has started
    medicine.locator("#rx-name").fill("Paracetamol")
    doctor.get_by_test_id("medicine-options").get_by_role("button").first.click()
    expect(medicine.locator("#rx-strength")).not_to_have_value("")
    medicine.locator("#rx-frequency").select_option("TDS")
    medicine.locator("#rx-days").fill("3")
    medicine.get_by_test_id("add-medicine").click()
    expect(doctor.get_by_test_id("prescription-items")).to_contain_text("Paracetamol")

    # Nobody has asked the newly registered patient about allergies: signing says so and
    # needs the doctor's explicit acknowledgement, which the prescription keeps.
    doctor.once("dialog", lambda dialog: dialog.accept())
    doctor.get_by_test_id("sign").click()
    expect(doctor.get_by_role("alert")).to_contain_text("Allergies have not been asked")
    doctor.get_by_test_id("allergy-acknowledgement").get_by_role("checkbox").check()
    doctor.once("dialog", lambda dialog: dialog.accept())
    doctor.get_by_test_id("sign").click()
    expect(doctor.get_by_text("The consultation is signed.")).to_be_visible()
    prescription = Prescription.objects.get(patient=patient)
    assert prescription.allergies_unasked_acknowledged_by.username == "doc001"
    assert prescription.issued_at is not None
    doctor.goto(reverse("clinical:prescription", args=[prescription.pk]))
    issued = doctor.get_by_test_id("prescription")
    expect(issued).to_contain_text("Ram Bahadur Thapa")
    expect(issued).to_contain_text(patient.mrn)
    expect(issued).to_contain_text("Paracetamol")
