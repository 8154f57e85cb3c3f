"""The front-desk API answers like the pages: same policy, same services, same refusals."""

from __future__ import annotations

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.frontdesk import services
from clinicflow.frontdesk.models import QueueEntry

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_walk_in_check_in_move_and_vitals_over_the_api(
    receptionist, nurse, doctor, cardiologist, booked, sign_in
):
    desk = sign_in(receptionist)
    walk_in = post(desk, "/api/v1/queue/", {"name": "Api Walker", "priority": 2})
    assert walk_in.status_code == 201
    assert walk_in.json()["token"] == 1
    checked = post(desk, "/api/v1/queue/check-in/", {"appointment": str(booked.pk)})
    assert checked.status_code == 201
    entry = checked.json()["id"]
    listed = desk.get("/api/v1/queue/").json()["results"]
    assert [row["token"] for row in listed] == [1, 2]  # urgent walk-in first
    refused = post(sign_in(nurse), f"/api/v1/queue/{entry}/vitals/", {"spo2": "120"})
    assert refused.status_code == 400
    assert refused.json()["field"] == "spo2"
    saved = post(sign_in(nurse), f"/api/v1/queue/{entry}/vitals/", {"pulse": "72"})
    assert saved.status_code == 201
    assert saved.json()[0]["code"] == "8867-4"
    called = post(sign_in(doctor), "/api/v1/queue/call-next/", {"practitioner": cardiologist.pk})
    assert called.status_code == 200
    assert called.json()["status"] == "with_doctor"


def test_an_illegal_move_is_a_400_and_changes_nothing(receptionist, sign_in):
    entry = services.add_walk_in(actor=actor_for(receptionist), name="Ram")
    response = post(sign_in(receptionist), f"/api/v1/queue/{entry.pk}/move/", {"to_status": "done"})
    assert response.status_code == 400
    entry.refresh_from_db()
    assert entry.status == "waiting"


def test_another_clinic_sees_no_visit_and_cannot_move_it(
    receptionist, other_clinic_manager, sign_in
):
    entry = services.add_walk_in(actor=actor_for(receptionist), name="Ram")
    client = sign_in(other_clinic_manager)
    assert client.get(f"/api/v1/queue/{entry.pk}/").status_code == 404
    moved = post(client, f"/api/v1/queue/{entry.pk}/move/", {"to_status": "vitals"})
    assert moved.status_code == 404
    assert client.get("/api/v1/queue/").json()["results"] == []
    assert QueueEntry.objects.get().status == "waiting"


def test_call_next_with_nobody_waiting_is_a_204(doctor, cardiologist, sign_in):
    response = post(sign_in(doctor), "/api/v1/queue/call-next/", {"practitioner": cardiologist.pk})
    assert response.status_code == 204


def test_a_visit_is_given_to_a_specialization_over_the_api(
    receptionist, cardiologist, sign_in, other_clinic_manager
):
    entry = services.add_walk_in(actor=actor_for(receptionist), name="Ram")
    url = f"/api/v1/queue/{entry.pk}/assign/"
    client = sign_in(receptionist)
    given = post(client, url, {"specialization": cardiologist.specialization_id})
    assert given.status_code == 200
    assert given.json()["practitioner"] == cardiologist.pk
    unknown = post(client, url, {"specialization": 99999})
    assert unknown.status_code == 400
    assert unknown.json()["field"] == "specialization"


def test_the_queue_and_vitals_filter_by_doctor_patient_and_visit(
    receptionist, nurse, cardiologist, register, sign_in
):
    desk = actor_for(receptionist)
    priya = register()
    seen = services.add_walk_in(actor=desk, patient=priya, practitioner=cardiologist)
    services.add_walk_in(actor=desk, name="Ram")  # nobody's yet
    services.record_vitals(actor=actor_for(nurse), entry=seen, values={"pulse": "72"})
    api = sign_in(nurse)
    doctors = api.get("/api/v1/queue/", {"practitioner": cardiologist.pk})
    assert [row["id"] for row in doctors.json()["results"]] == [str(seen.pk)]
    one = api.get(f"/api/v1/queue/{seen.pk}/", {"practitioner": cardiologist.pk})
    assert one.status_code == 200
    by_patient = api.get("/api/v1/observations/", {"patient": str(priya.pk)}).json()["results"]
    by_visit = api.get("/api/v1/observations/", {"entry": str(seen.pk)}).json()["results"]
    assert [row["code"] for row in by_patient] == [row["code"] for row in by_visit] == ["8867-4"]


def test_a_filter_naming_another_clinics_doctor_or_patient_finds_nothing_of_theirs(
    receptionist, nurse, cardiologist, register, other_clinic_manager, sign_in
):
    theirs = services.add_walk_in(
        actor=actor_for(receptionist), patient=register(), practitioner=cardiologist
    )
    api = sign_in(other_clinic_manager)
    for url, name, value in [
        ("/api/v1/queue/", "practitioner", cardiologist.pk),
        ("/api/v1/queue/", "patient", str(theirs.patient_id)),
        ("/api/v1/observations/", "entry", str(theirs.pk)),
    ]:
        refused = api.get(url, {name: value})
        assert refused.status_code == 400, (url, refused.content)
        assert list(refused.json()) == [name]  # "not one of the available choices", no rows
