"""The public face and each role's dashboard."""

from __future__ import annotations

import pytest
from django.urls import reverse

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


def test_figures_not_built_yet_say_so_instead_of_showing_numbers(lab_technician, sign_in):
    cards = sign_in(lab_technician).get(reverse("core:dashboard")).context["dashboard"].cards
    assert cards
    assert all(card.value is None and "Arrives with" in str(card.note) for card in cards)


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
