"""The live queue: staff screens and the waiting-room token board."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from clinicflow.core import policy
from clinicflow.core.access import PolicyConsumer
from clinicflow.core.actor import Actor
from clinicflow.frontdesk import live
from clinicflow.frontdesk.models import BoardLink, QueueEntry
from clinicflow.scheduling.models import Practitioner


class QueueConsumer(PolicyConsumer):
    """Staff screens of the clinic's queue (reception, nurses, doctors). Each message names the
    entry that changed; the screen reloads what it shows. A doctor hears only of their own and
    unassigned patients."""

    policy_action = "frontdesk.queue"

    async def joined(self) -> None:
        assert self.actor.clinic is not None
        # The group is the clinic's; roles that see every visit of it need no check per
        # message (one query per message per screen was the fan-out's bottleneck).
        self._whole_clinic = policy.reaches_whole_clinic(self.actor, self.policy_action)
        self._own: int | None = None
        if not self._whole_clinic:
            self._own = await database_sync_to_async(self._own_practitioner)()
        await self.join(live.staff_group(self.actor.clinic.pk))
        await self.send_json({"type": "hello"})

    async def queue_changed(self, event: dict[str, Any]) -> None:
        if self._whole_clinic or await database_sync_to_async(self._may_see)(event):
            await self.send_json(
                {k: v for k, v in event.items() if k != "type"} | {"type": "queue"}
            )

    def _own_practitioner(self) -> int | None:
        own = Practitioner.objects.for_clinic(self.actor.clinic).filter(user=self.actor.user)
        return own.values_list("pk", flat=True).first()

    def _may_see(self, event: dict[str, Any]) -> bool:
        if "previous_practitioner" in event and event["previous_practitioner"] in (None, self._own):
            return True  # it was on this screen (unassigned, or this doctor's) and left it
        entry = QueueEntry.objects.filter(pk=event["entry"])
        return policy.restrict(self.actor, self.policy_action, entry).exists()


class BoardConsumer(PolicyConsumer):
    """The waiting-room TV, opened with a board link's secret: tokens and rooms only."""

    policy_action = "frontdesk.board"
    link: BoardLink

    def _authorise(self) -> tuple[Actor, Any] | None:
        token = self.scope["url_route"]["kwargs"].get("token", "")
        link = BoardLink.objects.filter(
            token=token, revoked_at__isnull=True, clinic__is_active=True
        ).first()
        if link is None or not policy.allows(Actor.anonymous(), self.policy_action):
            return None
        self.link = link
        return Actor.anonymous(), None

    async def joined(self) -> None:
        await self.join(live.board_group(self.link.clinic_id), live.link_group(self.link.pk))
        await self.send_json({"type": "hello"})

    async def board_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({k: v for k, v in event.items() if k != "type"} | {"type": "board"})

    async def board_revoked(self, event: dict[str, Any]) -> None:
        await self.close(code=4403)
