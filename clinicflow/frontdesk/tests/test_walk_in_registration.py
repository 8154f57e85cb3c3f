"""Registering an unregistered walk-in from their visit: one transaction that makes the record
(with the registration's rules and duplicate check) and links the visit, taken by the front
desk, the nurse or the doctor who has them; two people doing it at once make one record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.frontdesk import services
from clinicflow.frontdesk.models import Observation, Priority, QueueEntry, QueueStatus
from clinicflow.patients.models import Patient
from clinicflow.patients.services import PossibleDuplicates
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db

DETAILS = {"given_name": "Maya", "family_name": "Gurung", "sex": "female", "age_years": 34}


def walk_in(user, **fields):
    fields.setdefault("name", "Maya Gurung")
    return services.add_walk_in(actor=actor_for(user), **fields)


def register_walk_in(user, entry, **details):
    return services.register_walk_in(
        actor=actor_for(user), entry=entry, details={**DETAILS, **details}
    )


def test_the_doctor_registers_the_emergency_in_the_room_and_the_visit_is_theirs(
    receptionist, doctor, cardiologist
):
    entry = walk_in(receptionist, phone="9841234567", priority=Priority.EMERGENCY)
    services.call_next(actor=actor_for(doctor), practitioner=cardiologist)
    linked = register_walk_in(doctor, entry, phone=entry.walk_in_phone)
    patient = Patient.objects.get()
    assert linked.patient == patient
    assert (patient.full_name, patient.phone, patient.sex) == (
        "Maya Gurung",
        "+9779841234567",
        "female",
    )
    assert patient.birth_date_estimated
    entry.refresh_from_db()
    assert (entry.patient, entry.token, entry.status) == (patient, 1, QueueStatus.WITH_DOCTOR)
    assert entry.changes.last().note == f"Registered as {patient.mrn}"


def test_the_nurse_registers_a_walk_in_and_records_vitals_at_once(receptionist, nurse):
    entry = walk_in(receptionist)
    with pytest.raises(DomainError, match="Register the walk-in"):
        services.record_vitals(actor=actor_for(nurse), entry=entry, values={"pulse": "88"})
    register_walk_in(nurse, entry)
    services.record_vitals(actor=actor_for(nurse), entry=entry, values={"pulse": "88"})
    assert Observation.objects.get().patient == Patient.objects.get()


def test_a_refused_registration_leaves_the_visit_unlinked_and_no_patient(receptionist):
    entry = walk_in(receptionist)
    future = timezone.localdate() + timedelta(days=2)
    with pytest.raises(DomainError, match="future") as refused:
        register_walk_in(receptionist, entry, birth_date=future, age_years=None)
    assert refused.value.field == "birth_date"
    with pytest.raises(DomainError, match="family name"):
        register_walk_in(receptionist, entry, family_name="")
    entry.refresh_from_db()
    assert entry.patient is None
    assert not Patient.objects.exists()
    assert entry.changes.count() == 1  # only the arrival


def test_a_failure_after_the_record_is_made_takes_the_record_back_too(receptionist, monkeypatch):
    """One transaction: were the link to fail, no patient is left without their visit."""
    entry = walk_in(receptionist)

    def broken_log(*args, **kwargs):
        raise DomainError("The queue's history could not be written.")

    monkeypatch.setattr(services, "_log", broken_log)
    with pytest.raises(DomainError, match="history"):
        register_walk_in(receptionist, entry)
    entry.refresh_from_db()
    assert entry.patient is None
    assert not Patient.objects.exists()


def test_a_likely_duplicate_stops_the_registration_until_confirmed_or_linked(
    receptionist, nurse, register
):
    known = register(given_name="Maya", family_name="Gurung", phone="9841234567")
    entry = walk_in(receptionist, phone="9841234567")
    with pytest.raises(PossibleDuplicates) as found:
        register_walk_in(nurse, entry, phone="9841234567")
    assert found.value.candidates == [known]
    entry.refresh_from_db()
    assert entry.patient is None
    assert Patient.objects.count() == 1

    services.link_walk_in(actor=actor_for(nurse), entry=entry, patient=known)
    entry.refresh_from_db()
    assert entry.patient == known


def test_someone_else_confirmed_as_new_gets_a_record_of_their_own(receptionist, register):
    register(given_name="Maya", family_name="Gurung", phone="9841234567")
    entry = walk_in(receptionist, phone="9841234567")
    services.register_walk_in(
        actor=actor_for(receptionist),
        entry=entry,
        details={**DETAILS, "phone": "9841234567"},
        confirm_new=True,
    )
    assert Patient.objects.count() == 2
    entry.refresh_from_db()
    assert entry.patient.mrn == "KTM-000002"


def test_a_walk_in_already_registered_is_not_registered_again(receptionist, nurse):
    entry = walk_in(receptionist)
    register_walk_in(receptionist, entry)
    first = Patient.objects.get()
    with pytest.raises(services.AlreadyRegistered, match=f"Maya Gurung \\({first.mrn}\\)"):
        register_walk_in(nurse, entry)
    with pytest.raises(services.AlreadyRegistered):
        services.link_walk_in(actor=actor_for(nurse), entry=entry, patient=first)
    assert Patient.objects.count() == 1


@pytest.mark.parametrize("role", ["pharmacist", "cashier", "lab_technician"])
def test_roles_outside_the_desk_and_the_clinic_may_not_register_a_walk_in(
    receptionist, role, request
):
    entry = walk_in(receptionist)
    with pytest.raises(DomainError, match="may not"):
        register_walk_in(request.getfixturevalue(role), entry)
    assert not Patient.objects.exists()


def test_a_doctor_registers_only_their_own_or_unassigned_walk_ins(
    receptionist, doctor, cardiologist, make_doctor, register
):
    other = make_doctor("gp", "GP")
    known = register(given_name="Known", family_name="Person")
    theirs = walk_in(receptionist, practitioner=other)
    with pytest.raises(DomainError, match="may not"):
        register_walk_in(doctor, theirs)
    with pytest.raises(DomainError, match="may not"):
        services.link_walk_in(actor=actor_for(doctor), entry=theirs, patient=known)
    unassigned = walk_in(receptionist, name="Hari Thapa")
    assert register_walk_in(doctor, unassigned).patient.full_name == "Maya Gurung"
    theirs.refresh_from_db()
    assert theirs.patient is None


def test_another_clinics_walk_in_cannot_be_registered_or_linked(
    receptionist, other_clinic_manager, other_clinic_doctor, register
):
    entry = walk_in(receptionist)
    for outsider in (other_clinic_manager, other_clinic_doctor):
        with pytest.raises(DomainError, match="may not"):
            services.register_walk_in(actor=actor_for(outsider), entry=entry, details=DETAILS)
    ours = register(given_name="Known", family_name="Here")
    with pytest.raises(DomainError, match="may not"):
        services.link_walk_in(actor=actor_for(other_clinic_manager), entry=entry, patient=ours)
    entry.refresh_from_db()
    assert entry.patient is None
    assert Patient.objects.count() == 1


def test_a_patient_of_another_clinic_cannot_be_linked(receptionist, other_clinic_manager, register):
    outsider = register(actor_user=other_clinic_manager, given_name="Far", family_name="Away")
    entry = walk_in(receptionist)
    with pytest.raises(DomainError, match="may not"):
        services.link_walk_in(actor=actor_for(receptionist), entry=entry, patient=outsider)
    entry.refresh_from_db()
    assert entry.patient is None


def test_an_unregistered_emergency_walk_in_is_called_before_earlier_patients(
    receptionist, nurse, doctor, cardiologist, booked
):
    """Emergencies jump the queue: before a booked patient due earlier and already ready, and
    before a routine walk-in who came first; being unregistered changes nothing."""
    ready = services.check_in(actor=actor_for(receptionist), appointment=booked)
    services.record_vitals(actor=actor_for(nurse), entry=ready, values={"pulse": "80"})
    walk_in(receptionist, name="Came First")
    emergency = walk_in(receptionist, name="Collapsed Man", priority=Priority.EMERGENCY)
    called = services.call_next(actor=actor_for(doctor), practitioner=cardiologist)
    assert called == emergency
    assert called.patient is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_registering_one_walk_in_at_once_make_one_patient(receptionist, nurse):
    entry = walk_in(receptionist)
    people = [receptionist, nurse]

    def register_at_once(n: int) -> str:
        try:
            register_walk_in(people[n], QueueEntry.objects.get(pk=entry.pk))
        except services.AlreadyRegistered as exc:
            return exc.message
        return "registered"

    outcomes, errors = at_once(register_at_once, 2)
    assert errors == []
    patient = Patient.objects.get()
    assert sorted(outcomes) == [
        f"This visit already belongs to Maya Gurung ({patient.mrn}): someone registered them a "
        "moment ago.",
        "registered",
    ]
    entry.refresh_from_db()
    assert entry.patient == patient
