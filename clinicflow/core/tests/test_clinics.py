"""Clinics: settings a manager may change, and staff who switch between clinics."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinicflow.accounts.models import Membership
from clinicflow.core.models import Clinic
from clinicflow.core.roles import Role

pytestmark = pytest.mark.django_db


def test_manager_changes_the_clinics_timezone_and_idle_timeout(manager, clinic, sign_in):
    response = sign_in(manager).post(
        reverse("core:clinic_settings"),
        {
            "name": clinic.name,
            "timezone": "Asia/Kolkata",
            "country": "IN",
            "language": "en",
            "idle_timeout_minutes": "15",
        },
    )
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.timezone, clinic.idle_timeout_minutes) == ("Asia/Kolkata", 15)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus", "not a known time zone"),
        ("idle_timeout_minutes", "2", "greater than or equal to 5"),
    ],
)
def test_bad_settings_are_refused_at_the_field(manager, clinic, sign_in, field, value, message):
    data = {
        "name": clinic.name,
        "timezone": clinic.timezone,
        "country": "NP",
        "language": "en",
        field: value,
    }
    before = clinic.timezone
    response = sign_in(manager).post(reverse("core:clinic_settings"), data)
    assert message in response.content.decode()
    clinic.refresh_from_db()
    assert clinic.timezone == before


def test_the_database_refuses_a_malformed_clinic_code(db):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Clinic.objects.create(code="bad code", name="Nope")


def test_a_doctor_working_in_two_clinics_switches_between_them(
    doctor, clinic, other_clinic, sign_in
):
    Membership.objects.create(user=doctor, clinic=other_clinic, role=Role.DOCTOR)
    client = sign_in(doctor)
    assert client.get(reverse("core:dashboard")).context["current_clinic"] in (clinic, other_clinic)
    client.post(reverse("core:clinic_switch"), {"clinic": str(other_clinic.pk)})
    assert client.get(reverse("core:dashboard")).context["current_clinic"] == other_clinic
    client.post(reverse("core:clinic_switch"), {"clinic": str(clinic.pk)})
    assert client.get(reverse("core:dashboard")).context["current_clinic"] == clinic


def test_nobody_switches_into_a_clinic_they_do_not_work_in(doctor, clinic, other_clinic, sign_in):
    client = sign_in(doctor)
    response = client.post(
        reverse("core:clinic_switch"), {"clinic": str(other_clinic.pk)}, follow=True
    )
    assert "You do not work in that clinic" in response.content.decode()
    assert response.context["current_clinic"] == clinic


def test_times_are_shown_in_the_clinics_timezone(manager, clinic, sign_in):
    from django.utils import timezone

    client = sign_in(manager)
    client.get(reverse("core:dashboard"))
    response = client.get(reverse("core:dashboard"))
    assert response.context["current_clinic"].timezone == clinic.timezone
    assert timezone.get_current_timezone_name() == "UTC"  # deactivated after the request
