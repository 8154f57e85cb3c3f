"""The live notification channel of a signed-in person: it greets with the number of unread
notices, tells of new ones (``notices.raise_notices``) and carries the "your session ended"
signal that closes stale screens."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from clinicflow.core.access import PolicyConsumer


def user_group(user_id: Any) -> str:
    return f"user.{user_id}"


class NotificationConsumer(PolicyConsumer):
    policy_action = "notifications.receive"

    async def joined(self) -> None:
        await self.join(user_group(self.actor.user.pk))
        await self.send_json({"type": "hello", "unread": await self._unread()})

    @database_sync_to_async
    def _unread(self) -> int:
        from clinicflow.notifications.notices import unread_count

        return unread_count(self.actor)

    async def notify(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "notification", "payload": event.get("payload", {})})
