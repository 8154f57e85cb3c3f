"""A manager's staff pages: add, edit, (de)activate, within limits, within their clinic."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import Membership, User
from clinicflow.accounts.services.staff import StaffDetails, create_staff
from clinicflow.core.errors import DomainError, LimitReached
from clinicflow.core.models import Clinic
from clinicflow.core.roles import Role
from tests.concurrency import at_once
from tests.factories import member, staff_limit

pytestmark = pytest.mark.django_db

NEW_DOCTOR = {
    "username": "doc_new",
    "first_name": "Sarita",
    "last_name": "Koirala",
    "email": "sarita@example.org",
    "job_title": "Dermatologist",
    "roles": ["doctor"],
    "password": "Temporary-pass-31",
}


def test_manager_adds_a_doctor_who_must_change_the_temporary_password(manager, clinic, sign_in):
    response = sign_in(manager).post(reverse("accounts:staff_create"), NEW_DOCTOR)
    user = User.objects.get(username="doc_new")
    assert response.status_code == 302
    assert user.must_change_password
    assert Membership.objects.filter(user=user, clinic=clinic, role=Role.DOCTOR).exists()


def test_without_a_password_the_new_person_is_emailed_a_link(
    manager, sign_in, django_capture_on_commit_callbacks
):
    client = sign_in(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:staff_create"), {**NEW_DOCTOR, "password": ""})
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/" in mail.outbox[0].body
    assert not User.objects.get(username="doc_new").has_usable_password()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"roles": []}, "This field is required"),
        ({"first_name": ""}, "This field is required"),
        ({"email": "not-an-email"}, "Enter a valid email"),
        ({"password": "123"}, "too short"),
        ({"username": "manager"}, "This username is taken"),
        ({"password": "", "email": ""}, "Give a temporary password, or an e-mail"),
    ],
)
def test_bad_input_gets_a_message_and_saves_nothing(manager, sign_in, change, message):
    before = User.objects.count()
    response = sign_in(manager).post(reverse("accounts:staff_create"), {**NEW_DOCTOR, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == before


def test_a_manager_cannot_make_another_manager(manager, sign_in):
    response = sign_in(manager).post(
        reverse("accounts:staff_create"), {**NEW_DOCTOR, "roles": ["manager"]}
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="doc_new").exists()


def test_the_platform_admin_can_make_a_manager(admin_user, clinic, sign_in):
    sign_in(admin_user).post(reverse("accounts:staff_create"), {**NEW_DOCTOR, "roles": ["manager"]})
    assert Membership.objects.filter(user__username="doc_new", role=Role.MANAGER).exists()


def test_a_manager_cannot_edit_or_deactivate_another_manager(manager, clinic, sign_in):
    colleague = member(Role.MANAGER, clinic, username="colleague")
    client = sign_in(manager)
    assert client.get(reverse("accounts:staff_edit", args=[colleague.pk])).status_code == 404
    client.post(reverse("accounts:staff_deactivate", args=[colleague.pk]), {"reason": "x"})
    assert Membership.objects.get(user=colleague).is_active


def test_another_clinics_staff_is_not_found_and_not_named(manager, other_clinic_doctor, sign_in):
    client = sign_in(manager)
    for name in ("accounts:staff_detail", "accounts:staff_edit"):
        response = client.get(reverse(name, args=[other_clinic_doctor.pk]))
        assert response.status_code == 404
        assert other_clinic_doctor.last_name.encode() not in response.content
    listing = client.get(reverse("accounts:staff_list")).content
    assert other_clinic_doctor.username.encode() not in listing


def test_the_staff_list_filters_and_answers_htmx_with_the_fragment(manager, doctor, nurse, sign_in):
    doctor.last_name, nurse.last_name = "Adhikari", "Basnet"  # random names could be shared
    doctor.save(update_fields=["last_name"])
    nurse.save(update_fields=["last_name"])
    client = sign_in(manager)
    page = client.get(reverse("accounts:staff_list"), {"role": "nurse"})
    assert page.context["page"].items == [nurse]
    fragment = client.get(
        reverse("accounts:staff_list"), {"q": doctor.last_name}, HTTP_HX_REQUEST="true"
    )
    assert b"<html" not in fragment.content
    assert fragment.context["page"].items == [doctor]
    assert doctor.get_full_name().encode() in fragment.content


def test_the_staff_list_costs_the_same_queries_for_5_and_40_people(
    manager, clinic, sign_in, django_assert_max_num_queries
):
    client = sign_in(manager)
    for _ in range(4):
        member(Role.NURSE, clinic)
    client.get(reverse("accounts:staff_list"))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("accounts:staff_list"))
    for _ in range(35):
        member(Role.DOCTOR, clinic)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("accounts:staff_list"))


def test_the_staff_limit_refuses_one_doctor_too_many(manager, clinic, doctor, sign_in):
    staff_limit(clinic, Role.DOCTOR, 1)
    response = sign_in(manager).post(reverse("accounts:staff_create"), NEW_DOCTOR)
    assert "already has its 1 active doctor" in response.content.decode()
    assert not User.objects.filter(username="doc_new").exists()


def test_reactivation_also_respects_the_limit(manager, clinic, doctor, sign_in):
    client = sign_in(manager)
    client.post(reverse("accounts:staff_deactivate", args=[doctor.pk]), {"reason": "On leave"})
    staff_limit(clinic, Role.DOCTOR, 1)
    client.post(reverse("accounts:staff_create"), NEW_DOCTOR)
    response = client.post(reverse("accounts:staff_activate", args=[doctor.pk]), follow=True)
    assert "already has its 1 active doctor" in response.content.decode()
    assert not Membership.objects.get(user=doctor).is_active


def test_deactivation_needs_a_reason_and_never_oneself(manager, nurse, sign_in):
    client = sign_in(manager)
    response = client.post(
        reverse("accounts:staff_deactivate", args=[nurse.pk]), {"reason": ""}, follow=True
    )
    assert "This field is required" in response.content.decode()
    assert Membership.objects.get(user=nurse).is_active
    client.post(reverse("accounts:staff_deactivate", args=[manager.pk]), {"reason": "bored"})
    assert Membership.objects.get(user=manager).is_active


def test_editing_roles_keeps_the_old_role_as_inactive(manager, nurse, clinic, sign_in):
    sign_in(manager).post(
        reverse("accounts:staff_edit", args=[nurse.pk]),
        {"first_name": "Kamala", "roles": ["receptionist"]},
    )
    roles = dict(Membership.objects.filter(user=nurse).values_list("role", "is_active"))
    assert roles == {"nurse": False, "receptionist": True}


@pytest.fixture
def shared_doctor(clinic, other_clinic):
    """A doctor who works in both clinics."""
    both = member(Role.DOCTOR, clinic, username="both")
    Membership.objects.create(user=both, clinic=other_clinic, role=Role.DOCTOR)
    return both


@pytest.mark.parametrize(
    "operation", ["staff_edit", "staff_set_password", "staff_reset_two_factor", "staff_deactivate"]
)
def test_a_manager_cannot_touch_an_account_that_reaches_into_another_clinic(
    manager, shared_doctor, sign_in, operation
):
    client = sign_in(manager)
    url = reverse(f"accounts:{operation}", args=[shared_doctor.pk])
    data = {"password": "Taken-over-123", "reason": "x", "first_name": "X", "roles": ["doctor"]}
    assert client.post(url, data).status_code == 404
    shared_doctor.refresh_from_db()
    assert shared_doctor.check_password("Correct-horse-42")
    assert Membership.objects.filter(user=shared_doctor, is_active=True).count() == 2


def test_a_manager_cannot_touch_a_manager_of_another_clinic_who_works_here(
    manager, clinic, other_clinic_manager, sign_in
):
    Membership.objects.create(user=other_clinic_manager, clinic=clinic, role=Role.DOCTOR)
    response = sign_in(manager).post(
        reverse("accounts:staff_set_password", args=[other_clinic_manager.pk]),
        {"password": "Taken-over-123"},
    )
    assert response.status_code == 404


def test_a_manager_cannot_touch_the_platform_admin_even_as_a_doctor_here(
    manager, clinic, admin_user, sign_in
):
    Membership.objects.create(user=admin_user, clinic=clinic, role=Role.DOCTOR)
    client = sign_in(manager)
    assert client.get(reverse("accounts:staff_detail", args=[admin_user.pk])).status_code == 200
    response = client.post(
        reverse("accounts:staff_edit", args=[admin_user.pk]),
        {"first_name": "Owned", "email": "attacker@example.org", "roles": ["doctor"]},
    )
    assert response.status_code == 404
    admin_user.refresh_from_db()
    assert admin_user.email != "attacker@example.org"


def test_the_platform_admin_lets_a_shared_doctor_go_from_one_clinic_only(
    admin_user, clinic, other_clinic, shared_doctor, sign_in
):
    sign_in(admin_user).post(
        reverse("accounts:staff_deactivate", args=[shared_doctor.pk]), {"reason": "Moved"}
    )
    shared_doctor.refresh_from_db()
    assert shared_doctor.is_active
    assert Membership.objects.get(user=shared_doctor, clinic=other_clinic).is_active
    assert not Membership.objects.get(user=shared_doctor, clinic=clinic).is_active


def test_create_staff_service_refuses_roles_outside_the_staff(manager, clinic, rf):
    actor = actor_for(manager)
    with pytest.raises(DomainError, match="Only staff roles"):
        create_staff(
            actor=actor,
            username="p1",
            details=StaffDetails(first_name="P"),
            roles=[Role.PATIENT],
            password="Temporary-pass-31",
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_adding_the_last_doctor_at_once_cannot_both_succeed():
    clinic = Clinic.objects.create(code="RACE", name="Race Clinic")
    managers = [member(Role.MANAGER, clinic, username=f"mgr{n}") for n in range(2)]
    staff_limit(clinic, Role.DOCTOR, 1)

    def add(n: int) -> str:
        try:
            create_staff(
                actor=actor_for(managers[n]),
                username=f"racer{n}",
                details=StaffDetails(first_name=f"Racer {n}"),
                roles=[Role.DOCTOR],
                password="Temporary-pass-31",
            )
        except LimitReached:
            return "refused"
        return "added"

    outcomes, errors = at_once(add, 2)
    assert not errors
    assert sorted(outcomes) == ["added", "refused"]
    assert Membership.objects.filter(clinic=clinic, role=Role.DOCTOR, is_active=True).count() == 1


def test_a_username_with_an_at_sign_is_refused(manager, sign_in):
    response = sign_in(manager).post(
        reverse("accounts:staff_create"), {**NEW_DOCTOR, "username": "sarita@clinic"}
    )
    assert "cannot contain @" in response.content.decode()


def test_editing_a_nurse_who_is_also_a_patient_keeps_her_patient_role(
    manager, nurse, clinic, sign_in
):
    Membership.objects.create(user=nurse, clinic=clinic, role=Role.PATIENT)
    sign_in(manager).post(
        reverse("accounts:staff_edit", args=[nurse.pk]),
        {"first_name": "Kamala", "roles": ["nurse"]},
    )
    assert Membership.objects.get(user=nurse, role=Role.PATIENT).is_active
