"""When each patient was last seen. The patients app does not know where visits are kept; the
domain that records them (scheduling now, the front desk later) registers a provider that
answers for a whole page of patients in one query."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clinicflow.patients.models import Patient

#: Takes the patients of a page; returns {patient pk: when last seen} for those seen.
LastVisitProvider = Callable[[Sequence["Patient"]], dict[Any, datetime]]
_PROVIDERS: dict[str, LastVisitProvider] = {}


def register_provider(name: str, provider: LastVisitProvider) -> None:
    _PROVIDERS[name] = provider


def with_last_visit(patients: list[Patient]) -> list[Patient]:
    """Set ``last_visit`` (or None) on each patient: one query per provider, whatever the page."""
    seen: dict[Any, datetime] = {}
    if patients:
        for provider in _PROVIDERS.values():
            for pk, when in provider(patients).items():
                if pk not in seen or when > seen[pk]:
                    seen[pk] = when
    for patient in patients:
        patient.last_visit = seen.get(patient.pk)  # type: ignore[attr-defined]
    return patients
