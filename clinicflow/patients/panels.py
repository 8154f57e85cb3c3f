"""Sections other domains add to the chart (latest vitals, recent consultations…) without the
chart knowing them: a *panel* is a template and its context, or nothing for this patient."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clinicflow.core.actor import Actor
    from clinicflow.patients.models import Patient


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


PanelSource = Callable[["Patient", "Actor"], Panel | None]
_SOURCES: dict[str, PanelSource] = {}


def register_panel(name: str, source: PanelSource) -> None:
    _SOURCES[name] = source


def panels_for(patient: Patient, actor: Actor) -> list[Panel]:
    return [p for source in _SOURCES.values() if (p := source(patient, actor)) is not None]
