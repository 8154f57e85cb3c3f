"""Seed 004's patient at the cash desk, after the doctor and the pharmacy: a walk-in was checked
in (the doctor's fee charged), seen, prescribed paracetamol and given it (each dispense
charged), all through the services. In the browser the cashier opens a shift with a float, sees
the patient waiting to pay, invoices the consultation and the medicine together, takes part in
cash and the rest by QR, prints the receipt and closes the shift counting the notes. Then the
patient brings back an unopened strip: the pharmacist takes it back, the cashier issues the
credit note from the invoice's page, and the money goes back to the wallet it came from."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.billing import payments, shifts
from clinicflow.billing.demo import load_demo_prices
from clinicflow.billing.models import (
    Invoice,
    InvoiceKind,
    Method,
    Payment,
    Refund,
    Shift,
    ShiftStatus,
)
from clinicflow.clinical import prescribing
from clinicflow.clinical import services as clinical
from clinicflow.clinical.models import Prescription
from clinicflow.frontdesk import services as frontdesk
from clinicflow.frontdesk.demo import load_demo_desks
from clinicflow.patients.demo import load_demo_patients
from clinicflow.patients.models import Patient
from clinicflow.pharmacy import catalogue, dispensing, stock
from clinicflow.pharmacy.models import Dispense, Medicine
from clinicflow.scheduling.demo import load_demo_schedules
from clinicflow.scheduling.models import Practitioner
from tests.e2e.conftest import _quiet_notification_channel
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

#: One medicine at 2.50 a tablet; three a day for five days is 15 tablets, 37.50.
PARACETAMOL = (
    ",".join(catalogue.COLUMNS)
    + "\nParacetamol,,tablet,500 mg,tablet,paracetamol,analgesic,4000,500,no,no,50,2.50\n"
)
FEE = Decimal("500.00")  # doc001's consultation in the demo
MEDICINES = Decimal("37.50")
QR_REFERENCE = "FP4455667788"


@pytest.fixture
def seen_and_given(clinic_day: None) -> Dispense:
    """The walk-in's visit up to the pharmacy counter, through the services."""
    people = {
        name: User.objects.get(username=name)
        for name in ("manager", "reception", "nurse", "doc001", "pharmacist")
    }
    load_demo_patients(receptionist=people["reception"], nurse=people["nurse"])
    load_demo_schedules(manager=people["manager"])
    load_demo_desks(manager=people["manager"])
    load_demo_prices(manager=people["manager"])  # the PAN/VAT number and the QR merchant
    reception, doctor, pharmacist = (
        actor_for(people[name]) for name in ("reception", "doc001", "pharmacist")
    )
    patient = Patient.objects.get(clinic__code="KTM", given_name="Bishnu", family_name="Thapa")
    gp = Practitioner.objects.get(clinic__code="KTM", user__username="doc001")
    frontdesk.add_walk_in(actor=reception, patient=patient, practitioner=gp, reason="Headache")
    entry = frontdesk.call_next(actor=doctor, practitioner=gp)
    assert entry is not None
    consultation = clinical.open_encounter(actor=doctor, entry=entry)
    catalogue.import_csv(actor=pharmacist, content=PARACETAMOL.encode())
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
            "duration_days": "5",
        },
    )
    consultation.refresh_from_db()
    consultation = clinical.save_note(
        actor=doctor,
        encounter=consultation,
        fields={"plan": "Paracetamol, fluids, rest."},
        version=consultation.version,
    )
    clinical.sign(actor=doctor, encounter=consultation)
    prescription = Prescription.objects.get(encounter=consultation)
    stock.receive(
        actor=pharmacist,
        supplier="MedSupply",
        invoice_number="E2E-CASH-1",
        lines=[
            {
                "medicine": Medicine.objects.get(clinic__code="KTM", generic_name="Paracetamol"),
                "batch_number": "PCM-1",
                "expiry_date": timezone.localdate() + timedelta(days=365),
                "quantity": "100",
                "cost_price": "1.00",
            }
        ],
    )
    dispensing.review(actor=pharmacist, prescription=prescription)
    (given,) = dispensing.dispense(actor=pharmacist, item=prescription.items.get())
    assert given.quantity * given.unit_price == MEDICINES
    return given


def test_the_cashier_bills_the_visit_takes_cash_and_qr_and_credits_a_returned_strip(
    page: Page, seen_and_given: Dispense
) -> None:
    given = seen_and_given
    patient = given.patient
    page.context.route_web_socket(re.compile(r"/ws/billing/$"), _quiet_notification_channel)
    sign_in(page, "cashier")

    # A shift with its float, from the desk.
    page.goto("/billing/")
    panel = page.get_by_test_id("shift-panel")
    panel.get_by_label("Opening float").fill("1000")
    panel.get_by_role("button", name="Open my shift").click()
    expect(page.get_by_text("Your shift is open.")).to_be_visible()

    # The patient waits to pay the doctor's fee and the medicine.
    waiting = page.get_by_test_id("waiting-row").filter(has_text=patient.full_name)
    expect(waiting.get_by_test_id("waiting-amount")).to_have_text(f"{FEE + MEDICINES}")
    waiting.get_by_role("link", name="Bill").click()
    rows = page.get_by_test_id("charge-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Consultation")).to_contain_text(f"{FEE}")
    expect(rows.filter(has_text="Paracetamol")).to_contain_text(f"{MEDICINES}")
    page.get_by_test_id("invoice-selected").click()

    # One invoice, paid part in cash and the rest by QR.
    expect(page.get_by_test_id("invoice-number")).to_contain_text("KTM-INV-")
    expect(page.get_by_test_id("invoice-line")).to_have_count(2)
    form = page.get_by_test_id("pay-form")
    form.get_by_label("Amount", exact=True).fill("300")
    form.get_by_text("Split: a second way of paying").click()
    form.get_by_label("Second amount").fill(f"{FEE + MEDICINES - 300}")
    form.get_by_label("Second method").select_option(Method.QR)
    form.get_by_label("Second slip or transaction number").fill(QR_REFERENCE)
    form.get_by_test_id("pay-cash").click()
    payment = Payment.objects.get(patient=patient)
    expect(page.get_by_text(f"Paid {FEE + MEDICINES}, receipt {payment.number}.")).to_be_visible()
    expect(page.get_by_test_id("invoice-state")).to_have_text("Paid")

    # The printable receipt: its number, what came in each way, nothing left to pay.
    page.get_by_test_id("payments").get_by_role("link", name="Receipt").click()
    receipt = page.get_by_test_id("receipt-print")
    expect(receipt).to_contain_text(payment.number)
    expect(receipt.get_by_test_id("receipt-amount")).to_have_text(f"{FEE + MEDICINES} NPR")
    expect(receipt.locator("tbody tr").filter(has_text="Cash")).to_contain_text("300.00")
    expect(receipt.locator("tbody tr").filter(has_text="QR")).to_contain_text(QR_REFERENCE)
    expect(receipt.locator("tbody tr").filter(has_text="QR")).to_contain_text("237.50")
    expect(receipt.get_by_test_id("receipt-balance")).to_have_text("0.00")

    # The drawer holds the float and the cash part: one 1000 note and three 100s.
    page.goto("/billing/shift/")
    close = page.get_by_test_id("close-shift-form")
    expect(close).to_contain_text("1300.00")
    close.get_by_label("1000s").fill("1")
    close.get_by_label("100s", exact=True).fill("3")
    close.get_by_role("button", name="Close my shift").click()
    expect(page.get_by_text("Your shift is closed; a manager signs it off.")).to_be_visible()
    closed = Shift.objects.get(cashier__username="cashier")
    assert (closed.status, closed.counted_cash, closed.variance) == (
        ShiftStatus.CLOSED,
        Decimal("1300.00"),
        Decimal("0.00"),
    )

    # Five tablets come back unopened: the pharmacist takes them back into stock...
    stock.return_to_stock(
        actor=actor_for(User.objects.get(username="pharmacist")),
        dispense=given,
        quantity="5",
        reason="Unopened strip",
    )
    # ...and the cashier credits them on the invoice's page.
    invoice = Invoice.objects.get(patient=patient, kind=InvoiceKind.INVOICE)
    page.goto(f"/billing/invoices/{invoice.pk}/")
    note_form = page.get_by_test_id("credit-note-form")
    page.get_by_text("Correct with a credit note").click()
    note_form.get_by_label(str(given.medicine)).fill("12.50")
    note_form.get_by_label("Why the invoice is corrected").fill("5 tablets returned unopened")
    note_form.get_by_role("button", name="Issue the credit note").click()
    expect(page.get_by_text("The credit note is issued.")).to_be_visible()
    note = Invoice.objects.get(credit_of=invoice)
    expect(page.get_by_test_id("credit-notes")).to_contain_text(note.number)
    expect(page.get_by_test_id("credit-notes")).to_contain_text("12.50")

    # The paid part that was credited is the patient's credit: back to the QR wallet it came
    # from, from the patient's bill, at the cashier's next shift.
    shifts.open_shift(actor=actor_for(User.objects.get(username="cashier")), opening_float="1000")
    page.goto(f"/billing/patients/{patient.pk}/")
    refund_form = page.get_by_test_id("refund-form")
    refund_form.get_by_label("Refund", exact=True).fill("12.50")
    refund_form.get_by_label("Method").select_option(Method.QR.value)
    refund_form.get_by_label("Why the refund").fill("Returned tablets")
    refund_form.get_by_role("button", name="Refund").click()
    expect(page.get_by_text("Refunded 12.50")).to_be_visible()
    refund = Refund.objects.get(patient=patient)
    assert (refund.method, refund.number[:7]) == (Method.QR, "KTM-RF-")
    assert payments.credit_of(invoice.clinic, patient.pk) == 0
    page.goto(f"/billing/patients/{patient.pk}/")
    expect(page.get_by_test_id("credit")).to_have_text("0.00")
    expect(page.get_by_test_id("nothing-unbilled")).to_be_visible()
