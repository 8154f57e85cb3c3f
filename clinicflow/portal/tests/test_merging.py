"""Merging duplicate records moves the accounts that look after them."""

from __future__ import annotations

from datetime import date

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.core.roles import Role
from clinicflow.patients.services import merge_patients
from clinicflow.portal.access import patients_of
from clinicflow.portal.models import PatientLink, Relationship
from clinicflow.portal.tests.conftest import link
from tests.factories import member

pytestmark = pytest.mark.django_db


def test_a_merge_moves_the_links_and_ends_those_already_there(
    manager, clinic, patient, priya, register
):
    duplicate = register(given_name="Priya", family_name="Sharma", birth_date=date(1990, 4, 12))
    link(patient, priya)
    link(patient, duplicate, Relationship.OTHER)  # the same account on both: ends
    aunt = member(Role.PATIENT, clinic, username="aunt")
    link(aunt, duplicate, Relationship.OTHER)  # only on the duplicate: moves
    merge_patients(actor=actor_for(manager), duplicate=duplicate, survivor=priya, reason="dup")
    assert set(patients_of(patient, clinic)) == {priya}
    assert set(patients_of(aunt, clinic)) == {priya}
    active = PatientLink.objects.for_clinic(clinic).filter(removed_at__isnull=True)
    assert sorted(active.values_list("user__username", "patient")) == sorted(
        [("patient", priya.pk), ("aunt", priya.pk)]
    )
