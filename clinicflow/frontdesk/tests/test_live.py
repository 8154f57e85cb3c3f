"""The live screens: staff sockets ask the policy, the board socket needs its secret link, and a
change reaches both once it commits — the board never with a name."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from clinicflow.accounts.actors import actor_for
from clinicflow.frontdesk import services
from tests.sockets import connect, cookie_header

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://127.0.0.1")]


def test_reception_hears_each_change_and_the_board_hears_the_token(
    receptionist, manager, sign_in, clinic
):
    link = services.create_board_link(actor=actor_for(manager), name="Hall")
    headers = cookie_header(sign_in(receptionist))
    desk = actor_for(receptionist)

    async def scenario() -> tuple[dict, dict]:
        staff, ok_staff = await connect(headers, "/ws/queue/")
        board, ok_board = await connect(ORIGIN, f"/ws/board/{link.token}/")
        assert ok_staff
        assert ok_board
        assert (await staff.receive_json_from())["type"] == "hello"
        assert (await board.receive_json_from())["type"] == "hello"
        entry = await sync_to_async(services.add_walk_in)(actor=desk, name="Sita Kumari")
        to_staff = await staff.receive_json_from()
        to_board = await board.receive_json_from()
        assert to_staff["entry"] == str(entry.pk)
        await staff.disconnect()
        await board.disconnect()
        return to_staff, to_board

    to_staff, to_board = async_to_sync(scenario)()
    assert to_staff["type"] == "queue"
    assert to_staff["status"] == "waiting"
    assert to_board["type"] == "board"
    assert to_board["token"] == "1"
    assert "Sita" not in str(to_board)
    assert to_board["seq"] > 0


def test_a_doctor_hears_only_of_their_own_and_unassigned_patients(
    receptionist, doctor, sign_in, clinic, manager, cardiologist, make_doctor
):

    other = make_doctor("gp", "GP")
    headers = cookie_header(sign_in(doctor))
    desk = actor_for(receptionist)

    async def scenario() -> dict:
        socket, ok = await connect(headers, "/ws/queue/")
        assert ok
        await socket.receive_json_from()
        add = sync_to_async(services.add_walk_in)
        await add(actor=desk, name="Theirs", practitioner=other)
        mine = await add(actor=desk, name="Mine", practitioner=cardiologist)
        heard = await socket.receive_json_from()  # the first message heard is about "Mine"
        await socket.disconnect()
        assert heard["entry"] == str(mine.pk)
        return heard

    assert async_to_sync(scenario)()["status"] == "waiting"


@pytest.mark.parametrize("who", ["pharmacist", "other_clinic_manager", None])
def test_the_queue_socket_refuses_other_roles_clinics_and_strangers(who, request, sign_in):
    headers = cookie_header(sign_in(request.getfixturevalue(who))) if who else ORIGIN

    async def scenario() -> bool:
        _socket, ok = await connect(headers, "/ws/queue/")
        return ok

    if who == "other_clinic_manager":
        # A manager of another clinic connects to *their* clinic's queue, never this one's.
        assert async_to_sync(scenario)() is True
    else:
        assert async_to_sync(scenario)() is False


def test_the_other_clinics_manager_hears_nothing_of_this_clinic(
    receptionist, other_clinic_manager, sign_in
):
    headers = cookie_header(sign_in(other_clinic_manager))
    desk = actor_for(receptionist)

    async def scenario() -> None:
        socket, ok = await connect(headers, "/ws/queue/")
        assert ok
        await socket.receive_json_from()
        await sync_to_async(services.add_walk_in)(actor=desk, name="Ram")
        assert await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()

    async_to_sync(scenario)()


def test_the_board_socket_needs_a_live_link(manager):
    link = services.create_board_link(actor=actor_for(manager), name="Hall")

    async def attempt(token: str) -> bool:
        _socket, ok = await connect(ORIGIN, f"/ws/board/{token}/")
        return ok

    assert async_to_sync(attempt)("wrong") is False
    services.revoke_board_link(actor=actor_for(manager), link=link)
    assert async_to_sync(attempt)(link.token) is False


@pytest.mark.parametrize(
    ("who", "whole"),
    [("receptionist", True), ("nurse", True), ("manager", True), ("doctor", False)],
)
def test_only_roles_that_see_every_visit_skip_the_check_per_message(who, whole, request):
    """Reception, nurses and managers hear every change of their clinic without a query per
    message; a doctor's screen is still checked visit by visit (own and unassigned)."""
    from clinicflow.core import policy

    actor = actor_for(request.getfixturevalue(who))
    assert policy.reaches_whole_clinic(actor, "frontdesk.queue") is whole
    assert policy.reaches_whole_clinic(actor, "frontdesk.setup") is (who == "manager")


def test_a_doctor_hears_when_a_patient_on_their_screen_goes_to_another_doctor(
    receptionist, doctor, sign_in, clinic, manager, cardiologist
):
    """An unassigned walk-in is on every doctor's screen; when another doctor calls them in (or
    the desk gives them to another doctor), the first doctor's screen must hear of it, or it
    keeps showing a patient who is no longer theirs to call."""
    from clinicflow.core.roles import Role
    from clinicflow.scheduling.services import create_practitioner
    from tests.factories import member

    gp_user = member(Role.DOCTOR, clinic, username="gp")
    gp = create_practitioner(
        actor=actor_for(manager), user=gp_user, specialization="GP", details={}
    )
    headers = cookie_header(sign_in(doctor))
    desk, gp_actor = actor_for(receptionist), actor_for(gp_user)

    async def scenario() -> list[dict]:
        socket, ok = await connect(headers, "/ws/queue/")
        assert ok
        await socket.receive_json_from()
        add = sync_to_async(services.add_walk_in)
        first = await add(actor=desk, name="Unassigned One")
        second = await add(actor=desk, name="Unassigned Two")
        heard = [await socket.receive_json_from(), await socket.receive_json_from()]
        await sync_to_async(services.call_next)(actor=gp_actor, practitioner=gp)
        heard.append(await socket.receive_json_from())
        await sync_to_async(services.assign)(actor=desk, entry=second, practitioner=gp)
        heard.append(await socket.receive_json_from())
        await socket.disconnect()
        assert [h["entry"] for h in heard] == [str(first.pk), str(second.pk)] * 2
        return heard

    heard = async_to_sync(scenario)()
    assert heard[2]["status"] == "with_doctor"
    assert heard[2]["practitioner"] == gp.pk
    assert heard[3]["status"] == "waiting"
