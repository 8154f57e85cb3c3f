"""The consultation in a real browser: the note saves itself while typing, survives a dropped
network (it retries, nothing is lost), an ICD-10 search result becomes a diagnosis, and the
signed note is shown, no longer editable. The save indicator says "Saved" only once the page's
script runs and the server has the text, with the time as the reader's browser writes it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.clinical.icd10 import load_codes
from clinicflow.clinical.models import Encounter, Icd10Code
from clinicflow.frontdesk import services as frontdesk
from clinicflow.patients.demo import load_demo_patients
from clinicflow.patients.models import Patient
from clinicflow.scheduling.demo import load_demo_schedules
from clinicflow.scheduling.models import Practitioner
from tests.e2e.conftest import ACTION_TIMEOUT_MS
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def called_in(clinic_day) -> Patient:
    """A demo patient in doc001's room (and the ICD-10 list, which an earlier test's flush of
    the database may have emptied)."""
    load_codes(Icd10Code)
    load_demo_schedules(manager=User.objects.get(username="manager"))
    reception = User.objects.get(username="reception")
    load_demo_patients(receptionist=reception, nurse=User.objects.get(username="nurse"))
    doctor = Practitioner.objects.select_related("clinic").get(user__username="doc001")
    patient = Patient.objects.filter(clinic=doctor.clinic).order_by("mrn").first()
    frontdesk.add_walk_in(actor=actor_for(reception), patient=patient, practitioner=doctor)
    frontdesk.call_next(actor=actor_for(doctor.user), practitioner=doctor)
    return patient


def test_the_doctor_writes_codes_and_signs_without_losing_text(
    page: Page, context: BrowserContext, called_in: Patient
) -> None:
    sign_in(page, "doc001")
    page.goto("/frontdesk/")
    page.get_by_test_id("open-consultation").click()
    expect(page.get_by_test_id("encounter-status")).to_have_text("Being written")
    state = page.get_by_test_id("save-state")

    page.locator("#n-subjective").fill("Cough for three days")
    expect(state).to_contain_text("Saved")

    context.set_offline(True)
    page.locator("#n-plan").fill("Salbutamol inhaler")
    expect(state).to_contain_text("retrying")
    context.set_offline(False)
    expect(state).to_contain_text("Saved", timeout=10_000)

    page.wait_for_load_state("load")  # the type-ahead listens once HTMX has started
    page.locator("#dx-text").fill("allergic asthma")
    page.get_by_test_id("icd10-results").get_by_role("button").filter(has_text="J45.0").click()
    expect(page.locator("#dx-code")).to_have_value("J45.0")
    page.get_by_test_id("add-diagnosis").click()
    expect(page.get_by_test_id("diagnoses")).to_contain_text("J45.0")

    page.reload()
    expect(page.locator("#n-subjective")).to_have_value("Cough for three days")
    expect(page.locator("#n-plan")).to_have_value("Salbutamol inhaler")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("sign").click()
    expect(page.get_by_text("The consultation is signed.")).to_be_visible()
    encounter = Encounter.objects.get(patient=called_in)
    assert encounter.is_signed
    page.goto(f"/clinical/encounters/{encounter.pk}/")
    expect(page.get_by_test_id("signed-note")).to_contain_text("Salbutamol inhaler")
    expect(page.get_by_test_id("note-form")).to_have_count(0)


def test_text_typed_before_the_autosave_script_runs_is_saved_and_not_called_saved_early(
    page: Page, called_in: Patient
) -> None:
    """The race behind a once-flaky run: on a slow page the note's fields take typing before
    the autosave script has run. The indicator said "Saved" (the server's text) meanwhile, and
    the typing, heard by no one, was never saved. The script is held back here to make the
    slow page certain."""
    held: list[Route] = []
    sign_in(page, "doc001")
    page.route("**/js/consultation.js", lambda route: held.append(route))
    page.goto("/frontdesk/")
    page.get_by_test_id("open-consultation").click(no_wait_after=True)
    expect(page.get_by_test_id("encounter-status")).to_have_text("Being written")
    page.locator("#n-subjective").fill("Typed on a slow page")
    state = page.get_by_test_id("save-state")
    expect(state).not_to_contain_text("Saved")
    assert len(held) == 1
    held[0].continue_()
    expect(state).to_contain_text("Saved ")
    assert Encounter.objects.get(patient=called_in).subjective == "Typed on a slow page"


def test_the_save_indicator_shows_the_time_as_the_reader_writes_it(
    browser: Browser, live_server, called_in: Patient
) -> None:
    context = browser.new_context(base_url=live_server.url, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.route_web_socket(re.compile(r"/ws/notifications/$"), lambda socket: None)
    try:
        page = context.new_page()
        page.clock.set_fixed_time(datetime(2025, 1, 6, 14, 46, 5, tzinfo=UTC))
        sign_in(page, "doc001")
        page.goto("/frontdesk/")
        page.get_by_test_id("open-consultation").click()
        page.locator("#n-subjective").fill("Fever since morning")
        expect(page.get_by_test_id("save-state")).to_have_text("Saved 2:46 PM")  # not "2:46:"
    finally:
        context.close()
