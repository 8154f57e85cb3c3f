"""Telling people's open screens that they have new notices, on their own live channel
(``NotificationConsumer.user_group``). Messages carry no more than a notice's title and link;
the page itself is read through the policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clinicflow.core.live import send_to_groups
from clinicflow.notifications.consumers import user_group


def tell_each(payloads: Mapping[Any, dict[str, Any]]) -> None:
    """Send each person (by user id) their payload as a ``notify`` event, in one pass."""
    send_to_groups(
        {
            user_group(user_id): {"type": "notify", "payload": payload}
            for user_id, payload in payloads.items()
        }
    )
