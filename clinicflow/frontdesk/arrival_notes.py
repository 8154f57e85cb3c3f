"""What other domains want the front desk to know the moment a patient is checked in (billing:
a balance still owed), without the front desk knowing them: each registers a *note* that reads
the arrival and the person at the desk and answers with a sentence, or nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clinicflow.core.actor import Actor
    from clinicflow.frontdesk.models import QueueEntry

Note = Callable[["QueueEntry", "Actor"], "str | None"]
_NOTES: dict[str, Note] = {}


def register_note(name: str, note: Note) -> None:
    _NOTES[name] = note


def notes_for(entry: QueueEntry, actor: Actor) -> list[str]:
    """The sentences the registered notes have for this arrival, for this person."""
    if entry.patient_id is None:
        return []
    return [text for note in _NOTES.values() if (text := note(entry, actor))]
