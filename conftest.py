"""Shared fixtures: clinics, a person for every role, and signed-in clients."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

import pytest
from django.test import Client
from django.utils import timezone

from clinicflow.accounts.models import User
from clinicflow.core.models import Clinic
from clinicflow.core.roles import Role
from tests.factories import PASSWORD, ClinicFactory, member

#: Written by SQLite triggers as the tables they watch are emptied (scheduling's stamps).
STAMPED_ON_DELETE = ("scheduling_scheduleversion",)


@pytest.fixture(scope="session", autouse=True)
def _flush_trigger_written_tables_last():
    """A transactional test's flush empties the tables in the order of a Python set, which
    changes from run to run. Deleting a doctor's hours fires scheduling's trigger, which
    writes the doctor's schedule stamp: when the stamps' table was emptied before and the
    doctors' after, the stamp names a deleted doctor and the flush fails at commit, now and
    then. Emptied last, the stamps go with everything else."""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    operations = type(connection.ops)
    original = operations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        ordered = sorted(tables, key=lambda table: table in STAMPED_ON_DELETE)
        return original(self, style, ordered, **kwargs)

    operations.sql_flush = sql_flush
    yield
    operations.sql_flush = original


@pytest.fixture(autouse=True)
def _sms_console_emptied():
    """Each test starts with the console SMS gateway's record empty, as Django empties
    ``mail.outbox``."""
    from clinicflow.notifications.sms.backends.console import ConsoleBackend

    ConsoleBackend.reset()
    yield
    ConsoleBackend.reset()


@pytest.fixture(autouse=True)
def _celery_not_inside_a_task():
    """Celery's "inside a task" flag is one process-wide global, set and reset around each
    eager task: race tests that run eager tasks on two threads at once can leave it set, and
    a later test's ``result.get()`` would then refuse to wait. Each test starts with it clear."""
    from celery._state import _set_task_join_will_block

    yield
    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    # Argon2 is the production hasher (tests/test_settings.py checks it); here a fast one
    # keeps hundreds of sign-ins quick. Media goes to a temporary folder.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": None},
        },
    }
    from django.core.cache import cache

    from clinicflow.core.audit.chain import forget_chains

    cache.clear()
    forget_chains()  # the chain rows of the last test were rolled back


def mid_morning_zone() -> str:
    """A fixed-offset zone where it is mid-morning now, on the same calendar day as UTC.

    The tests' clinics live there, so "today" means one day for the clinic, for Django's
    UTC and for the machine's own clock at any hour CI runs (in Kathmandu, 00:25 is already
    tomorrow for the clinic while `date.today()` is still today), and a slot later today is
    always within working hours."""
    utc_hour = timezone.now().astimezone(UTC).hour
    ahead = max(-12, 10 - utc_hour)  # 10:xx there; at 23:xx UTC, 11:xx (no zone is 13 behind)
    # POSIX names count the other way round: Etc/GMT-5 is five hours ahead of UTC.
    return f"Etc/GMT{-ahead:+d}" if ahead else "Etc/GMT"


@pytest.fixture
def committed_chains(db) -> Callable[[], None]:
    """Remember the audit chains' ids as a server does after their first commit (the tests'
    transaction never commits), for tests that count a request's queries."""

    def remember() -> None:
        from clinicflow.core.audit import chain
        from clinicflow.core.models import AuditChain

        chain._chain_ids.update(AuditChain.objects.values_list("key", "pk"))

    return remember


@pytest.fixture
def clinic(db) -> Clinic:
    return ClinicFactory(code="KTM", name="Himalaya Family Clinic", timezone=mid_morning_zone())


@pytest.fixture
def other_clinic(db) -> Clinic:
    return ClinicFactory(code="PKR", name="Lakeside Health Centre", timezone=mid_morning_zone())


def _role_fixture(role: Role, *, other: bool = False) -> Callable[..., User]:
    if other:

        @pytest.fixture
        def person(other_clinic: Clinic) -> User:
            return member(role, other_clinic, username=f"other_{role.value}")

    else:

        @pytest.fixture
        def person(clinic: Clinic) -> User:
            return member(role, clinic, username=role.value)

    return person


admin_user = _role_fixture(Role.ADMIN)
manager = _role_fixture(Role.MANAGER)
doctor = _role_fixture(Role.DOCTOR)
nurse = _role_fixture(Role.NURSE)
receptionist = _role_fixture(Role.RECEPTIONIST)
pharmacist = _role_fixture(Role.PHARMACIST)
lab_technician = _role_fixture(Role.LAB_TECHNICIAN)
cashier = _role_fixture(Role.CASHIER)
patient = _role_fixture(Role.PATIENT)
other_clinic_manager = _role_fixture(Role.MANAGER, other=True)
other_clinic_doctor = _role_fixture(Role.DOCTOR, other=True)


@pytest.fixture
def sign_in(db) -> Callable[..., Client]:
    """A client signed in as ``user`` through the real sign-in form."""

    def _sign_in(user: User, *, password: str = PASSWORD, **client_kwargs: object) -> Client:
        client = Client(**client_kwargs)
        response = client.post(
            "/accounts/login/", {"username": user.username, "password": password}
        )
        assert response.status_code == 302, response.content[:500]
        return client

    return _sign_in


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked ``postgres`` or ``redis`` run where those are configured (CI's first run)."""
    from django.conf import settings
    from django.db import connection

    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    if item.get_closest_marker("redis") and not settings.REDIS_URL:
        pytest.skip("needs Redis (set REDIS_URL)")


@pytest.fixture
def register(receptionist):
    """Register a patient as the clinic's receptionist; details override a sensible default."""
    from clinicflow.accounts.actors import actor_for
    from clinicflow.patients.services import register_patient

    def _register(confirm_new: bool = True, actor_user=None, **details):
        data = {"given_name": "Priya", "family_name": "Sharma", "sex": "female", **details}
        return register_patient(
            actor=actor_for(actor_user or receptionist), details=data, confirm_new=confirm_new
        )

    return _register
