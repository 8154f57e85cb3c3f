"""Signing a consultation: a prescription issued while the patient's allergies were not asked
needs the doctor's acknowledgement (kept and audited); diagnoses are offered to the problem
list, long-term ones ticked, and join it once. And the workspace's forms for what is asked at
the visit: allergies, "no known allergies", pregnancy."""

from __future__ import annotations

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.clinical import prescribing, selectors, services
from clinicflow.clinical.models import Encounter, PregnancyStatus, Prescription
from clinicflow.core.errors import DomainError
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.frontdesk import services as frontdesk
from clinicflow.patients.models import Allergy, Condition
from clinicflow.patients.services import record_allergy, record_no_known_allergies

pytestmark = pytest.mark.django_db

PARACETAMOL = {
    "medicine_name": "Paracetamol",
    "dose": "1",
    "frequency": "TDS",
    "duration_days": "3",
}


def written(doctor, encounter, **fields):
    encounter.refresh_from_db()
    return services.save_note(
        actor=actor_for(doctor), encounter=encounter, fields={"plan": "Rest", **fields},
        version=encounter.version,
    )  # fmt: skip


def prescribe(doctor, encounter):
    return prescribing.add_item(actor=actor_for(doctor), encounter=encounter, details=PARACETAMOL)


def diagnose(doctor, encounter, code="", text=""):
    return services.add_diagnosis(
        actor=actor_for(doctor), encounter=encounter, code=code, text=text
    )


@pytest.fixture
def next_visit(receptionist, doctor, practitioner):
    """The same patient back, called in, a new consultation open."""

    def _next(patient):
        frontdesk.add_walk_in(
            actor=actor_for(receptionist), patient=patient, practitioner=practitioner
        )
        entry = frontdesk.call_next(actor=actor_for(doctor), practitioner=practitioner)
        return services.open_encounter(actor=actor_for(doctor), entry=entry)

    return _next


# ---------------------------------------------------------------- allergies not asked


def test_a_prescription_while_allergies_are_not_asked_needs_an_acknowledgement(
    doctor, encounter, patient
):
    assert patient.allergy_statement == "not_asked"
    prescribe(doctor, encounter)
    encounter = written(doctor, encounter)
    with pytest.raises(DomainError, match="Allergies have not been asked") as refused:
        services.sign(actor=actor_for(doctor), encounter=encounter)
    assert refused.value.field == "acknowledge_allergies"
    assert not Encounter.objects.get(pk=encounter.pk).is_signed
    assert Prescription.objects.get().status == "draft"

    services.sign(actor=actor_for(doctor), encounter=encounter, allergies_unasked_acknowledged=True)
    prescription = Prescription.objects.get()
    assert prescription.status == "issued"
    assert prescription.allergies_unasked_acknowledged_by == doctor
    assert prescription.allergies_unasked_acknowledged_at is not None
    event = AuditEvent.objects.all_clinics().filter(
        action=AuditAction.UPDATE,
        object_type="clinical.prescription",
        object_id=str(prescription.pk),
        changes__has_key="allergies_unasked_acknowledged_by",
    )
    assert event.exists()


@pytest.mark.parametrize("asked", ["none_known", "recorded"])
def test_allergies_asked_need_no_acknowledgement(doctor, nurse, encounter, patient, asked):
    if asked == "none_known":
        record_no_known_allergies(actor=actor_for(nurse), patient=patient)
    else:
        record_allergy(actor=actor_for(nurse), patient=patient, substance="Latex", severity="mild")
    prescribe(doctor, encounter)
    services.sign(actor=actor_for(doctor), encounter=written(doctor, encounter))
    prescription = Prescription.objects.get()
    assert prescription.status == "issued"
    assert prescription.allergies_unasked_acknowledged_by is None


def test_a_consultation_without_medicines_needs_no_acknowledgement(doctor, encounter):
    item = prescribe(doctor, encounter)
    prescribing.stop_item(actor=actor_for(doctor), item=item, reason="not needed")
    services.sign(actor=actor_for(doctor), encounter=written(doctor, encounter))
    assert Prescription.objects.get().status == "cancelled"


# ---------------------------------------------------------------- the problem list


def test_the_offer_ticks_long_term_diagnoses_and_marks_those_already_listed(
    doctor, nurse, encounter, patient
):
    from clinicflow.patients.services import record_condition

    record_condition(actor=actor_for(nurse), patient=patient, description="HTN", icd10_code="I10")
    diagnose(doctor, encounter, code="J45.0")  # asthma: long-term
    diagnose(doctor, encounter, code="J02.9")  # a sore throat: it ends
    diagnose(doctor, encounter, code="I10")  # already on the list
    offer = {o.diagnosis.code_id: (o.chronic, o.on_list, o.ticked) for o in
             selectors.problem_list_offer(encounter)}  # fmt: skip
    assert offer == {
        "J45.0": (True, False, True),
        "J02.9": (False, False, False),
        "I10": (True, True, False),
    }


def test_chosen_diagnoses_join_the_problem_list_once(doctor, encounter, patient, next_visit):
    asthma = diagnose(doctor, encounter, code="J45.0")
    again = diagnose(doctor, encounter, code="J45.0")
    throat = diagnose(doctor, encounter, code="J02.9")
    odd = diagnose(doctor, encounter, text="Chronic itch of the left ear")
    services.sign(
        actor=actor_for(doctor),
        encounter=written(doctor, encounter),
        problem_list=[asthma.pk, again.pk, odd.pk],
    )
    listed = Condition.objects.filter(patient=patient, status="active")
    assert sorted(listed.values_list("icd10_code", "description")) == [
        ("", "Chronic itch of the left ear"),
        ("J45.0", "Predominantly allergic asthma"),
    ]
    assert throat.pk not in listed.values_list("pk", flat=True)

    second = next_visit(patient)
    repeat = diagnose(doctor, second, code="J45.0")
    same_words = diagnose(doctor, second, text="chronic itch of the left ear ")
    services.sign(
        actor=actor_for(doctor),
        encounter=written(doctor, second),
        problem_list=[repeat.pk, same_words.pk],
    )
    assert listed.count() == 2


def test_a_diagnosis_of_another_consultation_is_refused_and_nothing_is_signed(
    doctor, encounter, patient, next_visit
):
    mine = diagnose(doctor, encounter, code="J45.0")
    services.sign(actor=actor_for(doctor), encounter=written(doctor, encounter))
    second = next_visit(patient)
    with pytest.raises(DomainError, match="this consultation's diagnoses") as refused:
        services.sign(
            actor=actor_for(doctor), encounter=written(doctor, second), problem_list=[mine.pk]
        )
    assert refused.value.field == "problem_list"
    assert not Encounter.objects.get(pk=second.pk).is_signed
    assert not Condition.objects.exists()


def test_a_diagnosis_entered_in_error_is_not_offered_nor_taken(doctor, encounter):
    wrong = diagnose(doctor, encounter, code="E11")
    services.remove_diagnosis(actor=actor_for(doctor), diagnosis=wrong)
    assert selectors.problem_list_offer(encounter) == []
    with pytest.raises(DomainError, match="this consultation's diagnoses"):
        services.sign(
            actor=actor_for(doctor), encounter=written(doctor, encounter), problem_list=[wrong.pk]
        )


# ---------------------------------------------------------------- the pages


def test_the_sign_form_offers_the_problem_list_and_the_acknowledgement(doctor, encounter, sign_in):
    asthma = diagnose(doctor, encounter, code="J45.0")
    throat = diagnose(doctor, encounter, code="J02.9")
    prescribe(doctor, encounter)
    page = sign_in(doctor).get(f"/clinical/encounters/{encounter.pk}/").content.decode()
    form = page.split('data-testid="sign-form"')[1].split("</form>")[0]
    assert f'value="{asthma.pk}" id="pl-{asthma.pk}" checked' in form
    assert f'value="{throat.pk}" id="pl-{throat.pk}">' in form
    assert 'name="acknowledge_allergies"' in form
    assert 'data-testid="allergies-unasked"' in page


def test_signing_from_the_page_without_the_acknowledgement_says_why(doctor, encounter, sign_in):
    asthma = diagnose(doctor, encounter, code="J45.0")
    prescribe(doctor, encounter)
    written(doctor, encounter)
    client = sign_in(doctor)
    url = f"/clinical/encounters/{encounter.pk}/sign/"
    refused = client.post(url, {"problem_list": [asthma.pk]}, follow=True)
    assert "Allergies have not been asked" in refused.content.decode()
    assert not Encounter.objects.get(pk=encounter.pk).is_signed
    assert not Condition.objects.exists()

    done = client.post(url, {"problem_list": [asthma.pk], "acknowledge_allergies": "yes"})
    assert done.status_code == 302
    assert Encounter.objects.get(pk=encounter.pk).is_signed
    assert list(Condition.objects.values_list("icd10_code", flat=True)) == ["J45.0"]


def test_a_malformed_choice_is_refused_with_a_message(doctor, encounter, sign_in):
    written(doctor, encounter)
    client = sign_in(doctor)
    answer = client.post(
        f"/clinical/encounters/{encounter.pk}/sign/", {"problem_list": "x"}, follow=True
    )
    assert "this consultation&#x27;s diagnoses" in answer.content.decode()
    assert not Encounter.objects.get(pk=encounter.pk).is_signed


def test_allergies_are_recorded_from_the_consultation(doctor, nurse, encounter, patient, sign_in):
    client = sign_in(doctor)
    page = client.get(f"/clinical/encounters/{encounter.pk}/").content.decode()
    assert 'data-testid="allergy-form"' in page
    assert 'data-testid="no-known-allergies"' in page
    answer = client.post(
        f"/clinical/encounters/{encounter.pk}/allergies/",
        {"allergy-substance": "Sulfa", "allergy-reaction": "rash", "allergy-severity": "moderate"},
    )
    assert answer["Location"] == f"/clinical/encounters/{encounter.pk}/#allergies"
    allergy = Allergy.objects.get(patient=patient)
    assert (allergy.substance, allergy.recorded_by) == ("Sulfa", doctor)
    bad = client.post(
        f"/clinical/encounters/{encounter.pk}/allergies/",
        {"allergy-substance": "", "allergy-severity": "moderate"},
        follow=True,
    )
    assert 'class="alert alert-danger' in bad.content.decode()
    assert Allergy.objects.count() == 1


def test_no_known_allergies_from_the_consultation(nurse, encounter, patient, sign_in):
    answer = sign_in(nurse).post(f"/clinical/encounters/{encounter.pk}/no-known-allergies/")
    assert answer.status_code == 302
    patient.refresh_from_db()
    assert patient.allergy_statement == "none_known"


def test_the_pregnancy_status_is_recorded_and_shown_with_who_and_when(
    doctor, nurse, encounter, sign_in
):
    client = sign_in(nurse)
    url = f"/clinical/encounters/{encounter.pk}/"
    assert "Not asked at this visit." in client.get(url).content.decode()
    answer = client.post(f"{url}pregnancy/", {"status": "breastfeeding"})
    assert answer["Location"] == f"{url}#pregnancy"
    page = sign_in(doctor).get(url).content.decode()
    shown = page.split('data-testid="pregnancy-answer"')[1].split("</p>")[0]
    assert "Breastfeeding" in shown
    assert nurse.get_full_name() in shown
    assert 'value="breastfeeding" required checked' in page
    client.post(f"{url}pregnancy/", {"status": "sometimes"})
    assert PregnancyStatus.objects.count() == 1


def test_a_man_is_not_asked_about_pregnancy(doctor, sign_in, register, next_visit):
    encounter = next_visit(register(given_name="Ram", sex="male"))
    page = sign_in(doctor).get(f"/clinical/encounters/{encounter.pk}/").content.decode()
    assert 'data-testid="pregnancy-status"' not in page


def test_outsiders_cannot_record_at_the_consultation(
    encounter, receptionist, other_clinic_doctor, sign_in
):
    base = f"/clinical/encounters/{encounter.pk}/"
    for part, data in (
        ("allergies/", {"allergy-substance": "Latex", "allergy-severity": "mild"}),
        ("no-known-allergies/", {}),
        ("pregnancy/", {"status": "pregnant"}),
    ):
        assert sign_in(receptionist).post(base + part, data).status_code == 403
        assert sign_in(other_clinic_doctor).post(base + part, data).status_code == 404
    assert not Allergy.objects.exists()
    assert not PregnancyStatus.objects.exists()
    encounter.patient.refresh_from_db()
    assert encounter.patient.allergy_statement == "not_asked"


def test_a_low_caution_shows_without_an_override_form(doctor, encounter, sign_in, monkeypatch):
    from clinicflow.clinical import safety

    caution = safety.MedicineFacts(ingredients=frozenset({"ibuprofen"}), pregnancy_caution=True)
    monkeypatch.setattr(safety, "_PROVIDERS", {"test": lambda clinic, name: caution})
    item = prescribe(doctor, encounter)
    page = sign_in(doctor).get(f"/clinical/encounters/{encounter.pk}/").content.decode()
    alert = page.split('data-testid="safety-alert"')[1].split("</div>\n")[0]
    assert 'data-severity="low"' in alert
    assert "For information" in alert
    assert f"/clinical/alerts/{item.alerts.get().pk}/override/" not in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_signings_at_once_add_a_problem_once(doctor, practitioner, patient, icd10):
    """Two open consultations of one patient (say, one left open yesterday) signed together,
    both choosing asthma for the problem list: the patient's row lock lets one add it."""
    from clinicflow.clinical.models import Encounter
    from tests.concurrency import at_once

    encounters = []
    for _ in range(2):
        encounter = Encounter.objects.create(
            clinic=patient.clinic, patient=patient, practitioner=practitioner
        )
        encounters.append((written(doctor, encounter), diagnose(doctor, encounter, code="J45.0")))

    def sign(n: int) -> None:
        encounter, asthma = encounters[n]
        services.sign(actor=actor_for(doctor), encounter=encounter, problem_list=[asthma.pk])

    _, errors = at_once(sign, 2)
    assert errors == []
    assert Condition.objects.filter(patient=patient, icd10_code="J45.0").count() == 1
