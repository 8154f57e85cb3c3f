"""At the desk, after checking ID: reception (and managers) link an account to a patient's
record from the chart, or remove one; nobody else, and never another clinic's record."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinicflow.core.roles import Role
from clinicflow.portal.models import LinkedVia, PatientLink, Relationship
from clinicflow.portal.tests.conftest import link
from tests.factories import member

pytestmark = pytest.mark.django_db


def _link(client, patient, account="patient", relationship=Relationship.CHILD):
    return client.post(
        reverse("portal:desk_link", args=[patient.pk]),
        {"account": account, "relationship": relationship},
    )


def test_reception_links_an_account_after_checking_id(receptionist, patient, anjali, sign_in):
    client = sign_in(receptionist)
    chart = client.get(reverse("patients:chart", args=[anjali.pk]))
    assert b'data-testid="portal-accounts"' in chart.content
    done = _link(client, anjali)
    assert done.status_code == 302
    assert done["Location"] == reverse("patients:chart", args=[anjali.pk])
    made = PatientLink.objects.for_clinic(anjali.clinic).get()
    assert (made.user, made.patient, made.relationship, made.linked_via, made.linked_by) == (
        patient,
        anjali,
        Relationship.CHILD,
        LinkedVia.DESK,
        receptionist,
    )
    chart = client.get(reverse("patients:chart", args=[anjali.pk]))
    assert b'data-testid="portal-account"' in chart.content


def test_linking_twice_keeps_one_link(receptionist, patient, anjali, sign_in):
    client = sign_in(receptionist)
    _link(client, anjali)
    _link(client, anjali)
    assert PatientLink.objects.for_clinic(anjali.clinic).count() == 1


def test_a_desk_linked_account_that_was_not_a_patient_here_becomes_one(
    receptionist, other_clinic, anjali, sign_in
):
    from clinicflow.accounts.models import Membership

    elsewhere = member(Role.PATIENT, other_clinic, username="visitor")
    _link(sign_in(receptionist), anjali, account="visitor")
    assert Membership.objects.filter(
        user=elsewhere, clinic=anjali.clinic, role=Role.PATIENT
    ).exists()


def test_an_unknown_account_is_a_clear_message_and_nothing_saved(receptionist, anjali, sign_in):
    client = sign_in(receptionist)
    _link(client, anjali, account="nobody-here")
    page = client.get(reverse("patients:chart", args=[anjali.pk]))
    assert "No single active account" in page.content.decode()
    assert not PatientLink.objects.for_clinic(anjali.clinic).exists()


def test_reception_cannot_link_its_own_or_any_staff_account(receptionist, doctor, anjali, sign_in):
    client = sign_in(receptionist)
    for account in (receptionist.username, doctor.username):
        _link(client, anjali, account=account)
    page = client.get(reverse("patients:chart", args=[anjali.pk]))
    assert "This is a staff account" in page.content.decode()
    assert not PatientLink.objects.for_clinic(anjali.clinic).exists()
    # Nor does such an account read a record through the portal if a link were made anyway.
    PatientLink.objects.create(
        clinic=anjali.clinic,
        user=receptionist,
        patient=anjali,
        relationship=Relationship.OTHER,
        linked_via=LinkedVia.DESK,
        linked_by=receptionist,
    )
    from clinicflow.accounts.services.provisioning import provision_role

    provision_role(receptionist, Role.PATIENT, anjali.clinic)
    page = sign_in(receptionist).get(reverse("portal:records_visits"))
    assert "Anjali" not in page.content.decode()


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.PHARMACIST, Role.PATIENT, Role.NURSE])
def test_other_roles_may_not_link_at_the_desk(role, clinic, patient, anjali, sign_in):
    person = member(role, clinic, username=f"someone_{role.value}")
    assert _link(sign_in(person), anjali).status_code == 403
    chart = sign_in(person).get(reverse("patients:chart", args=[anjali.pk]))
    assert b'data-testid="portal-accounts"' not in chart.content
    assert not PatientLink.objects.for_clinic(anjali.clinic).exists()


def test_another_clinics_reception_cannot_link_or_remove(other_clinic, patient, anjali, sign_in):
    desk = member(Role.RECEPTIONIST, other_clinic, username="other_desk")
    client = sign_in(desk)
    assert _link(client, anjali).status_code == 404
    existing = link(patient, anjali, Relationship.CHILD)
    assert client.post(reverse("portal:desk_remove", args=[existing.pk])).status_code == 404
    existing.refresh_from_db()
    assert existing.removed_at is None


def test_a_manager_removes_an_account_at_the_desk(manager, patient, anjali, sign_in):
    existing = link(patient, anjali, Relationship.CHILD)
    done = sign_in(manager).post(reverse("portal:desk_remove", args=[existing.pk]))
    assert done.status_code == 302
    existing.refresh_from_db()
    assert existing.removed_at is not None
    assert existing.removed_by == manager
