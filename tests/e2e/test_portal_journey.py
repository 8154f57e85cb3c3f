"""Issue 20's journey on a phone (390 px, touch), on a real ASGI server (pages and WebSockets):
a new person registers with a code to their mobile, adds their daughter (who has no record at
the clinic yet) and books her a visit with the paediatrician; reception confirms the request
and she sees it confirmed. At the clinic reception checks her in at the front desk, and on "My
visit today" her place in the queue moves by itself when the doctor calls in Maya, a walk-in
who was waiting before her. After the consultation she reads the prescription and the
medicine schedule and ticks a dose; the cashier bills the visit, she sees the bill's payment
QR, the cashier records the QR payment at the counter and her bill says paid. She rates the
visit, and the manager reads the review on "Reviews of visits".

Each member of staff works in a browser context of their own. The doctor's consultation (call
in, prescribe, sign) goes through the clinical services: its own browser test is elsewhere
(test_consultation.py). So that the visit can be today at any hour, the fixture gives the
paediatrician hours all of today and lets patients book without notice; in the last half hour
of the clinic's day no time is left to book, and the test says so and skips.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.billing.demo import load_demo_prices
from clinicflow.billing.models import Invoice, Payment
from clinicflow.clinical import prescribing
from clinicflow.clinical import services as clinical
from clinicflow.core.models import Clinic
from clinicflow.frontdesk import services as frontdesk
from clinicflow.frontdesk.models import QueueEntry, QueueStatus
from clinicflow.patients import services as patients
from clinicflow.patients.models import Patient
from clinicflow.portal import booking
from clinicflow.portal.tests.conftest import code_sent_to
from clinicflow.scheduling.models import Appointment, AppointmentStatus, Practitioner
from clinicflow.scheduling.services import add_rule
from tests.e2e.steps import sign_in

#: The registration code is read from the clinic's outbox before it is delivered: with Redis the
#: server queues messages for a Celery worker (none here), whereas without it (the embedded
#: default) the server delivers at once, in its own process, and the outbox keeps the text
#: masked. So the journey runs where Redis is configured (CI's first run).
pytestmark = [pytest.mark.e2e, pytest.mark.redis]

PHONE_WIDTH = 390
ON_A_PHONE: dict[str, Any] = {
    "viewport": {"width": PHONE_WIDTH, "height": 844},
    "is_mobile": True,
    "has_touch": True,
}
MOBILE = "+9779801234567"
#: How long a live update may take to show: a WebSocket message, then an HTMX fetch.
LIVE_MS = 10_000
#: 5 mL three times a day for three days.
SYRUP = {
    "medicine_name": "Paracetamol",
    "strength": "120 mg/5 mL",
    "form": "syrup",
    "dose": "5",
    "dose_unit": "mL",
    "frequency": "TDS",
    "duration_days": "3",
}
QR_REFERENCE = "FP1020304050"


@pytest.fixture
def paediatrician(asgi_server: str) -> Practitioner:
    """The demo clinic ready for the day: its prices (and the payment QR's merchant), online
    booking without notice, and the paediatrician (doc003) working all of today."""
    clinic = Clinic.objects.get(code="KTM")
    now = timezone.localtime(timezone.now(), clinic.zone)
    if now.time() >= time(23, 30):
        pytest.skip("the clinic's day has no time left to book a visit in")
    manager = User.objects.get(username="manager")
    load_demo_prices(manager=manager)
    booking.update_settings(actor=actor_for(manager), min_notice_hours=0)
    doctor = Practitioner.objects.select_related("user", "clinic").get(
        clinic=clinic, user__username="doc003"
    )
    add_rule(
        actor=actor_for(manager),
        practitioner=doctor,
        weekday=now.weekday(),
        start_time=time(0, 0),
        end_time=time(23, 59),
        valid_from=now.date(),
        valid_until=now.date(),
    )
    return doctor


def fits(phone: Page) -> None:
    """Phone first: nothing on the page is wider than the screen."""
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{phone.url} is {width} px wide"


def staff(open_page: Callable[..., Page], username: str) -> Page:
    page = open_page()
    sign_in(page, username)
    return page


def test_a_family_on_one_phone_from_registering_to_the_review_the_manager_reads(
    asgi_page: Callable[..., Page], paediatrician: Practitioner
) -> None:
    clinic = paediatrician.clinic
    # Maya, a walk-in for the paediatrician, is waiting at the clinic already (in the queue
    # before any visit booked from now on).
    reception = staff(asgi_page, "reception")
    reception.goto("/frontdesk/")
    walk_in = reception.get_by_test_id("walk-in-form")
    walk_in.get_by_label("Name (not registered)").fill("Maya Tamang")
    walk_in.get_by_label("Doctor").select_option(str(paediatrician.pk))
    walk_in.get_by_test_id("add-walk-in").click()
    expect(reception.get_by_text("The walk-in is in the queue.")).to_be_visible()

    phone = asgi_page(**ON_A_PHONE)

    # A new person registers with a code sent to their mobile.
    phone.goto("/accounts/login/")
    phone.get_by_test_id("register").click()
    form = phone.get_by_test_id("register-form")
    form.get_by_label("Mobile number or e-mail").fill("9801234567")
    form.get_by_label("Given name").fill("Asha")
    form.get_by_label("Family name").fill("Gurung")
    form.get_by_label("Birth date").fill("1992-01-01")
    form.get_by_label("Sex").select_option("female")
    form.get_by_label("Clinic").select_option(str(clinic.pk))
    form.locator("[name=password]").fill("a long enough passphrase")
    form.locator("[name=password_again]").fill("a long enough passphrase")
    fits(phone)
    form.get_by_role("button", name="Send me a code").click()
    expect(phone.get_by_test_id("code-sent")).to_be_visible()
    fits(phone)
    phone.get_by_label("6-digit code").fill(code_sent_to(MOBILE))
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_test_id("selected-member")).to_contain_text("Asha Gurung")
    fits(phone)

    # She adds her daughter, who has no record at the clinic yet.
    phone.get_by_test_id("family-link").click()
    phone.get_by_test_id("add-new-member").click()
    form = phone.get_by_test_id("add-member-form")
    form.get_by_label("Given name").fill("Nima")
    form.get_by_label("Family name").fill("Gurung")
    form.get_by_label("Birth date").fill("2020-06-01")
    form.get_by_label("Sex").select_option("female")
    form.get_by_label("This person is").select_option("child")
    fits(phone)
    form.get_by_role("button", name="Add them").click()
    expect(phone.get_by_text("Nima Gurung is now in your family.")).to_be_visible()
    expect(phone.get_by_test_id("family-member")).to_have_count(2)
    fits(phone)
    nima = Patient.objects.get(clinic=clinic, given_name="Nima", family_name="Gurung")

    # She books Nima a visit with the paediatrician, today; the clinic confirms online bookings.
    phone.goto("/dashboard/")
    expect(phone.get_by_test_id("selected-member")).to_contain_text("Nima Gurung")
    phone.get_by_test_id("book-tile").click()
    fits(phone)
    phone.get_by_test_id("doctors").locator("li", has_text=str(paediatrician)).get_by_test_id(
        "choose-doctor"
    ).click()
    expect(phone.get_by_test_id("booking-for")).to_contain_text("Booking for Nima Gurung")
    fits(phone)
    phone.get_by_label("Why do you want to see the doctor?").fill("Cough and fever")
    phone.get_by_test_id("slot").first.click()
    expect(phone.get_by_role("alert")).to_contain_text(
        re.compile(rf"Requested: .* with {re.escape(str(paediatrician))}\. The clinic will confirm")
    )
    visit = phone.get_by_test_id("upcoming-appointment")
    expect(visit).to_contain_text("Waiting for the clinic to confirm")
    fits(phone)
    appointment = Appointment.objects.get(patient=nima)
    today = timezone.localtime(timezone.now(), clinic.zone).date()
    assert timezone.localtime(appointment.starts_at, clinic.zone).date() == today

    # Reception finds the request and confirms it; Nima's mother sees it confirmed.
    reception.goto("/scheduling/appointments/")
    reception.get_by_test_id("requests-link").click()
    request = reception.get_by_test_id("appointments").locator("tr", has_text="Nima Gurung")
    request.get_by_role("link").first.click()
    reception.get_by_role("button", name="Confirm", exact=True).click()
    expect(reception.get_by_test_id("appointment-status")).to_contain_text("Booked")
    phone.reload()
    expect(visit).to_contain_text("Confirmed")

    # At the clinic, Nima's turn comes after Maya's: reception checks her in from the front
    # desk's arrivals.
    reception.goto("/frontdesk/")
    arriving = reception.get_by_test_id("arriving").locator("li", has_text="Nima Gurung")
    arriving.get_by_role("button", name="Check in").click()
    token = QueueEntry.objects.get(patient=nima).token_label
    expect(
        reception.get_by_test_id("queue").locator("tr.queue-row", has_text="Nima")
    ).to_have_count(1)

    # On "My visit today", her token and one patient before her, then live: the doctor calls
    # Maya in and Nima is next, without the page being reloaded.
    phone.goto("/dashboard/")
    phone.get_by_test_id("today-tile").click()
    expect(phone.locator("body")).to_have_attribute("data-queue-live", "on", timeout=LIVE_MS)
    expect(phone.get_by_test_id("queue-token")).to_have_text(token)
    expect(phone.get_by_test_id("queue-ahead")).to_contain_text("1 person is before you.")
    fits(phone)
    phone.evaluate("window.__notReloaded = 'still here'")
    doctor = staff(asgi_page, "doc003")
    doctor.goto("/frontdesk/")
    doctor.get_by_test_id("call-next").click()
    expect(doctor.get_by_test_id("current-patient")).to_contain_text("Maya Tamang")
    expect(phone.get_by_test_id("queue-ahead")).to_have_text("You are next.", timeout=LIVE_MS)
    assert phone.evaluate("window.__notReloaded") == "still here"

    # The doctor sees Maya, then Nima (asked about allergies: none known), prescribes
    # paracetamol syrup and signs the consultation (through the services).
    gp = actor_for(paediatrician.user)
    frontdesk.move(
        actor=gp,
        entry=QueueEntry.objects.get(walk_in_name="Maya Tamang"),
        to_status=QueueStatus.DONE,
    )
    entry = frontdesk.call_next(actor=gp, practitioner=paediatrician)
    assert entry is not None
    assert entry.patient == nima
    expect(phone.get_by_test_id("queue-called")).to_be_visible(timeout=LIVE_MS)
    consultation = clinical.open_encounter(actor=gp, entry=entry)
    patients.record_no_known_allergies(actor=gp, patient=nima)
    prescribing.add_item(actor=gp, encounter=consultation, details=SYRUP)
    consultation.refresh_from_db()
    consultation = clinical.save_note(
        actor=gp,
        encounter=consultation,
        fields={"plan": "Paracetamol syrup when feverish; fluids."},
        version=consultation.version,
    )
    clinical.sign(actor=gp, encounter=consultation)
    assert QueueEntry.objects.get(pk=entry.pk).status == QueueStatus.DONE
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED

    # Later, at home: the prescription, the medicine schedule, a dose ticked.
    phone.goto("/dashboard/")
    phone.get_by_test_id("records-link").click()
    fits(phone)
    phone.goto("/portal/records/prescriptions/")
    expect(phone.locator("main")).to_contain_text("Paracetamol")
    fits(phone)
    phone.goto("/dashboard/")
    phone.get_by_test_id("medicines-tile").click()
    dose = phone.get_by_test_id("dose").first
    expect(dose).to_contain_text("Paracetamol")
    fits(phone)
    dose.get_by_test_id("taken").click()
    expect(phone.get_by_test_id("dose").first.get_by_test_id("dose-told")).to_contain_text("Taken")
    fits(phone)

    # The cashier bills the visit at the counter.
    cashier = staff(asgi_page, "cashier")
    cashier.goto("/billing/")
    shift = cashier.get_by_test_id("shift-panel")
    shift.get_by_label("Opening float").fill("1000")
    shift.get_by_role("button", name="Open my shift").click()
    expect(cashier.get_by_text("Your shift is open.")).to_be_visible()
    cashier.get_by_test_id("waiting-row").filter(has_text="Nima Gurung").get_by_role(
        "link", name="Bill"
    ).click()
    cashier.get_by_test_id("invoice-selected").click()
    expect(cashier.get_by_test_id("invoice-number")).to_contain_text("KTM-INV-")
    invoice = Invoice.objects.get(patient=nima)
    fee = invoice.patient_due
    assert fee > 0

    # Her bill shows the amount and the payment QR to scan in her wallet app.
    phone.goto("/dashboard/")
    phone.get_by_test_id("bills-link").click()
    expect(phone.get_by_test_id("balance-due")).to_contain_text(f"{fee}")
    fits(phone)
    phone.get_by_test_id("invoice").filter(has_text=invoice.number).get_by_role(
        "link"
    ).first.click()
    expect(phone.get_by_test_id("invoice-qr").locator("svg")).to_be_visible()
    expect(phone.get_by_test_id("invoice-due")).to_contain_text(f"{fee}")
    fits(phone)

    # She pays by QR; the cashier sees the money arrive and records it against the bill.
    pay = cashier.get_by_test_id("pay-form")
    pay.get_by_label("Slip or transaction number", exact=True).fill(QR_REFERENCE)
    pay.get_by_test_id("pay-qr").click()
    payment = Payment.objects.get(patient=nima)
    expect(cashier.get_by_text(f"Paid {fee}, receipt {payment.number}.")).to_be_visible()
    expect(cashier.get_by_test_id("invoice-state")).to_have_text("Paid")

    phone.reload()
    expect(phone.get_by_test_id("invoice-due")).to_contain_text("0.00")
    expect(phone.get_by_test_id("invoice-qr")).to_have_count(0)
    fits(phone)
    phone.goto("/portal/bills/")
    expect(phone.get_by_test_id("balance-settled")).to_be_visible()
    expect(phone.get_by_test_id("payment")).to_have_count(1)
    fits(phone)

    # She rates the visit; the manager reads the review.
    phone.goto("/dashboard/")
    phone.get_by_test_id("reviews-tile").click()
    fits(phone)
    phone.get_by_test_id("review-visit").click()
    review = phone.get_by_test_id("review-form")
    review.locator("input[name=doctor_rating][value='5'] + label").click()
    review.locator("input[name=clinic_rating][value='4'] + label").click()
    review.get_by_label("Anything to add? (optional)").fill("Kind with Nima, short wait.")
    fits(phone)
    review.get_by_role("button", name="Send the review").click()
    expect(phone.get_by_test_id("written")).to_contain_text("Kind with Nima, short wait.")
    fits(phone)

    manager = staff(asgi_page, "manager")
    manager.goto("/portal/reviews/manage/")
    expect(manager.get_by_role("heading", name="Reviews of visits")).to_be_visible()
    row = manager.get_by_test_id("review-row").filter(has_text="Kind with Nima, short wait.")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(str(paediatrician))
