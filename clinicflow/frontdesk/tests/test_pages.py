"""The front-desk pages: the queue, check-in and walk-ins through forms, the visit page with its
vitals form, the token slip, the board (no names), export and setup."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.frontdesk import services
from clinicflow.frontdesk.models import BoardLink, Observation, QueueEntry

pytestmark = pytest.mark.django_db


def test_reception_checks_in_from_the_arrivals_and_adds_a_walk_in(
    receptionist, sign_in, booked, patient
):
    client = sign_in(receptionist)
    page = client.get("/frontdesk/")
    assert page.status_code == 200
    assert patient.full_name.encode() in page.content
    client.post("/frontdesk/check-in/", {"appointment": booked.pk, "priority": 4})
    client.post("/frontdesk/walk-in/", {"name": "Walk In", "phone": "", "priority": 1})
    tokens = dict(QueueEntry.objects.values_list("token", "walk_in_name"))
    assert tokens == {1: "", 2: "Walk In"}
    queue = client.get("/frontdesk/").content.split(b'data-testid="queue"')[1]
    assert queue.index(b"Walk In") < queue.index(patient.full_name.encode())


def test_a_bad_walk_in_shows_the_message_and_saves_nothing(receptionist, sign_in):
    client = sign_in(receptionist)
    response = client.post("/frontdesk/walk-in/", {"name": "", "priority": 4}, follow=True)
    assert "Give the walk-in&#x27;s name" in response.content.decode()
    response = client.post("/frontdesk/walk-in/", {"mrn": "KTM-999999", "priority": 4}, follow=True)
    assert "No patient has that record number" in response.content.decode()
    assert not QueueEntry.objects.exists()


def test_the_queue_fragment_for_the_live_reload(receptionist, sign_in):
    services.add_walk_in(actor=actor_for(receptionist), name="Ram Bahadur")
    response = sign_in(receptionist).get("/frontdesk/", HTTP_HX_REQUEST="true")
    assert b"Ram Bahadur" in response.content
    assert b"<html" not in response.content


def test_the_live_reload_keeps_the_doctors_to_give_a_patient_to(
    receptionist, cardiologist, make_doctor, sign_in
):
    gp = make_doctor("gp", "GP")
    services.add_walk_in(actor=actor_for(receptionist), name="Ram Bahadur")
    client = sign_in(receptionist)
    page = client.get("/frontdesk/").content.decode()
    fragment = client.get("/frontdesk/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    for html in (page, fragment):
        live = html.split('id="queue-live"')[1]
        menu = re.search(r'<select id="doctor-[^"]+" name="practitioner".*?</select>', live, re.S)
        assert menu is not None
        offered = set(re.findall(r'<option value="(\d+)"', menu.group(0)))
        assert offered == {str(cardiologist.pk), str(gp.pk)}


def test_the_more_menu_is_not_clipped_by_the_table(receptionist, sign_in):
    """The menu opens in a table that scrolls sideways (phones); a fixed menu stays whole."""
    services.add_walk_in(actor=actor_for(receptionist), name="Ram Bahadur")
    fragment = sign_in(receptionist).get("/frontdesk/", HTTP_HX_REQUEST="true").content.decode()
    (toggle,) = re.findall(r'<button[^>]*data-testid="more"[^>]*>', fragment)
    assert 'data-bs-toggle="dropdown"' in toggle
    assert """data-bs-popper-config='{"strategy":"fixed"}'""" in toggle


def test_the_queue_page_runs_a_constant_number_of_queries(
    receptionist, sign_in, django_assert_max_num_queries, register
):
    client = sign_in(receptionist)
    actor = actor_for(receptionist)
    services.add_walk_in(actor=actor, patient=register(given_name="One"))
    client.get("/frontdesk/")
    for n in range(15):
        services.add_walk_in(actor=actor, patient=register(given_name=f"P{n}", phone=""))
    with django_assert_max_num_queries(25):
        response = client.get("/frontdesk/")
    assert response.content.count(b"queue-row") == 16


def test_a_doctor_sees_their_own_and_unassigned_patients_only(
    receptionist, doctor, cardiologist, sign_in, clinic, manager, make_doctor
):

    other = make_doctor("gp", "GP")
    actor = actor_for(receptionist)
    services.add_walk_in(actor=actor, name="Mine Patient", practitioner=cardiologist)
    services.add_walk_in(actor=actor, name="Nobodys Patient")
    services.add_walk_in(actor=actor, name="Theirs Patient", practitioner=other)
    page = sign_in(doctor).get("/frontdesk/").content
    assert b"Mine Patient" in page
    assert b"Nobodys Patient" in page
    assert b"Theirs Patient" not in page
    client = sign_in(doctor)
    client.post("/frontdesk/call-next/", {"practitioner": cardiologist.pk})
    assert QueueEntry.objects.get(status="with_doctor").walk_in_name == "Mine Patient"


def test_the_visit_page_records_vitals_and_shows_errors_at_the_field(
    receptionist, nurse, sign_in, register
):
    patient = register(birth_date=date(1990, 5, 1))  # the header shows the age
    entry = services.add_walk_in(actor=actor_for(receptionist), patient=patient)
    client = sign_in(nurse)
    response = client.post(f"/frontdesk/visits/{entry.pk}/", {"spo2": "140", "pulse": "80"})
    assert response.status_code == 200
    assert "is not possible" in response.content.decode()
    assert not Observation.objects.exists()
    response = client.post(f"/frontdesk/visits/{entry.pk}/", {"spo2": "88", "pulse": "80"})
    assert response.status_code == 302
    page = client.get(f"/frontdesk/visits/{entry.pk}/").content.decode()
    assert 'data-flag="critical_low"' in page


def test_the_visit_history_says_each_state_in_words(receptionist, nurse, sign_in):
    entry = services.add_walk_in(actor=actor_for(receptionist), name="Ram")
    services.move(actor=actor_for(receptionist), entry=entry, to_status="vitals")
    html = sign_in(nurse).get(f"/frontdesk/visits/{entry.pk}/").content.decode()
    assert "— → Waiting" in html
    assert "Waiting → With the nurse" in html
    assert "→ vitals" not in html
    assert "→ waiting" not in html


def test_another_clinic_cannot_open_a_visit(receptionist, other_clinic_manager, sign_in):
    entry = services.add_walk_in(actor=actor_for(receptionist), name="Ram")
    assert sign_in(other_clinic_manager).get(f"/frontdesk/visits/{entry.pk}/").status_code == 404


def test_a_walk_in_is_linked_to_their_record_by_mrn(receptionist, sign_in, register):
    entry = services.add_walk_in(actor=actor_for(receptionist), name="Unknown")
    patient = register(given_name="Known", family_name="Person")
    client = sign_in(receptionist)
    client.post(f"/frontdesk/visits/{entry.pk}/link/", {"mrn": patient.mrn.lower()})
    entry.refresh_from_db()
    assert entry.patient == patient


def test_the_token_slip_shows_the_token(receptionist, sign_in):
    entry = services.add_walk_in(actor=actor_for(receptionist), name="Ram Bahadur Thapa")
    page = sign_in(receptionist).get(f"/frontdesk/visits/{entry.pk}/slip/").content.decode()
    assert 'data-testid="slip-token">1<' in page
    assert "Ram Bahadur" not in page


@pytest.fixture
def link(manager):
    return services.create_board_link(actor=actor_for(manager), name="Hall TV")


def test_the_board_shows_tokens_and_rooms_never_names(
    client, link, receptionist, doctor, cardiologist, manager, patient
):
    services.set_desk(
        actor=actor_for(manager), practitioner=cardiologist, room="3", token_prefix=""
    )
    actor = actor_for(receptionist)
    services.add_walk_in(actor=actor, patient=patient, practitioner=cardiologist)
    services.add_walk_in(actor=actor, name="Walker Person")
    services.call_next(actor=actor_for(doctor), practitioner=cardiologist)
    page = client.get(f"/frontdesk/board/{link.token}/").content.decode()
    assert 'data-token="1"' in page
    assert "Room 3" in page
    assert 'data-token="2"' in page
    for name in (patient.given_name, patient.family_name, patient.mrn, "Walker", "Person"):
        assert name not in page


def test_a_revoked_or_wrong_board_link_is_not_found(client, link, manager):
    assert client.get("/frontdesk/board/not-a-token/").status_code == 404
    services.revoke_board_link(actor=actor_for(manager), link=link)
    assert client.get(f"/frontdesk/board/{link.token}/").status_code == 404
    assert BoardLink.objects.get().revoked_at is not None


def test_setup_makes_links_and_rooms_for_managers_only(
    manager, receptionist, sign_in, cardiologist
):
    client = sign_in(manager)
    client.post("/frontdesk/setup/", {"form": "link", "name": "Hall"})
    client.post(
        "/frontdesk/setup/",
        {"form": "desk", "practitioner": cardiologist.pk, "room": "4", "token_prefix": "c"},
    )
    assert BoardLink.objects.get().name == "Hall"
    assert cardiologist.desk.room == "4"
    assert cardiologist.desk.token_prefix == "C"
    assert sign_in(receptionist).get("/frontdesk/setup/").status_code == 403


def test_the_queue_export_parses_back(receptionist, sign_in, patient):
    services.add_walk_in(actor=actor_for(receptionist), patient=patient, reason="=cmd()")
    response = sign_in(receptionist).get("/frontdesk/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["Day", "Token", "MRN", "Patient"]
    assert rows[1][1:4] == ["1", patient.mrn, patient.full_name]
    assert rows[1][-1] == "'=cmd()"


def test_wait_times_are_medians_from_the_timestamps(receptionist, nurse, sign_in, patient):
    from datetime import timedelta

    entry = services.add_walk_in(actor=actor_for(receptionist), patient=patient)
    QueueEntry.objects.filter(pk=entry.pk).update(
        vitals_at=entry.arrived_at + timedelta(minutes=12)
    )
    page = sign_in(receptionist).get("/frontdesk/waits/").content.decode()
    assert "12.0" in page
    assert sign_in(nurse).get("/frontdesk/waits/").status_code == 403


def test_the_doctors_dashboard_counts_their_waiting_patients(
    receptionist, doctor, cardiologist, sign_in
):
    services.add_walk_in(actor=actor_for(receptionist), name="Ram", practitioner=cardiologist)
    services.add_walk_in(actor=actor_for(receptionist), name="Hari")  # unassigned: not "mine"
    cards = sign_in(doctor).get("/dashboard/").context["dashboard"].cards
    waiting = next(card for card in cards if str(card.title) == "Patients waiting for me")
    assert waiting.value == 1
