"""Talking to the application's WebSockets in tests, over ASGI."""

from __future__ import annotations

import json

from asgiref.testing import ApplicationCommunicator
from django.conf import settings as django_settings
from django.test import Client

from config.asgi import application


def cookie_header(client: Client) -> list[tuple[bytes, bytes]]:
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return [
        (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={session}".encode()),
        (b"origin", b"http://127.0.0.1"),
    ]


class Socket(ApplicationCommunicator):
    """A WebSocket client speaking ASGI to the application (channels' own test helper needs
    daphne, which we do not otherwise use)."""

    def __init__(self, headers: list[tuple[bytes, bytes]], path: str = "/ws/notifications/"):
        scope = {
            "type": "websocket",
            "path": path,
            "raw_path": path.encode(),
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


async def connect(
    headers: list[tuple[bytes, bytes]], path: str = "/ws/notifications/"
) -> tuple[Socket, bool]:
    socket = Socket(headers, path)
    await socket.send_input({"type": "websocket.connect"})
    answer = await socket.receive_output(timeout=5)
    accepted = answer["type"] == "websocket.accept"
    if not accepted:
        # What a server does once it has sent the close: tell the application, so that it
        # ends now instead of listening on the channel layer until the test's loop is torn
        # down (with Redis, cancelling it there could hang).
        await socket.disconnect()
    return socket, accepted
