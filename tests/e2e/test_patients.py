"""Patients in a real browser: the front desk registers and finds them, the nurse records an
allergy, a second record with the same phone is registered knowingly, and the pharmacist looks
patients up without opening their charts."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.patients.models import Patient
from clinicflow.patients.services import register_patient
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

CHART_URL = re.compile(r"/patients/[0-9a-f-]{36}/$")
MRN = re.compile(r"\bKTM-\d{6}\b")
MOBILE = "9841234567"

RegisterPatient = Callable[..., Patient]


def open_patients(page: Page) -> None:
    page.get_by_test_id("navigation").get_by_role("link", name="Patients").click()
    expect(page.get_by_role("heading", name="Patients", exact=True)).to_be_visible()


def type_ahead(page: Page, text: str) -> None:
    """Type into the search box and wait until the type-ahead has shown its answer to exactly
    that text (HTMX pushes the query into the address bar as it swaps the results in)."""
    page.get_by_test_id("patient-search").fill(text)
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("q") == [text])


def match_count(page: Page):
    """The "1 match" / "2 matches" line above the results."""
    return page.locator("#results [role=status]")


def result_table(page: Page):
    return page.get_by_test_id("patient-results")


def result_rows(page: Page):
    return result_table(page).locator("tbody tr")


def fill_registration(page: Page, given: str, family: str, sex: str, born: str, phone: str) -> None:
    form = page.get_by_test_id("patient-form")
    form.locator("[name=given_name]").fill(given)
    form.locator("[name=family_name]").fill(family)
    form.locator("[name=sex]").select_option(label=sex)
    form.locator("[name=birth_date]").fill(born)
    form.locator("[name=phone]").fill(phone)


def mrn_on_chart(page: Page) -> str:
    name_line = page.get_by_test_id("patient-name")
    expect(name_line).to_contain_text(MRN)
    found = MRN.search(name_line.inner_text())
    assert found is not None
    return found.group(0)


@pytest.fixture
def registered(clinic_day) -> RegisterPatient:
    """Registers patients at the demo clinic's front desk, straight through the service."""
    receptionist = User.objects.get(username="reception")

    def register(given: str, family: str, *, phone: str = "", **details: object) -> Patient:
        return register_patient(
            actor=actor_for(receptionist),
            details={
                "given_name": given,
                "family_name": family,
                "sex": "female",
                "birth_date": date(1985, 6, 15),
                "phone": phone,
                **details,
            },
            confirm_new=True,
        )

    return register


def tiny_png(path: Path) -> Path:
    Image.new("RGB", (32, 24), (200, 30, 30)).save(path, format="PNG")
    return path


def test_reception_registers_finds_a_misspelt_name_and_files_a_document(
    page: Page, registered: RegisterPatient, tmp_path: Path
) -> None:
    registered("Hari", "Gurung", sex="male")  # someone else, who must not match
    title = "Blood count, April"
    scan = tiny_png(tmp_path / "blood-count.png")

    sign_in(page, "reception")
    open_patients(page)
    page.get_by_test_id("register-patient").click()
    fill_registration(page, "Priya", "Sharma", "Female", "1990-04-12", MOBILE)
    page.get_by_test_id("patient-form").get_by_role("button", name="Register", exact=True).click()

    expect(page).to_have_url(CHART_URL)
    expect(page.get_by_test_id("patient-name")).to_contain_text("Priya Sharma")
    mrn = mrn_on_chart(page)
    expect(page.get_by_test_id("allergy-banner")).to_have_text("Allergies not asked yet")

    open_patients(page)
    for typed in ("Prya Sharma", "Sharma Priya"):
        type_ahead(page, typed)
        expect(match_count(page)).to_have_text("1 match")
        expect(result_rows(page)).to_have_count(1)
        expect(result_rows(page)).to_contain_text(mrn)
        expect(result_table(page)).not_to_contain_text("Hari Gurung")
    result_table(page).get_by_role("link", name="Priya Sharma").click()

    expect(page).to_have_url(CHART_URL)
    expect(page.get_by_test_id("patient-name")).to_contain_text(mrn)
    upload = page.get_by_test_id("document-form")
    upload.locator("[name=file]").set_input_files(scan)
    upload.locator("[name=category]").select_option(label="Lab report")
    upload.locator("[name=title]").fill(title)
    upload.get_by_role("button", name="Upload").click()

    expect(page.get_by_text("The document was filed.")).to_be_visible()
    document_link = page.get_by_test_id("documents").get_by_role("link", name=title)
    expect(document_link).to_be_visible()
    timeline_entry = page.get_by_test_id("timeline").get_by_role("link", name=f"Document: {title}")
    expect(timeline_entry).to_be_visible()
    href = document_link.get_attribute("href")
    assert href
    expect(timeline_entry).to_have_attribute("href", href)
    answer = page.request.get(href)
    assert answer.status == 200
    assert answer.headers["content-type"] == "image/png"
    assert answer.body().startswith(b"\x89PNG\r\n\x1a\n")


def test_the_nurse_records_a_penicillin_allergy_and_the_red_banner_follows_the_patient(
    page: Page, registered: RegisterPatient
) -> None:
    patient = registered("Kamal", "Thapa", sex="male", phone="9851098765")

    sign_in(page, "nurse")
    page.goto(f"/patients/{patient.pk}/")
    expect(page.get_by_test_id("allergy-banner")).to_have_text("Allergies not asked yet")
    allergies = page.get_by_test_id("allergies")
    allergies.locator("[name=allergy-substance]").fill("Penicillin")
    allergies.locator("[name=allergy-severity]").select_option(label="Severe")
    allergies.get_by_role("button", name="Record allergy").click()

    banner = page.get_by_test_id("allergy-banner")
    expect(banner).to_contain_text("Penicillin")
    expect(banner).to_contain_text("severe")
    expect(banner).to_have_class(re.compile(r"\balert-danger\b"))
    expect(allergies).to_contain_text("Penicillin")

    page.get_by_role("link", name="Edit details").click()
    expect(page).to_have_url(re.compile(rf"/patients/{patient.pk}/edit/$"))
    banner = page.get_by_test_id("allergy-banner")
    expect(banner).to_contain_text("Penicillin")
    expect(banner).to_have_class(re.compile(r"\balert-danger\b"))


def test_the_same_phone_twice_warns_of_a_duplicate_and_confirming_makes_a_second_record(
    page: Page, registered: RegisterPatient
) -> None:
    first = registered("Sita", "Shrestha", phone=MOBILE)

    sign_in(page, "reception")
    page.goto("/patients/new/")
    fill_registration(page, "Gita", "Shrestha", "Female", "1992-11-03", MOBILE)
    page.get_by_test_id("patient-form").get_by_role("button", name="Register", exact=True).click()

    duplicates = page.get_by_test_id("duplicates")
    expect(duplicates).to_be_visible()
    expect(duplicates).to_contain_text(first.mrn)
    expect(duplicates.get_by_role("link", name="Sita Shrestha")).to_be_visible()
    page.get_by_test_id("confirm-new").click()

    expect(page).to_have_url(CHART_URL)
    expect(page.get_by_test_id("patient-name")).to_contain_text("Gita Shrestha")
    second_mrn = mrn_on_chart(page)
    assert second_mrn != first.mrn

    open_patients(page)
    type_ahead(page, MOBILE)
    expect(match_count(page)).to_have_text("2 matches")
    expect(result_rows(page)).to_have_count(2)
    expect(result_table(page)).to_contain_text(first.mrn)
    expect(result_table(page)).to_contain_text(second_mrn)


def test_the_pharmacist_finds_patients_but_cannot_open_charts_or_register(
    page: Page, registered: RegisterPatient
) -> None:
    patient = registered("Priya", "Sharma", phone=MOBILE)

    sign_in(page, "pharmacist")
    open_patients(page)
    type_ahead(page, "Priya Sharma")

    expect(match_count(page)).to_have_text("1 match")
    expect(result_rows(page)).to_have_count(1)
    expect(result_rows(page)).to_contain_text("Priya Sharma")
    expect(result_rows(page)).to_contain_text(patient.mrn)
    expect(result_table(page).get_by_role("link")).to_have_count(0)
    expect(page.get_by_test_id("register-patient")).to_have_count(0)
    expect(page.get_by_role("link", name="Register a patient")).to_have_count(0)
    assert page.request.get(f"/patients/{patient.pk}/").status == 403
    assert page.request.get("/patients/new/").status == 403


def test_the_type_ahead_replaces_the_results_rather_than_nesting_them(
    page: Page, registered: RegisterPatient
) -> None:
    registered("Priya", "Sharma", phone=MOBILE)

    sign_in(page, "reception")
    open_patients(page)
    type_ahead(page, "Priya Sharma")
    expect(match_count(page)).to_have_text("1 match")

    assert page.locator("#results").count() == 1
