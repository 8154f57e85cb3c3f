"""What the clinic tells people, seen in real browsers. Reception books an appointment and the
manager finds the patient's confirmation in the delivery log; the reminder sweep sends the
24-hour reminder, which shows there too; the patient answers it with an SMS "X", the
appointment is cancelled, reception is told and the booking page offers the time again. And
the pharmacist's bell, on a page open on their own screen, rings by itself when a doctor signs
a prescription in the consultation.

The two steps no person takes are taken by the test as their callers would: the sweep is the
service beat runs every few minutes (here with its clock at the reminder's moment, a day before
the visit), and the patient's SMS reaches the inbound webhook as Sparrow posts it, with the
shared secret in the address the gateway was given. Messages leave through the outbox, each
delivered once its transaction commits (tasks run eagerly in tests) by the console SMS backend.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, expect

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.clinical import prescribing
from clinicflow.clinical import services as clinical
from clinicflow.clinical.models import Encounter
from clinicflow.core.models import Clinic
from clinicflow.frontdesk import services as frontdesk
from clinicflow.notifications import messaging
from clinicflow.notifications.models import Message, MessageStatus
from clinicflow.patients.demo import load_demo_patients
from clinicflow.patients.models import Patient
from clinicflow.scheduling import messages as told
from clinicflow.scheduling.demo import load_demo_schedules
from clinicflow.scheduling.models import Appointment, AppointmentStatus, Practitioner
from clinicflow.scheduling.reminders import send_reminders
from clinicflow.scheduling.slots import Slot, free_slots
from tests.e2e.conftest import ACTION_TIMEOUT_MS, _quiet_notification_channel
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

APPOINTMENT_URL = re.compile(r"/scheduling/appointments/[0-9a-f-]{36}/$")
INBOUND_SECRET = "e2e-inbound-secret"
#: How long a live update may take to show: a WebSocket message, then the page's script.
LIVE_MS = 10_000


def quiet_hours_off(clinic: Clinic) -> None:
    """The manager turns the clinic's quiet hours off (equal ends: none), keeping the default
    reminder hours. At night (21:00 to 07:00 in Kathmandu by default) the SMS would otherwise
    wait for the morning, as they should; the journey must read the same at any hour."""
    manager = actor_for(User.objects.get(username="manager"))
    assert manager.clinic == clinic
    messaging.update_settings(
        actor=manager,
        first_reminder_hours=24,
        second_reminder_hours=2,
        quiet_from=time(0, 0),
        quiet_until=time(0, 0),
        language="en",
    )


@dataclass(frozen=True)
class Booking:
    """A patient to book, the doctor and the free slot the receptionist will take: on the
    first day at least two days ahead with free time, so that the visit is more than a day
    away when it is booked and a 24-hour reminder is owed."""

    clinic: Clinic
    patient: Patient
    other_patient: Patient
    doctor: Practitioner
    slot: Slot

    @property
    def day(self) -> date:
        return timezone.localtime(self.slot.starts_at, self.clinic.zone).date()

    @property
    def time_shown(self) -> str:
        return f"{timezone.localtime(self.slot.starts_at, self.clinic.zone):%H:%M}"

    def booking_page(self, patient: Patient) -> str:
        return (
            f"/scheduling/book/?patient={patient.pk}&practitioner={self.doctor.pk}&day={self.day}"
        )


@pytest.fixture
def booking(clinic_day: None, settings) -> Booking:
    settings.SMS_INBOUND_SECRET = INBOUND_SECRET
    people = {name: User.objects.get(username=name) for name in ("manager", "reception", "nurse")}
    load_demo_schedules(manager=people["manager"])
    load_demo_patients(receptionist=people["reception"], nurse=people["nurse"])
    clinic = Clinic.objects.get(code="KTM")
    quiet_hours_off(clinic)
    doctor = Practitioner.objects.select_related("user", "clinic").get(user__username="doc002")
    first_day = timezone.localdate(timezone=clinic.zone) + timedelta(days=2)
    slots = free_slots(doctor, first_day, first_day + timedelta(days=13))
    assert slots, "doc002 has no free time in the two weeks after tomorrow"
    return Booking(
        clinic=clinic,
        patient=Patient.objects.get(clinic=clinic, given_name="Kiran", family_name="Shrestha"),
        other_patient=Patient.objects.get(
            clinic=clinic, given_name="Dipendra", family_name="Karki"
        ),
        doctor=doctor,
        slot=slots[0],
    )


@pytest.fixture
def second_screen(browser: Browser, live_server) -> Iterator[Callable[[], Page]]:
    """Another person's screen: a fresh browser context of its own against the live server
    (the notification socket stood in for, as in the ``context`` fixture)."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context(base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.route_web_socket(re.compile(r"/ws/notifications/$"), _quiet_notification_channel)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def offered(page: Page, booking: Booking) -> Locator:
    """The booked slot's button on the booking page, if the page offers it."""
    heading = page.locator(
        "strong", has_text=re.compile(rf"^{booking.day:%A} {booking.day.day} {booking.day:%B}$")
    )
    day = page.get_by_test_id("slots").locator("div.mb-2", has=heading)
    return day.locator("button[name=starts_at]").filter(
        has_text=re.compile(rf"^{booking.time_shown}$")
    )


def log_rows(log: Page, mrn: str) -> Locator:
    """The manager's delivery log filtered to one patient, read afresh."""
    log.goto("/notifications/log/")
    log.get_by_label("Patient (MRN)").fill(mrn)
    log.get_by_role("button", name="Filter").click()
    log.wait_for_url(re.compile(rf"[?&]mrn={re.escape(mrn)}(&|$)"))
    return log.get_by_test_id("message-log").get_by_test_id("message-row")


def of_event(rows: Locator, event: str) -> Locator:
    return rows.and_(rows.page.locator(f"[data-event='{event}']"))


def post_inbound_sms(base_url: str, sender: str, text: str) -> httpx.Response:
    """The patient's SMS, as Sparrow posts it to the webhook: the first word as ``keyword``,
    the rest as ``text``."""
    keyword, _space, rest = text.partition(" ")
    return httpx.post(
        f"{base_url}/notifications/inbound/sparrow/",
        params={"key": INBOUND_SECRET},
        data={"from": sender, "keyword": keyword, "text": rest},
        timeout=ACTION_TIMEOUT_MS / 1000,
    )


def test_booked_reminded_and_cancelled_by_sms_the_log_shows_it_and_the_slot_is_free_again(
    page: Page, booking: Booking, second_screen: Callable[[], Page], live_server
) -> None:
    patient = booking.patient
    when = timezone.localtime(booking.slot.starts_at, booking.clinic.zone)
    date_said, time_said = f"{when.day} {when:%b}", f"{when.hour}:{when:%M}"

    # Reception books the patient with the cardiologist.
    sign_in(page, "reception")
    page.goto(booking.booking_page(patient))
    expect(page.locator("#practitioner option:checked")).to_have_text("Dr Sita Karki")
    page.get_by_test_id("slots").locator("[name=reason]").fill("Follow-up of palpitations")
    offered(page, booking).click()
    expect(page).to_have_url(APPOINTMENT_URL)
    status = page.get_by_test_id("appointment-status")
    expect(status).to_have_text("Booked")
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.starts_at == booking.slot.starts_at

    # The manager finds the confirmation SMS among the patient's messages: sent.
    log = second_screen()
    sign_in(log, "manager")
    rows = log_rows(log, patient.mrn)
    expect(rows).to_have_count(1)
    confirmation = of_event(rows, told.BOOKED)
    expect(confirmation).to_contain_text("Appointment booked")
    expect(confirmation).to_contain_text(patient.phone)
    expect(confirmation).to_contain_text("SMS")
    expect(confirmation).to_contain_text("Sent")
    expect(confirmation).to_contain_text(
        f"appointment with Dr Sita Karki booked for {date_said} at {time_said}"
    )

    # A day before the visit, beat's sweep sends the 24-hour reminder (once: a second sweep at
    # the same moment finds nothing left to send).
    reminder_moment = booking.slot.starts_at - timedelta(hours=24) + timedelta(minutes=1)
    assert send_reminders(booking.clinic, now=reminder_moment) == 1
    assert send_reminders(booking.clinic, now=reminder_moment) == 0
    rows = log_rows(log, patient.mrn)
    expect(rows).to_have_count(2)
    reminder = of_event(rows, told.REMINDER)
    expect(reminder).to_contain_text("Appointment reminder")
    expect(reminder).to_contain_text("Sent")
    expect(reminder).to_contain_text(
        f"Reminder: Dr Sita Karki, {date_said} at {time_said}. Reply C to confirm or X to cancel."
    )

    # While it is booked, nobody else is offered that time.
    page.goto(booking.booking_page(booking.other_patient))
    expect(page.locator("#practitioner option:checked")).to_have_text("Dr Sita Karki")
    expect(page.get_by_test_id("slots")).to_be_visible()
    expect(offered(page, booking)).to_have_count(0)

    # The patient answers the reminder from their phone: X.
    answer = post_inbound_sms(live_server.url, patient.phone, "X")
    assert answer.status_code == 200
    assert answer.text == f"Your appointment on {date_said} at {time_said} is cancelled."
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED

    # The booking page offers the time again, and the appointment says who cancelled it.
    page.reload()
    expect(offered(page, booking)).to_have_count(1)
    page.goto(f"/scheduling/appointments/{appointment.pk}/")
    expect(status).to_have_text("Cancelled Cancelled by the patient (SMS reply)")

    # Reception is told in-app.
    page.goto("/notifications/")
    notice = page.get_by_test_id("notice").filter(has_text=patient.full_name)
    expect(notice).to_contain_text(
        f"{patient} cancelled by SMS: Dr Sita Karki, {date_said} {time_said}"
    )

    # The reply told the patient: no second SMS saying the same (they have no e-mail address).
    rows = log_rows(log, patient.mrn)
    expect(rows).to_have_count(2)
    expect(of_event(rows, told.CANCELLED)).to_have_count(0)
    assert set(Message.objects.filter(patient=patient).values_list("event", "status")) == {
        (told.BOOKED, MessageStatus.SENT),
        (told.REMINDER, MessageStatus.SENT),
    }


#: Paracetamol for three days: the patient is allergic to sulfa drugs, not to this.
PARACETAMOL = {
    "medicine_name": "Paracetamol",
    "strength": "500 mg",
    "form": "tablet",
    "dose": "1",
    "dose_unit": "tablet",
    "frequency": "TDS",
    "duration_days": "3",
}


@pytest.fixture
def prescribing_consultation(asgi_server: str) -> Encounter:
    """Bishnu Thapa (allergic to sulfa drugs, which the nurse has recorded) is with doc001,
    the consultation open and paracetamol on its prescription, through the services."""
    people = {name: User.objects.get(username=name) for name in ("reception", "nurse")}
    load_demo_patients(receptionist=people["reception"], nurse=people["nurse"])
    patient = Patient.objects.get(clinic__code="KTM", given_name="Bishnu", family_name="Thapa")
    gp = Practitioner.objects.select_related("user").get(
        clinic__code="KTM", user__username="doc001"
    )
    frontdesk.add_walk_in(
        actor=actor_for(people["reception"]), patient=patient, practitioner=gp, reason="Fever"
    )
    doctor = actor_for(gp.user)
    entry = frontdesk.call_next(actor=doctor, practitioner=gp)
    assert entry is not None
    consultation = clinical.open_encounter(actor=doctor, entry=entry)
    prescribing.add_item(actor=doctor, encounter=consultation, details=PARACETAMOL)
    return consultation


def test_the_pharmacists_bell_rings_when_a_doctor_signs_a_prescription(
    asgi_page: Callable[[], Page], prescribing_consultation: Encounter
) -> None:
    patient = prescribing_consultation.patient

    # The pharmacist is on their dashboard, its notification channel joined.
    pharmacist = asgi_page()
    sign_in(pharmacist, "pharmacist")
    expect(pharmacist.locator("body")).to_have_attribute(
        "data-notifications-live", "on", timeout=LIVE_MS
    )
    bell = pharmacist.get_by_test_id("notifications").locator("[data-notification-count]")
    unread = int(bell.text_content() or "0")
    pharmacist.evaluate("window.__notReloaded = 'still here'")

    # The doctor signs the consultation on their own screen.
    doctor = asgi_page()
    sign_in(doctor, "doc001")
    doctor.goto(f"/clinical/encounters/{prescribing_consultation.pk}/")
    expect(doctor.get_by_test_id("prescription-items")).to_contain_text("Paracetamol")
    doctor.locator("#n-plan").fill("Paracetamol, fluids, rest.")
    expect(doctor.get_by_test_id("save-state")).to_contain_text("Saved")
    doctor.once("dialog", lambda dialog: dialog.accept())
    doctor.get_by_test_id("sign").click()
    expect(doctor.get_by_text("The consultation is signed.")).to_be_visible()

    # The bell rings on the pharmacist's open page, which was not reloaded.
    expect(bell).to_have_text(str(unread + 1), timeout=LIVE_MS)
    expect(bell).to_be_visible()
    assert pharmacist.evaluate("window.__notReloaded") == "still here"

    # The bell leads to the notice, and the notice to the prescription waiting for them.
    pharmacist.get_by_test_id("notifications").click()
    notice = pharmacist.get_by_test_id("notice").filter(has_text=patient.full_name)
    expect(notice).to_contain_text(f"New prescription: {patient}, from Dr Ram Sharma")
    notice.get_by_role("button", name="Open").click()
    expect(pharmacist).to_have_url(re.compile(r"/pharmacy/prescriptions/[0-9a-f-]+/"))
    expect(pharmacist.locator("main")).to_contain_text("Paracetamol")
