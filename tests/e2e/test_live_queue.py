"""The live front desk in a real browser, on a real ASGI server (pages and WebSockets): the
receptionist adds a walk-in and the doctor's queue page, open on another screen, shows them
without reloading; the doctor calls them in and the waiting-room board shows and announces the
token.

Each screen is its own browser context (its own sign-in). A page counts as "not reloaded" when a
marker put on its ``window`` before the change is still there after it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from clinicflow.frontdesk.models import BoardLink, QueueEntry, QueueStatus
from clinicflow.scheduling.models import Practitioner
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

QUEUE_URL = "/frontdesk/"
#: How long a live update may take to show: a WebSocket message, then an HTMX reload.
LIVE_MS = 10_000


def open_queue(page: Page) -> None:
    page.goto(QUEUE_URL)
    # "on" once the socket has joined the clinic's queue: changes from now on are heard.
    expect(page.locator("body")).to_have_attribute("data-queue-live", "on", timeout=LIVE_MS)


def test_a_walk_in_reaches_the_doctor_live_and_their_call_reaches_the_board(
    asgi_page: Callable[[], Page],
) -> None:
    doctor = Practitioner.objects.select_related("user").get(user__username="doc002")
    link = BoardLink.objects.get(clinic=doctor.clinic, revoked_at__isnull=True)

    board = asgi_page()
    board.goto(f"/frontdesk/board/{link.token}/")
    expect(board.locator("body")).to_have_attribute("data-board-live", "on", timeout=LIVE_MS)
    expect(board.get_by_test_id("board").locator(".board-called")).to_have_count(0)

    doctors_screen = asgi_page()
    sign_in(doctors_screen, "doc002")
    open_queue(doctors_screen)
    doctors_queue = doctors_screen.get_by_test_id("queue")
    expect(doctors_queue).to_contain_text("Nobody is waiting.")
    doctors_screen.evaluate("window.__notReloaded = 'still here'")

    reception = asgi_page()
    sign_in(reception, "reception")
    open_queue(reception)
    walk_in = reception.get_by_test_id("walk-in-form")
    walk_in.get_by_label("Name (not registered)").fill("Maya Tamang")
    walk_in.get_by_label("Phone").fill("9841000001")
    walk_in.get_by_label("Doctor").select_option(str(doctor.pk))
    walk_in.get_by_label("Reason").fill("Palpitations")
    walk_in.get_by_test_id("add-walk-in").click()
    expect(reception.get_by_text("The walk-in is in the queue.")).to_be_visible()

    # The doctor's page shows the walk-in by itself, on the same page (no navigation).
    row = doctors_queue.locator("tr.queue-row", has_text="Maya Tamang")
    expect(row).to_have_count(1, timeout=LIVE_MS)
    expect(row).to_have_attribute("data-token", "C-1")
    expect(row).to_contain_text("Waiting")
    assert doctors_screen.evaluate("window.__notReloaded") == "still here"
    # The board lists the token as next, never the name.
    expect(board.locator(".board-next [data-token='C-1']")).to_have_count(1, timeout=LIVE_MS)
    expect(board.locator("body")).not_to_contain_text("Maya")

    doctors_screen.get_by_test_id("call-next").click()
    expect(doctors_screen.get_by_test_id("current-patient")).to_contain_text("C-1 Maya Tamang")

    called = board.get_by_test_id("board").locator(".board-called.board-latest")
    expect(called).to_have_attribute("data-token", "C-1", timeout=LIVE_MS)
    expect(called).to_contain_text("Room 2")
    expect(board.locator("body")).to_have_attribute(
        "data-last-announcement", re.compile(r"^Token C-1, room 2$")
    )
    entry = QueueEntry.objects.get(walk_in_name="Maya Tamang")
    assert entry.status == QueueStatus.WITH_DOCTOR
    assert entry.practitioner == doctor


def test_after_a_live_reload_the_more_menu_opens_whole_with_every_doctor(
    asgi_page: Callable[[], Page],
) -> None:
    """The reception's queue reloads itself when the nurse adds a walk-in; the row's "More"
    menu then still offers every doctor to give the patient to, and opens whole over the
    table's edge (it was clipped by the table's scrolling box)."""
    doctors = Practitioner.objects.filter(clinic__code="KTM", is_active=True).count()

    reception = asgi_page()
    sign_in(reception, "reception")
    reception.set_viewport_size({"width": 1280, "height": 720})
    open_queue(reception)
    reception.evaluate("window.__notReloaded = 'still here'")

    nurse = asgi_page()
    sign_in(nurse, "nurse")
    open_queue(nurse)
    walk_in = nurse.get_by_test_id("walk-in-form")
    walk_in.get_by_label("Name (not registered)").fill("Hari Gurung")
    walk_in.get_by_test_id("add-walk-in").click()
    expect(nurse.get_by_text("The walk-in is in the queue.")).to_be_visible()

    row = reception.get_by_test_id("queue").locator("tr.queue-row", has_text="Hari Gurung")
    expect(row).to_have_count(1, timeout=LIVE_MS)
    assert reception.evaluate("window.__notReloaded") == "still here"  # a live reload
    row.get_by_test_id("more").click()
    menu = row.locator(".dropdown-menu")
    expect(menu).to_be_visible()
    expect(menu.locator("select[name=practitioner] option")).to_have_count(doctors)
    # Whole: the point at the menu's bottom edge belongs to the menu, not to what lies below.
    box = menu.bounding_box()
    assert box is not None
    inside = reception.evaluate(
        """([x, y]) => {
            const hit = document.elementFromPoint(x, y);
            return !!hit && !!hit.closest('.dropdown-menu');
        }""",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] - 4],
    )
    assert inside
