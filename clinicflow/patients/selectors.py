"""Reads of patient records: likely duplicates, the chart. Finding patients is
:mod:`clinicflow.patients.search`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from clinicflow.core.models import Clinic
from clinicflow.patients.models import (
    Allergy,
    ClinicalStatus,
    Condition,
    DocumentStatus,
    Patient,
    PatientDocument,
)
from clinicflow.patients.search import similar

DUPLICATE_NAME_THRESHOLD = 0.75


def in_clinic(clinic: Clinic) -> QuerySet[Patient]:
    return Patient.objects.for_clinic(clinic)


def _word_sorted(name: str) -> str:
    return " ".join(sorted(name.lower().split()))


def likely_duplicates(clinic: Clinic, patient: Patient, *, limit: int = 5) -> list[Patient]:
    """Records that may be the same person: the same phone, or a similar name with the same
    birth date."""
    qs = in_clinic(clinic).filter(is_active=True).exclude(pk=patient.pk)
    found: dict[Any, Patient] = {}
    if patient.phone:
        for match in qs.filter(phone=patient.phone)[:limit]:
            found[match.pk] = match
    if patient.birth_date:
        same_day = qs.filter(birth_date=patient.birth_date)
        name = _word_sorted(f"{patient.given_name} {patient.family_name}")
        for match in same_day[:200]:
            if similar(name, _word_sorted(match.search_name)) >= DUPLICATE_NAME_THRESHOLD:
                found.setdefault(match.pk, match)
    return list(found.values())[:limit]


@dataclass(frozen=True)
class ChartSummary:
    allergies: list[Allergy]
    conditions: list[Condition]
    documents: list[PatientDocument]

    @property
    def active_allergies(self) -> list[Allergy]:
        return [a for a in self.allergies if a.status == ClinicalStatus.ACTIVE]


def chart_summary(patient: Patient) -> ChartSummary:
    """Allergies and conditions shown on the chart (entered-in-error ones are kept, not shown)."""
    shown = ~Q(status=ClinicalStatus.ENTERED_IN_ERROR)
    allergies = Allergy.objects.for_clinic(patient.clinic).filter(shown, patient=patient)
    conditions = Condition.objects.for_clinic(patient.clinic).filter(shown, patient=patient)
    documents = PatientDocument.objects.for_clinic(patient.clinic).filter(
        patient=patient, status=DocumentStatus.CURRENT
    )
    return ChartSummary(
        allergies=list(allergies.select_related("recorded_by")),
        conditions=list(conditions.select_related("recorded_by")),
        documents=list(documents.select_related("uploaded_by")[:100]),
    )


def active_allergies(patient: Patient) -> list[Allergy]:
    """For the red banner on every page about the patient."""
    return list(
        Allergy.objects.for_clinic(patient.clinic).filter(
            patient=patient, status=ClinicalStatus.ACTIVE
        )
    )
