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
from django.db.models import Case, F, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Collate, Greatest
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

#: The key of a page link into a list ranked name by name (not walked group by group).
RANKED = "ranked"


@dataclass(frozen=True)
class Group:
    """Patients found one way (a typed word as a given name, the same word as a family name,
    a phone number), listed by name, then MRN. A page walks the groups in order; a patient is
    listed in the first group that finds them."""

    key: str
    match: Q


def _cursor(key: str, patient: Patient) -> str:
    raw = json.dumps([key, patient.search_name, patient.mrn_seq]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _position(cursor: str) -> tuple[str, str, int]:
    """The (group or ``RANKED``, name, MRN number) a page link continues after; a refusal for
    a forged one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, name, seq = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        key = name = seq = None
    if not isinstance(key, str) or not isinstance(name, str) or type(seq) is not int:
        raise _stale()
    return key, name, seq


def _stale() -> DomainError:
    return DomainError(_("This page link is not valid: search again."), field="after")


def _in_name_order() -> Collate | F:
    """Names in code-point order ("C"), which an index keeps on PostgreSQL whatever the
    database's own collation: a group's next page is read off the index, not sorted."""
    return Collate("search_name", "C") if connection.vendor == "postgresql" else F("search_name")


def _page_by_groups(
    patients: QuerySet[Patient], groups: list[Group], after: str | None, size: int
) -> KeysetPage:
    """The next ``size`` patients after the link ``after``, walking the groups in order. Each
    group asks for at most ``size + 1`` rows in the order an index keeps (name, MRN), so a
    group of ten thousand costs what a group of ten does. The first group goes alone (it
    usually fills the page); the rest, when needed, together (UNION ALL where the database
    allows, else one by one until the page is full)."""
    start, position = 0, Q()
    if after:
        key, name, seq = _position(after)
        keys = [group.key for group in groups]
        if key not in keys:
            raise _stale()
        start = keys.index(key)
        position = Q(name_in_order__gt=name) | Q(name_in_order=name, mrn_seq__gt=seq)
    listed = patients.annotate(name_in_order=_in_name_order())
    parts, earlier = [], Q(pk__in=[])
    for index, group in enumerate(groups):
        if index >= start:
            rows = listed.filter(group.match).exclude(earlier)
            if index == start:
                rows = rows.filter(position)
            parts.append(
                rows.annotate(group=Value(index, output_field=IntegerField())).order_by(
                    "name_in_order", "mrn_seq"
                )[: size + 1]
            )
        earlier |= group.match
    found: list[Patient] = []
    if parts:
        found += parts[0]
    rest = parts[1:]
    if (
        len(found) <= size
        and len(rest) > 1
        and connection.features.supports_slicing_ordering_in_compound
    ):
        found += rest[0].union(*rest[1:], all=True).order_by("group", "name_in_order", "mrn_seq")
    elif len(found) <= size:
        for part in rest:
            found += part
            if len(found) > size:
                break
    next_cursor = None
    if len(found) > size:
        last = found[size - 1]
        next_cursor = _cursor(groups[last.group].key, last)  # type: ignore[attr-defined]
    return KeysetPage(items=found[:size], next_cursor=next_cursor, cursor=after)


def _page_by_names(
    patients: QuerySet[Patient],
    ranked: list[str],
    key: Callable[[str], NameKey],
    after: str | None,
    size: int,
) -> KeysetPage:
    """The next ``size`` patients of names ranked in Python (by how well they match what was
    typed), after the link ``after``: the rest of its name, then the following names (each has
    at least one patient, so ``size + 1`` names fill a page and tell whether another follows).
    One query."""
    current = Q(pk__in=[])
    following = ranked
    order: list[str] = []
    if after:
        kind, name, seq = _position(after)
        if kind != RANKED:
            raise _stale()
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
    next_cursor = _cursor(RANKED, rows[size - 1]) if len(rows) > size else None
    return KeysetPage(items=rows[:size], next_cursor=next_cursor, cursor=after)


def _names(patients: QuerySet[Patient], match: Q) -> list[str]:
    return list(
        patients.filter(match)
        .order_by("search_name")
        .values_list("search_name", flat=True)
        .distinct()[:NAMES]
    )


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


def _word_groups(typed: str, words: list[str]) -> list[Group]:
    """The groups of one typed word: each close word, best first, as a given name (names that
    start with it) and then as a family name."""
    groups = []
    for word in sorted(dict.fromkeys(words), key=lambda w: (-similar(typed, w), w)):
        groups.append(Group(f"given:{word}", Q(name_in_order__startswith=f"{word} ")))
        groups.append(Group(f"family:{word}", Q(family_name__iexact=word)))
    return groups


def _one_word(
    clinic: Clinic, patients: QuerySet[Patient], word: str, after: str | None, size: int
) -> KeysetPage:
    """One typed word, on PostgreSQL: a common name or family name finds thousands, so the page
    walks the groups of its close words (an index lists each by name); when they find nobody,
    words that read alike join them; then names by trigrams."""
    kind = _position(after)[0] if after else None
    if kind == RANKED:
        return _by_trigrams(patients, [word], after, size)
    close = _close_words(clinic, [word])[0]
    groups = _word_groups(word, close)
    if kind is None or kind in {group.key for group in groups}:
        page = _page_by_groups(patients, groups, after, size)
        if page.items or after:
            return page
    page = _page_by_groups(
        patients, _word_groups(word, [*close, *_alike(clinic, [word])[0]]), after, size
    )
    if page.items or after:
        return page
    return _by_trigrams(patients, [word], None, size)


def _two_words(
    clinic: Clinic, patients: QuerySet[Patient], words: list[str], after: str | None, size: int
) -> KeysetPage:
    """Two typed words, on PostgreSQL: the names "a b" and "b a" of their close words, found by
    B-tree lookups; when those find nobody, words that read alike are added and the lookup is
    tried once more; then names by trigrams."""
    close = _close_words(clinic, words)
    names = _names(patients, _made_of(close))
    if not names:
        more = _alike(clinic, words)
        close = [
            list(dict.fromkeys([*found, *extra])) for found, extra in zip(close, more, strict=True)
        ]
        names = _names(patients, _made_of(close))
    if not names:
        return _by_trigrams(patients, words, after, size)
    return _ranked_page(patients, names, words, after, size)


def _made_of(close: list[list[str]]) -> Q:
    names = {f"{x} {y}" for x in close[0] for y in close[1]}
    names |= {f"{y} {x}" for x in close[0] for y in close[1]}
    return Q(search_name__in=names) if names else Q(pk__in=[])


def _by_trigrams(
    patients: QuerySet[Patient], words: list[str], after: str | None, size: int
) -> KeysetPage:
    """Longer names, or nothing close: names by trigram similarity, best first (slower)."""
    text = " ".join(words)
    names = list(
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
    return _ranked_page(patients, names, words, after, size)


def _names_sharing_pieces(patients: QuerySet[Patient], words: list[str]) -> list[str]:
    """SQLite: names sharing a two-letter piece with the typed words, close enough by score.
    Fine for an embedded, small clinic."""
    pieces = {w[i : i + 2] for w in words for i in range(max(len(w) - 1, 1))}
    loose = Q()
    for piece in pieces:
        loose |= Q(search_name__contains=piece)
    return [n for n in _names(patients, loose) if word_score(words, n.split()) >= SQLITE_THRESHOLD]


def _ranked_page(
    patients: QuerySet[Patient], names: list[str], words: list[str], after: str | None, size: int
) -> KeysetPage:
    """Names ranked by how well they match the typed words, then by name."""

    def key(name: str) -> NameKey:
        return (-word_score(words, name.split()), name)

    return _page_by_names(patients, sorted(set(names), key=key), key, after, size)


def _by_name(
    clinic: Clinic, patients: QuerySet[Patient], text: str, after: str | None, size: int
) -> KeysetPage:
    words = " ".join(text.lower().split()).split()
    if connection.vendor != "postgresql":
        return _ranked_page(patients, _names_sharing_pieces(patients, words), words, after, size)
    if len(words) == 1:
        return _one_word(clinic, patients, words[0], after, size)
    if len(words) == 2:
        return _two_words(clinic, patients, words, after, size)
    return _by_trigrams(patients, words, after, size)


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
        return _page_by_groups(patients, [Group("all", Q())], after, size)
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
    return _page_by_groups(patients, [Group("match", match)], after, size)


def search_patients(
    clinic: Clinic, text: str, *, limit: int = 20, active_only: bool = True
) -> list[Patient]:
    """The first ``limit`` patients a search finds, best first."""
    return search_page(clinic, text, size=limit, active_only=active_only).items
