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
        await self.join(live.pending_group(self.actor.clinic.pk))
        await self.send_json({"type": "hello"})

    async def prescription_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({k: v for k, v in event.items() if k != "type"} | {"type": "queue"})
