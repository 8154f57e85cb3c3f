"""Merging duplicate records moves the accounts proved to look after the person, and ends
the links nobody proved."""

from __future__ import annotations

from datetime import date

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.core.roles import Role
from clinicflow.patients.services import merge_patients
from clinicflow.portal import services
from clinicflow.portal.access import patients_of
from clinicflow.portal.models import LinkedVia, PatientLink, Relationship
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
    link(aunt, duplicate, Relationship.OTHER, LinkedVia.CODE)  # only on the duplicate: moves
    merge_patients(actor=actor_for(manager), duplicate=duplicate, survivor=priya, reason="dup")
    assert set(patients_of(patient, clinic)) == {priya}
    assert set(patients_of(aunt, clinic)) == {priya}
    active = PatientLink.objects.for_clinic(clinic).filter(removed_at__isnull=True)
    assert sorted(active.values_list("user__username", "patient")) == sorted(
        [("patient", priya.pk), ("aunt", priya.pk)]
    )


def test_a_relative_invented_under_a_strangers_name_does_not_reach_her_chart_after_a_merge(
    other_family, priya, clinic, manager
):
    """Adding a family member proves nothing about who they are: a record typed in under
    Priya's name and birth date, merged by the desk as the same person, must not hand the
    inventing account her chart."""
    invented = services.add_family_member(
        actor=actor_for(other_family),
        clinic=clinic,
        member=services.NewMember(
            "Priya", "Sharma", date(1990, 4, 12), "female", Relationship.OTHER
        ),
    ).patient
    merge_patients(actor=actor_for(manager), duplicate=invented, survivor=priya, reason="dup")
    assert priya not in set(patients_of(other_family, clinic))
    ended = PatientLink.objects.for_clinic(clinic).get(user=other_family, patient=invented)
    assert ended.removed_at is not None


def test_a_self_registered_duplicate_moves_when_the_account_proved_the_records_phone(
    manager, clinic, priya, register
):
    """Priya registered online (a second record) with the mobile number her chart already
    holds and proved it by a code: after the merge her account looks after her chart."""
    own = member(Role.PATIENT, clinic, username="priya_online", verified_phone=priya.phone)
    duplicate = register(given_name="Priya", family_name="Sharma", birth_date=date(1990, 4, 12))
    link(own, duplicate)
    merge_patients(actor=actor_for(manager), duplicate=duplicate, survivor=priya, reason="dup")
    assert set(patients_of(own, clinic)) == {priya}


def test_a_self_registered_duplicate_with_another_address_ends_for_the_desk_to_link_again(
    manager, clinic, priya, register
):
    someone = member(Role.PATIENT, clinic, username="someone", verified_phone="+9779800000001")
    duplicate = register(given_name="Priya", family_name="Sharma", birth_date=date(1990, 4, 12))
    link(someone, duplicate)
    merge_patients(actor=actor_for(manager), duplicate=duplicate, survivor=priya, reason="dup")
    assert set(patients_of(someone, clinic)) == set()
