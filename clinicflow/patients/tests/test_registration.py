"""Registering and editing patients: MRNs, duplicates, validation, audit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.core.models import AuditAction, AuditEvent, Clinic
from clinicflow.core.roles import Role
from clinicflow.patients.models import Patient
from clinicflow.patients.services import PossibleDuplicates, register_patient, update_patient
from tests.concurrency import at_once
from tests.factories import member

pytestmark = pytest.mark.django_db

FORM = {
    "given_name": "Priya",
    "family_name": "Sharma",
    "sex": "female",
    "birth_date": "1990-04-12",
    "phone": "984-1234567",
    "email": "Priya@Example.org",
}


def test_receptionist_registers_a_patient_with_the_next_mrn(receptionist, clinic, sign_in):
    response = sign_in(receptionist).post(reverse("patients:register"), FORM)
    patient = Patient.objects.for_clinic(clinic).get()
    assert response["Location"] == reverse("patients:chart", args=[patient.pk])
    assert patient.mrn == "KTM-000001"
    assert patient.phone == "+9779841234567"  # read as a Nepali number, stored in E.164
    assert patient.email == "priya@example.org"
    assert patient.created_by == receptionist
    assert (
        AuditEvent.objects.for_clinic(clinic)
        .filter(action=AuditAction.CREATE, object_id=str(patient.pk))
        .exists()
    )


def test_mrns_count_up_per_clinic_and_never_repeat(register, clinic, other_clinic):
    mrns = [register(given_name=f"P{n}").mrn for n in range(3)]
    other = register(actor_user=member(Role.RECEPTIONIST, other_clinic))
    assert mrns == ["KTM-000001", "KTM-000002", "KTM-000003"]
    assert other.mrn == "PKR-000001"


def test_a_refused_registration_does_not_use_up_a_number(register):
    register()
    with pytest.raises(Exception, match="not valid"):
        register(phone="12")
    assert register(given_name="Next").mrn == "KTM-000002"


def test_an_age_is_stored_as_an_estimated_birth_date(register):
    patient = register(age_years=40)
    assert patient.birth_date_estimated
    assert date.today().year - patient.birth_date.year == 40


@pytest.mark.parametrize(
    ("change", "field_message"),
    [
        ({"birth_date": (date.today() + timedelta(days=1)).isoformat()}, "cannot be in the future"),
        ({"birth_date": "1850-01-01"}, "more than 130 years ago"),
        ({"phone": "12345"}, "not valid"),
        ({"email": "priya@"}, "Enter a valid email"),
        ({"given_name": ""}, "This field is required"),
        ({"family_name": "   "}, "This field is required"),
        ({"age_years": "200", "birth_date": ""}, "less than or equal to 130"),
    ],
)
def test_bad_input_is_refused_at_the_field_and_nothing_is_saved(
    receptionist, clinic, sign_in, change, field_message
):
    response = sign_in(receptionist).post(reverse("patients:register"), {**FORM, **change})
    assert response.status_code == 200
    assert field_message in response.content.decode()
    assert not Patient.objects.for_clinic(clinic).exists()


def test_the_same_phone_is_shown_as_a_possible_duplicate(receptionist, clinic, sign_in):
    client = sign_in(receptionist)
    client.post(reverse("patients:register"), FORM)
    again = client.post(
        reverse("patients:register"), {**FORM, "given_name": "Pooja", "phone": "+977 9841234567"}
    )
    assert again.status_code == 200
    assert again.context["candidates"][0].mrn == "KTM-000001"
    assert Patient.objects.for_clinic(clinic).count() == 1
    confirmed = client.post(
        reverse("patients:register"), {**FORM, "given_name": "Pooja", "confirm_new": "1"}
    )
    assert confirmed.status_code == 302
    assert Patient.objects.for_clinic(clinic).count() == 2


def test_a_similar_name_with_the_same_birth_date_is_a_possible_duplicate(register):
    register(birth_date=date(1990, 4, 12))
    with pytest.raises(PossibleDuplicates) as caught:
        register(confirm_new=False, given_name="Pryia", birth_date=date(1990, 4, 12))
    assert [p.mrn for p in caught.value.candidates] == ["KTM-000001"]
    # A different birth date is a different person.
    register(confirm_new=False, given_name="Pryia", birth_date=date(1991, 4, 12))


def test_edits_are_audited_field_by_field(register, receptionist, clinic):
    patient = register(phone="9841234567")
    update_patient(
        actor=actor_for(receptionist),
        patient=patient,
        changes={"phone": "9851000000", "address": "Baneshwor"},
    )
    event = (
        AuditEvent.objects.for_clinic(clinic)
        .filter(action=AuditAction.UPDATE, object_id=str(patient.pk))
        .get()
    )
    assert event.changes["phone"] == ["+9779841234567", "+9779851000000"]
    assert event.changes["address"] == ["", "Baneshwor"]


def test_a_pharmacist_may_find_but_not_register_patients(pharmacist, sign_in):
    client = sign_in(pharmacist)
    assert client.get(reverse("patients:search")).status_code == 200
    assert client.post(reverse("patients:register"), FORM).status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_receptionists_registering_at_the_same_moment_get_distinct_gapless_mrns():
    clinic = Clinic.objects.create(code="RUSH", name="Rush Clinic")
    desks = [member(Role.RECEPTIONIST, clinic, username=f"desk{n}") for n in range(6)]
    _results, errors = at_once(
        lambda n: register_patient(
            actor=actor_for(desks[n]),
            details={"given_name": f"Walk-in {n}", "family_name": "Rai"},
            confirm_new=True,
        ),
        len(desks),
    )
    assert not errors
    seqs = sorted(Patient.objects.for_clinic(clinic).values_list("mrn_seq", flat=True))
    assert seqs == list(range(1, len(desks) + 1))


def test_the_front_desk_dashboard_counts_todays_registrations(receptionist, register, sign_in):
    register(given_name="One")
    register(given_name="Two")
    cards = sign_in(receptionist).get(reverse("core:dashboard")).context["dashboard"].cards
    today = next(card for card in cards if str(card.title) == "Patients registered today")
    assert today.value == 2


def test_a_pasted_control_character_in_a_name_is_refused_and_nothing_is_saved(
    receptionist, clinic, sign_in
):
    page = sign_in(receptionist).post(
        reverse("patients:register"), {**FORM, "given_name": "Pri\x01ya"}
    )
    assert page.status_code == 200
    assert "control character" in page.context["form"].errors["given_name"][0]
    assert not Patient.objects.for_clinic(clinic).exists()
