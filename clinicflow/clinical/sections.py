"""Sections other domains add to the consultation workspace (the lab's tests and latest
results, say) without the consultation knowing their models: a section is a template and its
context (a chart ``Panel``), or nothing for this consultation and this person. A provider runs
in a bounded number of queries; it asks the policy what the person may see and do."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from clinicflow.patients.panels import Panel

if TYPE_CHECKING:
    from clinicflow.clinical.models import Encounter
    from clinicflow.core.actor import Actor

SectionSource = Callable[["Encounter", "Actor"], Panel | None]
_SOURCES: dict[str, SectionSource] = {}


def register_section(name: str, source: SectionSource) -> None:
    """Add ``source``'s section to every consultation (again with the same name: replaced)."""
    _SOURCES[name] = source


def sections_for(encounter: Encounter, actor: Actor) -> list[Panel]:
    return [s for source in _SOURCES.values() if (s := source(encounter, actor)) is not None]
