"""``generate_lab``: a synthetic lab history for demo and bench installations — orders with
their sample, verified test and 20 results flagged against the range each keeps, entered and
verified by two different technicians, long trends for some patients, and received samples
whose results the real services then enter. Runs on SQLite and, with DATABASE_URL, on
PostgreSQL (there through COPY, with the indexes dropped and rebuilt)."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.lab import ranges, results
from clinicflow.lab.models import LabOrder, OrderedTest, Result, TestStatus

pytestmark = pytest.mark.django_db

RESULTS = 2000  # 100 orders of 20 results


def generate(**options: object) -> str:
    out = StringIO()
    arguments = {
        "clinic": "KTM",
        "results": RESULTS,
        "years": 1,
        "history_patients": 2,
        "history_years": 2,
        "worklist": 5,
        "technicians": 4,
        "seed": 1,
        "force": True,
        **options,
    }
    call_command("generate_lab", stdout=out, **arguments)
    return out.getvalue()


@pytest.fixture
def history(clinic):
    call_command("generate_patients", clinic="KTM", count=30, seed=5, force=True)
    return generate()


def test_orders_samples_tests_and_results_agree(clinic, history):
    assert f"Generated 105 lab orders with {RESULTS} results" in history
    verified = OrderedTest.objects.for_clinic(clinic).filter(status=TestStatus.VERIFIED)
    assert verified.count() == RESULTS // 20
    rows = Result.objects.for_clinic(clinic)
    assert rows.count() == RESULTS
    assert not rows.exclude(patient=F("ordered_test__order__patient")).exists()
    assert not rows.exclude(collected_at=F("ordered_test__sample__collected_at")).exists()
    assert not rows.filter(verified_by=F("entered_by")).exists()
    for row in rows.select_related("parameter")[:200]:
        assert row.flag == ranges.flag(row.value, ranges.AppliedRange.from_dict(row.applied_range))
    flags = Counter(rows.values_list("flag", flat=True))
    assert flags[""] > RESULTS / 2
    assert flags["H"] + flags["L"] > 0


def test_history_patients_have_a_long_monthly_trend(clinic, history):
    per_patient = Counter(LabOrder.objects.for_clinic(clinic).values_list("patient_id", flat=True))
    assert max(per_patient.values()) >= 24


def test_the_worklist_is_entered_and_verified_by_the_services(clinic, history):
    waiting = OrderedTest.objects.for_clinic(clinic).filter(status=TestStatus.RECEIVED)
    assert waiting.count() == 5
    ordered = waiting.first()
    technicians = list(User.objects.filter(username__startswith="benchlab").order_by("username"))
    values = {
        str(p.pk): str(p.ranges.get().low)
        for p in ordered.test.parameters.prefetch_related("ranges")
    }
    results.enter(actor=actor_for(technicians[0]), ordered_test=ordered, values=values)
    results.verify(actor=actor_for(technicians[1]), ordered_test=ordered)
    assert OrderedTest.objects.get(pk=ordered.pk).status == TestStatus.VERIFIED


def test_a_second_run_adds_to_the_history_without_clashing_numbers(clinic, history):
    generate(results=200, worklist=0, history_patients=0, seed=2)
    numbers = LabOrder.objects.for_clinic(clinic).values_list("number", flat=True)
    assert len(set(numbers)) == len(numbers) == 115


def test_it_refuses_an_unknown_clinic_and_too_few_technicians(clinic):
    with pytest.raises(CommandError):
        generate(clinic="NOPE")
    with pytest.raises(CommandError):
        generate(technicians=2)
