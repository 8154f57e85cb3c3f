"""The walk-in's registration page: filled from the visit, asking only what is missing, offering
the likely duplicates, and carrying each person on (doctor: the consultation; nurse: vitals;
reception: the queue); the visit page and the doctor's queue lead to it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.clinical.models import Encounter
from clinicflow.frontdesk import services
from clinicflow.frontdesk.forms import split_name
from clinicflow.frontdesk.models import Priority, QueueEntry
from clinicflow.patients.models import Patient

pytestmark = pytest.mark.django_db

FILLED = {
    "given_name": "Ram Bahadur",
    "family_name": "Thapa",
    "phone": "+9779841234567",
    "sex": "male",
    "age_years": "52",
}


@pytest.fixture
def emergency(receptionist) -> QueueEntry:
    return services.add_walk_in(
        actor=actor_for(receptionist),
        name="  Ram Bahadur   Thapa ",
        phone="9841234567",
        priority=Priority.EMERGENCY,
    )


def url(entry: QueueEntry) -> str:
    return reverse("frontdesk:register_walk_in", args=[entry.pk])


@pytest.mark.parametrize(
    ("typed", "split"),
    [
        ("Ram Bahadur Thapa", ("Ram Bahadur", "Thapa")),
        ("Sita Rai", ("Sita", "Rai")),
        ("Sita", ("Sita", "")),
        ("", ("", "")),
    ],
)
def test_a_name_typed_at_the_desk_splits_into_given_and_family_name(typed, split):
    assert split_name(typed) == split


def test_the_form_comes_filled_with_the_walk_ins_name_and_phone(nurse, sign_in, emergency):
    page = sign_in(nurse).get(url(emergency)).content.decode()
    assert 'name="given_name" value="Ram Bahadur"' in page
    assert 'name="family_name" value="Thapa"' in page
    assert 'name="phone" value="+9779841234567"' in page
    assert '<option value="" selected>' in page  # sex: chosen by the person, not defaulted
    assert 'name="email"' not in page  # only the minimum is asked
    assert "Register and record vitals" in page


def test_a_one_word_name_leaves_the_family_name_to_ask(receptionist, sign_in):
    entry = services.add_walk_in(actor=actor_for(receptionist), name="Sita")
    client = sign_in(receptionist)
    page = client.get(url(entry)).content.decode()
    assert 'name="given_name" value="Sita"' in page
    response = client.post(url(entry), {**FILLED, "given_name": "Sita", "family_name": ""})
    assert response.status_code == 200
    assert not Patient.objects.exists()


def test_without_an_age_or_a_birth_date_nothing_is_saved(nurse, sign_in, emergency):
    response = sign_in(nurse).post(url(emergency), {**FILLED, "age_years": ""})
    assert "Give an age (an estimate will do) or the birth date." in response.content.decode()
    assert not Patient.objects.exists()
    emergency.refresh_from_db()
    assert emergency.patient is None


def test_the_doctor_with_the_patient_in_the_room_lands_in_the_consultation(
    receptionist, doctor, cardiologist, sign_in, emergency
):
    services.call_next(actor=actor_for(doctor), practitioner=cardiologist)
    client = sign_in(doctor)
    queue = client.get("/frontdesk/").content.decode()
    assert f'href="{url(emergency)}" data-testid="register-walk-in"' in queue
    assert "Register and open the consultation" in client.get(url(emergency)).content.decode()

    response = client.post(url(emergency), FILLED)
    # The browser repeats the POST at the consultation's start, which opens the encounter.
    assert response.status_code == 307
    assert response["Location"] == reverse("clinical:start", args=[emergency.pk])
    page = client.post(url(emergency), FILLED, follow=True)  # already registered: carries on
    encounter = Encounter.objects.get()
    assert page.redirect_chain[-1][0] == reverse("clinical:encounter", args=[encounter.pk])
    assert encounter.patient == Patient.objects.get()
    assert encounter.entry == emergency
    assert Patient.objects.count() == 1


def test_the_whole_doctors_step_follows_through_to_the_note(
    doctor, cardiologist, sign_in, emergency
):
    services.call_next(actor=actor_for(doctor), practitioner=cardiologist)
    page = sign_in(doctor).post(url(emergency), FILLED, follow=True)
    encounter = Encounter.objects.get()
    assert page.redirect_chain == [
        (reverse("clinical:start", args=[emergency.pk]), 307),
        (reverse("clinical:encounter", args=[encounter.pk]), 302),
    ]
    assert "Ram Bahadur Thapa is registered as KTM-000001" in page.content.decode()


def test_the_nurse_goes_on_to_the_vitals_form(nurse, sign_in, emergency):
    client = sign_in(nurse)
    response = client.post(url(emergency), FILLED)
    assert response["Location"] == reverse("frontdesk:entry", args=[emergency.pk]) + "#vitals"
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="vitals-form"' in page
    assert "is registered as KTM-000001" in page


def test_reception_goes_back_to_the_queue(receptionist, sign_in, emergency):
    response = sign_in(receptionist).post(url(emergency), FILLED)
    assert response["Location"] == reverse("frontdesk:queue")
    emergency.refresh_from_db()
    assert emergency.patient.mrn == "KTM-000001"


def test_a_likely_duplicate_is_offered_to_link_or_to_register_anyway(
    nurse, sign_in, emergency, register
):
    known = register(given_name="Ram", family_name="Thapa", phone="9841234567")
    client = sign_in(nurse)
    page = client.post(url(emergency), FILLED).content.decode()
    assert 'data-testid="duplicates"' in page
    assert known.mrn in page
    assert f'<input type="hidden" name="patient" value="{known.pk}">' in page
    assert Patient.objects.count() == 1

    response = client.post(url(emergency), {**FILLED, "confirm_new": "1"})
    assert response["Location"].endswith("#vitals")
    emergency.refresh_from_db()
    assert emergency.patient.mrn == "KTM-000002"


def test_the_same_person_is_linked_from_the_duplicates(nurse, sign_in, emergency, register):
    known = register(given_name="Ram", family_name="Thapa", phone="9841234567")
    response = sign_in(nurse).post(
        reverse("frontdesk:link_patient", args=[emergency.pk]), {"patient": known.pk}
    )
    assert response["Location"].endswith("#vitals")
    emergency.refresh_from_db()
    assert emergency.patient == known
    assert Patient.objects.count() == 1


def test_a_walk_in_registered_meanwhile_is_told_and_carried_on(
    receptionist, nurse, sign_in, emergency
):
    services.register_walk_in(
        actor=actor_for(receptionist),
        entry=emergency,
        details={**FILLED, "phone": "", "age_years": 52},
    )
    client = sign_in(nurse)
    assert client.get(url(emergency))["Location"] == reverse("frontdesk:entry", args=[emergency.pk])
    page = client.post(url(emergency), FILLED, follow=True).content.decode()
    assert "This visit already belongs to Ram Bahadur Thapa (KTM-000001)" in page
    assert Patient.objects.count() == 1


def test_the_visit_page_leads_to_the_registration_not_a_blank_form(nurse, sign_in, emergency):
    page = sign_in(nurse).get(reverse("frontdesk:entry", args=[emergency.pk])).content.decode()
    assert f'href="{url(emergency)}" data-testid="register-for-vitals"' in page
    assert reverse("patients:register") not in page
    assert 'target="_blank"' not in page


def test_roles_that_may_not_register_are_refused(pharmacist, sign_in, emergency):
    client = sign_in(pharmacist)
    assert client.get(url(emergency)).status_code == 403
    assert client.post(url(emergency), FILLED).status_code == 403
    assert not Patient.objects.exists()


def test_another_doctors_or_another_clinics_walk_in_is_not_found(
    receptionist, doctor, cardiologist, other_clinic_manager, sign_in, make_doctor
):
    theirs = services.add_walk_in(
        actor=actor_for(receptionist), name="Their Patient", practitioner=make_doctor("gp", "GP")
    )
    assert sign_in(doctor).post(url(theirs), FILLED).status_code == 404
    other = sign_in(other_clinic_manager)
    assert other.get(url(theirs)).status_code == 404
    assert other.post(url(theirs), FILLED).status_code == 404
    link = reverse("frontdesk:link_patient", args=[theirs.pk])
    assert other.post(link, {"mrn": "KTM-000001"}).status_code == 404
    assert not Patient.objects.exists()


def test_a_bad_or_unknown_record_to_link_is_refused_clearly(nurse, sign_in, emergency):
    link = reverse("frontdesk:link_patient", args=[emergency.pk])
    client = sign_in(nurse)
    for data in ({"patient": "not-a-record"}, {"mrn": "KTM-999999"}, {}):
        page = client.post(link, data, follow=True)
        assert page.status_code == 200
        assert "No patient has the record number" in page.content.decode()
    emergency.refresh_from_db()
    assert emergency.patient is None
