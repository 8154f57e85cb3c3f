"""WebSockets ask the same policy: signed-in people connect; others are closed at once."""

from __future__ import annotations

import pytest

from tests.sockets import connect, cookie_header

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_signed_in_nurse_gets_the_live_channel(nurse, sign_in):
    from asgiref.sync import async_to_sync

    headers = cookie_header(sign_in(nurse))

    async def scenario() -> dict:
        communicator, connected = await connect(headers)
        assert connected
        hello = await communicator.receive_json_from()
        await communicator.disconnect()
        return hello

    assert async_to_sync(scenario)() == {"type": "hello", "unread": 0}


def test_an_anonymous_socket_is_closed_with_4403():
    from asgiref.sync import async_to_sync

    async def scenario() -> object:
        _communicator, connected = await connect([(b"origin", b"http://127.0.0.1")])
        assert not connected
        return connected

    assert async_to_sync(scenario)() is False


def test_ending_the_session_closes_its_sockets(nurse, sign_in):
    from asgiref.sync import async_to_sync, sync_to_async

    from clinicflow.accounts.services.sessions import EndReason, end_user_sessions

    headers = cookie_header(sign_in(nurse))

    async def scenario() -> dict:
        communicator, connected = await connect(headers)
        assert connected
        await communicator.receive_json_from()
        await sync_to_async(end_user_sessions)(nurse, reason=EndReason.DEACTIVATED)
        closed = await communicator.receive_output(timeout=5)
        await communicator.disconnect()
        return closed

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4401}


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_socket_to_a_path_no_route_serves_is_closed_with_4404(signed_in, nurse, sign_in, caplog):
    from asgiref.sync import async_to_sync

    from tests.sockets import Socket

    headers = cookie_header(sign_in(nurse)) if signed_in else [(b"origin", b"http://127.0.0.1")]

    async def scenario() -> dict:
        socket = Socket(headers, path="/ws/admin/")
        await socket.send_input({"type": "websocket.connect"})
        answer = await socket.receive_output(timeout=5)
        await socket.disconnect()
        return answer

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4404}
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
