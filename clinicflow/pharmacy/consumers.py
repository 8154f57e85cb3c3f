"""The live pending-prescriptions list of the pharmacy."""

from __future__ import annotations

from typing import Any

from clinicflow.core.access import PolicyConsumer
from clinicflow.pharmacy import live


class PendingConsumer(PolicyConsumer):
    """The pharmacy's screens of the clinic's pending prescriptions: each message names the
    prescription that changed, and the screen reloads its list (the queue's script)."""

    policy_action = "pharmacy.queue"

    async def joined(self) -> None:
        assert self.actor.clinic is not None
        self._group = live.pending_group(self.actor.clinic.pk)
        await self.channel_layer.group_add(self._group, self.channel_name)
        await self.send_json({"type": "hello"})

    async def disconnect(self, code: int) -> None:
        group = getattr(self, "_group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)
        await super().disconnect(code)

    async def prescription_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({k: v for k, v in event.items() if k != "type"} | {"type": "queue"})
