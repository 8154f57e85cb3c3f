"""The portal's live queue: a patient's screen hears that the clinic's queue moved, nothing
more (no token, no name); it then asks for its own panel again through the policy."""

from __future__ import annotations

from typing import Any

from clinicflow.core.access import PolicyConsumer
from clinicflow.frontdesk import live


class PortalQueueConsumer(PolicyConsumer):
    policy_action = "portal.queue"

    async def joined(self) -> None:
        assert self.actor.clinic is not None
        await self.join(live.board_group(self.actor.clinic.pk))
        await self.send_json({"type": "hello"})

    async def board_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "queue"})
