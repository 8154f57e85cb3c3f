"""Telling people's open screens that they have new notices, on their own live channel
(``NotificationConsumer.user_group``). Messages carry no more than a notice's title and link;
the page itself is read through the policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from clinicflow.notifications.consumers import user_group


def tell_each(payloads: Mapping[Any, dict[str, Any]]) -> None:
    """Send each person (by user id) their payload as a ``notify`` event, in one pass."""
    layer = get_channel_layer()
    if layer is None or not payloads:
        return

    async def send_all() -> None:
        for user_id, payload in payloads.items():
            await layer.group_send(user_group(user_id), {"type": "notify", "payload": payload})

    async_to_sync(send_all)()
