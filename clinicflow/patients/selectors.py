"""Reads of patient records: search, likely duplicates, the chart."""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.db import connection
from django.db.models import IntegerField, Q, QuerySet, Value
from django.db.models.functions import Greatest

from clinicflow.core.models import Clinic
from clinicflow.patients.models import (
    Allergy,
    ClinicalStatus,
    Condition,
    DocumentStatus,
    NameWord,
    Patient,
    PatientDocument,
)
from clinicflow.patients.phones import phone_query

MRN_PATTERN = re.compile(r"^(?:(?P<code>[A-Za-z][A-Za-z0-9]{1,7})-)?(?P<seq>\d{1,9})$")
SQLITE_THRESHOLD = 0.75
#: At most this many rows are fetched to rank, whatever the number of patients.
CANDIDATES = 200
DUPLICATE_NAME_THRESHOLD = 0.75


def in_clinic(clinic: Clinic) -> QuerySet[Patient]:
    return Patient.objects.for_clinic(clinic)


#: How many close words of each typed word are tried.
CLOSE_WORDS = 8
#: How alike (edit similarity) a word must read to stand in for a typed word the trigrams miss.
ALIKE_THRESHOLD = 0.7

#: What a candidate is ranked by, before the chosen few are loaded whole.
Candidate = tuple[Any, str, int]  # (pk, search_name, mrn_seq)
_CANDIDATE_FIELDS = ("pk", "search_name", "mrn_seq")


def _close_words(clinic: Clinic, words: list[str]) -> list[list[str]]:
    """For each typed word, name words of the clinic like it: itself, words it begins, and the
    most similar by trigrams, searched in the small word list, not the patients (one query for
    all the words)."""
    known = NameWord.objects.for_clinic(clinic)
    parts = []
    for index, word in enumerate(words):
        typed = Value(index, output_field=IntegerField())
        parts.append(
            known.filter(Q(word=word) | Q(word__startswith=word))
            .annotate(typed=typed)
            .order_by("word")
            .values_list("typed", "word")[:CLOSE_WORDS]
        )
        parts.append(
            known.filter(word__trigram_similar=word)
            .annotate(typed=typed, rank=TrigramSimilarity("word", word))
            .order_by("-rank")
            .values_list("typed", "word")[:CLOSE_WORDS]
        )
    close: list[dict[str, None]] = [{} for _ in words]
    for index, word in parts[0].union(*parts[1:], all=True):
        close[index][word] = None
    return [list(found) for found in close]


def _alike(clinic: Clinic, words: list[str]) -> list[list[str]]:
    """For each typed word, name words of the clinic with its first letter that read alike
    (edit similarity): the slips trigrams miss, such as two letters swapped in a short word
    ("Tkia" for "Tika" shares one trigram of nine). One query for all the words."""
    starts = Q()
    for word in words:
        starts |= Q(word__startswith=word[0])
    known = list(NameWord.objects.for_clinic(clinic).filter(starts).values_list("word", flat=True))
    alike = []
    for word in words:
        scored = [(_similar(word, other), other) for other in known if other[0] == word[0]]
        best = sorted((pair for pair in scored if pair[0] >= ALIKE_THRESHOLD), reverse=True)
        alike.append([other for _, other in best[:CLOSE_WORDS]])
    return alike


def _by_close_words(qs: QuerySet[Patient], clinic: Clinic, words: list[str]) -> list[Candidate]:
    """Candidates for one or two typed words, by B-tree lookups of the names the close words
    make: "a b" and "b a" for two words; given name or family name for one. When those names
    find nobody, words that read alike are added and the lookup is tried once more."""
    close = _close_words(clinic, words)
    candidates = _named(qs, close)
    if not candidates:
        more = _alike(clinic, words)
        close = [
            list(dict.fromkeys([*found, *extra])) for found, extra in zip(close, more, strict=True)
        ]
        candidates = _named(qs, close)
    return candidates


def _named(qs: QuerySet[Patient], close: list[list[str]]) -> list[Candidate]:
    if len(close) == 2:
        names = {f"{x} {y}" for x in close[0] for y in close[1]}
        names |= {f"{y} {x}" for x in close[0] for y in close[1]}
        match = Q(search_name__in=names)
    else:
        match = Q()
        for word in close[0]:
            match |= Q(search_name__startswith=f"{word} ") | Q(family_name__iexact=word)
    if not match:
        return []
    return list(qs.filter(match).order_by().values_list(*_CANDIDATE_FIELDS)[:CANDIDATES])


def _name_matches(clinic: Clinic, qs: QuerySet[Patient], text: str, limit: int) -> list[Patient]:
    """Patients whose name is like ``text``, best first: typos, word order and partial names
    ("Priya", "Sarma Priya", "Prya Sharma") forgiven. Candidates are ranked by their names
    alone; only the best ``limit`` are loaded whole."""
    text = " ".join(text.lower().split())
    words = text.split()
    if connection.vendor == "postgresql":
        candidates = _by_close_words(qs, clinic, words) if 1 <= len(words) <= 2 else []
        if not candidates:
            # Longer names, or nothing close: trigram similarity over all names (slower).
            candidates = list(
                qs.filter(
                    Q(search_name__trigram_similar=text) | Q(search_name__trigram_word_similar=text)
                )
                .annotate(
                    rank=Greatest(
                        TrigramSimilarity("search_name", text),
                        TrigramWordSimilarity(text, "search_name"),
                    )
                )
                .order_by("-rank", "family_name", "mrn_seq")
                .values_list(*_CANDIDATE_FIELDS)[:limit]
            )
        best = _ranked(words, candidates, limit)
    else:
        # SQLite: a candidate shares a two-letter piece with the words typed; each typed word
        # is scored against the candidate's closest word. Fine for an embedded, small clinic.
        pieces = {w[i : i + 2] for w in words for i in range(max(len(w) - 1, 1))}
        loose = Q()
        for piece in pieces:
            loose |= Q(search_name__contains=piece)
        best = [
            candidate
            for candidate in _ranked(
                words, list(qs.filter(loose).values_list(*_CANDIDATE_FIELDS)[:500]), limit
            )
            if _word_score(words, candidate[1].split()) >= SQLITE_THRESHOLD
        ]
    loaded = qs.in_bulk([pk for pk, _, _ in best])
    return [loaded[pk] for pk, _, _ in best]


def _ranked(words: list[str], candidates: list[Candidate], limit: int) -> list[Candidate]:
    """Best first: how well the typed words match the name's words, then by name. Candidates
    share few distinct names (they are made from a handful of close words), so each name is
    scored once."""
    scores: dict[str, float] = {}

    def score(name: str) -> float:
        if name not in scores:
            scores[name] = _word_score(words, name.split())
        return scores[name]

    return sorted(candidates, key=lambda c: (-score(c[1]), c[1], c[2]))[:limit]


def _word_score(typed: list[str], name: list[str]) -> float:
    """How well each typed word matches its closest word of the name, on average."""
    return sum(max(_similar(word, part) for part in name) for word in typed) / len(typed)


def _word_sorted(name: str) -> str:
    return " ".join(sorted(name.lower().split()))


@functools.lru_cache(maxsize=65_536)
def _similar(a: str, b: str) -> float:
    # Cached: the same few name words are compared on every search (pure, bounded, thread-safe).
    return difflib.SequenceMatcher(None, a, b).ratio()


def search_patients(
    clinic: Clinic, text: str, *, limit: int = 20, active_only: bool = True
) -> list[Patient]:
    """Patients of the clinic matching an MRN, a phone number, an e-mail or a name (one or two
    queries, whatever the number of patients)."""
    text = text.strip()
    if not text:
        return []
    qs = in_clinic(clinic)
    if active_only:
        qs = qs.filter(is_active=True)
    mrn = MRN_PATTERN.match(text)
    if mrn and (mrn["code"] is None or mrn["code"].upper() == clinic.code):
        found = list(qs.filter(mrn_seq=int(mrn["seq"]))[:1])
        if found or mrn["code"]:
            return found
    if "@" in text:
        return list(qs.filter(email__iexact=text)[:limit])
    phone = phone_query(text, region=clinic.country)
    digits = re.sub(r"\D", "", text)
    if phone:
        return list(qs.filter(phone=phone)[:limit])
    if len(digits) >= 6 and not re.search(r"[A-Za-z]", text):
        return list(qs.filter(phone__endswith=digits)[:limit])  # a partly typed number
    return _name_matches(clinic, qs, text, limit)


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
            if _similar(name, _word_sorted(match.search_name)) >= DUPLICATE_NAME_THRESHOLD:
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
