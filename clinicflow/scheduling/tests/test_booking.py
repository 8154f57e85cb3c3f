"""Booking, moving and the appointment's life: never a double booking, never an illegal move."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.core.roles import Role
from clinicflow.scheduling.models import ACTIVE_STATUSES, Appointment
from clinicflow.scheduling.models import AppointmentStatus as S
from clinicflow.scheduling.services import (
    SlotTaken,
    add_time_off,
    apply_preset,
    book_appointment,
    change_status,
    create_practitioner,
    no_show_from,
    reschedule,
)
from clinicflow.scheduling.states import TRANSITIONS
from tests.concurrency import at_once
from tests.factories import member

pytestmark = pytest.mark.django_db


def test_the_receptionist_books_a_free_slot(cardiologist, next_monday, at, book, receptionist):
    appointment = book(at(next_monday, 10))
    assert appointment.status == S.BOOKED
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=20)
    assert appointment.booked_by == receptionist
    assert [(c.from_status, c.to_status) for c in appointment.changes.all()] == [("", "booked")]


def test_the_second_booking_of_the_same_slot_is_refused_with_fresh_slots(
    cardiologist, next_monday, at, book, register
):
    book(at(next_monday, 10))
    with pytest.raises(SlotTaken) as refused:
        book(at(next_monday, 10), for_patient=register(given_name="Second"))
    assert "just taken" in refused.value.message
    assert refused.value.payload["free_slots"]


def test_a_patient_cannot_be_in_two_places_at_once(
    cardiologist, manager, clinic, next_monday, at, book
):
    other = create_practitioner(
        actor=actor_for(manager),
        user=member(Role.DOCTOR, clinic, username="gp"),
        specialization="GP",
        details={},
    )
    apply_preset(
        actor=actor_for(manager), practitioner=other, preset="full_day", weekdays=list(range(7))
    )
    book(at(next_monday, 10))
    with pytest.raises(SlotTaken, match="patient already has"):
        book(at(next_monday, 10), practitioner=other)


def test_a_refusal_offers_that_days_free_slots_only(
    cardiologist, next_monday, at, book, register, clinic
):
    book(at(next_monday, 10))
    with pytest.raises(SlotTaken) as refused:
        book(at(next_monday, 10), for_patient=register(given_name="Second"))
    offered = refused.value.fresh
    assert offered
    assert {s.starts_at.astimezone(clinic.zone).date() for s in offered} == {next_monday}
    assert at(next_monday, 10) not in {s.starts_at for s in offered}


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("clash_with", "message"),
    [("doctor", "just taken"), ("patient", "patient already has")],
)
def test_an_overlap_only_the_database_caught_is_a_refusal_that_names_whose_time(
    cardiologist,
    manager,
    clinic,
    next_monday,
    at,
    book,
    register,
    patient,
    monkeypatch,
    clash_with,
    message,
):
    """A booking that commits between our check and our insert: the exclusion constraint
    refuses the insert, and the refusal says whether the doctor's or the patient's time was
    taken (as the check itself would have)."""
    from clinicflow.scheduling import services

    other = create_practitioner(
        actor=actor_for(manager),
        user=member(Role.DOCTOR, clinic, username="gp"),
        specialization="GP",
        details={},
    )
    apply_preset(
        actor=actor_for(manager), practitioner=other, preset="full_day", weekdays=list(range(7))
    )
    if clash_with == "doctor":
        book(at(next_monday, 10), for_patient=register(given_name="First"))
        attempt = {"for_patient": patient}
    else:
        book(at(next_monday, 10), practitioner=other)
        attempt = {}
    start = at(next_monday, 10)
    monkeypatch.setattr(services, "_check_free", lambda *a, **k: start + timedelta(minutes=20))
    with pytest.raises(SlotTaken, match=message) as refused:
        book(start, **attempt)
    if clash_with == "doctor":
        assert start not in {s.starts_at for s in refused.value.fresh}
    assert Appointment.objects.for_clinic(clinic).filter(starts_at=start).count() == 1


@pytest.mark.parametrize(
    ("hour", "minute", "message"),
    [
        (13, 20, "does not see patients"),
        (10, 10, "does not see patients"),
        (20, 0, "does not see patients"),
    ],
)
def test_times_outside_the_working_slots_are_refused(
    cardiologist, next_monday, at, book, hour, minute, message
):
    with pytest.raises(DomainError, match=message):
        book(at(next_monday, hour, minute))


def test_a_cancelled_slot_can_be_booked_again(
    cardiologist, next_monday, at, book, receptionist, register
):
    first = book(at(next_monday, 10))
    change_status(
        actor=actor_for(receptionist), appointment=first, to_status=S.CANCELLED, reason="Travel"
    )
    assert book(at(next_monday, 10), for_patient=register(given_name="Next")).status == S.BOOKED


LEGAL = [(a, b) for a, targets in TRANSITIONS.items() for b in sorted(targets)]
ILLEGAL = [(a, b) for a in S.values for b in S.values if b not in TRANSITIONS[a] and a != b]


def _in_the_past(appointment, days=30):
    Appointment.objects.for_clinic(appointment.clinic).filter(pk=appointment.pk).update(
        starts_at=F("starts_at") - timedelta(days=days), ends_at=F("ends_at") - timedelta(days=days)
    )
    appointment.refresh_from_db()
    return appointment


def _at_status(appointment, status):
    Appointment.objects.for_clinic(appointment.clinic).filter(pk=appointment.pk).update(
        status=status, status_reason="set by the test"
    )
    appointment.refresh_from_db()
    return appointment


@pytest.mark.parametrize(("from_status", "to_status"), LEGAL)
def test_every_legal_move_is_allowed_and_recorded(
    next_monday, at, book, manager, from_status, to_status, monkeypatch
):
    appointment = _at_status(book(at(next_monday, 10)), from_status)
    # The clock just past the grace period: a no-show may be marked, a check-in is on time.
    later = no_show_from(appointment) + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    moved = change_status(
        actor=actor_for(manager),  # who may make every move (see test_shown_moves)
        appointment=appointment,
        to_status=to_status,
        reason="Because",
    )
    assert moved.status == to_status
    assert moved.changes.last().from_status == from_status


@pytest.mark.parametrize(("from_status", "to_status"), ILLEGAL)
def test_every_illegal_move_is_refused_with_a_message(
    next_monday, at, book, receptionist, from_status, to_status
):
    appointment = _at_status(book(at(next_monday, 10)), from_status)
    with pytest.raises(DomainError, match="cannot become"):
        change_status(
            actor=actor_for(receptionist), appointment=appointment, to_status=to_status, reason="x"
        )


def test_cancelling_needs_a_reason(next_monday, at, book, receptionist):
    appointment = book(at(next_monday, 10))
    with pytest.raises(DomainError, match="Say why"):
        change_status(actor=actor_for(receptionist), appointment=appointment, to_status=S.CANCELLED)


def test_moving_keeps_the_old_time_in_the_history(next_monday, at, book, receptionist):
    appointment = book(at(next_monday, 10))
    moved = reschedule(
        actor=actor_for(receptionist), appointment=appointment, starts_at=at(next_monday, 11)
    )
    change = moved.changes.last()
    assert (change.old_starts_at, change.new_starts_at) == (
        at(next_monday, 10),
        at(next_monday, 11),
    )
    with pytest.raises(DomainError, match="Only a requested or booked"):
        reschedule(
            actor=actor_for(receptionist),
            appointment=_at_status(moved, S.COMPLETED),
            starts_at=at(next_monday, 12),
        )


def test_leave_over_booked_appointments_lists_them_and_cancels_nothing(
    cardiologist, manager, next_monday, at, book
):
    appointment = book(at(next_monday, 10))
    _off, covered = add_time_off(
        actor=actor_for(manager),
        practitioner=cardiologist,
        starts_at=at(next_monday, 9),
        ends_at=at(next_monday, 12),
        reason="Leave",
    )
    assert covered == [appointment]
    appointment.refresh_from_db()
    assert appointment.status == S.BOOKED


def test_a_doctor_cannot_touch_another_doctors_hours(cardiologist, clinic, sign_in):
    other_doctor = member(Role.DOCTOR, clinic, username="colleague")
    response = sign_in(other_doctor).get(reverse("scheduling:availability", args=[cardiologist.pk]))
    assert response.status_code == 404
    assert (
        sign_in(cardiologist.user)
        .get(reverse("scheduling:availability", args=[cardiologist.pk]))
        .status_code
        == 200
    )


def test_a_doctor_sees_only_their_own_appointments(
    cardiologist, clinic, next_monday, at, book, sign_in
):
    appointment = book(at(next_monday, 10))
    other_doctor = member(Role.DOCTOR, clinic, username="colleague")
    assert (
        sign_in(other_doctor)
        .get(reverse("scheduling:appointment", args=[appointment.pk]))
        .status_code
        == 404
    )
    own = sign_in(cardiologist.user).get(
        reverse("scheduling:appointments"), {"day": next_monday.isoformat()}
    )
    assert own.context["page"].items == [appointment]


def test_another_clinic_sees_nothing(next_monday, at, book, other_clinic_manager, sign_in):
    appointment = book(at(next_monday, 10))
    client = sign_in(other_clinic_manager)
    assert client.get(reverse("scheduling:appointment", args=[appointment.pk])).status_code == 404
    listing = client.get(reverse("scheduling:appointments"), {"day": next_monday.isoformat()})
    assert listing.context["page"].items == []


def test_booking_through_the_page_and_cancelling_it(
    cardiologist, patient, receptionist, next_monday, at, sign_in
):
    client = sign_in(receptionist)
    page = client.get(
        reverse("scheduling:book"),
        {"patient": patient.pk, "practitioner": cardiologist.pk, "day": next_monday.isoformat()},
    )
    assert page.status_code == 200
    assert page.context["days"]
    response = client.post(
        reverse("scheduling:book") + f"?patient={patient.pk}",
        {
            "patient": patient.pk,
            "practitioner": cardiologist.pk,
            "starts_at": at(next_monday, 10).isoformat(),
            "kind": "in_person",
        },
    )
    appointment = Appointment.objects.for_clinic(patient.clinic).get()
    assert response["Location"] == reverse("scheduling:appointment", args=[appointment.pk])
    client.post(
        reverse("scheduling:appointment_status", args=[appointment.pk]),
        {"to_status": "cancelled", "reason": "Patient called"},
    )
    appointment.refresh_from_db()
    assert (appointment.status, appointment.status_reason) == (S.CANCELLED, "Patient called")
    chart = client.get(reverse("patients:chart", args=[patient.pk]))
    assert "appointment" in [e.kind for e in chart.context["timeline"]]


def test_the_doctors_directory_is_public(cardiologist, client):
    page = client.get(reverse("scheduling:directory"))
    assert page.status_code == 200
    assert "Cardiologist" in page.content.decode()


def _overlaps(clinic):
    """Active appointments that overlap another active one of the same doctor or patient."""
    active = Appointment.objects.for_clinic(clinic).filter(status__in=ACTIVE_STATUSES)
    clash = active.filter(
        Q(practitioner=OuterRef("practitioner")) | Q(patient=OuterRef("patient")),
        starts_at__lt=OuterRef("ends_at"),
        ends_at__gt=OuterRef("starts_at"),
    ).exclude(pk=OuterRef("pk"))
    return active.filter(Exists(clash))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_receptionists_racing_for_one_slot_get_one_booking(
    clinic, cardiologist, receptionist, register, next_monday, at
):
    patients = [register(given_name=f"Racer{n}", phone="") for n in range(50)]
    start = at(next_monday, 10)

    def attempt(n: int) -> str:
        try:
            book_appointment(
                actor=actor_for(receptionist),
                patient=patients[n],
                practitioner=cardiologist,
                starts_at=start,
            )
        except SlotTaken:
            return "refused"
        return "booked"

    outcomes, errors = at_once(attempt, 50)
    assert errors == []
    assert sorted(outcomes).count("booked") == 1
    assert outcomes.count("refused") == 49
    assert not _overlaps(clinic).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_patient_booked_with_two_doctors_at_once_gets_one(
    clinic, cardiologist, manager, receptionist, patient, next_monday, at
):
    other = create_practitioner(
        actor=actor_for(manager),
        user=member(Role.DOCTOR, clinic, username="gp"),
        specialization="GP",
        details={"slot_minutes": 20},
    )
    apply_preset(
        actor=actor_for(manager), practitioner=other, preset="full_day", weekdays=list(range(7))
    )
    doctors = [cardiologist, other]

    def attempt(n: int) -> str:
        try:
            book_appointment(
                actor=actor_for(receptionist),
                patient=patient,
                practitioner=doctors[n],
                starts_at=at(next_monday, 10),
            )
        except SlotTaken:
            return "refused"
        return "booked"

    outcomes, errors = at_once(attempt, 2)
    assert errors == []
    assert sorted(outcomes) == ["booked", "refused"]
    assert not _overlaps(clinic).exists()


@pytest.mark.postgres
def test_postgres_itself_refuses_an_overlap_that_skips_the_service(
    cardiologist, next_monday, at, book, register
):
    from django.db import IntegrityError, transaction

    first = book(at(next_monday, 10))
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            clinic=first.clinic,
            patient=register(given_name="Sneaky"),
            practitioner=first.practitioner,
            starts_at=first.starts_at + timedelta(minutes=5),
            ends_at=first.ends_at + timedelta(minutes=5),
        )


def test_the_periodic_task_marks_late_unchecked_appointments_as_no_shows(
    next_monday, at, book, settings, register
):
    from clinicflow.scheduling.tasks import mark_no_shows

    late = _in_the_past(book(at(next_monday, 10)))
    on_time = book(at(next_monday, 11), for_patient=register(given_name="Checked"))
    assert mark_no_shows() == 1
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert (late.status, on_time.status) == (S.NO_SHOW, S.BOOKED)
    assert late.changes.last().changed_by is None  # the system did it
    assert mark_no_shows() == 0


def test_patient_search_shows_when_each_patient_last_came(
    next_monday, at, book, receptionist, patient, sign_in
):
    appointment = _in_the_past(book(at(next_monday, 10)))
    page = sign_in(receptionist).get(reverse("patients:search"), {"q": patient.mrn})
    assert page.context["results"][0].last_visit is None  # booked is not seen
    _at_status(appointment, S.COMPLETED)
    page = sign_in(receptionist).get(reverse("patients:search"), {"q": patient.mrn})
    assert page.context["results"][0].last_visit == appointment.starts_at


def test_last_visit_is_the_later_of_an_appointment_and_a_front_desk_visit_in_one_query(
    next_monday, at, book, receptionist, patient, register, sign_in, django_assert_num_queries
):
    from clinicflow.frontdesk import services as frontdesk
    from clinicflow.patients.visits import with_last_visit

    seen = _at_status(_in_the_past(book(at(next_monday, 10))), S.COMPLETED)
    walked_in = register(given_name="Walked")
    only_booked = register(given_name="Booked")
    book(at(next_monday, 11), for_patient=only_booked)
    visit = frontdesk.add_walk_in(actor=actor_for(receptionist), patient=walked_in)
    # The patient seen at an appointment last month who came to the desk today counts today;
    # the one who only came to the desk counts the visit; a booking to come is no visit.
    today = frontdesk.add_walk_in(actor=actor_for(receptionist), patient=patient)
    patients = [patient, walked_in, only_booked]
    with django_assert_num_queries(1):
        with_last_visit(patients)
    assert seen.starts_at < today.arrived_at
    assert [p.last_visit for p in patients] == [today.arrived_at, visit.arrived_at, None]


def test_the_calendar_feeds_events_and_marks_which_may_be_dragged(
    cardiologist, clinic, next_monday, at, book, receptionist, register, sign_in
):
    mine = book(at(next_monday, 10))
    done = book(at(next_monday, 11), for_patient=register(given_name="Done"))
    _at_status(done, S.COMPLETED)
    window = {"start": at(next_monday, 0).isoformat(), "end": at(next_monday, 23).isoformat()}
    page = sign_in(receptionist).get(reverse("scheduling:calendar"))
    assert b'name="csp-nonce"' in page.content
    events = sign_in(receptionist).get(reverse("scheduling:calendar_events"), window).json()
    editable = {e["id"]: e["editable"] for e in events}
    assert editable == {str(mine.pk): True, str(done.pk): False}
    colleague = member(Role.DOCTOR, clinic, username="colleague")
    assert sign_in(colleague).get(reverse("scheduling:calendar_events"), window).json() == []
    too_long = {
        "start": window["start"],
        "end": at(next_monday + timedelta(days=60), 0).isoformat(),
    }
    assert (
        sign_in(receptionist).get(reverse("scheduling:calendar_events"), too_long).status_code
        == 400
    )
