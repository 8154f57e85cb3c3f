"""Sending to a live channel group (Channels) from synchronous code: services, their
``on_commit`` callbacks, tasks and commands. Each app keeps its own groups and messages."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def send_to_group(group: str, message: dict[str, Any]) -> None:
    """Send ``message`` to everyone in ``group``; nothing when no channel layer is configured."""
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: a service called from a sync view, task or command
        send(group, message)
        return
    # Called where an event loop already runs in this thread (a sync caller inside async
    # code): async_to_sync cannot run here, so the message goes from a helper thread.
    helper = threading.Thread(target=send, args=(group, message))
    helper.start()
    helper.join()
