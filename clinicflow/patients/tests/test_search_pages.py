"""Common names: every namesake reachable a page at a time, and quick narrowing by sex, age or
birth year and phone digits, without losing the typo tolerance."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinicflow.core.errors import DomainError
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.patients.search import Narrowing, search_page

pytestmark = pytest.mark.django_db


def born(years_ago: int, days: int = 30):
    return timezone.localdate() - timedelta(days=365 * years_ago + days)


@pytest.fixture
def namesakes(register):
    """31 Ram Sharmas (ages 20–50, alternating sex), a Ram Sarma and a Rama Sharma."""
    people = [
        register(
            given_name="Ram",
            family_name="Sharma",
            sex="male" if n % 2 else "female",
            birth_date=born(20 + n),
            phone=f"98410{n:05d}",
        )
        for n in range(31)
    ]
    people.append(register(given_name="Ram", family_name="Sarma", birth_date=born(40)))
    people.append(register(given_name="Rama", family_name="Sharma", birth_date=born(41)))
    return people


def every_page(clinic, text, *, narrowing=None, size=10):
    pages, after = [], None
    while True:
        page = search_page(clinic, text, narrowing=narrowing, after=after, size=size)
        pages.append(page.items)
        if not page.next_cursor:
            return pages
        after = page.next_cursor


def test_every_namesake_is_reachable_page_by_page_best_names_first(clinic, namesakes):
    pages = every_page(clinic, "Ram Sharma")
    found = [p for page in pages for p in page]
    assert len(found) == len({p.pk for p in found}) == 33  # nobody twice, nobody missed
    assert [len(page) for page in pages] == [10, 10, 10, 3]
    exact = [p for p in found if p.search_name == "ram sharma"]
    assert found[:31] == exact  # the exact name first, by MRN; the near names after
    assert [p.mrn_seq for p in exact] == sorted(p.mrn_seq for p in exact)


def test_a_typo_still_pages_through_the_same_people(clinic, namesakes):
    found = [p for page in every_page(clinic, "Raam Shrma") for p in page]
    assert {p.pk for p in found} >= {p.pk for p in namesakes[:31]}


def test_each_page_costs_the_same_queries(clinic, namesakes):
    first = search_page(clinic, "Ram Sharma", size=5)
    with CaptureQueriesContext(connection) as one:
        search_page(clinic, "Ram Sharma", size=5)
    with CaptureQueriesContext(connection) as deep:
        search_page(clinic, "Ram Sharma", after=first.next_cursor, size=5)
    assert len(deep.captured_queries) == len(one.captured_queries) <= 5


def test_a_patient_registered_between_pages_does_not_shift_the_next_page(
    clinic, namesakes, register
):
    first = search_page(clinic, "Ram Sharma", size=10)
    register(given_name="Ram", family_name="Sharma", birth_date=born(70))
    second = search_page(clinic, "Ram Sharma", after=first.next_cursor, size=10)
    assert not {p.pk for p in first.items} & {p.pk for p in second.items}
    assert second.items[0].mrn_seq > first.items[-1].mrn_seq


@pytest.mark.parametrize(
    ("narrowing", "expected"),
    [
        (Narrowing(sex="male"), 15),
        (Narrowing(age=40), 2),  # Ram Sharma no. 20 and Ram Sarma: 40 years and a month old
        (Narrowing(born=born(40).year), None),  # a birth year: whoever was born that year
        (Narrowing(phone_digits="41000012"), 1),
        (Narrowing(sex="male", phone_digits="984100001"), 5),  # nos. 11, 13, 15, 17, 19
    ],
)
def test_narrowing_keeps_only_those_who_fit(clinic, namesakes, narrowing, expected):
    found = [p for page in every_page(clinic, "Ram Sharma", narrowing=narrowing) for p in page]
    today = timezone.localdate()
    for patient in found:
        if narrowing.sex:
            assert patient.sex == narrowing.sex
        if narrowing.age is not None:
            assert patient.age_on(today) == narrowing.age
        if narrowing.born:
            assert patient.birth_date.year == narrowing.born
        assert narrowing.phone_digits in patient.phone.replace("+977", "")
    everyone = [p for p in namesakes if p.search_name in {"ram sharma", "ram sarma", "rama sharma"}]
    fitting = [
        p
        for p in everyone
        if (not narrowing.sex or p.sex == narrowing.sex)
        and (narrowing.age is None or p.age_on(today) == narrowing.age)
        and (not narrowing.born or p.birth_date.year == narrowing.born)
        and narrowing.phone_digits in p.phone
    ]
    assert {p.pk for p in found} == {p.pk for p in fitting}
    if expected is not None:
        assert len(found) == expected


def test_narrowing_alone_lists_whoever_fits(clinic, namesakes):
    found = search_page(clinic, "", narrowing=Narrowing(age=40), size=50).items
    assert {p.search_name for p in found} == {"ram sharma", "ram sarma"}


def test_a_forged_page_link_is_refused_not_a_crash(clinic, namesakes):
    for forged in ("bm90IGpzb24", "WzEsIDJd", "WyJyYW0gc2hhcm1hIiwgIngiXQ", "%%%"):
        with pytest.raises(DomainError) as refused:
            search_page(clinic, "Ram Sharma", after=forged)
        assert refused.value.field == "after"


def test_the_search_page_pages_narrows_and_audits_who_was_shown(
    receptionist, clinic, namesakes, sign_in
):
    client = sign_in(receptionist)
    page = client.get(reverse("patients:search"), {"q": "Ram Sharma"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "more on the next page" in html
    assert 'data-testid="next-page"' in html
    shown = page.context["results"]
    assert len(shown) == 25
    event = AuditEvent.objects.for_clinic(clinic).filter(action=AuditAction.VIEW).latest("id")
    assert event.changes["part"] == "patient search"
    assert event.changes["patients"] == sorted(str(p.pk) for p in shown)
    assert event.changes["filters"] == {"q": "Ram Sharma"}
    following = client.get(
        reverse("patients:search"), {"q": "Ram Sharma", "after": page.context["page"].next_cursor}
    )
    rest = following.context["results"]
    assert len(rest) == 8
    assert not {p.pk for p in shown} & {p.pk for p in rest}
    narrowed = client.get(reverse("patients:search"), {"q": "Ram Sharma", "sex": "male"})
    assert {p.sex for p in narrowed.context["results"]} == {"male"}
    assert len(narrowed.context["results"]) == 15
    assert "more on the next page" not in narrowed.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"q": "Ram", "age": "500"}, "Enter an age"),
        ({"q": "Ram", "phone": "98x41"}, "Only the digits"),
        ({"q": "Ram", "after": "bm90IGpzb24"}, "This page link is not valid"),
    ],
)
def test_bad_narrowing_gets_a_clear_message(receptionist, namesakes, sign_in, query, message):
    page = sign_in(receptionist).get(reverse("patients:search"), query)
    assert page.status_code == 200
    assert message in page.content.decode()
    assert page.context["results"] == []


def test_the_api_pages_a_search_with_next_links_and_narrows(receptionist, namesakes, sign_in):
    api = sign_in(receptionist)
    url = reverse("api:patient-list")
    first = api.get(url, {"q": "Ram Sharma", "page_size": 10}).json()
    assert len(first["results"]) == 10
    second = api.get(first["next"]).json()
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    narrowed = api.get(url, {"q": "Ram Sharma", "age": 40}).json()
    assert [r["family_name"] for r in narrowed["results"]] == ["Sharma", "Sarma"]
    assert narrowed["results"][0]["age_years"] == 40
    assert narrowed["next"] is None
    refused = api.get(url, {"q": "Ram", "age": "500"})
    assert refused.status_code == 400
    assert "age" in refused.json()
    forged = api.get(url, {"q": "Ram", "after": "WzEsIDJd"})
    assert forged.status_code == 400
    assert forged.json()["field"] == "after"
