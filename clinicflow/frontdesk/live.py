"""Telling the live screens: once a queue change commits, the clinic's staff screens hear
which entry moved and the token board hears which token goes to which room — never a name.
Every message carries ``seq`` (the change's number, rising) and ``sent_at`` (epoch seconds),
so a screen can tell order and delay; a screen that reconnects reloads its list."""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction

from clinicflow.core.live import send_to_group as _send
from clinicflow.frontdesk.models import BoardLink, QueueChange, QueueEntry, QueueStatus


def staff_group(clinic_id: Any) -> str:
    return f"queue.{clinic_id}"


def board_group(clinic_id: Any) -> str:
    return f"board.{clinic_id}"


def link_group(link_id: Any) -> str:
    return f"boardlink.{link_id}"


def staff_message(entry: QueueEntry, change: QueueChange) -> dict[str, Any]:
    """What staff screens hear; ``previous_practitioner`` only when the visit changed doctor
    (None: it was unassigned), so the screens it leaves reload too."""
    message = {
        "type": "queue.changed",
        "seq": change.pk,
        "entry": str(entry.pk),
        "status": entry.status,
        "practitioner": entry.practitioner_id,
    }
    if entry.handed_over:
        message["previous_practitioner"] = entry.previous_practitioner_id
    return message


def board_message(entry: QueueEntry, change: QueueChange) -> dict[str, Any]:
    return {
        "type": "board.changed",
        "seq": change.pk,
        "token": entry.token_label,
        "room": entry.room,
        "called": entry.status == QueueStatus.WITH_DOCTOR and change.from_status != entry.status,
    }


def announce(entry: QueueEntry, change: QueueChange) -> None:
    """After commit: tell the clinic's staff screens and its token boards."""
    clinic_id = entry.clinic_id
    staff, board = staff_message(entry, change), board_message(entry, change)

    def send() -> None:
        sent_at = time.time()
        _send(staff_group(clinic_id), {**staff, "sent_at": sent_at})
        _send(board_group(clinic_id), {**board, "sent_at": sent_at})

    transaction.on_commit(send)


def close_board(link: BoardLink) -> None:
    """After commit: the screens opened with a revoked link go dark."""
    transaction.on_commit(lambda: _send(link_group(link.pk), {"type": "board.revoked"}))
