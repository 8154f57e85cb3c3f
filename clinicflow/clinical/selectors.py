"""Reading the consultation: ICD-10 search and what the doctor's workspace shows."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from clinicflow.clinical.models import Diagnosis, Encounter, Icd10Code, PregnancyStatus

SEARCH_LIMIT = 20


def search_icd10(query: str, limit: int = SEARCH_LIMIT) -> list[Icd10Code]:
    """Codes by code ("J45", "j45.0") or by words in any order ("asthma allergic"); codes
    starting with the query first, then the shortest (most general) codes."""
    words = query.lower().split()
    if not words:
        return []
    by_code = Icd10Code.objects.filter(code__istartswith=query.strip().upper())
    matches = Q()
    for word in words:
        matches &= Q(search_text__contains=word)
    rows = list(by_code.order_by("code")[:limit])
    if len(rows) < limit:
        seen = {row.code for row in rows}
        more = Icd10Code.objects.filter(matches).exclude(code__in=seen).order_by("code")
        rows += list(more[: limit - len(rows)])
    return rows


def past_encounters(patient: Any, *, exclude: Any = None, limit: int = 5) -> QuerySet[Encounter]:
    """The patient's last signed encounters with their live diagnoses (two queries)."""
    rows = (
        Encounter.objects.for_clinic(patient.clinic)
        .filter(patient=patient, status="signed")
        .select_related("practitioner__user")
        .prefetch_related(
            Prefetch(
                "diagnoses",
                queryset=Diagnosis.objects.for_clinic(patient.clinic).filter(
                    entered_in_error=False
                ),
                to_attr="live_diagnoses",
            )
        )
    )
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    return rows[:limit]


def pregnancy_status(encounter: Encounter) -> PregnancyStatus | None:
    """The latest pregnancy or breastfeeding status recorded at the encounter, with who."""
    return (
        PregnancyStatus.objects.for_clinic(encounter.clinic)
        .filter(encounter=encounter)
        .select_related("recorded_by")
        .first()
    )


def live_diagnoses(encounter: Encounter) -> QuerySet[Diagnosis]:
    return encounter.diagnoses.filter(entered_in_error=False).select_related("code")
