"""``generate_patients``: synthetic demo/bench patients written in bulk (COPY on PostgreSQL,
bulk_create elsewhere), numbered from the clinic's counter like registrations."""

from __future__ import annotations

import re
from datetime import date, timedelta

import phonenumbers
import pytest
from django.core.management import CommandError, call_command

from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.patients.management.commands.generate_patients import PatientFaker
from clinicflow.patients.models import MrnCounter, Patient
from clinicflow.patients.search import search_patients

pytestmark = pytest.mark.django_db

E164_NEPALI_MOBILE = re.compile(r"^\+977(98[0-6]|97[4-6])\d{7}$")


def generate(count: int, **options: object) -> None:
    call_command("generate_patients", clinic="KTM", count=count, seed=7, force=True, **options)


def test_generated_patients_continue_the_clinic_numbers_without_gaps(register, clinic):
    first = register()  # KTM-000001, registered the ordinary way
    events_before = AuditEvent.objects.for_clinic(clinic).count()

    generate(300, batch=64)  # several batches

    generated = list(Patient.objects.for_clinic(clinic).exclude(pk=first.pk).order_by("mrn_seq"))
    assert len(generated) == 300
    assert [p.mrn_seq for p in generated] == list(range(2, 302))
    assert [p.mrn for p in generated] == [f"KTM-{seq:06d}" for seq in range(2, 302)]
    assert MrnCounter.objects.for_clinic(clinic).get().last_seq == 301
    for patient in generated:
        assert patient.search_name == f"{patient.given_name} {patient.family_name}".lower()
        assert patient.created_by is None
        assert patient.given_name
        assert patient.family_name
        if patient.phone:
            assert E164_NEPALI_MOBILE.match(patient.phone), patient.phone
            assert phonenumbers.is_valid_number(phonenumbers.parse(patient.phone, None))
        assert patient.email == patient.email.lower()
        if not patient.is_active:
            assert patient.inactive_reason
    assert sum(1 for p in generated if p.phone) > 250
    assert len({p.sex for p in generated}) >= 2

    # One summary event instead of one per row.
    events = AuditEvent.objects.for_clinic(clinic)
    assert events.count() == events_before + 1
    summary = events.get(object_repr="300 generated patients")
    assert summary.action == AuditAction.CREATE
    assert summary.object_type == "patients.patient"
    assert summary.changes["generated"] == 300

    # The next registration takes the next number.
    assert register(given_name="Next").mrn == "KTM-000302"


def test_a_clinic_without_a_counter_starts_at_one(clinic):
    generate(5)
    assert sorted(Patient.objects.for_clinic(clinic).values_list("mrn", flat=True)) == [
        f"KTM-{seq:06d}" for seq in range(1, 6)
    ]
    assert MrnCounter.objects.for_clinic(clinic).get().last_seq == 5


def test_search_finds_generated_patients_by_mrn_name_and_phone(register, clinic):
    register()
    generate(300)
    target = (
        Patient.objects.for_clinic(clinic)
        .filter(is_active=True, mrn_seq__gte=100)
        .exclude(phone="")
        .order_by("mrn_seq")
        .first()
    )
    assert target is not None

    assert search_patients(clinic, target.mrn) == [target]
    assert search_patients(clinic, str(target.mrn_seq)) == [target]
    assert target in search_patients(clinic, f"{target.given_name} {target.family_name}", limit=50)
    assert target in search_patients(clinic, target.phone, limit=50)
    local = target.phone.removeprefix("+977")
    assert target in search_patients(clinic, f"{local[:3]}-{local[3:]}", limit=50)


def test_the_same_seed_twice_and_in_two_clinics_does_not_clash(clinic, other_clinic):
    generate(20)
    generate(20)
    call_command("generate_patients", clinic="PKR", count=20, seed=7, force=True)
    assert Patient.objects.for_clinic(clinic).count() == 40
    assert Patient.objects.for_clinic(other_clinic).count() == 20
    assert MrnCounter.objects.for_clinic(clinic).get().last_seq == 40
    assert MrnCounter.objects.for_clinic(other_clinic).get().last_seq == 20


def test_refuses_with_debug_off_unless_forced(clinic, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("generate_patients", clinic="KTM", count=3)
    assert not Patient.objects.for_clinic(clinic).exists()


def test_an_unknown_clinic_is_refused(clinic):
    with pytest.raises(CommandError, match="No clinic"):
        call_command("generate_patients", clinic="XYZ", count=3, force=True)


def test_the_faker_is_reproducible_and_plausible():
    today = date(2026, 11, 23)
    rows = [PatientFaker(clinic_code="KTM", today=today, seed=3).row(n) for n in range(1, 3)]
    again = [PatientFaker(clinic_code="KTM", today=today, seed=3).row(n) for n in range(1, 3)]
    assert [row[1:] for row in rows] == [row[1:] for row in again]  # the same people...
    assert rows[0][0] != again[0][0]  # ...under fresh primary keys

    faker = PatientFaker(clinic_code="KTM", today=today, seed=11)
    many = [faker.row(n) for n in range(1, 5001)]
    births = [(r[6], r[7]) for r in many if r[6] is not None]
    assert all(today - timedelta(days=97 * 366) < born <= today for born, _ in births)
    assert all(born.month == born.day == 1 for born, estimated in births if estimated)
    assert 0.05 < sum(estimated for _, estimated in births) / len(births) < 0.3
    phones = [r[8] for r in many if r[8]]
    assert all(E164_NEPALI_MOBILE.match(p) for p in phones)
    assert len(set(phones)) > 0.85 * len(phones)  # mostly unique; households share some
    assert 0.05 < sum(1 for r in many if r[9]) / len(many) < 0.25  # some e-mails
