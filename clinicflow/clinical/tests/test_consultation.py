"""The consultation: opening from a visit, autosave, diagnoses, signing, amendments, access."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from clinicflow.accounts.actors import actor_for
from clinicflow.clinical import selectors, services
from clinicflow.clinical.models import Encounter
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.frontdesk.models import QueueEntry
from clinicflow.patients.models import Condition

pytestmark = pytest.mark.django_db


def save(doctor, encounter, version=None, **fields):
    return services.save_note(
        actor=actor_for(doctor),
        encounter=encounter,
        fields=fields,
        version=encounter.version if version is None else version,
    )


def test_opening_twice_gives_the_same_encounter_of_the_visit(doctor, visit, encounter):
    assert services.open_encounter(actor=actor_for(doctor), entry=visit) == encounter
    assert (encounter.patient_id, encounter.entry_id) == (visit.patient_id, visit.pk)


def test_a_visit_not_called_in_cannot_be_opened(receptionist, doctor, practitioner, register):
    from clinicflow.frontdesk import services as frontdesk

    waiting = frontdesk.add_walk_in(
        actor=actor_for(receptionist),
        patient=register(given_name="Asha"),
        practitioner=practitioner,
    )
    with pytest.raises(DomainError, match="Call the patient in"):
        services.open_encounter(actor=actor_for(doctor), entry=waiting)


def test_autosave_writes_and_a_stale_page_is_refused(doctor, encounter):
    first = save(doctor, encounter, subjective="Cough for 3 days")
    assert first.version == 1
    second = save(doctor, first, objective="Wheeze", plan="Inhaler")
    assert second.version == 2
    with pytest.raises(Conflict, match="changed elsewhere"):
        save(doctor, second, version=1, subjective="old tab")
    encounter.refresh_from_db()
    assert encounter.subjective == "Cough for 3 days"
    with pytest.raises(DomainError, match="cannot be set"):
        save(doctor, encounter, status="signed")


def test_autosave_over_http_answers_the_new_version(doctor, encounter, sign_in):
    client = sign_in(doctor)
    url = f"/clinical/encounters/{encounter.pk}/autosave/"
    answer = client.post(url, {"subjective": "Headache", "version": 0})
    assert answer.json()["version"] == 1
    stale = client.post(url, {"subjective": "Other", "version": 0})
    assert stale.status_code == 409
    assert "changed elsewhere" in stale.json()["error"]


def test_icd10_search_finds_codes_and_words(icd10):
    assert [c.code for c in selectors.search_icd10("J45")][:2] == ["J45", "J45.0"]
    titles = [c.title.lower() for c in selectors.search_icd10("asthma")]
    assert titles
    assert all("asthma" in t for t in titles)
    assert "J45.0" in [c.code for c in selectors.search_icd10("allergic asthma")]
    assert selectors.search_icd10("  ") == []


def test_diagnoses_coded_or_free_text(doctor, encounter):
    coded = services.add_diagnosis(actor=actor_for(doctor), encounter=encounter, code="j45.0")
    assert coded.code_id == "J45.0"
    assert coded.text == "Predominantly allergic asthma"
    free = services.add_diagnosis(actor=actor_for(doctor), encounter=encounter, text="Odd rash")
    assert free.code_id is None
    with pytest.raises(DomainError, match="not an ICD-10 code"):
        services.add_diagnosis(actor=actor_for(doctor), encounter=encounter, code="ZZ99")
    with pytest.raises(DomainError):
        services.add_diagnosis(actor=actor_for(doctor), encounter=encounter)


def test_signing_locks_the_note_ends_the_visit_and_feeds_the_problem_list(doctor, encounter, visit):
    actor = actor_for(doctor)
    with pytest.raises(DomainError, match="Write the note"):
        services.sign(actor=actor, encounter=encounter)
    encounter = save(doctor, encounter, assessment="Asthma")
    asthma = services.add_diagnosis(actor=actor, encounter=encounter, code="J45.0")
    services.add_diagnosis(actor=actor, encounter=encounter, code="R05", certainty="provisional")
    signed = services.sign(actor=actor, encounter=encounter, problem_list=[asthma.pk])
    assert signed.is_signed
    assert signed.signed_by == doctor
    assert QueueEntry.objects.get(pk=visit.pk).status == "done"
    problems = Condition.objects.filter(patient=encounter.patient)
    assert list(problems.values_list("icd10_code", flat=True)) == ["J45.0"]
    with pytest.raises(Conflict, match="signed"):
        save(doctor, signed, plan="changed")
    with pytest.raises(Conflict, match="signed"):
        services.add_diagnosis(actor=actor, encounter=signed, text="late")


def test_the_database_refuses_to_change_a_signed_note(doctor, encounter):
    encounter = save(doctor, encounter, subjective="Original")
    services.sign(actor=actor_for(doctor), encounter=encounter)
    with pytest.raises(IntegrityError), transaction.atomic():
        Encounter.objects.filter(pk=encounter.pk).update(subjective="Rewritten")
    if connection.vendor == "postgresql":  # SQLite's test flush deletes rows: no rule there
        with pytest.raises(IntegrityError), transaction.atomic():
            Encounter.objects.filter(pk=encounter.pk).delete()
    assert Encounter.objects.get(pk=encounter.pk).subjective == "Original"


def test_amendments_keep_the_original_and_need_a_reason(doctor, encounter, sign_in):
    encounter = save(doctor, encounter, plan="Amoxicillin 500 mg")
    with pytest.raises(DomainError, match="not signed"):
        services.amend(actor=actor_for(doctor), encounter=encounter, text="x", reason="y")
    services.sign(actor=actor_for(doctor), encounter=encounter)
    with pytest.raises(DomainError) as refused:
        services.amend(actor=actor_for(doctor), encounter=encounter, text="250 mg", reason="")
    assert refused.value.field == "reason"
    services.amend(actor=actor_for(doctor), encounter=encounter, text="Dose 250 mg", reason="typo")
    page = sign_in(doctor).get(f"/clinical/encounters/{encounter.pk}/").content.decode()
    assert "Amoxicillin 500 mg" in page
    assert "Dose 250 mg" in page
    assert "typo" in page


def test_who_may_read_and_write(
    encounter, doctor, nurse, receptionist, other_clinic_doctor, sign_in, clinic, manager
):
    from clinicflow.core.roles import Role
    from clinicflow.scheduling.services import create_practitioner
    from tests.factories import member

    url = f"/clinical/encounters/{encounter.pk}/"
    save(doctor, encounter, subjective="Private words")
    assert "Private words" in sign_in(nurse).get(url).content.decode()
    assert sign_in(receptionist).get(url).status_code == 403
    assert sign_in(other_clinic_doctor).get(url).status_code == 404
    colleague = member(Role.DOCTOR, clinic, username="colleague")
    create_practitioner(actor=actor_for(manager), user=colleague, specialization="GP", details={})
    with pytest.raises(DomainError, match="may not"):
        save(colleague, encounter, subjective="Not mine")
    response = sign_in(colleague).post(
        f"/clinical/encounters/{encounter.pk}/autosave/", {"subjective": "x", "version": 1}
    )
    assert response.status_code == 404
    with pytest.raises(DomainError, match="may not"):
        save(nurse, encounter, subjective="Nurse edit")


def test_reading_a_consultation_is_audited(encounter, nurse, sign_in):
    from clinicflow.core.models import AuditAction, AuditEvent

    sign_in(nurse).get(f"/clinical/encounters/{encounter.pk}/")
    event = AuditEvent.objects.all_clinics().filter(action=AuditAction.VIEW).last()
    assert event.changes["part"] == "encounter"


def test_the_timeline_shows_the_consultation_without_its_note(
    encounter, receptionist, doctor, sign_in
):
    save(doctor, encounter, subjective="Secret symptom")
    page = sign_in(receptionist).get(f"/patients/{encounter.patient_id}/").content.decode()
    assert "Consultation with" in page
    assert "Secret symptom" not in page


def test_a_second_visit_within_the_validity_is_a_follow_up(
    doctor, encounter, receptionist, practitioner, sign_in
):
    from clinicflow.frontdesk import services as frontdesk

    encounter = save(doctor, encounter, subjective="First")
    services.sign(actor=actor_for(doctor), encounter=encounter)
    frontdesk.add_walk_in(
        actor=actor_for(receptionist), patient=encounter.patient, practitioner=practitioner
    )
    again = frontdesk.call_next(actor=actor_for(doctor), practitioner=practitioner)
    second = services.open_encounter(actor=actor_for(doctor), entry=again)
    assert second.follow_up_of == encounter
    page = sign_in(doctor).get(f"/clinical/encounters/{second.pk}/").content.decode()
    assert "follow-up" in page
    assert "Earlier consultations" in page


def test_templates_are_saved_and_inserted(doctor, encounter):
    encounter = save(doctor, encounter, plan="Rest, fluids")
    template = services.save_template(
        actor=actor_for(doctor), name="URTI", note={"plan": "Rest, fluids"}
    )
    filled = services.apply_template(
        actor=actor_for(doctor), encounter=encounter, template=template
    )
    assert filled.plan == "Rest, fluids\nRest, fluids"


def test_the_workspace_shows_vitals_allergies_and_the_note_form(
    encounter, doctor, nurse, sign_in, patient
):
    from clinicflow.frontdesk import services as frontdesk
    from clinicflow.patients.services import record_allergy

    record_allergy(
        actor=actor_for(nurse), patient=patient, substance="Penicillin", severity="severe"
    )
    frontdesk.record_vitals(actor=actor_for(nurse), entry=encounter.entry, values={"spo2": "88"})
    page = sign_in(doctor).get(f"/clinical/encounters/{encounter.pk}/").content.decode()
    assert "Penicillin" in page
    assert 'data-testid="latest-vitals"' in page
    assert 'data-testid="note-form"' in page
    assert 'data-testid="encounter-documents"' in page


def test_see_again_in_n_days_opens_the_doctors_slots_from_that_day(encounter, doctor, sign_in):
    from datetime import timedelta

    from django.utils import timezone

    client = sign_in(doctor)
    response = client.get(f"/clinical/encounters/{encounter.pk}/follow-up/", {"days": "7"})
    day = timezone.localdate() + timedelta(days=7)
    assert response.status_code == 302
    assert response["Location"].startswith("/scheduling/book/?")
    assert f"day={day}" in response["Location"]
    assert f"patient={encounter.patient_id}" in response["Location"]
    refused = client.get(f"/clinical/encounters/{encounter.pk}/follow-up/", {"days": "x"})
    assert refused["Location"] == f"/clinical/encounters/{encounter.pk}/"
