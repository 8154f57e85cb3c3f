"""Races on PostgreSQL: tokens stay unique and gap-free under concurrent check-ins; two doctors
calling next at once never get the same patient."""

from __future__ import annotations

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.frontdesk import services
from clinicflow.frontdesk.models import QueueEntry
from clinicflow.scheduling.services import create_practitioner
from tests.concurrency import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_walk_ins_at_once_get_tokens_one_to_twenty(receptionist, nurse):
    people = [receptionist, nurse]

    def arrive(n: int) -> int:
        return services.add_walk_in(actor=actor_for(people[n % 2]), name=f"Walker {n}").token

    tokens, errors = at_once(arrive, 20)
    assert errors == []
    assert sorted(tokens) == list(range(1, 21))
    assert sorted(QueueEntry.objects.values_list("token", flat=True)) == list(range(1, 21))


def test_one_patient_added_twice_at_once_is_queued_once(receptionist, nurse, register):
    patient = register()
    people = [receptionist, nurse]

    def arrive(n: int) -> str:
        try:
            services.add_walk_in(actor=actor_for(people[n]), patient=patient)
        except services.Conflict:
            return "refused"
        return "queued"

    outcomes, errors = at_once(arrive, 2)
    assert errors == []
    assert sorted(outcomes) == ["queued", "refused"]
    assert QueueEntry.objects.count() == 1


def test_two_doctors_calling_next_at_once_get_different_patients(
    receptionist, doctor, manager, make_doctor
):
    second = make_doctor("second", "GP")
    users = [doctor, second.user]
    doctors = [
        create_practitioner(actor=actor_for(manager), user=doctor, specialization="GP", details={}),
        second,
    ]
    for n in range(2):
        services.add_walk_in(actor=actor_for(receptionist), name=f"Waiting {n}")

    def call(n: int) -> object:
        return services.call_next(actor=actor_for(users[n]), practitioner=doctors[n]).pk

    called, errors = at_once(call, 2)
    assert errors == []
    assert len(set(called)) == 2


def test_a_check_in_does_not_wait_for_a_transaction_holding_the_clinic_or_the_doctor(
    receptionist, booked, clinic
):
    """Check-in locks the appointment alone: with the clinic's and the doctor's rows held by
    another transaction (a settings change, a photo upload), it still goes through at once.
    (Those hold the rows as an UPDATE does, FOR NO KEY UPDATE: rows naming them can be added.)"""
    import threading

    from django.db import connection, transaction

    from clinicflow.core.models import Clinic
    from clinicflow.scheduling.models import Practitioner

    holding, checked_in = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():
            Clinic.objects.select_for_update(no_key=True).get(pk=clinic.pk)
            Practitioner.objects.for_clinic(clinic).select_for_update(no_key=True).get(
                pk=booked.practitioner_id
            )
            holding.set()
            assert checked_in.wait(10), "the check-in never finished"

    def check_in() -> None:
        assert holding.wait(10)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '3s'")  # waiting would raise
            services.check_in(actor=actor_for(receptionist), appointment=booked)
        checked_in.set()

    _results, errors = at_once(lambda n: (hold, check_in)[n](), 2)
    assert errors == []
    assert QueueEntry.objects.filter(appointment=booked).exists()
