"""Finding patients, reading their chart (audited), and keeping records tidy."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.patients.models import Allergy, Patient
from clinicflow.patients.search import search_patients
from clinicflow.patients.services import (
    deactivate_patient,
    merge_patients,
    record_allergy,
    record_no_known_allergies,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def priya(register):
    register(given_name="Ram", family_name="Thapa", phone="9851111111")
    register(given_name="Sita", family_name="Gurung", phone="9852222222", email="sita@example.org")
    return register(given_name="Priya", family_name="Sharma", phone="9841234567")


@pytest.mark.parametrize(
    "typed",
    [
        "Priya Sharma",
        "priya",
        "Sharma Priya",  # word order
        "Prya Sharma",  # a letter missing
        "Sarma Priya",  # misspelt and reversed
        "9841234567",
        "+977 984-1234567",
        "009779841234567",
        "1234567",  # the end of the number
        "KTM-000003",
        "ktm-000003",
        "3",
    ],
)
def test_the_search_box_finds_priya_however_she_is_typed(priya, clinic, typed):
    assert priya in search_patients(clinic, typed)[:3]


def test_letters_swapped_in_a_short_name_are_found_without_scanning_every_name(register, clinic):
    tika = register(given_name="Tika", family_name="Shrestha")
    register(given_name="Tara", family_name="Shrestha")
    register(given_name="Ram", family_name="Thapa")
    with CaptureQueriesContext(connection) as queries:
        found = search_patients(clinic, "Tkia Shrestha")  # "tkia" shares 1 trigram of 9
    assert found[0] == tika
    assert search_patients(clinic, "Ram Thpaa")[0].family_name == "Thapa"
    if connection.vendor == "postgresql":  # the fallback compares trigrams of every name
        assert not [q for q in queries.captured_queries if '"search_name" %' in q["sql"]]


def test_search_by_email_and_nothing_for_nonsense(priya, clinic):
    assert [p.given_name for p in search_patients(clinic, "SITA@example.org")] == ["Sita"]
    assert search_patients(clinic, "Zzyzx Qwerty") == []


def test_search_stays_inside_the_clinic(priya, other_clinic):
    assert search_patients(other_clinic, "Priya Sharma") == []
    assert search_patients(other_clinic, "KTM-000003") == []


def test_search_page_and_type_ahead_cost_the_same_queries_for_few_and_many(
    receptionist, register, sign_in, django_assert_max_num_queries
):
    client = sign_in(receptionist)
    for n in range(3):
        register(given_name=f"Anita{n}", family_name="Rai")
    client.get(reverse("patients:search"), {"q": "Anita Rai"})
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("patients:search"), {"q": "Anita Rai"}, HTTP_HX_REQUEST="true")
    for n in range(40):
        register(given_name=f"Anita{n + 3}", family_name="Rai")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("patients:search"), {"q": "Anita Rai"}, HTTP_HX_REQUEST="true")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("patients:search"))  # the newest registrations, paged


def test_the_type_ahead_answers_with_the_results_fragment(receptionist, priya, sign_in):
    fragment = sign_in(receptionist).get(
        reverse("patients:search"), {"q": "Priya"}, HTTP_HX_REQUEST="true"
    )
    assert b"<html" not in fragment.content
    assert b"Priya Sharma" in fragment.content


def test_opening_the_chart_is_audited_with_who_and_which_patient(doctor, priya, sign_in):
    page = sign_in(doctor).get(reverse("patients:chart", args=[priya.pk]))
    assert page.status_code == 200
    assert (
        AuditEvent.objects.for_clinic(priya.clinic)
        .filter(action=AuditAction.VIEW, object_id=str(priya.pk), actor=doctor)
        .exists()
    )


def test_the_chart_is_not_found_from_another_clinic_and_not_open_to_the_pharmacist(
    priya, other_clinic_doctor, pharmacist, sign_in
):
    url = reverse("patients:chart", args=[priya.pk])
    response = sign_in(other_clinic_doctor).get(url)
    assert response.status_code == 404
    assert b"Sharma" not in response.content
    assert sign_in(pharmacist).get(url).status_code == 403


def test_the_allergy_banner_is_on_every_page_about_the_patient(nurse, priya, sign_in):
    record_allergy(actor=actor_for(nurse), patient=priya, substance="Penicillin", severity="severe")
    client = sign_in(nurse)
    for url in (
        reverse("patients:chart", args=[priya.pk]),
        reverse("patients:edit", args=[priya.pk]),
    ):
        page = client.get(url).content.decode()
        assert 'data-testid="allergy-banner"' in page
        assert "Penicillin" in page


def test_no_known_allergies_is_a_statement_refused_while_an_allergy_is_active(nurse, priya):
    actor = actor_for(nurse)
    assert priya.allergy_statement == "not_asked"
    allergy = record_allergy(actor=actor, patient=priya, substance="Sulfa", severity="mild")
    with pytest.raises(DomainError, match="Resolve or correct"):
        record_no_known_allergies(actor=actor, patient=priya)
    Allergy.objects.for_clinic(priya.clinic).filter(pk=allergy.pk).update(status="resolved")
    assert record_no_known_allergies(actor=actor, patient=priya).allergy_statement == "none_known"


def test_an_allergy_entered_in_error_needs_a_reason_and_leaves_the_chart(nurse, priya, sign_in):
    allergy = record_allergy(
        actor=actor_for(nurse), patient=priya, substance="Latex", severity="mild"
    )
    client = sign_in(nurse)
    url = reverse("patients:allergy_status", args=[allergy.pk])
    client.post(url, {"status": "entered_in_error", "reason": ""})
    allergy.refresh_from_db()
    assert allergy.status == "active"
    client.post(url, {"status": "entered_in_error", "reason": "Other patient's"})
    chart = client.get(reverse("patients:chart", args=[priya.pk]))
    assert allergy not in chart.context["summary"].allergies
    assert Allergy.objects.for_clinic(priya.clinic).filter(pk=allergy.pk).exists()


def test_merging_moves_the_duplicates_rows_and_keeps_it_pointing_at_the_survivor(
    manager, nurse, register, clinic
):
    survivor = register(given_name="Priya", family_name="Sharma", phone="9841234567")
    duplicate = register(given_name="Pria", family_name="Sarma")
    record_allergy(
        actor=actor_for(nurse), patient=duplicate, substance="Penicillin", severity="severe"
    )
    report = merge_patients(
        actor=actor_for(manager), duplicate=duplicate, survivor=survivor, reason="Same person"
    )
    assert report.moved["allergies"] == 1
    duplicate.refresh_from_db()
    assert (duplicate.is_active, duplicate.merged_into) == (False, survivor)
    assert Allergy.objects.for_clinic(clinic).get().patient == survivor
    assert AuditEvent.objects.for_clinic(clinic).filter(action=AuditAction.MERGE).exists()
    assert survivor in search_patients(clinic, "Priya Sharma")
    assert duplicate not in search_patients(clinic, "Pria Sarma")


def test_merge_is_for_managers_and_refuses_a_record_with_itself(manager, receptionist, register):
    patient = register()
    with pytest.raises(DomainError):
        merge_patients(
            actor=actor_for(receptionist), duplicate=patient, survivor=patient, reason="x"
        )
    with pytest.raises(DomainError, match="two different"):
        merge_patients(actor=actor_for(manager), duplicate=patient, survivor=patient, reason="x")


def test_the_merge_page_names_the_survivor_by_mrn(manager, register, sign_in):
    survivor = register(given_name="Priya")
    duplicate = register(given_name="Pria")
    response = sign_in(manager).post(
        reverse("patients:merge", args=[duplicate.pk]), {"survivor": survivor.mrn, "reason": "Same"}
    )
    assert response["Location"] == reverse("patients:chart", args=[survivor.pk])


def test_deactivation_needs_a_reason_and_keeps_the_record(manager, register):
    patient = register()
    with pytest.raises(DomainError, match="Say why"):
        deactivate_patient(actor=actor_for(manager), patient=patient, reason=" ")
    deactivate_patient(actor=actor_for(manager), patient=patient, reason="Moved abroad")
    assert Patient.objects.for_clinic(patient.clinic).get(pk=patient.pk).is_active is False


def test_the_timeline_gathers_every_contribution_newest_first(nurse, priya, sign_in):
    record_allergy(actor=actor_for(nurse), patient=priya, substance="Penicillin", severity="severe")
    timeline = sign_in(nurse).get(reverse("patients:chart", args=[priya.pk])).context["timeline"]
    kinds = [entry.kind for entry in timeline]
    assert kinds[0] == "allergy"
    assert "registration" in kinds
    assert [e.at for e in timeline] == sorted((e.at for e in timeline), reverse=True)


def test_the_patient_export_is_for_managers_and_audited(manager, receptionist, priya, sign_in):
    assert sign_in(receptionist).get(reverse("patients:export")).status_code == 403
    response = sign_in(manager).get(reverse("patients:export"))
    body = b"".join(response.streaming_content).decode()
    assert "KTM-000003,Priya,Sharma" in body
    assert (
        AuditEvent.objects.for_clinic(priya.clinic)
        .filter(action=AuditAction.EXPORT, actor=manager)
        .exists()
    )
