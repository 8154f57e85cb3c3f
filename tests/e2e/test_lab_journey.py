"""A lab order's whole day in real browsers, on a real ASGI server (pages and WebSockets), each
person at their own screen: the doctor orders a lipid profile and a blood count from the
consultation; the nurse takes the two samples, entering when they were drawn, and opens a
barcode label; one technician scans each label into the worklist and types the results (the
LDL is worked out on the page as the values go in, and given up on with a reason once the
triglycerides are too high for the formula); a second technician verifies both, which the first
may not; the critical triglycerides reach the doctor's open page at once, and the doctor
acknowledges them saying what was done; the chart then shows the results and their trend; the
cashier finds the two tests waiting to be paid beside the consultation and invoices all three.

The set-up before the consultation goes through the services, as the other journeys do. A page
counts as "not reloaded" when a marker put on its ``window`` before the change is still there
after it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.billing.demo import load_demo_prices
from clinicflow.billing.models import Invoice
from clinicflow.clinical import services as clinical
from clinicflow.clinical.models import Encounter
from clinicflow.frontdesk import services as frontdesk
from clinicflow.lab.demo import load_demo_lab_catalogue
from clinicflow.lab.models import CriticalAlert, LabOrder, Sample, TestStatus
from clinicflow.lab.results import SAME_PERSON
from clinicflow.patients.demo import load_demo_patients
from clinicflow.patients.models import Patient
from clinicflow.scheduling.models import Practitioner
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

#: How long a live update may take to show: a WebSocket message, then the page's script.
LIVE_MS = 10_000
#: The doctor's fee and the two tests' prices in the demo catalogue.
FEE, LIPID_PRICE, CBC_PRICE = Decimal("500.00"), Decimal("900.00"), Decimal("500.00")
#: Above the demo catalogue's critical limit for adults (1000 mg/dL), and above the 400 mg/dL
#: where Friedewald's LDL stops applying.
CRITICAL_TRIGLYCERIDES = "1250"
#: A full blood count within the adult male ranges.
CBC_VALUES = {
    "Haemoglobin": "14.2",
    "Total leucocyte count": "7.4",
    "Neutrophils": "60",
    "Lymphocytes": "32",
    "Monocytes": "5",
    "Eosinophils": "2",
    "Basophils": "1",
    "Red cell count": "4.9",
    "Haematocrit (PCV)": "43",
    "MCV": "88",
    "MCH": "29",
    "MCHC": "33",
    "RDW-CV": "13",
    "Platelet count": "250",
}


@pytest.fixture
def consultation(asgi_server: str) -> Encounter:
    """Bishnu Thapa walked in, was called by doc001 and the consultation is open; the clinic
    has its price list and its lab catalogue (all through the services)."""
    people = {name: User.objects.get(username=name) for name in ("manager", "reception", "nurse")}
    load_demo_patients(receptionist=people["reception"], nurse=people["nurse"])
    load_demo_prices(manager=people["manager"])
    assert load_demo_lab_catalogue(manager=people["manager"]) > 0
    patient = Patient.objects.get(clinic__code="KTM", given_name="Bishnu", family_name="Thapa")
    gp = Practitioner.objects.select_related("user").get(
        clinic__code="KTM", user__username="doc001"
    )
    frontdesk.add_walk_in(
        actor=actor_for(people["reception"]),
        patient=patient,
        practitioner=gp,
        reason="Check-up: cholesterol",
    )
    doctor = actor_for(gp.user)
    entry = frontdesk.call_next(actor=doctor, practitioner=gp)
    assert entry is not None
    return clinical.open_encounter(actor=doctor, entry=entry)


def scan(page: Page, accession: str) -> None:
    """Scan a tube's label into the worklist's search box: the scanner types and presses Enter."""
    page.goto("/lab/worklist/")
    box = page.get_by_label("Scan a label or search")
    box.fill(accession)
    box.press("Enter")
    expect(page.get_by_test_id("entry-heading")).to_contain_text(f"Sample {accession}")
    page.wait_for_load_state("load")  # the entry form previews once HTMX has started


def entry_of(page: Page, code: str) -> Locator:
    return page.locator(f"[data-testid=lab-test-entry][data-test-code={code}]")


def test_a_lab_order_goes_from_the_consultation_through_the_bench_to_the_chart_and_the_desk(
    asgi_page: Callable[[], Page], consultation: Encounter
) -> None:
    patient = consultation.patient
    zone = consultation.clinic.zone

    # The doctor orders a lipid profile and a blood count from the consultation's "Lab tests".
    doctor = asgi_page()
    sign_in(doctor, "doc001")
    doctor.goto(f"/clinical/encounters/{consultation.pk}/")
    doctor.wait_for_load_state("load")  # the search listens once HTMX has started
    form = doctor.get_by_test_id("lab-order-form")
    search = form.get_by_label("Find a test or panel: code or name")
    search.fill("lipid")
    form.locator("[data-testid=lab-test-option][data-code=LIPID]").click()
    chips = form.get_by_test_id("lab-chip")
    expect(chips).to_have_count(1)
    search.fill("CBC")
    form.locator("[data-testid=lab-test-option][data-code=CBC]").click()
    expect(chips).to_have_count(2)
    expect(chips.nth(0)).to_contain_text("Lipid profile")
    expect(chips.nth(1)).to_contain_text("Complete blood count")
    form.get_by_label("Urgency").select_option(label="Urgent")
    form.get_by_label("Clinical note").fill("Fasting since last night; hypertensive")
    form.get_by_test_id("place-lab-order").click()
    expect(doctor.get_by_text("The tests were ordered.")).to_be_visible()
    placed = doctor.get_by_test_id("lab-consultation-order")
    expect(placed).to_have_count(1)
    expect(placed).to_contain_text("Urgent")
    ordered = placed.get_by_test_id("lab-ordered-test")
    expect(ordered).to_have_count(2)
    expect(ordered.filter(has_text="Lipid profile")).to_have_attribute("data-status", "ordered")
    expect(ordered.filter(has_text="Complete blood count")).to_have_attribute(
        "data-status", "ordered"
    )
    order = LabOrder.objects.get(encounter=consultation)

    # The nurse takes both samples, saying they were drawn 25 minutes ago, and opens a label.
    nurse = asgi_page()
    sign_in(nurse, "nurse")
    nurse.goto("/lab/collect/")
    waiting = nurse.get_by_test_id("collect-row").filter(has_text=patient.full_name)
    expect(waiting).to_have_attribute("data-order", order.number)
    expect(waiting).to_contain_text("Lipid profile")
    expect(waiting).to_contain_text("Complete blood count")
    waiting.get_by_test_id("open-collect").click()
    taken = timezone.localtime(timezone.now() - timedelta(minutes=25), zone).replace(
        second=0, microsecond=0
    )
    collect = nurse.get_by_test_id("collect-form")
    expect(collect.get_by_role("checkbox")).to_have_count(2)
    for box in collect.get_by_role("checkbox").all():
        expect(box).to_be_checked()
    collect.get_by_label("Taken at").fill(taken.strftime("%Y-%m-%dT%H:%M"))
    collect.get_by_role("button", name="Record the collection").click()
    expect(nurse.get_by_text("Collected:")).to_be_visible()
    expect(nurse.get_by_test_id("nothing-waiting")).to_be_visible()
    serum = Sample.objects.get(order=order, sample_type="serum")
    blood = Sample.objects.get(order=order, sample_type="blood")
    assert serum.collected_at == taken
    collected = nurse.get_by_test_id("collected-sample")
    expect(collected).to_have_count(2)
    expect(collected.first).to_contain_text(f"taken {taken:%-d %b %Y %H:%M}")
    nurse.locator(
        f"[data-testid=collected-sample][data-accession='{serum.accession}']"
    ).get_by_test_id("print-label").click()
    label = nurse.get_by_test_id("sample-label")
    expect(label.get_by_test_id("label-accession")).to_have_text(serum.accession)
    expect(label.get_by_test_id("label-patient")).to_have_text(patient.full_name)
    expect(label.get_by_test_id("label-mrn")).to_have_text(patient.mrn)
    expect(label.get_by_test_id("label-tests")).to_have_text("LIPID")
    expect(label).to_contain_text("Urgent")
    expect(label.get_by_test_id("label-barcode")).to_be_visible()
    # The time the sample was drawn, not the time the label was printed.
    expect(label.get_by_test_id("label-collected")).to_have_text(f"{taken:%d %b %Y %H:%M}")

    # The first technician scans the serum tube and types the lipid profile; the LDL follows
    # the values as they go in.
    labtech = asgi_page()
    sign_in(labtech, "labtech")
    scan(labtech, serum.accession)
    lipids = entry_of(labtech, "LIPID")
    ldl = lipids.locator("[data-testid=calculated][data-parameter=ldl]")
    lipids.get_by_label("Total cholesterol", exact=True).fill("240")
    lipids.get_by_label("HDL cholesterol", exact=True).fill("38")
    triglycerides = lipids.get_by_label("Triglycerides", exact=True)
    triglycerides.fill("180")
    expect(ldl).to_contain_text("166")  # 240 − 38 − 180 / 5
    expect(ldl.get_by_text("H", exact=True)).to_be_visible()  # above 100 mg/dL
    triglycerides.fill(CRITICAL_TRIGLYCERIDES)
    expect(ldl).to_contain_text("Friedewald does not apply")
    lipids.get_by_test_id("save-results").click()
    expect(labtech.get_by_text("Lipid profile: results saved.")).to_be_visible()
    lipids = entry_of(labtech, "LIPID")
    expect(lipids.get_by_test_id("lab-test-status")).to_have_text("Resulted")
    saved_tg = lipids.locator("[data-testid=entry-row][data-parameter=triglycerides]")
    expect(saved_tg.get_by_test_id("result-flag")).to_have_attribute("data-flag", "HH")
    # The one who typed them may not release them, and the page says why.
    expect(lipids.get_by_role("button", name="Verify and release")).to_be_disabled()
    expect(lipids.get_by_test_id("cannot-verify")).to_have_text(SAME_PERSON)

    scan(labtech, blood.accession)
    count = entry_of(labtech, "CBC")
    for name, value in CBC_VALUES.items():
        count.get_by_label(name, exact=True).fill(value)
    count.get_by_test_id("save-results").click()
    expect(labtech.get_by_text("Complete blood count: results saved.")).to_be_visible()
    count = entry_of(labtech, "CBC")
    expect(count.get_by_test_id("lab-test-status")).to_have_text("Resulted")
    expect(count.get_by_test_id("cannot-verify")).to_have_text(SAME_PERSON)

    # The doctor is on their dashboard, its notification channel joined, nothing critical yet.
    doctor.goto("/dashboard/")
    expect(doctor.locator("body")).to_have_attribute(
        "data-notifications-live", "on", timeout=LIVE_MS
    )
    banner = doctor.get_by_test_id("critical-banner")
    expect(banner).to_be_hidden()
    bell = doctor.get_by_test_id("notifications").locator("[data-notification-count]")
    unread = int(bell.text_content() or "0")
    doctor.evaluate("window.__notReloaded = 'still here'")

    # The second technician verifies both tests from the list of tests to verify.
    checker = asgi_page()
    sign_in(checker, "labtech2")
    for code, name in (("LIPID", "Lipid profile"), ("CBC", "Complete blood count")):
        checker.goto("/lab/worklist/verify/")
        row = checker.locator(
            f"[data-testid=worklist-row][data-accession][data-test-code={code}]"
        ).filter(has_text=patient.full_name)
        expect(row).to_contain_text("by Dipak Adhikari")
        row.get_by_test_id("open-test").click()
        checker.get_by_test_id("verify").click()
        expect(checker.get_by_text(f"{name}: verified and released.")).to_be_visible()
        expect(entry_of(checker, code).get_by_test_id("lab-test-status")).to_have_text("Verified")

    # The critical triglycerides reach the doctor's open page by themselves.
    told = banner.get_by_test_id("critical-banner-alert")
    expect(told).to_have_count(1, timeout=LIVE_MS)
    expect(banner).to_be_visible()
    expect(told).to_contain_text(f"Triglycerides {CRITICAL_TRIGLYCERIDES}")
    expect(told).to_contain_text(patient.full_name)
    # Two results released and one critical value: a notice each.
    expect(bell).to_have_text(str(unread + 3), timeout=LIVE_MS)
    assert doctor.evaluate("window.__notReloaded") == "still here"

    told.get_by_role("link").click()
    alert = doctor.get_by_test_id("critical-alert")
    expect(alert).to_contain_text(f"Triglycerides {CRITICAL_TRIGLYCERIDES} mg/dL")
    doctor.get_by_label("What was done").fill(
        "Phoned the patient: low-fat diet, fenofibrate started, repeat fasting lipids in a week"
    )
    doctor.get_by_role("button", name="Acknowledge").click()
    expect(doctor.get_by_text("The critical value is acknowledged.")).to_be_visible()
    expect(doctor.get_by_test_id("acknowledged")).to_contain_text("fenofibrate started")
    expect(doctor.get_by_test_id("critical-banner")).to_be_hidden()
    acknowledged = CriticalAlert.objects.get(patient=patient)
    assert acknowledged.acknowledged_by is not None
    assert acknowledged.acknowledged_by.username == "doc001"

    # The chart: the latest results, and the triglycerides' trend as a chart and a table.
    doctor.goto(f"/patients/{patient.pk}/")
    results = doctor.get_by_test_id("lab-results-panel")
    latest_tg = results.locator("[data-testid=lab-latest][data-code=triglycerides]")
    expect(latest_tg).to_contain_text(CRITICAL_TRIGLYCERIDES)
    expect(latest_tg.get_by_test_id("result-flag")).to_have_attribute("data-flag", "HH")
    expect(results.locator("[data-testid=lab-latest][data-code=hb]")).to_contain_text("14.2")
    latest_tg.get_by_role("link", name="Triglycerides").click()
    expect(doctor).to_have_url(re.compile(rf"/lab/patients/{patient.pk}/trends/triglycerides/$"))
    canvas = doctor.get_by_test_id("lab-trend-chart")
    expect(canvas).to_be_visible()
    # The chart is drawn once its script has run (a busy machine runs it after the canvas).
    doctor.wait_for_function(
        "() => !!(window.Chart && window.Chart.getChart(document.getElementById('lab-trend')))"
    )
    trend_rows = doctor.get_by_test_id("lab-trend-row")
    expect(trend_rows).to_have_count(1)
    expect(trend_rows).to_contain_text(CRITICAL_TRIGLYCERIDES)

    # The cash desk: the consultation and the two tests wait to be paid; one invoice for all.
    cashier = asgi_page()
    sign_in(cashier, "cashier")
    cashier.goto("/billing/")
    owed = cashier.get_by_test_id("waiting-row").filter(has_text=patient.full_name)
    expect(owed.get_by_test_id("waiting-amount")).to_have_text(f"{FEE + LIPID_PRICE + CBC_PRICE}")
    owed.get_by_role("link", name="Bill").click()
    charges = cashier.get_by_test_id("charge-row")
    expect(charges).to_have_count(3)
    expect(charges.filter(has_text="Consultation")).to_contain_text(f"{FEE}")
    expect(charges.filter(has_text="Lipid profile")).to_contain_text(f"{LIPID_PRICE}")
    expect(charges.filter(has_text="Complete blood count")).to_contain_text(f"{CBC_PRICE}")
    cashier.get_by_test_id("invoice-selected").click()
    expect(cashier.get_by_test_id("invoice-number")).to_contain_text("KTM-INV-")
    lines = cashier.get_by_test_id("invoice-line")
    expect(lines).to_have_count(3)
    expect(lines.filter(has_text="Lipid profile")).to_contain_text(f"{LIPID_PRICE}")
    expect(lines.filter(has_text="Complete blood count")).to_contain_text(f"{CBC_PRICE}")
    invoice = Invoice.objects.get(patient=patient)
    assert invoice.total == FEE + LIPID_PRICE + CBC_PRICE
    assert set(order.tests.values_list("status", flat=True)) == {TestStatus.VERIFIED}
