"""The public face and each role's dashboard."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from clinicflow.core import dashboards
from clinicflow.core.roles import Role
from tests.factories import member

pytestmark = pytest.mark.django_db

HEADINGS = {
    Role.ADMIN: "Platform overview",
    Role.MANAGER: "Clinic overview",
    Role.DOCTOR: "My day",
    Role.NURSE: "Nursing",
    Role.RECEPTIONIST: "Front desk",
    Role.PHARMACIST: "Pharmacy",
    Role.LAB_TECHNICIAN: "Laboratory",
    Role.CASHIER: "Cash desk",
    Role.PATIENT: "My health",
}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_lands_on_its_own_dashboard(role, clinic, sign_in):
    client = sign_in(member(role, clinic))
    page = client.get(reverse("core:dashboard"))
    assert page.context["dashboard"].heading == HEADINGS[role]
    labels = {str(item.label) for item in page.context["navigation"]}
    assert ("Staff" in labels) == (role in (Role.MANAGER, Role.ADMIN))


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_no_dashboard_tile_promises_a_figure_it_does_not_have(role, clinic, sign_in):
    page = sign_in(member(role, clinic)).get(reverse("core:dashboard"))
    text = page.content.decode()
    for card in page.context["dashboard"].cards:
        # A count, or an amount of money in the clinic's currency ("1250.00 NPR").
        assert isinstance(card.value, int) or re.fullmatch(r"-?\d+\.\d\d [A-Z]{3}", card.value), (
            card
        )
    assert "Arrives with" not in text
    assert "Not available yet" not in text


def test_a_patient_lands_on_the_portal_home_not_on_tiles(clinic, sign_in):
    page = sign_in(member(Role.PATIENT, clinic)).get(reverse("core:dashboard"))
    assert page.context["dashboard"].cards == []
    assert page.context["dashboard"].template == "portal/home.html"
    assert b'data-testid="no-member"' in page.content  # no record linked yet: said plainly


def test_a_card_shows_on_the_dashboards_of_the_roles_it_names_only(
    nurse, doctor, sign_in, monkeypatch
):
    monkeypatch.setattr(dashboards, "_SOURCES", dict(dashboards._SOURCES))
    dashboards.register_card(
        "lab.samples", lambda actor: dashboards.Card("Samples to collect", 4), roles={Role.NURSE}
    )
    nurse_titles = [str(c.title) for c in _cards(sign_in(nurse))]
    assert "Samples to collect" in nurse_titles
    assert "Samples to collect" not in [str(c.title) for c in _cards(sign_in(doctor))]


def _cards(client):
    return client.get(reverse("core:dashboard")).context["dashboard"].cards


def test_the_manager_dashboard_counts_the_clinics_active_staff(manager, doctor, nurse, sign_in):
    cards = sign_in(manager).get(reverse("core:dashboard")).context["dashboard"].cards
    staff = next(card for card in cards if str(card.title) == "Active staff")
    assert staff.value == 3
    assert "Doctor: 1" in staff.note


def test_the_home_page_is_public_and_sends_signed_in_people_to_their_dashboard(
    client, nurse, sign_in
):
    assert client.get(reverse("core:home")).status_code == 200
    assert sign_in(nurse).get(reverse("core:home"))["Location"] == reverse("core:dashboard")


def test_health_reports_the_database_and_cache(client):
    body = client.get(reverse("core:health")).json()
    assert body["database"] == "ok"
    assert body["cache"] == "ok"
