"""The consultation API answers like the pages."""

from __future__ import annotations

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.frontdesk import services as frontdesk

pytestmark = pytest.mark.django_db


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_a_consultation_over_the_api(doctor, visit, icd10, sign_in):
    api = sign_in(doctor)
    opened = post(api, "/api/v1/encounters/", {"entry": str(visit.pk)})
    assert opened.status_code == 201
    url = f"/api/v1/encounters/{opened.json()['id']}/"
    noted = post(api, f"{url}note/", {"version": 0, "assessment": "Asthma attack"})
    assert noted.json()["version"] == 1
    stale = post(api, f"{url}note/", {"version": 0, "plan": "lost?"})
    assert stale.status_code == 409
    coded = post(api, f"{url}diagnoses/", {"code": "J45.9", "certainty": "confirmed"})
    assert coded.status_code == 201
    assert coded.json()["code"] == "J45.9"
    signed = post(api, f"{url}sign/")
    assert signed.json()["status"] == "signed"
    assert post(api, f"{url}note/", {"version": 1, "plan": "late"}).status_code == 409
    amended = post(api, f"{url}amendments/", {"text": "Also eczema", "reason": "forgot"})
    assert amended.status_code == 201
    assert api.get(url).json()["amendments"][0]["reason"] == "forgot"


def test_icd10_search_over_the_api(doctor, icd10, sign_in):
    rows = sign_in(doctor).get("/api/v1/icd10/", {"q": "J45"}).json()
    assert rows[0] == {"code": "J45", "title": "Asthma"}


def test_receptionists_and_other_clinics_read_no_notes(
    doctor, visit, receptionist, other_clinic_doctor, sign_in
):
    from clinicflow.clinical.services import open_encounter

    encounter = open_encounter(actor=actor_for(doctor), entry=visit)
    assert sign_in(receptionist).get(f"/api/v1/encounters/{encounter.pk}/").status_code == 403
    assert (
        sign_in(other_clinic_doctor).get(f"/api/v1/encounters/{encounter.pk}/").status_code == 404
    )
    assert sign_in(receptionist).get("/api/v1/icd10/", {"q": "J45"}).status_code == 403


def test_a_doctor_cannot_open_another_doctors_visit(
    receptionist, manager, clinic, sign_in, register, icd10
):
    from clinicflow.core.roles import Role
    from clinicflow.scheduling.services import create_practitioner
    from tests.factories import member

    users = [member(Role.DOCTOR, clinic, username=f"dr{n}") for n in range(2)]
    doctors = [
        create_practitioner(actor=actor_for(manager), user=u, specialization="GP", details={})
        for u in users
    ]
    frontdesk.add_walk_in(
        actor=actor_for(receptionist), patient=register(), practitioner=doctors[0]
    )
    visit = frontdesk.call_next(actor=actor_for(users[0]), practitioner=doctors[0])
    opened = post(sign_in(users[1]), "/api/v1/encounters/", {"entry": str(visit.pk)})
    assert opened.status_code == 400


def test_prescribing_over_the_api_with_an_alert_and_its_override(
    doctor, visit, nurse, patient, pharmacist, receptionist, sign_in
):
    from clinicflow.clinical.services import open_encounter
    from clinicflow.patients.services import record_allergy

    record_allergy(
        actor=actor_for(nurse), patient=patient, substance="Cotrimoxazole", severity="mild"
    )
    encounter = open_encounter(actor=actor_for(doctor), entry=visit)
    api = sign_in(doctor)
    url = f"/api/v1/encounters/{encounter.pk}/"
    item = post(
        api,
        f"{url}medicines/",
        {"medicine_name": "Cotrimoxazole", "dose": "2", "frequency": "BD", "duration_days": 3},
    )
    assert item.status_code == 201
    assert item.json()["quantity"] == "12.00"
    assert item.json()["in_words"] == "2 tablet twice a day for 3 days"
    alert = item.json()["alerts"][0]
    assert alert["kind"] == "allergy"
    refused = post(api, f"{url}sign/")
    assert refused.status_code == 400  # the note is empty, and the alert still stands
    bad = post(
        api,
        f"{url}medicines/",
        {"medicine_name": "X", "dose": "0", "frequency": "BD", "duration_days": 3},
    )
    assert bad.status_code == 400
    assert bad.json()["field"] == "dose"
    assert post(api, f"{url}override/", {"id": alert["id"], "reason": ""}).status_code == 400
    done = post(api, f"{url}override/", {"id": alert["id"], "reason": "tolerated before"})
    assert done.json()["override_reason"] == "tolerated before"
    post(api, f"{url}note/", {"version": 0, "plan": "Antibiotic"})
    assert post(api, f"{url}sign/").json()["status"] == "signed"
    listed = sign_in(pharmacist).get("/api/v1/prescriptions/", {"status": "issued"}).json()
    assert listed["results"][0]["items"][0]["medicine_name"] == "Cotrimoxazole"
    assert sign_in(receptionist).get("/api/v1/prescriptions/").status_code == 403


def test_encounters_and_prescriptions_filter_by_patient(
    doctor, encounter, patient, register, other_clinic_doctor, sign_in
):
    from clinicflow.clinical.prescribing import add_item

    add_item(
        actor=actor_for(doctor),
        encounter=encounter,
        details={
            "medicine_name": "Paracetamol",
            "dose": "1",
            "frequency": "TDS",
            "duration_days": 3,
        },
    )
    someone_else = register(given_name="Hari")
    api = sign_in(doctor)
    for url in ("/api/v1/encounters/", "/api/v1/prescriptions/"):
        theirs = api.get(url, {"patient": str(patient.pk)})
        assert theirs.status_code == 200, (url, theirs.content)
        assert [row["patient"] for row in theirs.json()["results"]] == [str(patient.pk)]
        assert api.get(url, {"patient": str(someone_else.pk)}).json()["results"] == []
        refused = sign_in(other_clinic_doctor).get(url, {"patient": str(patient.pk)})
        assert refused.status_code == 400
        assert list(refused.json()) == ["patient"]


def test_signing_over_the_api_acknowledges_unasked_allergies_and_chooses_problems(
    doctor, visit, icd10, sign_in
):
    from clinicflow.clinical.models import Prescription
    from clinicflow.patients.models import Condition

    api = sign_in(doctor)
    opened = post(api, "/api/v1/encounters/", {"entry": str(visit.pk)}).json()
    url = f"/api/v1/encounters/{opened['id']}/"
    post(api, f"{url}note/", {"version": 0, "plan": "Inhaler"})
    asthma = post(api, f"{url}diagnoses/", {"code": "J45.0"}).json()
    post(
        api,
        f"{url}medicines/",
        {"medicine_name": "Salbutamol", "dose": "2", "frequency": "PRN", "duration_days": 30,
         "quantity": "1", "dose_unit": "puff", "route": "inhaled"},
    )  # fmt: skip
    refused = post(api, f"{url}sign/", {"problem_list": [asthma["id"]]})
    assert refused.status_code == 400
    assert refused.json()["field"] == "acknowledge_allergies"
    assert not Condition.objects.exists()
    bad = post(api, f"{url}sign/", {"problem_list": ["x"], "acknowledge_allergies": True})
    assert bad.status_code == 400
    signed = post(
        api, f"{url}sign/", {"problem_list": [asthma["id"]], "acknowledge_allergies": True}
    )
    assert signed.json()["status"] == "signed"
    assert list(Condition.objects.values_list("icd10_code", flat=True)) == ["J45.0"]
    assert Prescription.objects.get().allergies_unasked_acknowledged_by == doctor


def test_the_pregnancy_status_over_the_api(doctor, nurse, visit, receptionist, sign_in):
    from clinicflow.clinical.services import open_encounter

    encounter = open_encounter(actor=actor_for(doctor), entry=visit)
    url = f"/api/v1/encounters/{encounter.pk}/pregnancy/"
    recorded = post(sign_in(nurse), url, {"status": "pregnant"})
    assert recorded.status_code == 201
    assert (recorded.json()["status"], recorded.json()["recorded_by"]) == (
        "pregnant",
        str(nurse.pk),
    )
    assert post(sign_in(nurse), url, {"status": "perhaps"}).status_code == 400
    assert post(sign_in(receptionist), url, {"status": "pregnant"}).status_code == 403
