"""Appointments in a real browser: the front desk books the next free cardiologist from a
patient's chart, moves the appointment to another day and cancels it; a slot once booked is not
offered (nor bookable) again; a doctor's appointment list shows only their own patients.

Free slots depend on the clock, so every day used here is computed from today in the clinic's
time zone (the next free slot, the next Monday, the first day both doctors have time left).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.core.models import Clinic
from clinicflow.patients.demo import load_demo_patients
from clinicflow.patients.models import Patient
from clinicflow.scheduling.demo import load_demo_schedules
from clinicflow.scheduling.models import Appointment, AppointmentStatus, Practitioner, Weekday
from clinicflow.scheduling.services import book_appointment
from clinicflow.scheduling.slots import free_slots
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

APPOINTMENT_URL = re.compile(r"/scheduling/appointments/[0-9a-f-]{36}/(\?.*)?$")
SLOT_TIME = re.compile(r"^\d\d:\d\d$")
JUST_TAKEN = "That time was just taken. Choose another one."


@dataclass(frozen=True)
class BookingDemo:
    """The demo clinic with its doctors' hours and patients, as seen from its own clock."""

    clinic: Clinic
    receptionist: User
    today: date

    def doctor(self, username: str) -> Practitioner:
        return Practitioner.objects.select_related("user", "clinic").get(user__username=username)

    def patient(self, given: str, family: str) -> Patient:
        return Patient.objects.get(clinic=self.clinic, given_name=given, family_name=family)

    def next_monday(self) -> date:
        return self.today + timedelta(days=7 - self.today.weekday())


@pytest.fixture
def demo(clinic_day) -> BookingDemo:
    """The accounts of ``clinic_day`` plus the demo doctors' hours and the demo patients."""
    receptionist = User.objects.get(username="reception")
    load_demo_schedules(manager=User.objects.get(username="manager"))
    load_demo_patients(receptionist=receptionist, nurse=User.objects.get(username="nurse"))
    clinic = Clinic.objects.get(code="KTM")
    return BookingDemo(clinic, receptionist, timezone.localdate(timezone=clinic.zone))


def wait_for_query(page: Page, name: str, value: str) -> None:
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get(name) == [value])


def as_shown(value: str) -> str:
    """A slot button's ISO value (the clinic's local time) as the history prints it."""
    when = datetime.fromisoformat(value)
    return f"{when:%a} {when.day} {when:%b %H:%M}"


def slot_buttons(form: Locator) -> Locator:
    return form.locator("button[name=starts_at]")


def day_of_slots(page: Page, day: date) -> Locator:
    """The slot buttons of one day on the booking page (headed e.g. "Monday 30 November")."""
    heading = page.locator("strong", has_text=re.compile(rf"^{day:%A} {day.day} {day:%B}$"))
    return slot_buttons(page.get_by_test_id("slots").locator("div.mb-2", has=heading))


def test_reception_books_the_next_free_cardiologist_moves_and_cancels(
    page: Page, demo: BookingDemo
) -> None:
    patient = demo.patient("Ramesh", "Adhikari")

    sign_in(page, "reception")
    page.goto(f"/patients/{patient.pk}/")
    expect(page.get_by_test_id("patient-name")).to_contain_text("Ramesh Adhikari")
    page.get_by_test_id("book-appointment").click()
    wait_for_query(page, "patient", str(patient.pk))
    page.get_by_test_id("next-free").filter(has_text="Cardiologist").click()

    expect(page.get_by_text("next free time found")).to_be_visible()
    expect(page.locator("#practitioner option:checked")).to_have_text("Dr Sita Karki")
    expect(page.get_by_role("heading", name="Dr Sita Karki · Cardiologist")).to_be_visible()
    slots = page.get_by_test_id("slots")
    first_slot = slot_buttons(slots).first
    expect(first_slot).to_have_text(SLOT_TIME)
    booked_at = first_slot.get_attribute("value")
    assert booked_at
    slots.locator("[name=reason]").fill("Chest pain")
    first_slot.click()

    expect(page).to_have_url(APPOINTMENT_URL)
    expect(page.get_by_text(re.compile(r"^\s*Booked: .* with Dr Sita Karki\.\s*$"))).to_be_visible()
    status = page.get_by_test_id("appointment-status")
    expect(status).to_have_text("Booked")
    expect(page.get_by_text("Chest pain")).to_be_visible()
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.practitioner.user.username == "doc002"
    assert appointment.starts_at == datetime.fromisoformat(booked_at)

    later = datetime.fromisoformat(booked_at).date() + timedelta(days=1)
    if later.weekday() == Weekday.SATURDAY:
        later += timedelta(days=1)
    move = page.locator(".card", has=page.get_by_role("heading", name="Move to another time"))
    move.get_by_label("Day").fill(later.isoformat())
    move.get_by_role("button", name="Show").click()
    wait_for_query(page, "day", later.isoformat())
    new_slot = slot_buttons(move).first
    expect(new_slot).to_have_text(SLOT_TIME)
    moved_to = new_slot.get_attribute("value")
    assert moved_to
    assert datetime.fromisoformat(moved_to).date() == later
    new_slot.click()

    expect(page.get_by_text("The appointment was moved.")).to_be_visible()
    expect(status).to_have_text("Booked")
    expect(page.get_by_test_id("history")).to_contain_text(
        f"moved {as_shown(booked_at)} → {as_shown(moved_to)}"
    )
    appointment.refresh_from_db()
    assert appointment.starts_at == datetime.fromisoformat(moved_to)

    page.locator("#cancel-reason").fill("Patient called")
    page.get_by_role("button", name="Cancel", exact=True).click()

    expect(page.get_by_text("The appointment was cancelled.")).to_be_visible()
    expect(status).to_have_text("Cancelled Patient called")
    expect(page.get_by_test_id("history")).to_contain_text("Booked → Cancelled (Patient called)")
    expect(page.get_by_role("heading", name="Move to another time")).to_have_count(0)
    expect(page.locator("#cancel-reason")).to_have_count(0)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.status_reason == "Patient called"


def test_a_new_appointment_starts_from_the_list_by_finding_the_patient(
    page: Page, demo: BookingDemo
) -> None:
    patient = demo.patient("Ramesh", "Adhikari")

    sign_in(page, "reception")
    page.goto("/scheduling/appointments/")
    page.get_by_test_id("new-appointment").click()
    expect(page.get_by_role("heading", name="New appointment")).to_be_visible()
    page.get_by_label("Patient: name, phone, e-mail or MRN").press_sequentially("ramesh adh")
    choice = page.get_by_test_id("patient-choices").get_by_role("link", name=re.compile("Ramesh"))
    expect(choice).to_contain_text(patient.mrn)  # found as typed, without pressing Enter
    choice.click()
    wait_for_query(page, "patient", str(patient.pk))
    expect(page.get_by_test_id("patient-name")).to_contain_text("Ramesh Adhikari")
    page.get_by_test_id("next-free").filter(has_text="Cardiologist").click()
    first_slot = slot_buttons(page.get_by_test_id("slots")).first
    expect(first_slot).to_have_text(SLOT_TIME)
    first_slot.click()
    expect(page).to_have_url(APPOINTMENT_URL)
    assert Appointment.objects.get(patient=patient).practitioner.user.username == "doc002"


def test_a_booked_slot_is_neither_offered_nor_bookable_again(page: Page, demo: BookingDemo) -> None:
    first, second = demo.patient("Kiran", "Shrestha"), demo.patient("Dipendra", "Karki")
    doctor = demo.doctor("doc002")
    monday = demo.next_monday()

    sign_in(page, "reception")
    # The second patient's booking page is open before the first patient takes the slot.
    late = page.context.new_page()
    late.goto(f"/scheduling/book/?patient={second.pk}&practitioner={doctor.pk}&day={monday}")
    late_ten = day_of_slots(late, monday).filter(has_text=re.compile(r"^10:00$"))
    expect(late_ten).to_have_count(1)

    page.goto(f"/scheduling/book/?patient={first.pk}")
    page.locator("#day").fill(monday.isoformat())
    page.locator("#practitioner").select_option(label="Dr Sita Karki")  # submits by itself
    wait_for_query(page, "practitioner", str(doctor.pk))
    ten = day_of_slots(page, monday).filter(has_text=re.compile(r"^10:00$"))
    expect(ten).to_have_count(1)
    taken = ten.get_attribute("value")
    assert taken
    ten.click()
    expect(page).to_have_url(APPOINTMENT_URL)
    expect(page.get_by_test_id("appointment-status")).to_have_text("Booked")

    page.goto(f"/scheduling/book/?patient={second.pk}&practitioner={doctor.pk}&day={monday}")
    expect(page.locator("#practitioner option:checked")).to_have_text("Dr Sita Karki")
    offered = day_of_slots(page, monday)
    expect(offered.filter(has_text="09:40")).to_have_count(1)
    expect(offered.filter(has_text="10:20")).to_have_count(1)
    expect(offered.filter(has_text=re.compile(r"^10:00$"))).to_have_count(0)
    expect(page.locator(f'button[name=starts_at][value="{taken}"]')).to_have_count(0)

    # The stale page still shows 10:00; sending it is refused and the fresh page drops it.
    late_ten.click()
    expect(late.get_by_text(JUST_TAKEN)).to_be_visible()
    expect(late.get_by_test_id("slots").locator(f'[value="{taken}"]')).to_have_count(0)
    assert Appointment.objects.filter(starts_at=datetime.fromisoformat(taken)).count() == 1
    assert not Appointment.objects.filter(patient=second).exists()


@dataclass(frozen=True)
class TwoDoctorsDay:
    day: date
    mine: Appointment
    theirs: Appointment


@pytest.fixture
def two_doctors_day(demo: BookingDemo) -> TwoDoctorsDay:
    """One appointment with doc002 and one with doc001 on the same day: today if both still
    have a free slot a few minutes ahead, else the first later day when they do."""
    cardiologist, physician = demo.doctor("doc002"), demo.doctor("doc001")
    soon = timezone.now() + timedelta(minutes=5)
    for offset in range(14):
        day = demo.today + timedelta(days=offset)
        mine = [s for s in free_slots(cardiologist, day, day) if s.starts_at >= soon]
        theirs = [s for s in free_slots(physician, day, day) if s.starts_at >= soon]
        if mine and theirs:
            break
    else:
        pytest.fail("no day in the next two weeks with time for both doctors")
    desk = actor_for(demo.receptionist)

    def book(patient: Patient, doctor: Practitioner, starts_at: datetime) -> Appointment:
        return book_appointment(
            actor=desk, patient=patient, practitioner=doctor, starts_at=starts_at
        )

    return TwoDoctorsDay(
        day,
        book(demo.patient("Sunita", "Gurung"), cardiologist, mine[0].starts_at),
        book(demo.patient("Prakash", "Joshi"), physician, theirs[0].starts_at),
    )


def test_a_doctor_sees_only_their_own_appointments(
    page: Page, two_doctors_day: TwoDoctorsDay
) -> None:
    sign_in(page, "doc002")
    page.get_by_test_id("navigation").get_by_role("link", name="Appointments").click()
    expect(page.get_by_role("heading", name="Appointments", exact=True)).to_be_visible()
    if two_doctors_day.day != timezone.localdate(timezone=two_doctors_day.mine.clinic.zone):
        page.get_by_label("Day").fill(two_doctors_day.day.isoformat())  # the list follows
        wait_for_query(page, "day", two_doctors_day.day.isoformat())

    rows = page.get_by_test_id("appointments").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Sunita Gurung")
    expect(rows).to_contain_text("Dr Sita Karki")
    expect(rows).to_contain_text("Booked")
    expect(page.get_by_test_id("appointments")).not_to_contain_text("Prakash Joshi")
    expect(page.get_by_test_id("appointments")).not_to_contain_text("Dr Ram Sharma")

    rows.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/scheduling/appointments/{two_doctors_day.mine.pk}/$"))
    assert page.request.get(f"/scheduling/appointments/{two_doctors_day.theirs.pk}/").status == 404
