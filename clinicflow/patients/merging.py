"""Merging a duplicate record into the surviving one. Each domain registers a *mover* for the
rows it keeps about a patient (allergies here; appointments, visits, prescriptions… in later
apps), so the merge never needs to know every model."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clinicflow.patients.models import Patient

#: A mover takes (duplicate, survivor), moves its rows, and returns how many it moved.
Mover = Callable[["Patient", "Patient"], int]
_MOVERS: dict[str, Mover] = {}


def register_mover(name: str, mover: Mover) -> None:
    _MOVERS[name] = mover


def movers() -> dict[str, Mover]:
    return dict(_MOVERS)


def move_rows(model: Any, field: str = "patient") -> Mover:
    """A mover for a clinic-owned model that points at the patient through ``field``. The
    bulk update is audited row by row (``AuditedQuerySet``)."""

    def move(duplicate: Patient, survivor: Patient) -> int:
        rows = model.objects.for_clinic(duplicate.clinic).filter(**{field: duplicate})
        return int(rows.update(**{field: survivor}))

    return move
