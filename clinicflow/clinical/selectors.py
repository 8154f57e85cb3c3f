"""Reading the consultation: ICD-10 search and what the doctor's workspace shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from clinicflow.clinical.chronic import is_chronic
from clinicflow.clinical.models import Diagnosis, Encounter, Icd10Code, PregnancyStatus
from clinicflow.patients.models import ClinicalStatus, Condition

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


def on_problem_list(condition_codes: set[str], condition_texts: set[str], d: Diagnosis) -> bool:
    """Whether the diagnosis is already an active problem: the same ICD-10 code, or for an
    uncoded one the same words."""
    if d.code_id:
        return d.code_id in condition_codes
    return d.text.strip().lower() in condition_texts


def active_problems(patient: Any) -> tuple[set[str], set[str]]:
    """The codes of the patient's active problems, and the words of the uncoded ones."""
    rows = Condition.objects.for_clinic(patient.clinic).filter(
        patient=patient, status=ClinicalStatus.ACTIVE
    )
    codes, texts = set(), set()
    for code, description in rows.values_list("icd10_code", "description"):
        if code:
            codes.add(code)
        else:
            texts.add(description.strip().lower())
    return codes, texts


@dataclass(frozen=True)
class ProblemListOffer:
    """A diagnosis of the consultation as the signing form offers it to the problem list."""

    diagnosis: Diagnosis
    chronic: bool
    on_list: bool

    @property
    def ticked(self) -> bool:
        return self.chronic and not self.on_list


def problem_list_offer(encounter: Encounter) -> list[ProblemListOffer]:
    """Each diagnosis of the consultation, long-term ones to be ticked, those already an active
    problem marked so (two queries)."""
    codes, texts = active_problems(encounter.patient)
    return [
        ProblemListOffer(d, is_chronic(d.code_id), on_problem_list(codes, texts, d))
        for d in live_diagnoses(encounter)
    ]
