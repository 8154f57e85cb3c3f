"""The mixed-writers bench's data: ``generate_staff`` makes the staff it names, and
``generate_workday`` a day of work that the real services accept, each kind on patients of its
own, listed in its manifest."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.demo import DEMO_PASSWORD
from clinicflow.accounts.models import Membership, User
from clinicflow.clinical import services as clinical
from clinicflow.clinical.models import Encounter, EncounterStatus, Prescription
from clinicflow.clinical.tests.conftest import practitioner  # noqa: F401  (a doctor who prescribes)
from clinicflow.core.roles import Role
from clinicflow.frontdesk import services as frontdesk
from clinicflow.frontdesk.models import QueueEntry, QueueStatus
from clinicflow.pharmacy import dispensing
from clinicflow.scheduling.models import Appointment, AppointmentStatus, Practitioner

pytestmark = pytest.mark.django_db

WORK = {"bookings": 4, "check_ins": 5, "vitals": 6, "signings": 4, "dispensings": 3}


def staff(per_role: int = 2) -> str:
    out = StringIO()
    call_command("generate_staff", clinic="KTM", per_role=per_role, force=True, stdout=out)
    return out.getvalue()


def workday(tmp_path, name: str = "work.json", **options: object) -> dict:
    manifest = tmp_path / name
    call_command(
        "generate_workday", clinic="KTM", force=True, manifest=manifest, stdout=StringIO(),
        **{**WORK, "min_stock": 1, **options},
    )  # fmt: skip
    return json.loads(manifest.read_text())


@pytest.fixture
def day_ready(clinic, practitioner):  # noqa: F811  (the imported fixture)
    call_command("generate_patients", clinic="KTM", count=60, seed=5, force=True)
    call_command(
        "generate_stock", clinic="KTM", medicines=20, batches=80, prescriptions=10,
        pharmacists=1, hot=2, seed=3, force=True,
    )  # fmt: skip
    staff()


def test_staff_of_every_role_sign_in_with_the_demo_password(clinic):
    assert "2 receptionist, 2 nurse, 2 doctor, 2 pharmacist" in staff()
    for role, name in (
        (Role.RECEPTIONIST, "mxreception02"),
        (Role.NURSE, "mxnurse01"),
        (Role.DOCTOR, "mxdoctor02"),
        (Role.PHARMACIST, "mxpharmacist01"),
    ):
        user = User.objects.get(username=name)
        assert Membership.objects.filter(user=user, clinic=clinic, role=role, is_active=True)
        assert user.check_password(DEMO_PASSWORD)
    doctor = Practitioner.objects.get(user__username="mxdoctor01")
    assert sorted(doctor.rules.values_list("weekday", flat=True)) == list(range(7))


def test_staff_generated_twice_is_the_same_staff(clinic):
    staff()
    staff()
    assert User.objects.filter(username__startswith="mx").count() == 8
    assert Practitioner.objects.filter(user__username__startswith="mxdoctor").count() == 2


def test_workday_refuses_without_staff(clinic, tmp_path):
    with pytest.raises(CommandError, match="generate_staff"):
        workday(tmp_path)


def test_workday_makes_the_work_it_lists_each_kind_on_its_own_patients(clinic, day_ready, tmp_path):
    work = workday(tmp_path)
    appointments = Appointment.objects.filter(pk__in=work["check_ins"])
    assert appointments.count() == 5
    assert set(appointments.values_list("status", flat=True)) == {AppointmentStatus.BOOKED}
    entries = QueueEntry.objects.filter(pk__in=work["vitals"])
    assert entries.count() == 6
    assert set(entries.values_list("status", flat=True)) == {QueueStatus.WAITING}
    assert len(set(entries.values_list("token", flat=True))) == 6
    signings = [pk for ids in work["signings"].values() for pk in ids]
    encounters = Encounter.objects.filter(pk__in=signings)
    assert encounters.count() == 4
    assert set(encounters.values_list("status", flat=True)) == {EncounterStatus.OPEN}
    assert len(work["dispensings"]) == 3
    patients = [
        *work["bookings"]["patients"],
        *(str(p) for p in appointments.values_list("patient_id", flat=True)),
        *(str(p) for p in entries.values_list("patient_id", flat=True)),
        *(str(p) for p in encounters.values_list("patient_id", flat=True)),
    ]
    assert len(patients) == len(set(patients)) == 19
    assert set(work["staff"]) == {"reception", "nurse", "doctor", "pharmacist"}


def test_a_second_workday_takes_other_patients_and_prescriptions(clinic, day_ready, tmp_path):
    first = workday(tmp_path, "one.json")
    second = workday(tmp_path, "two.json", bookings=0, signings=0, dispensings=3)
    assert not set(first["check_ins"]) & set(second["check_ins"])
    firsts = set(
        Appointment.objects.filter(pk__in=first["check_ins"]).values_list("patient", flat=True)
    )
    seconds = set(
        Appointment.objects.filter(pk__in=second["check_ins"]).values_list("patient", flat=True)
    )
    assert not firsts & seconds
    # Nothing was dispensed in between: the same newest prescriptions are still the work.
    assert first["dispensings"] == second["dispensings"]


def test_the_real_services_accept_the_work(clinic, day_ready, tmp_path):
    work = workday(tmp_path)
    reception = actor_for(User.objects.get(username=work["staff"]["reception"][0]))
    appointment = Appointment.objects.get(pk=work["check_ins"][0])
    entry = frontdesk.check_in(actor=reception, appointment=appointment, confirm=True)
    assert entry.patient_id == appointment.patient_id

    nurse = actor_for(User.objects.get(username=work["staff"]["nurse"][0]))
    waiting = QueueEntry.objects.get(pk=work["vitals"][0])
    assert frontdesk.record_vitals(actor=nurse, entry=waiting, values={"pulse": "72"})

    username, ids = next(iter(work["signings"].items()))
    doctor = actor_for(User.objects.get(username=username))
    signed = clinical.sign(actor=doctor, encounter=Encounter.objects.get(pk=ids[0]))
    assert signed.status == EncounterStatus.SIGNED

    pharmacist = actor_for(User.objects.get(username=work["staff"]["pharmacist"][0]))
    prescription_id, items = work["dispensings"][0]
    item = Prescription.objects.get(pk=prescription_id).items.get(pk=items[0])
    assert dispensing.dispense(actor=pharmacist, item=item)


def test_prescriptions_whose_medicine_is_short_are_left_out(clinic, day_ready, tmp_path):
    plenty = workday(tmp_path, "plenty.json", dispensings=10, min_stock=1)
    assert plenty["dispensings"]
    assert workday(tmp_path, "short.json", dispensings=10, min_stock=10**9)["dispensings"] == []
