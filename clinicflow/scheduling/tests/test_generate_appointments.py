"""``generate_appointments``: synthetic demo/bench appointments on the doctors' slot grid, one
per slot, patients round-robin, never two active ones overlapping for a doctor or a patient."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from clinicflow.scheduling.slots import working_slots

pytestmark = pytest.mark.django_db

OVERLAPS_SQL = """
SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b
  ON a.id < b.id AND ({same}) AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
WHERE a.status IN %s AND b.status IN %s
"""


def overlaps(same: str) -> int:
    active = tuple(str(s) for s in ACTIVE_STATUSES)
    marks = ", ".join(["%s"] * len(active))
    sql = OVERLAPS_SQL.format(same=same).replace("IN %s", f"IN ({marks})")
    params = [*active, *active]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def generate(count: int, **options: object) -> None:
    defaults: dict[str, object] = {"seed": 3, "force": True, "days": 30, "future_days": 10}
    call_command("generate_appointments", clinic="KTM", count=count, **{**defaults, **options})


@pytest.fixture
def patients(clinic):
    call_command("generate_patients", clinic="KTM", count=300, seed=5, force=True)


def test_appointments_fill_the_slot_grid_without_overlaps(clinic, cardiologist, patients):
    events_before = AuditEvent.objects.for_clinic(clinic).count()
    generate(800)

    rows = list(Appointment.objects.for_clinic(clinic).order_by("starts_at"))
    assert len(rows) == 800
    now = timezone.now()
    first = timezone.localtime(rows[0].starts_at, clinic.zone).date()
    last = timezone.localtime(rows[-1].starts_at, clinic.zone).date()
    grid = {s.starts_at: s.ends_at for s in working_slots(cardiologist, first, last)}
    for row in rows:
        assert grid.get(row.starts_at) == row.ends_at  # on the doctor's own slots
        assert row.practitioner_id == cardiologist.pk
        if row.status == AppointmentStatus.CANCELLED:
            assert row.status_reason
        if row.starts_at >= now:
            assert row.status in ("booked", "requested", "cancelled")
        else:
            assert row.status in ("completed", "no_show", "cancelled")
    # One appointment per slot at most, and none overlapping among the active ones (the
    # exclusion constraints on PostgreSQL would have refused the COPY otherwise).
    assert all(a.starts_at < b.starts_at for a, b in pairwise(rows))
    assert overlaps("a.practitioner_id = b.practitioner_id") == 0
    assert overlaps("a.patient_id = b.patient_id") == 0

    statuses = Counter(row.status for row in rows)
    future = sum(1 for row in rows if row.starts_at >= now)
    assert 0 < future <= 200  # at most a quarter ahead
    assert statuses["completed"] > 0.6 * (800 - future)
    assert statuses["booked"] > 0.7 * future
    assert statuses["cancelled"] > 0
    assert statuses["no_show"] > 0
    assert len({row.patient_id for row in rows}) > 280  # the active ones

    events = AuditEvent.objects.for_clinic(clinic)
    assert events.count() == events_before + 1
    summary = events.get(object_repr="800 generated appointments")
    assert summary.action == AuditAction.CREATE
    assert summary.changes["generated"] == 800


def test_more_than_the_span_holds_reaches_further_back(clinic, cardiologist, patients):
    # 21 slots a day: 30 days hold fewer than 900 past appointments.
    generate(900)
    first = Appointment.objects.for_clinic(clinic).order_by("starts_at").first()
    assert first is not None
    assert (timezone.now() - first.starts_at).days > 30
    assert overlaps("a.practitioner_id = b.practitioner_id") == 0


def test_a_second_run_adds_around_the_first_without_overlaps(clinic, cardiologist, patients):
    generate(300)
    generate(300, seed=4)  # past slots may repeat (inactive); active ones must not clash
    assert Appointment.objects.for_clinic(clinic).count() == 600
    assert overlaps("a.practitioner_id = b.practitioner_id") == 0
    assert overlaps("a.patient_id = b.patient_id") == 0


def test_refuses_without_debug_unless_forced_and_without_patients(clinic, cardiologist, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("generate_appointments", clinic="KTM", count=10)
    with pytest.raises(CommandError, match="generate_patients first"):
        call_command("generate_appointments", clinic="KTM", count=10, force=True)
    with pytest.raises(CommandError, match="No clinic"):
        call_command("generate_appointments", clinic="XXX", count=10, force=True)
