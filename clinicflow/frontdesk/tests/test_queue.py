"""The day's queue: tokens, order, moves, the appointment following, doctors calling in."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import Conflict, DomainError, NeedsConfirmation
from clinicflow.frontdesk import services, states
from clinicflow.frontdesk.models import Priority, QueueChange, QueueEntry, QueueStatus
from clinicflow.scheduling.models import AppointmentStatus
from clinicflow.scheduling.services import change_status

pytestmark = pytest.mark.django_db


def walk_in(user, **fields):
    return services.add_walk_in(actor=actor_for(user), **fields)


def test_checking_in_gives_the_first_token_and_moves_the_appointment(receptionist, booked):
    entry = services.check_in(actor=actor_for(receptionist), appointment=booked)
    booked.refresh_from_db()
    assert (entry.token, entry.status, entry.patient_id) == (1, "waiting", booked.patient_id)
    assert entry.queue_time == booked.starts_at
    assert entry.practitioner_id == booked.practitioner_id
    assert booked.status == AppointmentStatus.CHECKED_IN
    assert list(entry.changes.values_list("to_status", flat=True)) == ["waiting"]


def test_an_appointment_checked_in_on_its_own_page_joins_the_queue(receptionist, booked):
    change_status(
        actor=actor_for(receptionist), appointment=booked, to_status=AppointmentStatus.CHECKED_IN
    )
    entry = QueueEntry.objects.get(appointment=booked)
    assert entry.status == QueueStatus.WAITING
    assert entry.token == 1


def test_checking_in_twice_or_a_cancelled_or_future_appointment_is_refused(
    receptionist, booked, cardiologist, patient, tomorrow, register
):
    from clinicflow.scheduling.services import book_appointment

    actor = actor_for(receptionist)
    services.check_in(actor=actor, appointment=booked)
    with pytest.raises(DomainError, match="Only a booked appointment"):
        services.check_in(actor=actor, appointment=booked)
    later = book_appointment(
        actor=actor,
        patient=register(given_name="Asha"),
        practitioner=cardiologist,
        starts_at=tomorrow,
    )
    with pytest.raises(NeedsConfirmation, match=r"on .* 10:00; check in anyway"):
        services.check_in(actor=actor, appointment=later)
    assert QueueEntry.objects.count() == 1
    early = services.check_in(actor=actor, appointment=later, confirm=True)
    # Checked in a day early, the patient queues by arrival, not behind tomorrow's time.
    assert early.queue_time <= timezone.now() < later.starts_at


def test_tokens_run_one_two_three_and_start_again_each_day(receptionist, clinic):
    tokens = [walk_in(receptionist, name=f"Walker {n}").token for n in range(3)]
    assert tokens == [1, 2, 3]
    QueueEntry.objects.update(day="2020-01-01")
    from clinicflow.frontdesk.models import TokenCounter

    TokenCounter.objects.update(day="2020-01-01")
    assert walk_in(receptionist, name="Tomorrow's first").token == 1


def test_a_doctor_prefix_goes_on_the_token(receptionist, manager, cardiologist):
    services.set_desk(
        actor=actor_for(manager), practitioner=cardiologist, room="3", token_prefix="c"
    )
    entry = walk_in(receptionist, name="Ram", practitioner=cardiologist)
    assert entry.token_label == "C-1"
    with pytest.raises(DomainError, match="four letters"):
        services.set_desk(
            actor=actor_for(manager), practitioner=cardiologist, room="3", token_prefix="C1"
        )


def test_a_walk_in_needs_a_name_and_a_valid_phone(receptionist):
    with pytest.raises(DomainError) as missing:
        walk_in(receptionist, name="  ")
    assert missing.value.field == "name"
    with pytest.raises(DomainError) as phone:
        walk_in(receptionist, name="Ram", phone="12")
    assert phone.value.field == "phone"
    assert not QueueEntry.objects.exists()


def test_a_patient_is_never_twice_in_the_queue(receptionist, patient):
    walk_in(receptionist, patient=patient)
    with pytest.raises(Conflict, match="already in today's queue"):
        walk_in(receptionist, patient=patient)
    assert QueueEntry.objects.count() == 1


def test_the_queue_orders_by_priority_then_time(receptionist):
    routine = walk_in(receptionist, name="First in", priority=Priority.ROUTINE)
    follow_up = walk_in(receptionist, name="Second", priority=Priority.FOLLOW_UP)
    emergency = walk_in(receptionist, name="Last in", priority=Priority.EMERGENCY)
    order = list(QueueEntry.objects.order_by(*services.queue_order()))
    assert order == [emergency, follow_up, routine]


def test_a_priority_change_is_recorded_with_its_reason(receptionist):
    entry = walk_in(receptionist, name="Ram")
    services.set_priority(
        actor=actor_for(receptionist), entry=entry, priority=Priority.URGENT, reason="chest pain"
    )
    entry.refresh_from_db()
    assert entry.priority == Priority.URGENT
    note = QueueChange.objects.filter(entry=entry).last().note
    assert "Routine → Urgent" in note
    assert "chest pain" in note
    with pytest.raises(DomainError):
        services.set_priority(actor=actor_for(receptionist), entry=entry, priority=9)


def _in_state(receptionist, doctor, cardiologist, status: str) -> QueueEntry:
    entry = walk_in(receptionist, name="Ram", practitioner=cardiologist)
    QueueEntry.objects.filter(pk=entry.pk).update(status=status)
    entry.refresh_from_db()
    return entry


@pytest.mark.parametrize(
    ("start", "target"), list(itertools.product(QueueStatus.values, QueueStatus.values))
)
def test_every_move_is_allowed_or_refused_by_the_table(
    start, target, receptionist, doctor, cardiologist
):
    entry = _in_state(receptionist, doctor, cardiologist, start)
    who = doctor if target in (QueueStatus.WITH_DOCTOR, QueueStatus.DONE) else receptionist
    reason = "gone home" if target in states.NEEDS_REASON else ""
    if states.may_move(start, target):
        services.move(actor=actor_for(who), entry=entry, to_status=target, reason=reason)
        entry.refresh_from_db()
        assert entry.status == target
        stamp = states.STAMPS.get(target)
        assert stamp is None or getattr(entry, stamp) is not None
    else:
        with pytest.raises(DomainError):
            services.move(actor=actor_for(who), entry=entry, to_status=target, reason=reason)
        entry.refresh_from_db()
        assert entry.status == start


def test_leaving_needs_a_reason(receptionist):
    entry = walk_in(receptionist, name="Ram")
    with pytest.raises(DomainError) as refused:
        services.move(actor=actor_for(receptionist), entry=entry, to_status="left")
    assert refused.value.field == "reason"


def test_the_appointment_follows_the_visit_to_the_end(receptionist, doctor, booked):
    entry = services.check_in(actor=actor_for(receptionist), appointment=booked)
    services.move(actor=actor_for(doctor), entry=entry, to_status=QueueStatus.WITH_DOCTOR)
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.IN_CONSULTATION
    services.move(actor=actor_for(doctor), entry=entry, to_status=QueueStatus.DONE)
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.COMPLETED


def test_a_patient_who_left_cancels_the_appointment_with_the_reason(receptionist, booked):
    entry = services.check_in(actor=actor_for(receptionist), appointment=booked)
    services.move(actor=actor_for(receptionist), entry=entry, to_status="left", reason="long wait")
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED
    assert "long wait" in booked.status_reason


def test_cancelling_the_appointment_takes_the_visit_out_of_the_queue(receptionist, booked):
    entry = services.check_in(actor=actor_for(receptionist), appointment=booked)
    change_status(
        actor=actor_for(receptionist),
        appointment=booked,
        to_status=AppointmentStatus.CANCELLED,
        reason="felt better",
    )
    entry.refresh_from_db()
    assert entry.status == QueueStatus.CANCELLED
    assert entry.status_reason == "felt better"


def test_call_next_takes_the_most_urgent_own_or_unassigned_patient(
    receptionist, doctor, cardiologist, clinic, manager, make_doctor
):
    other = make_doctor("gp", "GP")
    walk_in(receptionist, name="Routine mine", practitioner=cardiologist)
    walk_in(receptionist, name="Emergency other's", practitioner=other, priority=1)
    urgent = walk_in(receptionist, name="Urgent nobody's", priority=Priority.URGENT)
    called = services.call_next(actor=actor_for(doctor), practitioner=cardiologist)
    assert called == urgent
    called.refresh_from_db()
    assert called.status == QueueStatus.WITH_DOCTOR
    assert called.practitioner == cardiologist
    with pytest.raises(Conflict, match="Finish the current visit"):
        services.call_next(actor=actor_for(doctor), practitioner=cardiologist)


def test_call_next_with_nobody_waiting_answers_none(doctor, cardiologist):
    assert services.call_next(actor=actor_for(doctor), practitioner=cardiologist) is None


def test_a_doctor_cannot_call_for_another_doctor_or_another_doctors_patient(
    receptionist, doctor, cardiologist, clinic, manager, make_doctor
):
    other = make_doctor("gp", "GP")
    theirs = walk_in(receptionist, name="Theirs", practitioner=other)
    with pytest.raises(DomainError, match="may not"):
        services.call_next(actor=actor_for(doctor), practitioner=other)
    with pytest.raises(DomainError, match="may not"):
        services.move(actor=actor_for(doctor), entry=theirs, to_status=QueueStatus.WITH_DOCTOR)


def test_other_roles_and_clinics_may_not_touch_the_queue(
    receptionist, pharmacist, other_clinic_manager, doctor
):
    entry = walk_in(receptionist, name="Ram")
    for outsider in (pharmacist, other_clinic_manager):
        with pytest.raises(DomainError, match="may not"):
            services.move(actor=actor_for(outsider), entry=entry, to_status="vitals")
    with pytest.raises(DomainError, match="may not"):
        walk_in(pharmacist, name="Sneaky")
    with pytest.raises(DomainError, match="may not"):  # doctors call in; they do not triage
        services.set_priority(actor=actor_for(doctor), entry=entry, priority=1)


def test_assigning_to_a_specialization_picks_the_least_busy_doctor(
    receptionist, cardiologist, manager, clinic, make_doctor
):
    other = make_doctor("cardio2", "Cardiologist")
    walk_in(receptionist, name="Busy", practitioner=cardiologist)
    entry = walk_in(receptionist, name="New")
    services.assign(
        actor=actor_for(receptionist), entry=entry, specialization_id=cardiologist.specialization_id
    )
    entry.refresh_from_db()
    assert entry.practitioner == other


def test_an_anonymous_walk_in_registered_later_keeps_the_visit(receptionist, register):
    entry = walk_in(receptionist, name="Unknown Man", phone="9841234567")
    services.move(actor=actor_for(receptionist), entry=entry, to_status="vitals")
    patient = register(given_name="Hari", family_name="Thapa")
    services.link_walk_in(actor=actor_for(receptionist), entry=entry, patient=patient)
    entry.refresh_from_db()
    assert (entry.patient, entry.token, entry.status) == (patient, 1, "vitals")
    assert entry.walk_in_name == "Unknown Man"
    with pytest.raises(DomainError, match="already belongs"):
        services.link_walk_in(actor=actor_for(receptionist), entry=entry, patient=patient)


def test_the_visit_is_on_the_patients_timeline(receptionist, patient):
    from clinicflow.patients.timeline import timeline_for

    walk_in(receptionist, patient=patient)
    assert any(e.kind == "visit" and "token 1" in e.title for e in timeline_for(patient))
