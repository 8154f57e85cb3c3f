"""The appointment calendar in a real browser: the front desk opens a doctor's week, drags an
appointment to a later free time (the server moves it and keeps the old time in the history),
and a drop onto a taken time is refused and undone.

The browser runs in the clinic's own time zone (Asia/Kathmandu), so the calendar's hours are
the clinic's. Every day used is computed from today in that zone (the next Monday).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, Response, WebSocketRoute, expect

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.core.models import Clinic
from clinicflow.patients.demo import load_demo_patients
from clinicflow.patients.models import Patient
from clinicflow.scheduling.demo import load_demo_schedules
from clinicflow.scheduling.models import Appointment, AppointmentChange, Practitioner
from clinicflow.scheduling.services import book_appointment
from clinicflow.scheduling.slots import free_slots
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

CLINIC_ZONE = "Asia/Kathmandu"
ACTION_TIMEOUT_MS = 10_000
REFUSED = re.compile(
    r"That time was just taken\. Choose another one\."
    r"|The patient already has an appointment at that time\."
)


def _quiet_notification_channel(websocket: WebSocketRoute) -> None:
    """Stand in for the notification WebSocket (the live server speaks WSGI only)."""


@dataclass(frozen=True)
class CalendarDemo:
    """Dr Sita Karki (doc002) with one appointment next Monday at 10:00, clinic time."""

    clinic: Clinic
    receptionist: User
    doctor: Practitioner
    monday: date
    appointment: Appointment

    def at(self, hour: int) -> datetime:
        return datetime.combine(self.monday, time(hour), tzinfo=self.clinic.zone)

    def patient(self, given: str, family: str) -> Patient:
        return Patient.objects.get(clinic=self.clinic, given_name=given, family_name=family)

    def book(self, patient: Patient, hour: int) -> Appointment:
        return book_appointment(
            actor=actor_for(self.receptionist),
            patient=patient,
            practitioner=self.doctor,
            starts_at=self.at(hour),
        )

    def stored(self) -> Appointment:
        return Appointment.objects.all_clinics().get(pk=self.appointment.pk)


@pytest.fixture
def cal(clinic_day) -> CalendarDemo:
    receptionist = User.objects.get(username="reception")
    load_demo_schedules(manager=User.objects.get(username="manager"))
    load_demo_patients(receptionist=receptionist, nurse=User.objects.get(username="nurse"))
    clinic = Clinic.objects.get(code="KTM")
    today = timezone.localdate(timezone=clinic.zone)
    monday = today + timedelta(days=7 - today.weekday())
    doctor = Practitioner.objects.select_related("user", "clinic").get(user__username="doc002")
    free = {s.starts_at for s in free_slots(doctor, monday, monday)}
    for hour in (10, 11):
        assert datetime.combine(monday, time(hour), tzinfo=clinic.zone) in free
    first = book_appointment(
        actor=actor_for(receptionist),
        patient=Patient.objects.get(clinic=clinic, given_name="Sunita", family_name="Gurung"),
        practitioner=doctor,
        starts_at=datetime.combine(monday, time(10), tzinfo=clinic.zone),
    )
    return CalendarDemo(clinic, receptionist, doctor, monday, first)


@pytest.fixture
def kathmandu_page(browser: Browser, live_server, cal: CalendarDemo) -> Iterator[Page]:
    """A page in a fresh context whose clock shows the clinic's time zone."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id=CLINIC_ZONE)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.route_web_socket(re.compile(r"/ws/notifications/$"), _quiet_notification_channel)
    yield context.new_page()
    context.close()


@dataclass
class Problems:
    """Console errors and uncaught exceptions of a page, from the moment it is watched."""

    messages: list[str]

    @classmethod
    def watch(cls, page: Page) -> Problems:
        problems = cls([])
        page.on(
            "console",
            lambda m: problems.messages.append(f"console: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: problems.messages.append(f"pageerror: {e}"))
        return problems


def sunday_before(day: date) -> date:
    """The first day of FullCalendar's week (its default locale starts weeks on Sunday)."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def open_doctor_week(page: Page, cal: CalendarDemo) -> None:
    """Appointments → Calendar → Dr Sita Karki → the week of next Monday."""
    sign_in(page, "reception")
    page.get_by_test_id("navigation").get_by_role("link", name="Appointments").click()
    page.get_by_test_id("calendar-link").click()
    expect(page.get_by_role("heading", name="Calendar", exact=True)).to_be_visible()
    page.locator("#calendar-doctor").select_option(str(cal.doctor.pk))  # submits by itself
    page.wait_for_url(re.compile(rf"/scheduling/calendar/\?practitioner={cal.doctor.pk}$"))
    expect(page.locator("#calendar-doctor option:checked")).to_have_text(
        "Dr Sita Karki · Cardiologist"
    )
    today = timezone.localdate(timezone=cal.clinic.zone)
    weeks = (sunday_before(cal.monday) - sunday_before(today)).days // 7
    calendar = page.get_by_test_id("calendar")
    for _ in range(weeks):
        calendar.locator("button.fc-next-button").click()
    expect(calendar.locator(f'.fc-timegrid-col[data-date="{cal.monday}"]')).to_be_visible()


def event_of(page: Page, name: str) -> Locator:
    return page.get_by_test_id("calendar").locator(".fc-timegrid-event", has_text=name)


def slot_row(page: Page, hhmm: str) -> Locator:
    return page.locator(f'td.fc-timegrid-slot-lane[data-time="{hhmm}:00"]')


def drag_to(page: Page, event: Locator, hhmm: str) -> Response:
    """Drag ``event`` with the mouse onto the ``hhmm`` row of its own day; the move's response."""
    event.scroll_into_view_if_needed()
    box = event.bounding_box()
    row = slot_row(page, hhmm).bounding_box()
    assert box
    assert row
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    with page.expect_response(
        lambda r: r.url.endswith("/reschedule/") and r.request.method == "POST"
    ) as moved:
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x, y + 4, steps=2)  # past FullCalendar's minimum drag distance
        page.mouse.move(x, row["y"] + 4, steps=12)
        page.mouse.up()
    return moved.value


def test_reception_sees_the_doctor_week_with_the_appointment(
    kathmandu_page: Page, cal: CalendarDemo
) -> None:
    page = kathmandu_page
    open_doctor_week(page, cal)

    event = event_of(page, "Sunita Gurung")
    expect(event).to_be_visible()
    expect(event).to_contain_text("Sunita Gurung · Dr Sita Karki")
    expect(event.locator(".fc-event-time")).to_contain_text("10:00")
    column = page.locator(f'.fc-timegrid-col[data-date="{cal.monday}"]')
    expect(column.locator(".fc-timegrid-event", has_text="Sunita Gurung")).to_have_count(1)
    # FullCalendar's injected stylesheet applies (``.fc { display: flex }``): the CSP nonce
    # from <meta name="csp-nonce"> let its <style> in.
    expect(page.locator("#calendar.fc")).to_have_css("display", "flex")
    expect(slot_row(page, "11:00")).to_be_visible()


def test_the_calendar_page_has_no_console_errors(kathmandu_page: Page, cal: CalendarDemo) -> None:
    page = kathmandu_page
    problems = Problems.watch(page)
    open_doctor_week(page, cal)
    expect(event_of(page, "Sunita Gurung")).to_be_visible()
    expect(page.locator("#calendar.fc")).to_have_css("display", "flex")
    # The fcicons font is only fetched once an icon is drawn; the toolbar buttons draw them.
    expect(page.locator(".fc-icon-chevron-right")).to_be_visible()
    assert problems.messages == [], "\n".join(m[:160] + " … " + m[-120:] for m in problems.messages)


def test_dragging_an_appointment_to_a_free_time_moves_it(
    kathmandu_page: Page, cal: CalendarDemo
) -> None:
    page = kathmandu_page
    open_doctor_week(page, cal)
    event = event_of(page, "Sunita Gurung")
    expect(event).to_be_visible()

    response = drag_to(page, event, "11:00")

    assert response.ok, response.text()
    sent = response.request.post_data_json["starts_at"]
    assert datetime.fromisoformat(sent) == cal.at(11).astimezone(UTC), sent
    expect(event.locator(".fc-event-time")).to_contain_text("11:00")
    expect(page.locator("[data-calendar-error]")).to_be_hidden()
    moved = cal.stored()
    assert moved.starts_at == cal.at(11)
    assert moved.ends_at == cal.at(11) + timedelta(minutes=20)
    assert timezone.localtime(moved.starts_at, cal.clinic.zone).time() == time(11)
    change = AppointmentChange.objects.all_clinics().filter(appointment=moved).last()
    assert change is not None
    assert (change.old_starts_at, change.new_starts_at) == (cal.at(10), cal.at(11))
    assert change.changed_by == cal.receptionist


def test_dropping_onto_a_taken_time_is_refused_and_undone(
    kathmandu_page: Page, cal: CalendarDemo
) -> None:
    cal.book(cal.patient("Prakash", "Joshi"), 11)
    page = kathmandu_page
    open_doctor_week(page, cal)
    event = event_of(page, "Sunita Gurung")
    expect(event).to_be_visible()
    expect(event_of(page, "Prakash Joshi")).to_be_visible()

    response = drag_to(page, event, "11:00")

    assert 400 <= response.status < 500, response.status
    error = page.locator("[data-calendar-error]")
    expect(error).to_be_visible()
    expect(error).to_have_text(REFUSED)
    expect(event.locator(".fc-event-time")).to_contain_text("10:00")  # the event went back
    assert cal.stored().starts_at == cal.at(10)
    assert (
        not AppointmentChange.objects.all_clinics()
        .filter(appointment=cal.appointment, new_starts_at__isnull=False)
        .exists()
    )
