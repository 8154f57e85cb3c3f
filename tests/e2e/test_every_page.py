"""Every page of every person's sidebar, in a real browser, on the demo clinic in the middle of
a day: no console error (the CSP refusing a style or script, a script failing), no failed or
refused request for the page or its files, no horizontal overflow at a laptop's 1366 px, the
sidebar marking the page as current, and no form or link on it that the person's roles may not
use. At a phone's 390 px, table pages scroll their tables inside the page, not the page.

One browser context per person, each page of theirs visited once (Swagger UI, the same for all,
once in all), no fixed waits: the walk takes about a minute."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve
from django.utils import timezone
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, expect

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.core import policy
from clinicflow.core.access import view_action
from clinicflow.frontdesk.services import add_walk_in
from clinicflow.patients.models import Patient
from clinicflow.scheduling.models import Appointment, AppointmentStatus, Practitioner
from tests.e2e.conftest import ACTION_TIMEOUT_MS, _quiet_notification_channel
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

#: One demo account per role and clinic (doc001 also works in the second clinic).
PEOPLE = [
    "admin",
    "manager",
    "doc001",
    "nurse",
    "reception",
    "pharmacist",
    "labtech",
    "cashier",
    "patient",
    "manager2",
    "reception2",
]
#: Pages that are the same for everyone who may open them (Swagger UI): visited once.
SAME_FOR_EVERYONE = {"/api/docs/"}
LAPTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}
#: Pages whose tables once widened a phone's page (the queue: 602 px).
TABLE_PAGES = {"manager": ["/frontdesk/", "/patients/", "/pharmacy/stock/", "/audit/"]}


@pytest.fixture
def demo_day(transactional_db) -> None:
    """The whole demo (clinics, people, patients, doctors' hours, rooms, medicines, stock),
    with walk-ins in today's queue and today's appointments in several states."""
    call_command("seed_demo", "--force", "--quiet-logins")
    reception = actor_for(User.objects.get(username="reception"))
    assert reception.clinic is not None
    doctor = Practitioner.objects.get(clinic=reception.clinic, user__username="doc001")
    patients = list(Patient.objects.for_clinic(reception.clinic).order_by("mrn_seq")[:4])
    add_walk_in(actor=reception, name="Walk-in Visitor", phone="9841000001", practitioner=doctor)
    add_walk_in(actor=reception, patient=patients[0], practitioner=doctor)
    add_walk_in(actor=reception, patient=patients[1])
    day = timezone.localtime(timezone.now(), reception.clinic.zone).date()
    for hour, (person, status) in enumerate(
        [(patients[2], AppointmentStatus.BOOKED), (patients[3], AppointmentStatus.CHECKED_IN)],
        start=9,
    ):
        starts = datetime.combine(day, time(hour), reception.clinic.zone)
        Appointment.objects.create(
            clinic=reception.clinic,
            patient=person,
            practitioner=doctor,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=15),
            status=status,
            booked_by=reception.user,
        )


@dataclass
class Findings:
    """What went wrong for one person, page by page."""

    username: str
    page: str = "signing in"
    problems: list[str] = field(default_factory=list)
    loading: set[Request] = field(default_factory=set)

    def add(self, what: str) -> None:
        self.problems.append(f"{self.username} {self.page}: {what}")

    def listen(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.add(f"uncaught {error}"))
        page.on("request", lambda request: self.loading.add(request))
        page.on("requestfinished", lambda request: self.loading.discard(request))
        page.on("response", self._response)
        page.on("requestfailed", self._failed)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.add(f"console: {message.text}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.add(f"{response.status} {response.request.method} {response.url}")

    def _failed(self, request: Request) -> None:
        self.loading.discard(request)
        if request.failure == "net::ERR_ABORTED":
            # The browser gave up a request because the page was left (by us, or by the page
            # reloading itself): not a fault of the page. A refusal by the CSP is a console
            # error, and a refusal by the server a response of 400 or more: both still count.
            return
        self.add(f"failed {request.url}: {request.failure}")


def _visit(page: Page, findings: Findings, path: str) -> None:
    """Open the page and wait until what it fetches after loading (the calendar's events,
    Swagger's schema) has come: at once when there is nothing, unlike Playwright's
    "networkidle", which always waits half a second."""
    findings.page = path
    page.goto(path, wait_until="load")
    _settle(page, findings)


def _settle(page: Page, findings: Findings) -> None:
    """Wait until the page has fetched all it asked for. (Leaving a page while its logo was
    still loading made the browser abort that request: a failure of ours, not the page's.)"""
    for _tick in range(200):
        if not findings.loading:
            return
        page.wait_for_timeout(25)
    findings.add(f"still loading after 5 s: {[r.url for r in findings.loading]}")


#: What the page says of itself, in one round trip: how much wider than the window it is, the
#: sidebar's current entries (null: a page without our sidebar), and where its forms and links
#: lead.
LOOK = """() => {
  const sidebar = document.querySelector('[data-testid=navigation]');
  const post = document.querySelectorAll('form[method=post i]');
  return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    current: sidebar && Array.from(
      sidebar.querySelectorAll('a[aria-current=page]'), a => a.getAttribute('href')),
    targets: [
      ...Array.from(post, f => f.getAttribute('action') || location.pathname),
      ...Array.from(document.querySelectorAll('a[href^="/"]'), a => a.getAttribute('href')),
    ],
  };
}"""


def _refused(targets: list[str], username: str) -> list[str]:
    """The forms and links that lead to an action the person's roles may not take."""
    actor = actor_for(User.objects.get(username=username))
    refused = []
    for target in targets:
        path = target.split("?")[0].split("#")[0]
        try:
            match = resolve(path)
        except Resolver404:
            if not path.startswith("/static/"):
                refused.append(f"{target}: no such page")
            continue
        action = view_action(match.func, match)
        if action is not None and not policy.allows(actor, action):
            refused.append(f"{target} ({action})")
    return refused


def _walk(browser: Browser, base_url: str, username: str, seen: set[str]) -> list[str]:
    context = browser.new_context(base_url=base_url, locale="en-GB", viewport=LAPTOP)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.route_web_socket(re.compile(r"/ws/"), _quiet_notification_channel)
    findings = Findings(username)
    try:
        page = context.new_page()
        findings.listen(page)
        sign_in(page, username)
        _settle(page, findings)
        links = page.locator("[data-testid=navigation] a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        if not links:
            findings.add("no navigation")
        for path in links:
            if path in SAME_FOR_EVERYONE:
                if path in seen:
                    continue
                seen.add(path)
            _visit(page, findings, path)
            look = page.evaluate(LOOK)
            if look["overflow"] > 0:
                findings.add(f"{look['overflow']} px wider than the window at 1366 px")
            # (The platform admin site and Swagger UI are pages of their own, without it.)
            if look["current"] is not None and look["current"] != [path]:
                findings.add(f"the sidebar marks {look['current']} as current")
            for target in _refused(look["targets"], username):
                findings.add(f"offers {target}")
        page.set_viewport_size(PHONE)
        for path in TABLE_PAGES.get(username, []):
            _visit(page, findings, path)
            if (extra := page.evaluate(LOOK)["overflow"]) > 0:
                findings.add(f"{extra} px wider than the window at 390 px")
    finally:
        context.close()
    return findings.problems


def test_every_person_opens_every_page_of_their_sidebar_cleanly(
    browser: Browser, live_server, demo_day
) -> None:
    seen: set[str] = set()
    problems = [p for name in PEOPLE for p in _walk(browser, live_server.url, name, seen)]
    assert problems == []


def test_the_sidebar_folds_to_icons_and_is_a_menu_on_phones(page: Page) -> None:
    sign_in(page, "manager")
    sidebar = page.get_by_test_id("navigation")
    fold = page.get_by_test_id("sidebar-fold")
    expect(fold).to_have_attribute("aria-expanded", "true")
    assert _sidebar_width(page) > 200

    fold.click()  # icons only; the links keep their names for screen readers
    expect(page.locator("body")).to_have_class(re.compile(r"\bsidebar-folded\b"))
    assert _sidebar_width(page) < 80
    page.goto("/patients/")  # the next page is drawn folded from the start
    expect(page.locator("body")).to_have_class(re.compile(r"\bsidebar-folded\b"))
    expect(page.get_by_test_id("sidebar-fold")).to_have_attribute("aria-expanded", "false")
    expect(sidebar.get_by_role("link", name="Patients")).to_have_attribute("aria-current", "page")
    page.get_by_test_id("sidebar-fold").click()
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bsidebar-folded\b"))
    assert _sidebar_width(page) > 200

    page.set_viewport_size(PHONE)
    expect(sidebar).not_to_be_visible()
    menu = page.get_by_test_id("menu-button")
    menu.focus()
    page.keyboard.press("Enter")  # the menu opens from the keyboard too
    expect(sidebar.get_by_role("link", name="Queue")).to_be_visible()
    # Escape closes the menu once it has taken the focus (when it has finished opening; a
    # busy machine takes a while): pressed earlier, it reaches the button behind.
    expect(page.locator("#sidebar")).to_be_focused()
    page.keyboard.press("Escape")
    expect(sidebar).not_to_be_visible()
    menu.click()
    sidebar.get_by_role("link", name="Queue").click()
    expect(page).to_have_url(re.compile(r"/frontdesk/$"))


def _sidebar_width(page: Page) -> float:
    return page.evaluate("document.querySelector('.cf-sidebar').getBoundingClientRect().width")
