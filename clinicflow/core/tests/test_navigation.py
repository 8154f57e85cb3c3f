"""The sidebar: every person sees the pages their roles may open, grouped by area, the page
they are on marked as current; the top bar has a patient search for those who may search."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.core import navigation, policy
from clinicflow.core.context_processors import SIDEBAR_COOKIE
from clinicflow.core.roles import Role
from tests.factories import member

pytestmark = pytest.mark.django_db

ENTRIES = list(navigation._ENTRIES.values())


def _nav_html(page) -> str:
    html = page.content.decode()
    return html.split('data-testid="navigation"', 1)[1].split("</nav>", 1)[0]


def test_every_entry_leads_to_a_view_with_a_known_policy_action():
    assert len(ENTRIES) >= 20
    for entry in ENTRIES:
        assert entry.action in policy.POLICY, entry.url_name


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_sees_exactly_the_pages_it_may_open(role, clinic, sign_in):
    client = sign_in(member(role, clinic))
    page = client.get(reverse("core:dashboard"))
    shown = {link.url_name for link in page.context["navigation"]}

    for entry in ENTRIES:
        opens = client.get(entry.url).status_code
        if entry.url_name in shown:
            assert opens in (200, 302), (entry.url_name, opens)  # the admin redirects to its 2FA
        else:
            assert opens == 403, (entry.url_name, opens)


def test_areas_come_in_their_order_and_empty_ones_are_left_out(manager, cashier, sign_in):
    sections = sign_in(manager).get(reverse("core:dashboard")).context["navigation"].sections
    areas = [s.area.key for s in sections if s.area]
    assert areas == [
        "front_desk",
        "clinical",
        "pharmacy",
        "lab",
        "billing",
        "reports",
        "administration",
    ]
    assert sections[0].area is None  # the dashboard, above the areas
    assert [str(link.label) for link in sections[0].links] == ["Dashboard"]

    page = sign_in(cashier).get(reverse("core:dashboard"))
    areas = [s.area.key for s in page.context["navigation"].sections if s.area]
    assert areas == ["front_desk", "billing", "administration"]  # patient search; the API's pages
    html = _nav_html(page)
    assert "Cash desk" in html
    for hidden in ("Pharmacy", "Lab", "Reports"):
        assert hidden not in html


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/dashboard/", "Dashboard"),
        ("/patients/new/", "Patients"),  # a page under an entry's address
        ("/pharmacy/stock/receipts/new/", "Goods receipts"),  # the longest address wins
        ("/pharmacy/stock/", "Stock"),
        ("/scheduling/book/?patient={patient}", "Appointments"),  # covered by its name
        ("/patients/{patient}/", "Patients"),
        ("/accounts/profile/", None),  # the user menu's pages are in no area
    ],
)
def test_the_entry_of_the_page_is_marked_current_also_on_its_sub_pages(
    path, current, manager, register, sign_in
):
    page = sign_in(manager).get(path.format(patient=register().pk))
    assert page.status_code == 200
    marked = page.context["navigation"].current
    assert (str(marked.label) if marked else None) == current
    html = _nav_html(page)
    assert html.count('aria-current="page"') == (1 if current else 0)
    if current:
        assert re.search(rf'aria-current="page">\s*<i[^>]*></i><span[^>]*>{current}<', html)


def test_a_domain_adds_its_pages_from_its_own_app(manager, nurse, sign_in, monkeypatch):
    monkeypatch.setattr(navigation, "_ENTRIES", dict(navigation._ENTRIES))
    navigation.register(
        navigation.Entry("Staff again", "accounts:staff_list", "bi-people", "lab", order=1)
    )
    labels = [str(link.label) for link in sign_in(manager).get("/dashboard/").context["navigation"]]
    assert "Staff again" in labels  # staff.view: management
    labels = [str(link.label) for link in sign_in(nurse).get("/dashboard/").context["navigation"]]
    assert "Staff again" not in labels
    with pytest.raises(ValueError, match="Unknown navigation area"):
        navigation.Entry("Somewhere", "core:dashboard", "bi-x", "nowhere")


def test_a_folded_sidebar_stays_folded_from_the_first_paint(nurse, sign_in):
    client = sign_in(nurse)
    html = client.get("/dashboard/").content.decode()
    assert 'class="cf-signed-in"' in html
    assert 'data-sidebar-fold aria-controls="sidebar" aria-expanded="true"' in html

    client.cookies[SIDEBAR_COOKIE] = "folded"
    html = client.get("/dashboard/").content.decode()
    assert 'class="cf-signed-in sidebar-folded"' in html
    assert 'data-sidebar-fold aria-controls="sidebar" aria-expanded="false"' in html


@pytest.mark.parametrize(
    ("role", "searches"), [(Role.RECEPTIONIST, True), (Role.CASHIER, True), (Role.PATIENT, False)]
)
def test_the_top_bar_searches_patients_for_those_who_may(role, searches, clinic, sign_in):
    html = sign_in(member(role, clinic)).get("/dashboard/").content.decode()
    assert ('data-testid="top-search"' in html) == searches
    if searches:
        assert f'action="{reverse("patients:search")}"' in html


def test_signed_out_pages_have_no_sidebar(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert 'data-testid="navigation"' not in html
    assert "cf-sidebar" not in html


# ---------------------------------------------------------------- worked out once per role set


def _labels(page) -> set[str]:
    return {str(link.label) for link in page.context["navigation"]}


def test_a_role_granted_or_taken_away_changes_the_sidebar_at_once(clinic, sign_in):
    from clinicflow.accounts.models import Membership

    user = member(Role.NURSE, clinic)
    client = sign_in(user)
    assert "Cash desk" not in _labels(client.get("/dashboard/"))

    granted = Membership.objects.create(user=user, clinic=clinic, role=Role.CASHIER)
    page = client.get("/dashboard/")
    assert "Cash desk" in _labels(page)
    assert "Cash desk" in _nav_html(page)

    granted.is_active = False
    granted.save(update_fields=["is_active"])
    page = client.get("/dashboard/")
    assert "Cash desk" not in _labels(page)
    assert "Cash desk" not in _nav_html(page)


def test_people_with_the_same_roles_share_a_sidebar_and_each_page_marks_its_own_entry(
    clinic, sign_in
):
    first, second = member(Role.RECEPTIONIST, clinic), member(Role.RECEPTIONIST, clinic)
    mine = sign_in(first).get("/dashboard/").context["navigation"]
    theirs = sign_in(second).get("/patients/new/").context["navigation"]
    assert [link.url for link in mine] == [link.url for link in theirs]
    assert str(mine.current.label) == "Dashboard"
    assert str(theirs.current.label) == "Patients"
    # Its HTML is drawn once per current entry and kept: the same page, the same HTML.
    again = sign_in(second).get("/dashboard/").context["navigation"]
    assert again.html is mine.html
    assert re.search(r'aria-current="page">\s*<i[^>]*></i><span[^>]*>Dashboard<', mine.html)
    assert re.search(r'aria-current="page">\s*<i[^>]*></i><span[^>]*>Patients<', theirs.html)
    assert navigation.navigation_for(actor_for(first)).current is None  # no page: none marked


def test_an_entry_registered_later_shows_though_the_sidebar_was_worked_out(
    manager, sign_in, monkeypatch
):
    monkeypatch.setattr(navigation, "_ENTRIES", dict(navigation._ENTRIES))
    client = sign_in(manager)
    assert "Staff once more" not in _labels(client.get("/dashboard/"))
    navigation.register(
        navigation.Entry("Staff once more", "accounts:staff_list", "bi-people", "lab", order=2)
    )
    assert "Staff once more" in _labels(client.get("/dashboard/"))


def test_a_fragment_never_works_out_the_sidebar(manager, sign_in, monkeypatch):
    """The context processor hands the sidebar over lazily: only the layout asks for it."""
    client = sign_in(manager)
    calls = []
    real = navigation.navigation_for

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    from clinicflow.core import context_processors

    monkeypatch.setattr(context_processors, "navigation_for", counted)
    page = client.get("/patients/?q=zz", HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    assert b'data-testid="navigation"' not in page.content
    assert calls == []
    assert b'data-testid="navigation"' in client.get("/dashboard/").content
    assert len(calls) == 1


def test_the_sidebar_speaks_the_language_of_the_page(manager, monkeypatch):
    """Labels are translated once per role set and language, never served in another's."""
    from django.utils import translation
    from django.utils.functional import lazy

    monkeypatch.setattr(navigation, "_ENTRIES", dict(navigation._ENTRIES))
    label = lazy(lambda: f"Staff ({translation.get_language()})", str)()
    navigation.register(navigation.Entry(label, "accounts:staff_list", "bi-people", "lab", 3))
    actor = actor_for(manager)
    for language in ("en", "ne", "en"):
        with translation.override(language):
            labels = [link.label for link in navigation.navigation_for(actor)]
        assert f"Staff ({language})" in labels
