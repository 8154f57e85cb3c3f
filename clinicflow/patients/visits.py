"""When each patient was last seen. The patients app does not know where visits are kept; the
domain that records them (scheduling, the front desk) registers a provider: a query of
``(patient key, when last seen)`` rows for a page of patients. The providers' queries are sent
together, as one UNION ALL: one round trip, whatever the page and however many domains.

A last visit is one that happened: each provider is asked for visits up to now (an
appointment checked in days early is not a visit on its booked day), and a row dated later
than now is never shown, whichever provider wrote it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

if TYPE_CHECKING:
    from clinicflow.patients.models import Patient

#: Takes the clinic's key, the patients' keys and the moment to look back from; returns an
#: unevaluated query of ``(patient key, when last seen)`` rows (``values_list``), one row per
#: patient seen by then.
LastVisitProvider = Callable[[Any, list[Any], datetime], QuerySet[Any]]
_PROVIDERS: dict[str, LastVisitProvider] = {}


def register_provider(name: str, provider: LastVisitProvider) -> None:
    _PROVIDERS[name] = provider


def with_last_visit(patients: list[Patient]) -> list[Patient]:
    """Set ``last_visit`` (or None) on each patient: one query, whatever the page."""
    seen: dict[Any, datetime] = {}
    if patients and _PROVIDERS:
        now = timezone.now()
        keys = [patient.pk for patient in patients]
        first, *others = (
            provider(patients[0].clinic_id, keys, now) for provider in _PROVIDERS.values()
        )
        for pk, when in first.union(*others, all=True) if others else first:
            if when is not None and when <= now and (pk not in seen or when > seen[pk]):
                seen[pk] = when
    for patient in patients:
        patient.last_visit = seen.get(patient.pk)  # type: ignore[attr-defined]
    return patients
