"""The command line of a fresh install: the demo (idempotent, resettable, one day in each of
its clinics), ``make run`` and the first admin."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from clinicflow.accounts.demo import ACCOUNTS, CLINICS, DEMO_PASSWORD
from clinicflow.accounts.models import Membership, User
from clinicflow.billing.models import Charge, Invoice, LedgerEntry, Payer, Payment, Shift
from clinicflow.core.models import AuditEvent, Clinic
from clinicflow.core.roles import Role
from clinicflow.frontdesk.models import BoardLink, DoctorDesk
from clinicflow.patients.models import Allergy, Condition, Patient
from clinicflow.pharmacy.models import Medicine, StockBatch, StockMovement
from clinicflow.portal.models import PatientLink
from clinicflow.scheduling.models import Appointment, AvailabilityRule, Practitioner, Weekday

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
READY = "Demo clinics and staff are ready."
#: What a clinic's demo day is made of.
CLINIC_ROWS = (
    Patient,
    PatientLink,
    Allergy,
    Condition,
    Practitioner,
    AvailabilityRule,
    DoctorDesk,
    BoardLink,
    Appointment,
    Medicine,
    StockBatch,
    StockMovement,
    Payer,
    Charge,
    Invoice,
    Payment,
    Shift,
    LedgerEntry,
)


def counts() -> tuple[int, int, int]:
    return Clinic.objects.count(), User.objects.count(), Membership.objects.count()


def clinic_rows(code: str) -> dict[str, int]:
    clinic = Clinic.objects.get(code=code)
    rows = {model.__name__: model.objects.for_clinic(clinic).count() for model in CLINIC_ROWS}
    return rows | {"AuditEvent": AuditEvent.objects.for_clinic(clinic).count()}


def test_seed_demo_loads_every_role_and_is_idempotent(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo", "--base-url", "http://127.0.0.1:8765/")
    first = counts()
    days = {spec.code: clinic_rows(spec.code) for spec in CLINICS}
    output = capsys.readouterr().out
    call_command("seed_demo")
    assert counts() == first == (len(CLINICS), len(ACCOUNTS), first[2])
    assert {spec.code: clinic_rows(spec.code) for spec in CLINICS} == days
    held = set(Membership.objects.values_list("role", flat=True))
    assert held == {r.value for r in Role}
    doctors = User.objects.filter(username__in=["doc001", "doc002", "doc003", "doc004"])
    assert sorted(doctors.values_list("job_title", flat=True)) == [
        "Cardiologist",
        "General Physician",
        "Orthopedic",
        "Pediatrician",
    ]
    # The demo patient looks after her own record and her daughter's in the portal.
    ktm = Clinic.objects.get(code="KTM")
    family = PatientLink.objects.for_clinic(ktm).filter(user__username="patient")
    assert sorted(family.values_list("relationship", "patient__given_name")) == [
        ("child", "Anjali"),
        ("self", "Priya"),
    ]
    assert "DEMO ONLY" in output
    assert DEMO_PASSWORD in output
    assert output.count(READY) == 1
    assert output.count("  reception2 ") == 1
    for spec in CLINICS:
        board = BoardLink.objects.for_clinic(Clinic.objects.get(code=spec.code)).get()
        link = "http://127.0.0.1:8765" + reverse("frontdesk:board", args=[board.token])
        assert re.search(rf"board of {spec.name} \({spec.code}\): {re.escape(link)}$", output, re.M)


def test_pokhara_has_its_own_demo_day_which_kathmandus_staff_cannot_open(settings, sign_in):
    settings.DEBUG = True
    call_command("seed_demo", "--quiet-logins")
    pokhara, kathmandu = Clinic.objects.get(code="PKR"), Clinic.objects.get(code="KTM")
    day = clinic_rows("PKR")

    assert day["Patient"] == 12
    stocked = ("Allergy", "Condition", "Medicine", "StockBatch", "StockMovement")
    assert all(day[kind] > 0 for kind in stocked), day
    assert day["DoctorDesk"] == day["BoardLink"] == 1
    visiting = Practitioner.objects.for_clinic(pokhara).get()
    assert visiting.user.username == "doc001"
    hours = AvailabilityRule.objects.for_clinic(pokhara).values_list("weekday", flat=True)
    assert set(hours) == {Weekday.SATURDAY}
    booked = list(Appointment.objects.for_clinic(pokhara).select_related("patient"))
    assert len(booked) >= 4
    assert {a.patient.clinic_id for a in booked} == {pokhara.pk}
    assert {a.starts_at.astimezone(pokhara.zone).weekday() for a in booked} == {Weekday.SATURDAY}
    # Kathmandu's day stays the one the browser tests know.
    assert Patient.objects.for_clinic(kathmandu).count() == 12
    assert Practitioner.objects.for_clinic(kathmandu).count() == 4
    assert not Appointment.objects.for_clinic(kathmandu).exists()

    theirs = Patient.objects.for_clinic(pokhara).get(family_name="Sherchan")
    ours = Patient.objects.for_clinic(kathmandu).get(family_name="Tamang")
    chart, record = reverse("patients:chart", args=[theirs.pk]), f"/api/v1/patients/{theirs.pk}/"
    reception = sign_in(User.objects.get(username="reception"), password=DEMO_PASSWORD)
    assert reception.get(reverse("patients:chart", args=[ours.pk])).status_code == 200
    assert reception.get(chart).status_code == 404
    assert reception.get(record).status_code == 404
    found = reception.get("/api/v1/patients/", {"q": "Sherchan"})
    assert found.status_code == 200
    assert found.json()["results"] == []
    # doc001 works in both clinics: Pokhara's patients only once working there.
    doctor = sign_in(User.objects.get(username="doc001"), password=DEMO_PASSWORD)
    assert doctor.get(chart).status_code == 404
    doctor.post(reverse("core:clinic_switch"), {"clinic": str(pokhara.pk)})
    assert doctor.get(chart).status_code == 200
    assert doctor.get(record).status_code == 200


def test_make_run_loads_the_demo_once_and_tells_it_where_it_serves():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # -n prints the recipe without running it; HOST and PORT reach the demo's printed links.
    plan = subprocess.run(
        # --no-print-directory: under CI's own `make test`, a nested make says where it is.
        ["make", "-n", "--no-print-directory", "run", "HOST=0.0.0.0", "PORT=8765"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()

    seeds = [line for line in plan if "manage.py seed_demo" in line]
    assert seeds == [".venv/bin/python manage.py seed_demo --base-url http://0.0.0.0:8765"]
    (serve,) = [line for line in plan if "uvicorn config.asgi:application" in line]
    assert serve.endswith("--host 0.0.0.0 --port 8765 --log-level warning")


def test_seed_demo_reset_puts_a_changed_demo_account_back(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--quiet-logins")
    nurse = User.objects.get(username="nurse")
    nurse.set_password("Changed-in-the-demo-1")
    nurse.is_active = False
    nurse.save()
    call_command("seed_demo", "--quiet-logins")
    nurse.refresh_from_db()
    assert not nurse.is_active  # without --reset nothing is overwritten
    call_command("seed_demo", "--reset", "--quiet-logins")
    nurse.refresh_from_db()
    assert nurse.is_active
    assert nurse.check_password(DEMO_PASSWORD)


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")
    assert counts() == (0, 0, 0)


def test_createadmin_makes_the_first_admin_and_clinic_without_questions():
    call_command(
        "createadmin",
        "--username",
        "root",
        "--email",
        "root@example.org",
        "--password",
        "A-strong-first-password",
        "--clinic-code",
        "ktm",
        "--clinic-name",
        "Himalaya Family Clinic",
    )
    root = User.objects.get(username="root")
    clinic = Clinic.objects.get(code="KTM")
    roles = set(Membership.objects.filter(user=root).values_list("role", "clinic"))
    assert roles == {("admin", None), ("manager", clinic.pk)}


def test_createadmin_refuses_a_weak_password_and_creates_nothing():
    with pytest.raises(CommandError, match="too short"):
        call_command("createadmin", "--username", "root", "--password", "short")
    assert not User.objects.exists()


def test_createadmin_never_promotes_an_existing_account(clinic):
    from tests.factories import UserFactory

    UserFactory(username="mina")
    with pytest.raises(CommandError, match="already exists"):
        call_command("createadmin", "--username", "mina", "--password", "A-strong-first-password")
    assert not Membership.objects.filter(user__username="mina", role=Role.ADMIN).exists()
