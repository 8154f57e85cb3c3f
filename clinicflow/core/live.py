"""Sending to a live channel group (Channels) from synchronous code: services, their
``on_commit`` callbacks, tasks and commands. Each app keeps its own groups and messages."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def send_to_group(group: str, message: dict[str, Any]) -> None:
    """Send ``message`` to everyone in ``group``; nothing when no channel layer is configured."""
    send_to_groups({group: message})


def send_to_groups(messages: Mapping[str, dict[str, Any]]) -> None:
    """Send each group its message, in one pass (one event loop for all)."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all() -> None:
        for group, message in messages.items():
            await layer.group_send(group, message)

    send = async_to_sync(send_all)
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: a service called from a sync view, task or command
        send()
        return
    # Called where an event loop already runs in this thread (a sync caller inside async
    # code): async_to_sync cannot run here, so the messages go from a helper thread.
    helper = threading.Thread(target=send)
    helper.start()
    helper.join()
