"""The chart's timeline: every domain contributes its own entries (registration and edits here;
appointments, visits, prescriptions, results and bills from later apps) through a registered
*source*, so the chart never needs to know every model.

A source gets the patient and a limit and returns at most that many entries, newest first, in a
bounded number of queries (one is usual)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clinicflow.patients.models import Patient


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "registration", "edit", "allergy", "document", later "visit", "prescription"…
    title: str
    detail: str = ""
    icon: str = "bi-dot"
    url: str = ""


Source = Callable[["Patient", int], Iterable[TimelineEntry]]
_SOURCES: dict[str, Source] = {}


def register_source(name: str, source: Source) -> None:
    _SOURCES[name] = source


def timeline_for(patient: Patient, *, limit: int = 50) -> list[TimelineEntry]:
    """The newest ``limit`` entries of every source, newest first."""
    streams = [list(source(patient, limit)) for source in _SOURCES.values()]
    return heapq.nlargest(limit, (e for stream in streams for e in stream), key=lambda e: e.at)
