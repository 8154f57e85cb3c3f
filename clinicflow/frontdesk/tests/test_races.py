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
