"""Forgetting the clinic scope fails loudly; ``restrict`` keeps other clinics' rows out."""

from __future__ import annotations

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import StaffLimit, User
from clinicflow.core import policy
from clinicflow.core.roles import Role
from clinicflow.core.scoping import UnscopedQueryError, scope_guard
from tests.factories import staff_limit

pytestmark = pytest.mark.django_db


def test_an_unscoped_query_of_clinic_rows_fails_inside_a_request(clinic):
    staff_limit(clinic, Role.DOCTOR, 3)
    with scope_guard(), pytest.raises(UnscopedQueryError, match="for_clinic"):
        list(StaffLimit.objects.all())


def test_scoped_queries_pass_the_guard(clinic, other_clinic):
    mine = staff_limit(clinic, Role.DOCTOR, 3)
    staff_limit(other_clinic, Role.DOCTOR, 5)
    with scope_guard():
        assert list(StaffLimit.objects.for_clinic(clinic)) == [mine]
        assert list(StaffLimit.objects.filter(clinic=clinic)) == [mine]
        assert StaffLimit.objects.all_clinics().count() == 2  # the explicit escape hatch


def test_restrict_keeps_another_clinics_people_out(manager, doctor, other_clinic_doctor):
    actor = actor_for(manager)
    visible = set(policy.restrict(actor, "staff.view", User.objects.all()))
    assert doctor in visible
    assert other_clinic_doctor not in visible


def test_restrict_lists_a_person_with_two_roles_once(manager, clinic, doctor):
    from clinicflow.accounts.models import Membership

    Membership.objects.create(user=doctor, clinic=clinic, role=Role.NURSE)
    rows = list(
        policy.restrict(actor_for(manager), "staff.view", User.objects.filter(pk=doctor.pk))
    )
    assert rows == [doctor]


def test_an_action_a_role_lacks_restricts_to_nothing(nurse, doctor):
    assert not policy.restrict(actor_for(nurse), "staff.view", User.objects.all()).exists()
