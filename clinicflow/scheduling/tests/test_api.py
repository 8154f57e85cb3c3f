"""The scheduling API: booking, refusals, slots, transitions — like the pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from clinicflow.core.roles import Role
from tests.factories import member

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_booking_over_the_api_and_losing_a_race_is_a_409_with_fresh_slots(
    receptionist, cardiologist, patient, register, next_monday, at, sign_in
):
    api = sign_in(receptionist)
    body = {
        "patient": str(patient.pk),
        "practitioner": cardiologist.pk,
        "starts_at": at(next_monday, 10).isoformat(),
    }
    created = api.post("/api/v1/appointments/", body, content_type=JSON)
    assert created.status_code == 201
    assert created.json()["status"] == "booked"
    other = register(given_name="Other")
    lost = api.post("/api/v1/appointments/", {**body, "patient": str(other.pk)}, content_type=JSON)
    assert lost.status_code == 409
    assert lost.json()["code"] == "slot_taken"
    # The fresh slots are written like every time of the API (the clinic's zone, its offset),
    # so a client finds the one it asked for by comparing text.
    assert at(next_monday, 10).isoformat() not in lost.json()["free_slots"]
    assert at(next_monday, 10, 20).isoformat() in lost.json()["free_slots"]


def test_free_slots_and_transitions_over_the_api(
    receptionist, cardiologist, patient, next_monday, at, sign_in
):
    api = sign_in(receptionist)
    free = api.get(
        f"/api/v1/practitioners/{cardiologist.pk}/slots/",
        {"from": next_monday.isoformat(), "to": next_monday.isoformat()},
    )
    assert len(free.json()) == 21
    booked = api.post(
        "/api/v1/appointments/",
        {
            "patient": str(patient.pk),
            "practitioner": cardiologist.pk,
            "starts_at": free.json()[0]["starts_at"],
        },
        content_type=JSON,
    ).json()
    illegal = api.post(
        f"/api/v1/appointments/{booked['id']}/status/",
        {"to_status": "completed"},
        content_type=JSON,
    )
    assert illegal.status_code == 400
    assert "cannot become" in illegal.json()["detail"]
    moved = api.post(
        f"/api/v1/appointments/{booked['id']}/reschedule/",
        {"starts_at": free.json()[3]["starts_at"]},
        content_type=JSON,
    )
    assert moved.json()["starts_at"] != booked["starts_at"]
    cancelled = api.post(
        f"/api/v1/appointments/{booked['id']}/status/",
        {"to_status": "cancelled", "reason": "Ill"},
        content_type=JSON,
    )
    assert cancelled.json()["status"] == "cancelled"


def test_a_doctor_cannot_set_another_doctors_hours_over_the_api(cardiologist, clinic, sign_in):
    colleague = member(Role.DOCTOR, clinic, username="colleague")
    response = sign_in(colleague).post(
        "/api/v1/availability-rules/",
        {"practitioner": cardiologist.pk, "weekday": 5, "start_time": "18:00", "end_time": "19:00"},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert response.json()["field"] == "practitioner"


def test_leave_over_the_api_names_the_appointments_it_covers(
    manager, cardiologist, next_monday, at, book, sign_in
):
    appointment = book(at(next_monday, 10))
    response = sign_in(manager).post(
        "/api/v1/time-off/",
        {
            "practitioner": cardiologist.pk,
            "starts_at": at(next_monday, 9).isoformat(),
            "ends_at": at(next_monday, 12).isoformat(),
            "reason": "Leave",
        },
        content_type=JSON,
    )
    assert response.status_code == 201
    assert response.json()["covered_appointments"] == [str(appointment.pk)]


def test_another_clinic_sees_no_appointments_over_the_api(
    next_monday, at, book, other_clinic_manager, sign_in
):
    appointment = book(at(next_monday, 10))
    api = sign_in(other_clinic_manager)
    assert api.get(f"/api/v1/appointments/{appointment.pk}/").status_code == 404
    assert api.get("/api/v1/appointments/").json()["results"] == []


def test_hours_leave_and_appointments_filter_by_doctor_and_patient(
    manager, cardiologist, clinic, patient, register, next_monday, at, book, sign_in
):
    from clinicflow.accounts.actors import actor_for
    from clinicflow.scheduling.services import add_time_off, create_practitioner

    colleague = create_practitioner(
        actor=actor_for(manager),
        user=member(Role.DOCTOR, clinic, username="colleague"),
        specialization="GP",
        details={},
    )
    add_time_off(
        actor=actor_for(manager),
        practitioner=cardiologist,
        starts_at=at(next_monday, 9),
        ends_at=at(next_monday, 10),
        reason="Leave",
    )
    mine = book(at(next_monday, 11))
    book(at(next_monday, 14), for_patient=register(given_name="Hari"))
    api = sign_in(manager)

    def listed(url: str, **query: object) -> list[dict]:
        response = api.get(url, query)
        assert response.status_code == 200, (url, response.content)
        return response.json()["results"]

    assert listed("/api/v1/availability-rules/", practitioner=colleague.pk) == []
    hours = listed("/api/v1/availability-rules/", practitioner=cardiologist.pk)
    assert hours
    assert {rule["practitioner"] for rule in hours} == {cardiologist.pk}
    assert listed("/api/v1/time-off/", practitioner=colleague.pk) == []
    assert len(listed("/api/v1/time-off/", practitioner=cardiologist.pk)) == 1
    assert len(listed("/api/v1/appointments/", practitioner=cardiologist.pk)) == 2
    assert [a["id"] for a in listed("/api/v1/appointments/", patient=str(patient.pk))] == [
        str(mine.pk)
    ]


def test_a_schedule_filter_naming_another_clinics_doctor_is_refused(
    cardiologist, other_clinic_manager, sign_in
):
    api = sign_in(other_clinic_manager)
    for url in ("/api/v1/availability-rules/", "/api/v1/time-off/", "/api/v1/appointments/"):
        refused = api.get(url, {"practitioner": cardiologist.pk})
        assert refused.status_code == 400, (url, refused.content)
        assert list(refused.json()) == ["practitioner"]


#: An RFC 3339 instant with a numeric UTC offset (never "Z", never none).
WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


def test_free_slots_are_one_list_and_the_schema_says_so(
    receptionist, cardiologist, next_monday, sign_in
):
    api = sign_in(receptionist)
    free = api.get(
        f"/api/v1/practitioners/{cardiologist.pk}/slots/",
        {"from": next_monday.isoformat(), "to": next_monday.isoformat()},
    )
    assert isinstance(free.json(), list)
    # Written directly for speed, the rows are what the declared serializer writes.
    from django.utils import timezone

    from clinicflow.scheduling import slots
    from clinicflow.scheduling.api import SlotSerializer

    with timezone.override(cardiologist.clinic.zone):
        found = slots.free_slots(cardiologist, next_monday, next_monday)
        assert free.json() == SlotSerializer(found, many=True).data
    schema = api.get(reverse("api:schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/practitioners/{id}/slots/"]["get"]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"type": "array", "items": {"$ref": "#/components/schemas/Slot"}}
    params = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert "cursor" not in params
    assert params["from"] == params["to"] == {"type": "string", "format": "date"}


@pytest.mark.parametrize(("zone", "offset"), [("Asia/Kathmandu", "+05:45"), ("UTC", "+00:00")])
def test_every_time_the_api_writes_carries_its_offset_in_the_clinics_zone(
    clinic, receptionist, cardiologist, patient, next_monday, sign_in, zone, offset
):
    clinic.timezone = zone
    clinic.save()
    api = sign_in(receptionist)
    free = api.get(
        f"/api/v1/practitioners/{cardiologist.pk}/slots/",
        {"from": next_monday.isoformat(), "to": next_monday.isoformat()},
    ).json()
    booked = api.post(
        "/api/v1/appointments/",
        {
            "patient": str(patient.pk),
            "practitioner": cardiologist.pk,
            "starts_at": free[0]["starts_at"],
        },
        content_type=JSON,
    ).json()
    listed = api.get("/api/v1/appointments/").json()["results"][0]
    times = [
        free[0]["starts_at"],
        free[0]["ends_at"],
        booked["starts_at"],
        booked["ends_at"],
        booked["created_at"],
        listed["created_at"],
    ]
    assert all(WITH_OFFSET.match(t) for t in times), times
    assert all(t.endswith(offset) for t in times), times
    assert free[0]["starts_at"] == f"{next_monday.isoformat()}T09:00:00{offset}"


@pytest.mark.parametrize("day", ["2026-13-45", "monday"])
def test_an_impossible_date_is_a_400_not_a_500(receptionist, cardiologist, patient, sign_in, day):
    client = sign_in(receptionist)
    slots = client.get(f"/api/v1/practitioners/{cardiologist.pk}/slots/", {"from": day})
    assert slots.status_code == 400
    assert slots.json()["field"] == "from"
    booking = client.get(
        reverse("scheduling:book"),
        {"patient": patient.pk, "practitioner": cardiologist.pk, "day": day},
    )
    assert booking.status_code == 200  # the page falls back to today
    events = client.get(
        reverse("scheduling:calendar_events"), {"start": f"{day}T00:00", "end": day}
    )
    assert events.status_code == 400
