"""The family member's visit today: the token, how many the doctor sees first and the wait at
the doctor's pace today; live, by a socket that says only "the queue moved"; nobody else's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.frontdesk import services as desk
from clinicflow.frontdesk.models import QueueEntry, QueueStatus
from clinicflow.portal import queue
from tests.sockets import connect, cookie_header

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor_queue(receptionist, cardiologist, priya, anjali, stranger):
    """Today's queue for the cardiologist: Ramesh, then Priya; Anjali waits for any doctor."""
    actor = actor_for(receptionist)
    first = desk.add_walk_in(actor=actor, patient=stranger, practitioner=cardiologist)
    mine = desk.add_walk_in(actor=actor, patient=priya, practitioner=cardiologist)
    child = desk.add_walk_in(actor=actor, patient=anjali)
    return first, mine, child


def test_the_place_in_the_queue_and_the_wait(doctor_queue, priya, anjali):
    _first, mine, _child = doctor_queue
    visit = queue.today_for(priya)
    assert visit.entry == mine
    assert (visit.ahead, visit.wait_minutes) == (1, queue.DEFAULT_MINUTES)
    # Anjali waits for any doctor: Ramesh and Priya were there before her.
    assert queue.today_for(anjali).ahead == 2


def test_the_wait_follows_the_doctors_pace_today(doctor_queue, priya, cardiologist):
    first, _mine, _child = doctor_queue
    now = timezone.now()
    for minutes in (4, 6, 30):
        QueueEntry.objects.create(
            clinic=first.clinic,
            day=first.day,
            token=100 + minutes,
            practitioner=cardiologist,
            walk_in_name="Earlier",
            status=QueueStatus.DONE,
            queue_time=now - timedelta(hours=2),
            called_at=now - timedelta(hours=1, minutes=minutes),
            finished_at=now - timedelta(hours=1),
        )
    assert queue.today_for(priya).wait_minutes == 6  # one before her, at the median of 4, 6, 30


def test_no_visit_today_is_said_plainly(family, sign_in, priya):
    page = sign_in(family).get("/portal/today/")
    assert page.status_code == 200
    assert 'data-testid="queue-none"' in page.content.decode()


def test_the_page_shows_the_selected_members_token_and_place(family, sign_in, doctor_queue, anjali):
    _first, mine, child = doctor_queue
    client = sign_in(family)
    page = client.get("/portal/today/").content.decode()
    assert f'data-testid="queue-token">{mine.token_label}<' in page
    assert "1 person is before you" in page
    client.post(f"/portal/family/{anjali.pk}/select/")
    page = client.get("/portal/today/").content.decode()
    assert f'data-testid="queue-token">{child.token_label}<' in page
    assert "2 people are before you" in page
    assert "Ramesh" not in page


def test_staff_may_not_open_it(sign_in, receptionist, doctor):
    for user in (receptionist, doctor):
        assert sign_in(user).get("/portal/today/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_socket_says_only_that_the_queue_moved(family, sign_in, receptionist, stranger):
    headers = cookie_header(sign_in(family))
    reception = actor_for(receptionist)

    async def scenario() -> dict:
        socket, accepted = await connect(headers, "/ws/portal/queue/")
        assert accepted
        assert (await socket.receive_json_from())["type"] == "hello"
        await sync_to_async(desk.add_walk_in)(actor=reception, patient=stranger)
        heard = await socket.receive_json_from()
        await socket.disconnect()
        return heard

    assert async_to_sync(scenario)() == {"type": "queue"}  # no token, no name


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["receptionist", "doctor", None])
def test_the_socket_refuses_staff_and_strangers(who, request, sign_in):
    origin = [(b"origin", b"http://127.0.0.1")]
    headers = cookie_header(sign_in(request.getfixturevalue(who))) if who else origin

    async def scenario() -> bool:
        _socket, accepted = await connect(headers, "/ws/portal/queue/")
        return accepted

    assert async_to_sync(scenario)() is False


def test_the_live_page_fetches_only_its_panel(family, sign_in, doctor_queue):
    panel = sign_in(family).get("/portal/today/", headers={"HX-Request": "true"})
    html = panel.content.decode()
    assert html.lstrip().startswith('<div id="queue-panel"')
    assert "<html" not in html
