"""The command line of a fresh install: the demo (idempotent, resettable) and the first admin."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clinicflow.accounts.demo import ACCOUNTS, CLINICS, DEMO_PASSWORD
from clinicflow.accounts.models import Membership, User
from clinicflow.core.models import Clinic
from clinicflow.core.roles import Role

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int]:
    return Clinic.objects.count(), User.objects.count(), Membership.objects.count()


def test_seed_demo_loads_every_role_and_is_idempotent(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first == (len(CLINICS), len(ACCOUNTS), first[2])
    held = set(Membership.objects.values_list("role", flat=True))
    assert held == {r.value for r in Role}
    doctors = User.objects.filter(username__in=["doc001", "doc002", "doc003", "doc004"])
    assert sorted(doctors.values_list("job_title", flat=True)) == [
        "Cardiologist",
        "General Physician",
        "Orthopedic",
        "Pediatrician",
    ]
    output = capsys.readouterr().out
    assert "DEMO ONLY" in output
    assert DEMO_PASSWORD in output


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
