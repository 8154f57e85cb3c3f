"""The patient portal on a phone (390 px wide): a new person registers with a code to their
mobile and lands on their home showing their own new record."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from clinicflow.core.models import Clinic
from clinicflow.portal.tests.conftest import code_sent_to

pytestmark = pytest.mark.e2e

PHONE_WIDTH = 390


@pytest.fixture
def phone(browser: Browser, live_server, clinic_day) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        viewport={"width": PHONE_WIDTH, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    context.route_web_socket(re.compile(r"/ws/notifications/$"), lambda websocket: None)
    yield context.new_page()
    context.close()


def test_a_new_person_registers_on_a_phone_with_a_code(phone: Page) -> None:
    phone.goto("/accounts/login/")
    phone.get_by_test_id("register").click()
    form = phone.get_by_test_id("register-form")
    form.get_by_label("Mobile number or e-mail").fill("9801234567")
    form.get_by_label("Given name").fill("Asha")
    form.get_by_label("Family name").fill("Gurung")
    form.get_by_label("Birth date").fill("1992-01-01")
    form.get_by_label("Sex").select_option("female")
    form.get_by_label("Clinic").select_option(str(Clinic.objects.get(code="KTM").pk))
    form.locator("[name=password]").fill("a long enough passphrase")
    form.locator("[name=password_again]").fill("a long enough passphrase")
    form.get_by_role("button", name="Send me a code").click()

    expect(phone.get_by_test_id("code-sent")).to_be_visible()
    phone.get_by_label("6-digit code").fill(code_sent_to("+9779801234567"))
    phone.get_by_role("button", name="Continue").click()

    member = phone.get_by_test_id("selected-member")
    expect(member).to_contain_text("Asha Gurung")
    expect(member).to_contain_text("KTM-")
    # Phone first: nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    phone.get_by_test_id("family-link").click()
    expect(phone.get_by_test_id("family-member")).to_have_count(1)


SHELL_CACHE = "clinicflow-shell-v1"


def test_the_portal_installs_and_its_service_worker_keeps_no_patient_data(phone: Page) -> None:
    from tests.e2e.steps import sign_in

    sign_in(phone, "patient")
    manifest = phone.locator("link[rel=manifest]")
    expect(manifest).to_have_attribute("href", "/manifest.webmanifest")
    assert phone.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)").endswith(
        "/sw.js"
    )
    # With the worker in charge, pages with the patient's data and the shell's files.
    phone.goto("/portal/family/")
    expect(phone.get_by_text("Priya")).not_to_have_count(0)
    phone.goto("/dashboard/")
    cached = phone.evaluate(
        f"caches.open('{SHELL_CACHE}').then(c => c.keys()).then(r => r.map(q => q.url))"
    )
    paths = [re.sub(r"^https?://[^/]+", "", url) for url in cached]
    assert "/offline.html" in paths
    assert any(path.startswith("/static/") for path in paths)
    assert all(path.startswith("/static/") or path == "/offline.html" for path in paths), paths
    # Without a network the app says so, rather than showing a stale page.
    phone.context.set_offline(True)
    try:
        phone.goto("/portal/family/")
        expect(phone.get_by_role("heading", name="No connection")).to_be_visible()
    finally:
        phone.context.set_offline(False)
