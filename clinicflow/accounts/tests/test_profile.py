"""One's own details: staff change their name and contact here; a patient's account changes
its name only, since its mobile number and e-mail are proved by a code in the portal."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinicflow.accounts.models import User
from clinicflow.accounts.services.profile import update_profile
from clinicflow.core.errors import DomainError
from clinicflow.core.roles import Role
from tests.factories import member

pytestmark = pytest.mark.django_db
PROFILE = "/accounts/profile/"


@pytest.fixture
def patient_account(clinic) -> User:
    return member(
        Role.PATIENT, clinic, username="asha", email="asha@example.org", phone="+9779801234567"
    )


def test_staff_change_their_own_phone_and_email(nurse, sign_in):
    client = sign_in(nurse)
    response = client.post(
        PROFILE,
        {
            "first_name": "Maya",
            "last_name": "Rai",
            "email": "Maya@Example.org",
            "phone": "9801111111",
        },
    )
    assert response.status_code == 302
    nurse.refresh_from_db()
    assert (nurse.first_name, nurse.email, nurse.phone) == (
        "Maya",
        "maya@example.org",
        "9801111111",
    )


def test_a_patients_account_is_offered_its_name_only_and_pointed_to_the_code_page(
    patient_account, sign_in
):
    page = sign_in(patient_account).get(PROFILE)
    assert set(page.context["form"].fields) == {"first_name", "last_name"}
    assert reverse("portal:contact") in page.content.decode()


def test_a_patients_account_cannot_change_its_email_or_phone_without_a_code(
    patient_account, sign_in
):
    client = sign_in(patient_account)
    response = client.post(
        PROFILE,
        {
            "first_name": "Asha",
            "last_name": "Gurung",
            "email": "thief@example.org",
            "phone": "+9779800000000",
        },
    )
    assert response.status_code == 302
    patient_account.refresh_from_db()
    assert patient_account.last_name == "Gurung"
    assert (patient_account.email, patient_account.phone) == ("asha@example.org", "+9779801234567")


def test_the_service_refuses_a_patients_contact_change(patient_account):
    with pytest.raises(DomainError):
        update_profile(user=patient_account, changes={"email": "thief@example.org"})
    patient_account.refresh_from_db()
    assert patient_account.email == "asha@example.org"


def test_an_email_another_account_uses_is_refused_and_nothing_is_saved(
    nurse, receptionist, sign_in
):
    response = sign_in(nurse).post(
        PROFILE,
        {"first_name": "Changed", "last_name": "", "email": receptionist.email, "phone": ""},
    )
    assert response.status_code == 200
    assert "Another account already uses this e-mail." in response.content.decode()
    nurse.refresh_from_db()
    assert nurse.first_name != "Changed"
