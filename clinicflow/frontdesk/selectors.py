"""Reading the front desk's records for other pages."""

from __future__ import annotations

from typing import Any

from clinicflow.frontdesk.models import Observation, ObservationStatus

#: How many recent rows to scan for the latest value of each vital sign.
RECENT = 60


def latest_vitals(patient: Any) -> list[Observation]:
    """The latest value of each vital sign of the patient (one query), in the order taken."""
    rows = (
        Observation.objects.for_clinic(patient.clinic)
        .filter(patient=patient, status=ObservationStatus.FINAL)
        .order_by("-taken_at", "code")[:RECENT]
    )
    latest: dict[str, Observation] = {}
    for row in rows:
        latest.setdefault(row.code, row)
    return list(latest.values())
