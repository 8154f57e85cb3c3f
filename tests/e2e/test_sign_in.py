"""Signing in and out of ClinicFlow in a real browser, as each person of the clinic's day."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, Response, expect

from clinicflow.accounts.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

LOGIN_URL = re.compile(r"/accounts/login/(\?.*)?$")
DASHBOARD_URL = re.compile(r"/dashboard/$")
WRONG_PASSWORD = "not-the-demo-password"
LOCKED_OUT = "This account is locked after too many failed sign-ins"


def sign_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> Response:
    """Fill in and send the sign-in form; the server's answer to it (before any redirect)."""
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("[name=username]").fill(username)
    form.locator("[name=password]").fill(password)
    with page.expect_response(
        lambda response: response.request.method == "POST" and LOGIN_URL.search(response.url)
    ) as answer:
        form.get_by_role("button", name="Sign in").click()
    return answer.value


def sign_out(page: Page) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()


@pytest.mark.parametrize(
    ("username", "heading", "manages_staff"),
    [
        pytest.param("admin", "Platform overview", True, id="admin"),
        pytest.param("manager", "Clinic overview", True, id="manager"),
        pytest.param("doc001", "My day", False, id="doctor"),
        pytest.param("nurse", "Nursing", False, id="nurse"),
        pytest.param("reception", "Front desk", False, id="receptionist"),
        pytest.param("pharmacist", "Pharmacy", False, id="pharmacist"),
        pytest.param("labtech", "Laboratory", False, id="lab_technician"),
        pytest.param("cashier", "Cash desk", False, id="cashier"),
        pytest.param("patient", "My health", False, id="patient"),
    ],
)
def test_each_person_signs_in_to_their_dashboard_and_out_again(
    page: Page, username: str, heading: str, manages_staff: bool
) -> None:
    sign_in(page, username)

    expect(page).to_have_url(DASHBOARD_URL)
    expect(page.get_by_test_id("dashboard-heading")).to_have_text(heading)
    navigation = page.get_by_test_id("navigation")
    expect(navigation.get_by_role("link", name="Dashboard", exact=True)).to_be_visible()
    staff_link = navigation.get_by_role("link", name="Staff", exact=True)
    if manages_staff:
        expect(staff_link).to_be_visible()
    else:
        expect(staff_link).to_have_count(0)

    sign_out(page)

    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    page.goto("/dashboard/")
    expect(page).to_have_url(LOGIN_URL)
    expect(page.get_by_test_id("login-form")).to_be_visible()


def test_the_signed_out_page_no_longer_shows_the_doctors_menu(page: Page) -> None:
    sign_in(page, "doc001")
    expect(page.get_by_test_id("dashboard-heading")).to_be_visible()

    sign_out(page)

    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_have_count(0)
    expect(page.get_by_test_id("navigation")).to_have_count(0)


def test_managers_see_the_clinic_management_links(page: Page) -> None:
    sign_in(page, "manager")

    navigation = page.get_by_test_id("navigation")
    for label in ("Staff", "Audit trail", "Clinic settings"):
        expect(navigation.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(navigation.get_by_role("link", name="Platform admin")).to_have_count(0)


def test_the_platform_admin_also_sees_platform_admin(page: Page) -> None:
    sign_in(page, "admin")

    navigation = page.get_by_test_id("navigation")
    for label in ("Staff", "Audit trail", "Clinic settings", "Platform admin"):
        expect(navigation.get_by_role("link", name=label, exact=True)).to_be_visible()


def test_a_wrong_password_keeps_the_receptionist_at_the_sign_in_page(page: Page) -> None:
    sign_in(page, "reception", WRONG_PASSWORD)

    expect(page.get_by_test_id("form-errors")).to_have_text(
        "That username or e-mail and password do not match."
    )
    expect(page).to_have_url(LOGIN_URL)
    expect(page.get_by_test_id("dashboard-heading")).to_have_count(0)


def test_too_many_wrong_passwords_lock_the_nurse_out_even_with_the_right_one(
    page: Page, settings
) -> None:
    settings.AXES_FAILURE_LIMIT = 3

    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(page, "nurse", WRONG_PASSWORD)
        expect(page.get_by_test_id("form-errors")).to_be_visible()
    expect(page.get_by_test_id("form-errors")).to_contain_text(LOCKED_OUT)

    answer = sign_in(page, "nurse")

    assert answer.status == 429
    expect(page.get_by_test_id("form-errors")).to_contain_text(LOCKED_OUT)
    expect(page).to_have_url(LOGIN_URL)
    page.goto("/dashboard/")
    expect(page).to_have_url(LOGIN_URL)


def test_the_managers_dashboard_loads_without_console_errors(page: Page) -> None:
    problems: list[str] = []

    def note_error(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", note_error)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))

    sign_in(page, "manager")
    expect(page.get_by_test_id("dashboard-heading")).to_have_text("Clinic overview")
    page.wait_for_load_state("networkidle")

    assert problems == []
