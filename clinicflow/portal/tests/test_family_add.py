"""A family member who has no record yet: the account makes one (self-registration's rules and
MRN series) and looks after it; a few a day; never a staff account."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import Membership
from clinicflow.core.errors import DomainError, LimitReached
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role
from clinicflow.patients.models import Patient
from clinicflow.portal import services
from clinicflow.portal.access import SESSION_KEY, patients_of
from clinicflow.portal.models import LinkedVia, PatientLink, Relationship
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db

ADD = reverse("portal:add_member")


def _form(where, **changes):
    return {
        "given_name": "Sita",
        "family_name": "Sharma",
        "birth_date": "2021-03-05",
        "sex": "female",
        "relationship": Relationship.CHILD,
        "clinic": str(where.pk),
        **changes,
    }


def test_a_parent_adds_a_child_who_has_no_record(family, clinic, priya, anjali, sign_in):
    client = sign_in(family)
    assert client.get(reverse("portal:family")).content.count(ADD.encode()) == 1
    assert client.get(ADD).status_code == 200

    answer = client.post(ADD, _form(clinic))

    assert answer.status_code == 302
    assert answer["Location"] == reverse("portal:family")
    sita = Patient.objects.for_clinic(clinic).get(given_name="Sita")
    assert sita.birth_date == date(2021, 3, 5)
    assert sita.mrn.startswith("KTM-")
    assert sita.mrn_seq == max(priya.mrn_seq, anjali.mrn_seq) + 1  # the clinic's one series
    assert sita.created_by == family
    link = PatientLink.objects.for_clinic(clinic).get(patient=sita)
    assert (link.user, link.relationship, link.linked_via) == (
        family,
        Relationship.CHILD,
        LinkedVia.REGISTRATION,
    )
    # In the family, shown now, and selectable like any other member.
    assert set(patients_of(family, clinic)) == {priya, anjali, sita}
    assert client.session[SESSION_KEY] == str(sita.pk)
    assert client.get(reverse("core:dashboard")).context["member"] == sita
    client.post(reverse("portal:select", args=[priya.pk]))
    assert client.post(reverse("portal:select", args=[sita.pk])).status_code == 302
    assert client.get(reverse("core:dashboard")).context["member"] == sita
    # The record and the link are both in the audit trail, by the account.
    for obj in (sita, link):
        made = AuditEvent.objects.for_clinic(clinic).get(
            action=AuditAction.CREATE,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
        )
        assert made.actor == family


def test_a_record_at_another_clinic_makes_the_account_a_patient_there(
    family, clinic, other_clinic, sign_in
):
    answer = sign_in(family).post(ADD, _form(other_clinic))
    assert answer.status_code == 302
    sita = Patient.objects.for_clinic(other_clinic).get(given_name="Sita")
    assert sita.mrn.startswith("PKR-")
    assert Membership.objects.filter(
        user=family, clinic=other_clinic, role=Role.PATIENT, is_active=True
    ).exists()
    assert list(patients_of(family, other_clinic)) == [sita]
    assert sita not in patients_of(family, clinic)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"given_name": ""}, "given_name"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"birth_date": "yesterday"}, "birth_date"),
        ({"relationship": Relationship.SELF}, "relationship"),
        ({"sex": "dragon"}, "sex"),
        ({"clinic": "0"}, "clinic"),
    ],
)
def test_bad_details_are_shown_at_the_field_and_nothing_is_saved(
    family, clinic, sign_in, changes, field
):
    before = (Patient.objects.for_clinic(clinic).count(), PatientLink.objects.count())
    answer = sign_in(family).post(ADD, _form(clinic, **changes))
    assert answer.status_code == 400
    assert answer.context["form"].errors[field]
    assert (Patient.objects.for_clinic(clinic).count(), PatientLink.objects.count()) == before


def test_a_future_birth_date_is_refused_by_the_service_too(family, clinic):
    with pytest.raises(DomainError) as refused:
        services.add_family_member(
            actor=actor_for(family),
            clinic=clinic,
            member=services.NewMember("Sita", "Sharma", date(2999, 1, 1), "female", "child"),
        )
    assert refused.value.field == "birth_date"
    assert not Patient.objects.for_clinic(clinic).filter(given_name="Sita").exists()


@pytest.mark.parametrize("role", ["receptionist", "doctor", "manager"])
def test_staff_may_not_add_family_records(request, role, clinic, sign_in):
    staff = request.getfixturevalue(role)
    client = sign_in(staff)
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, _form(clinic)).status_code == 403
    assert not Patient.objects.for_clinic(clinic).filter(given_name="Sita").exists()


def test_the_day_allows_only_a_few_new_records(family, clinic, sign_in):
    client = sign_in(family)
    for n in range(services.MEMBERS_PER_DAY.limit):
        assert client.post(ADD, _form(clinic, given_name=f"Child{n}")).status_code == 302
    refused = client.post(ADD, _form(clinic, given_name="OneTooMany"))
    assert refused.status_code == 409
    assert "as many new records as it may today" in refused.content.decode()
    assert not Patient.objects.for_clinic(clinic).filter(given_name="OneTooMany").exists()


def test_bad_input_uses_none_of_the_days_tries(family, clinic, sign_in):
    client = sign_in(family)
    for _n in range(services.MEMBERS_PER_DAY.limit + 1):
        client.post(ADD, _form(clinic, given_name=""))
    assert client.post(ADD, _form(clinic)).status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_adds_at_once_keep_the_days_limit_and_one_mrn_each(patient, clinic):
    actor = actor_for(patient)
    count = services.MEMBERS_PER_DAY.limit + 2

    def add(n: int) -> PatientLink:
        return services.add_family_member(
            actor=actor,
            clinic=clinic,
            member=services.NewMember(f"Child{n}", "Sharma", date(2020, 1, 1), "male", "child"),
        )

    added, errors = at_once(add, count)
    assert len(added) == services.MEMBERS_PER_DAY.limit
    assert len(errors) == count - len(added)
    assert all(isinstance(error, LimitReached) for error in errors)
    made = Patient.objects.for_clinic(clinic).filter(family_name="Sharma")
    assert made.count() == len(added)
    assert len(set(made.values_list("mrn", flat=True))) == len(added)
