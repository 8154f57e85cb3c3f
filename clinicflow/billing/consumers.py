"""The cash desk's live list of patients waiting to pay."""

from __future__ import annotations

from typing import Any

from clinicflow.billing import live
from clinicflow.core.access import PolicyConsumer


class BillingDeskConsumer(PolicyConsumer):
    """The clinic's cash desks: each message names the patient whose bill moved (a charge,
    an invoice, a payment), and the desk reloads its waiting list (the queue's script)."""

    policy_action = "billing.desk"

    async def joined(self) -> None:
        assert self.actor.clinic is not None
        await self.join(live.desk_group(self.actor.clinic.pk))
        await self.send_json({"type": "hello"})

    async def bill_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({k: v for k, v in event.items() if k != "type"} | {"type": "queue"})
