"""Finding a patient: by MRN, phone, e-mail or a name typed however it comes (typos, word order,
part of a name), narrowed by what tells namesakes apart (sex, age or birth year, phone digits),
a page at a time.

A name search ranks *names*, not patients: the typed words are matched against the clinic's
name words (a small table), the names those words make are fetched once (distinct, at most
``NAMES``), scored in Python, and a page is the patients of the next few names in that order,
by MRN within a name. The order is total — (score, name, MRN) — so a page link is a key, not
an offset: every page costs the same few queries, and a patient registered meanwhile never
shifts the rest of the list.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.db import connection
from django.db.models import Case, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from clinicflow.core.errors import DomainError
from clinicflow.core.lists import KeysetPage
from clinicflow.core.models import Clinic
from clinicflow.patients.models import NameWord, Patient
from clinicflow.patients.phones import phone_query

MRN_PATTERN = re.compile(r"^(?:(?P<code>[A-Za-z][A-Za-z0-9]{1,7})-)?(?P<seq>\d{1,9})$")
#: At most this many distinct names are ranked per search; past them, narrowing finds the one.
NAMES = 500
#: SQLite has no trigrams: names sharing a two-letter piece are scored, and kept above this.
SQLITE_THRESHOLD = 0.75
#: How many close words of each typed word are tried.
CLOSE_WORDS = 8
#: How alike (edit similarity) a word must read to stand in for a typed word the trigrams miss.
ALIKE_THRESHOLD = 0.7
#: A number at least this large narrows by birth year; below it, by age in years.
FIRST_BIRTH_YEAR = 1900

NameKey = tuple[float, str]


@dataclass(frozen=True)
class Narrowing:
    """What a searcher adds to tell namesakes apart; every part is optional."""

    sex: str = ""
    age: int | None = None
    born: int | None = None  # the year of birth
    phone_digits: str = ""

    def __bool__(self) -> bool:
        return bool(self.sex or self.age is not None or self.born or self.phone_digits)

    def apply(self, patients: QuerySet[Patient], today: date) -> QuerySet[Patient]:
        if self.sex:
            patients = patients.filter(sex=self.sex)
        if self.born:
            patients = patients.filter(birth_date__year=self.born)
        if self.age is not None:
            # Aged ``age`` today: born after this day ``age + 1`` years ago, by this day ``age``
            # years ago (29 February counts as 28 February in other years).
            patients = patients.filter(
                birth_date__gt=_years_before(today, self.age + 1),
                birth_date__lte=_years_before(today, self.age),
            )
        if self.phone_digits:
            patients = patients.filter(phone__contains=self.phone_digits)
        return patients


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_or_year(value: int) -> dict[str, int]:
    """One box, "age or birth year": 1975 is a year, 47 an age."""
    return {"born": value} if value >= FIRST_BIRTH_YEAR else {"age": value}


# ---------------------------------------------------------------- page links


def _cursor(patient: Patient) -> str:
    raw = json.dumps([patient.search_name, patient.mrn_seq]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _position(cursor: str) -> tuple[str, int]:
    """The (name, MRN number) a page link continues after; a refusal for a forged one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, seq = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        name, seq = None, None
    if not isinstance(name, str) or type(seq) is not int:
        raise DomainError(_("This page link is not valid: search again."), field="after")
    return name, seq


def _page(
    patients: QuerySet[Patient],
    ranked: list[str],
    key: Callable[[str], NameKey],
    after: str | None,
    size: int,
) -> KeysetPage:
    """The next ``size`` patients after the link ``after``: the rest of its name, then the
    following names (each has at least one patient, so ``size + 1`` names fill a page and tell
    whether another follows). One query."""
    current = Q(pk__in=[])
    following = ranked
    order: list[str] = []
    if after:
        name, seq = _position(after)
        current = Q(search_name=name, mrn_seq__gt=seq)
        last = key(name)
        following = [n for n in ranked if key(n) > last]
        order.append(name)
    chosen = following[: size + 1]
    order.extend(chosen)
    if not order:
        return KeysetPage(items=[], next_cursor=None, cursor=after)
    place = Case(
        *(When(search_name=name, then=Value(i)) for i, name in enumerate(order)),
        output_field=IntegerField(),
    )
    rows = list(
        patients.filter(current | Q(search_name__in=chosen))
        .annotate(place=place)
        .order_by("place", "mrn_seq")[: size + 1]
    )
    next_cursor = _cursor(rows[size - 1]) if len(rows) > size else None
    return KeysetPage(items=rows[:size], next_cursor=next_cursor, cursor=after)


def _names(patients: QuerySet[Patient], match: Q) -> list[str]:
    return list(
        patients.filter(match)
        .order_by("search_name")
        .values_list("search_name", flat=True)
        .distinct()[:NAMES]
    )


def _by_name_only(name: str) -> NameKey:
    return (0.0, name)


# ---------------------------------------------------------------- names


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
        scored = [(similar(word, other), other) for other in known if other[0] == word[0]]
        best = sorted((pair for pair in scored if pair[0] >= ALIKE_THRESHOLD), reverse=True)
        alike.append([other for _, other in best[:CLOSE_WORDS]])
    return alike


def _made_of(close: list[list[str]]) -> Q:
    """Names made of the close words: "a b" and "b a" for two typed words; a given name or a
    family name for one."""
    if len(close) == 2:
        names = {f"{x} {y}" for x in close[0] for y in close[1]}
        names |= {f"{y} {x}" for x in close[0] for y in close[1]}
        return Q(search_name__in=names) if names else Q(pk__in=[])
    match = Q(pk__in=[])
    for word in close[0]:
        match |= Q(search_name__startswith=f"{word} ") | Q(family_name__iexact=word)
    return match


def _names_by_close_words(
    patients: QuerySet[Patient], clinic: Clinic, words: list[str]
) -> list[str]:
    """Names of one or two typed words, by B-tree lookups of the names the close words make;
    when those find nobody, words that read alike are added and the lookup is tried once more."""
    close = _close_words(clinic, words)
    names = _names(patients, _made_of(close))
    if not names:
        more = _alike(clinic, words)
        close = [
            list(dict.fromkeys([*found, *extra])) for found, extra in zip(close, more, strict=True)
        ]
        names = _names(patients, _made_of(close))
    return names


def _names_by_trigrams(patients: QuerySet[Patient], text: str) -> list[str]:
    """Longer names, or nothing close: names by trigram similarity, best first (slower)."""
    return list(
        patients.filter(
            Q(search_name__trigram_similar=text) | Q(search_name__trigram_word_similar=text)
        )
        .values("search_name")
        .annotate(
            rank=Max(
                Greatest(
                    TrigramSimilarity("search_name", text),
                    TrigramWordSimilarity(text, "search_name"),
                )
            )
        )
        .order_by("-rank", "search_name")
        .values_list("search_name", flat=True)[:NAMES]
    )


def _names_sharing_pieces(patients: QuerySet[Patient], words: list[str]) -> list[str]:
    """SQLite: names sharing a two-letter piece with the typed words, close enough by score.
    Fine for an embedded, small clinic."""
    pieces = {w[i : i + 2] for w in words for i in range(max(len(w) - 1, 1))}
    loose = Q()
    for piece in pieces:
        loose |= Q(search_name__contains=piece)
    return [n for n in _names(patients, loose) if word_score(words, n.split()) >= SQLITE_THRESHOLD]


def _by_name(
    clinic: Clinic, patients: QuerySet[Patient], text: str, after: str | None, size: int
) -> KeysetPage:
    words = " ".join(text.lower().split()).split()
    if connection.vendor == "postgresql":
        names = _names_by_close_words(patients, clinic, words) if 1 <= len(words) <= 2 else []
        if not names:
            names = _names_by_trigrams(patients, " ".join(words))
    else:
        names = _names_sharing_pieces(patients, words)

    def key(name: str) -> NameKey:
        return (-word_score(words, name.split()), name)

    return _page(patients, sorted(set(names), key=key), key, after, size)


def word_score(typed: list[str], name: list[str]) -> float:
    """How well each typed word matches its closest word of the name, on average."""
    return sum(max(similar(word, part) for part in name) for word in typed) / len(typed)


@functools.lru_cache(maxsize=65_536)
def similar(a: str, b: str) -> float:
    # Cached: the same few name words are compared on every search (pure, bounded, thread-safe).
    return difflib.SequenceMatcher(None, a, b).ratio()


# ---------------------------------------------------------------- the search


def search_page(
    clinic: Clinic,
    text: str,
    *,
    narrowing: Narrowing | None = None,
    after: str | None = None,
    size: int = 25,
    active_only: bool = True,
) -> KeysetPage:
    """A page of the clinic's patients matching an MRN, a phone number, an e-mail or a name,
    within the narrowing, after the page link ``after`` (a refusal if it is forged). A few
    queries per page, whatever the number of patients."""
    patients = Patient.objects.for_clinic(clinic)
    if active_only:
        patients = patients.filter(is_active=True)
    if narrowing:
        patients = narrowing.apply(patients, timezone.localdate(timezone=clinic.zone))
    text = text.strip()
    if not text:
        if not narrowing:
            return KeysetPage(items=[], next_cursor=None, cursor=None)
        return _page(patients, _names(patients, Q()), _by_name_only, after, size)
    mrn = MRN_PATTERN.match(text)
    if mrn and (mrn["code"] is None or mrn["code"].upper() == clinic.code):
        found = list(patients.filter(mrn_seq=int(mrn["seq"]))[:1])
        if found or mrn["code"]:
            return KeysetPage(items=found, next_cursor=None, cursor=None)
    if "@" in text:
        match = Q(email__iexact=text)
    elif phone := phone_query(text, region=clinic.country):
        match = Q(phone=phone)
    elif len(digits := re.sub(r"\D", "", text)) >= 6 and not re.search(r"[A-Za-z]", text):
        match = Q(phone__endswith=digits)  # a partly typed number
    else:
        return _by_name(clinic, patients, text, after, size)
    # Several people may share a phone (a family) or an e-mail: by name, then MRN.
    matched = patients.filter(match)
    return _page(matched, _names(matched, Q()), _by_name_only, after, size)


def search_patients(
    clinic: Clinic, text: str, *, limit: int = 20, active_only: bool = True
) -> list[Patient]:
    """The first ``limit`` patients a search finds, best first."""
    return search_page(clinic, text, size=limit, active_only=active_only).items
