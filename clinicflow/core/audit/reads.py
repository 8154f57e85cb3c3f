"""Reads of patients' data are audited like writes. A chart or a document opened is one event
about that record; a page of rows that name patients (a search's results, a list over the API,
the dispensing history) is one event for the request, naming every patient shown, so that "who
has seen this patient's data" is answered by the trail alone, lists included."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from operator import attrgetter
from typing import Any

from django.db import connection
from django.db.models import Model, Q
from django.db.models.fields.json import KT
from django.db.models.lookups import Exact

from clinicflow.core.audit.recorder import record
from clinicflow.core.models import AuditAction, AuditEvent

PatientKey = str | Callable[[Any], Any]


def patients_named(rows: Iterable[Any], patient_key: PatientKey) -> list[str]:
    """The keys of the patients the rows are about (``patient_key``: ``pk`` for patients
    themselves, ``patient_id`` for their records, or a function of a row, e.g. for rows that
    are dictionaries; rows without a patient are skipped)."""
    read = patient_key if callable(patient_key) else attrgetter(patient_key)
    return sorted({str(key) for key in map(read, rows) if key is not None})


def record_rows_read(
    model: type[Model],
    rows: Iterable[Any],
    *,
    patient_key: PatientKey,
    part: str,
    via: str = "",
    filters: Mapping[str, Any] | None = None,
) -> AuditEvent | None:
    """One event for a page of rows shown: which patients, and with which filters (the search
    typed is part of what was done). An empty page showed nobody's data: nothing is written."""
    patients = patients_named(rows, patient_key)
    if not patients:
        return None
    changes: dict[str, Any] = {"part": part, "patients": patients}
    if via:
        changes["via"] = via
    shown_filters = {key: value for key, value in (filters or {}).items() if value}
    if shown_filters:
        changes["filters"] = shown_filters
    return record(
        AuditAction.VIEW,
        object_type=model._meta.label_lower,
        object_repr=f"{part} ({len(patients)} patients)"[:200],
        changes=changes,
    )


def record_row_read(row: Model, *, patient_key: str, part: str, via: str = "") -> AuditEvent:
    """One event for one record read (a chart, a document, a dispense)."""
    changes: dict[str, Any] = {"part": part}
    if via:
        changes["via"] = via
    patient = attrgetter(patient_key)(row)
    if patient_key != "pk" and patient is not None:
        changes["patient"] = str(patient)
    return record(AuditAction.VIEW, obj=row, changes=changes)


def naming_patient(patient_key: str) -> Q:
    """Read events that name the patient in their changes: a row opened (``patient``, as
    ``record_row_read`` writes it) or a page of rows (``patients``, ``record_rows_read``).
    On PostgreSQL written to use the expression indexes of migration core 0006 (the text of
    ``patient``; the list's containment), which read the hashed JSON itself; elsewhere the
    same answer by a scan."""
    one = Q(Exact(KT("changes__patient"), patient_key))
    if connection.vendor == "postgresql":
        return one | Q(changes__patients__contains=[patient_key])
    return one | Q(changes__patients__icontains=patient_key)
