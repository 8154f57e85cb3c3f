"""A booking's insert and a move's update settle overlaps in PostgreSQL's exclusion
constraints, where two writes at the same instant can deadlock. The cancelled write is tried
once more from its savepoint (``services._write_under_overlap_guard``).

A real deadlock needs two transactions to interleave just so, which no test can order without
timing. Here the database itself raises its deadlock error (SQLSTATE 40P01, by a ``DO`` block
run in place of the guarded statement, through ``connection.execute_wrapper``): the error,
its wrapping by Django and the aborted transaction are PostgreSQL's own; only the moment is
chosen. What the other transaction would have done meanwhile is done for real, in a thread
with its own connection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError, connection

from clinicflow.accounts.actors import actor_for
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.scheduling.models import Appointment, AppointmentChange
from clinicflow.scheduling.services import SlotTaken, book_appointment, reschedule
from tests.concurrency import at_once

pytestmark = pytest.mark.postgres

INSERT = 'INSERT INTO "scheduling_appointment" '
MOVE = 'UPDATE "scheduling_appointment" SET "starts_at"'
#: PostgreSQL's own "deadlock detected", raised by the server.
DEADLOCK = (
    "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected (forced by the test)' "
    "USING ERRCODE = '40P01'; END $$"
)


class Deadlocks:
    """Answer the first ``times`` statements that start with ``prefix`` with the server's
    deadlock error, after running ``meanwhile`` (the other transaction's work)."""

    def __init__(
        self, prefix: str, times: int = 1, meanwhile: Callable[[], None] | None = None
    ) -> None:
        self.prefix = prefix
        self.left = times
        self.meanwhile = meanwhile
        self.forced = 0
        self.seen = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not sql.startswith(self.prefix):
            return execute(sql, params, many, context)
        self.seen += 1
        if not self.left:
            return execute(sql, params, many, context)
        self.left -= 1
        self.forced += 1
        if self.meanwhile is not None:
            self.meanwhile()
        return execute(DEADLOCK, None, False, context)


def in_another_transaction(work: Callable[[], Any]) -> Callable[[], None]:
    """``work`` run to its commit on another connection (a thread), before returning."""

    def run() -> None:
        _results, errors = at_once(lambda _n: work(), 1)
        assert errors == []

    return run


def _creations(appointment: Appointment) -> int:
    return (
        AuditEvent.objects.for_clinic(appointment.clinic)
        .filter(
            action=AuditAction.CREATE,
            object_type="scheduling.appointment",
            object_id=str(appointment.pk),
        )
        .count()
    )


# ---------------------------------------------------------------- booking


def test_a_booking_cancelled_as_a_deadlock_is_inserted_on_its_second_try(
    cardiologist, next_monday, at, book
):
    deadlocks = Deadlocks(INSERT)
    with connection.execute_wrapper(deadlocks):
        booked = book(at(next_monday, 10))
    assert (deadlocks.forced, deadlocks.seen) == (1, 2)
    assert Appointment.objects.for_clinic(booked.clinic).get() == booked
    assert AppointmentChange.objects.for_clinic(booked.clinic).count() == 1
    assert _creations(booked) == 1


def test_a_second_deadlock_is_raised_and_nothing_is_booked(
    cardiologist, clinic, next_monday, at, book
):
    deadlocks = Deadlocks(INSERT, times=2)
    with pytest.raises(OperationalError), connection.execute_wrapper(deadlocks):
        book(at(next_monday, 10))
    assert deadlocks.forced == 2
    assert not Appointment.objects.for_clinic(clinic).exists()
    assert not AppointmentChange.objects.for_clinic(clinic).exists()


@pytest.mark.django_db(transaction=True)
def test_a_booking_that_lost_the_deadlock_to_an_overlapping_one_is_refused_as_taken(
    clinic, cardiologist, receptionist, register, next_monday, at
):
    """The other booking of the same time commits while ours waits to be tried again: the
    second try meets it and is refused with that day's free slots."""
    start = at(next_monday, 10)
    ours, theirs = register(given_name="Ours", phone=""), register(given_name="Theirs", phone="")

    def book_for(patient: Any) -> Appointment:
        return book_appointment(
            actor=actor_for(receptionist),
            patient=patient,
            practitioner=cardiologist,
            starts_at=start,
        )

    deadlocks = Deadlocks(INSERT, meanwhile=in_another_transaction(lambda: book_for(theirs)))
    with pytest.raises(SlotTaken) as refused, connection.execute_wrapper(deadlocks):
        book_for(ours)
    assert deadlocks.forced == 1
    assert start not in [s.starts_at for s in refused.value.fresh]
    assert refused.value.fresh, "the refusal offers the day's other times"
    booked = Appointment.objects.for_clinic(clinic).get()
    assert booked.patient == theirs


# ---------------------------------------------------------------- moving


def test_a_move_cancelled_as_a_deadlock_is_made_on_its_second_try(
    cardiologist, receptionist, next_monday, at, book
):
    booked = book(at(next_monday, 10))
    deadlocks = Deadlocks(MOVE)
    with connection.execute_wrapper(deadlocks):
        moved = reschedule(
            actor=actor_for(receptionist), appointment=booked, starts_at=at(next_monday, 11)
        )
    assert (deadlocks.forced, deadlocks.seen) == (1, 2)
    moved.refresh_from_db()
    assert moved.starts_at == at(next_monday, 11)
    history = AppointmentChange.objects.for_clinic(booked.clinic).filter(appointment=booked)
    assert [c.new_starts_at for c in history.order_by("pk")] == [None, at(next_monday, 11)]


def test_a_move_deadlocked_twice_is_raised_and_the_appointment_stays(
    cardiologist, receptionist, next_monday, at, book
):
    booked = book(at(next_monday, 10))
    deadlocks = Deadlocks(MOVE, times=2)
    with pytest.raises(OperationalError), connection.execute_wrapper(deadlocks):
        reschedule(actor=actor_for(receptionist), appointment=booked, starts_at=at(next_monday, 11))
    booked.refresh_from_db()
    assert booked.starts_at == at(next_monday, 10)
    assert AppointmentChange.objects.for_clinic(booked.clinic).count() == 1  # the booking only


@pytest.mark.django_db(transaction=True)
def test_a_move_that_lost_the_deadlock_to_a_booking_of_that_time_is_refused_as_taken(
    clinic, cardiologist, receptionist, register, next_monday, at
):
    actor = actor_for(receptionist)
    mover, other = register(given_name="Mover", phone=""), register(given_name="Other", phone="")
    booked = book_appointment(
        actor=actor, patient=mover, practitioner=cardiologist, starts_at=at(next_monday, 10)
    )

    def book_the_time() -> Appointment:
        return book_appointment(
            actor=actor, patient=other, practitioner=cardiologist, starts_at=at(next_monday, 11)
        )

    deadlocks = Deadlocks(MOVE, meanwhile=in_another_transaction(book_the_time))
    with pytest.raises(SlotTaken), connection.execute_wrapper(deadlocks):
        reschedule(actor=actor, appointment=booked, starts_at=at(next_monday, 11))
    assert deadlocks.forced == 1
    booked.refresh_from_db()
    assert booked.starts_at == at(next_monday, 10)
    taken = Appointment.objects.for_clinic(clinic).get(starts_at=at(next_monday, 11))
    assert taken.patient == other
