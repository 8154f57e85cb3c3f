"""WebSockets ask the same policy: signed-in people connect; others are closed at once."""

from __future__ import annotations

import json

import pytest
from asgiref.testing import ApplicationCommunicator
from django.conf import settings as django_settings
from django.test import Client

from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def cookie_header(client: Client) -> list[tuple[bytes, bytes]]:
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return [
        (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={session}".encode()),
        (b"origin", b"http://127.0.0.1"),
    ]


class Socket(ApplicationCommunicator):
    """A WebSocket client speaking ASGI to the application (channels' own test helper needs
    daphne, which we do not otherwise use)."""

    def __init__(self, headers: list[tuple[bytes, bytes]]):
        scope = {
            "type": "websocket",
            "path": "/ws/notifications/",
            "raw_path": b"/ws/notifications/",
            "query_string": b"",
            "headers": [(b"host", b"127.0.0.1"), *headers],
            "subprotocols": [],
        }
        super().__init__(application, scope)

    async def receive_json_from(self) -> dict:
        message = await self.receive_output(timeout=5)
        assert message["type"] == "websocket.send", message
        return json.loads(message["text"])

    async def disconnect(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(timeout=5)


async def connect(headers: list[tuple[bytes, bytes]]) -> tuple[Socket, bool]:
    socket = Socket(headers)
    await socket.send_input({"type": "websocket.connect"})
    answer = await socket.receive_output(timeout=5)
    return socket, answer["type"] == "websocket.accept"


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
        return await communicator.receive_output(timeout=5)

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4401}
