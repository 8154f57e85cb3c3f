"""Generate a clinic's laboratory history, fast: demo and benchmark data only.

    manage.py generate_lab --clinic KTM --results 5000000 [--years 3] [--history-patients 20]
        [--history-years 10] [--worklist 3000] [--technicians 10] [--seed 1] --force

For the clinic's active patients (e.g. from ``generate_patients``), on a generated test of
20 numeric parameters (``GEN-P20``, "Bench 20-parameter panel", made when missing with a
range and critical limits for each parameter):

- **orders**, each with its **sample** (collected, then received) and its **ordered test**,
  verified; and the test's 20 **results**, each flagged against its range and keeping it as
  its applied range, entered and verified by two different **technicians**
  (``benchlab01``…, the demo's password);
- ``--history-patients`` patients get one order a month for ``--history-years`` years (a
  long trend of each parameter); the other orders fall on random patients over ``--years``;
- ``--worklist`` more orders whose sample is received and whose results are still to be
  entered: the technicians' work for the entry benchmark.

Rows are bulk-written (``COPY`` on PostgreSQL, ``bulk_create`` elsewhere) in one transaction,
bypassing the services and the per-row audit trail (one summary audit event instead), with
the indexes that back no constraint built after the load. Order and accession numbers are
``G…``, apart from the services' own. Refuses to run with DEBUG off unless ``--force``.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from clinicflow.accounts.demo import DEMO_PASSWORD
from clinicflow.core.audit.context import audit_context
from clinicflow.core.audit.recorder import record
from clinicflow.core.bulkdata import (
    add_force_argument,
    advance_sequence,
    bulk_load,
    insert_rows,
    next_key,
    refuse_without_debug,
    tidy_table,
)
from clinicflow.core.models import AuditAction, Clinic
from clinicflow.core.roles import Role
from clinicflow.frontdesk.management.commands.generate_staff import _accounts
from clinicflow.lab import ranges
from clinicflow.lab.models import (
    LabOrder,
    LabSection,
    LabTest,
    OrderedTest,
    OrderSource,
    Parameter,
    ReferenceRange,
    Result,
    ResultStatus,
    Sample,
    SampleStatus,
    TestStatus,
)
from clinicflow.patients.models import Patient

TEST_CODE = "GEN-P20"
PARAMETERS = 20
#: Orders written per round (each with its sample, test and 20 results).
CHUNK = 10_000
ORDER = ("id", "clinic_id", "number", "patient_id", "source", "referrer", "urgency",
         "ordered_by_id", "ordered_at", "verify_token")  # fmt: skip
SAMPLE = ("id", "clinic_id", "order_id", "accession", "sample_type", "status", "collected_at",
          "collected_by_id", "recorded_at", "label_printed_at", "received_at",
          "received_by_id")  # fmt: skip
TEST = ("id", "clinic_id", "order_id", "test_id", "sample_id", "status", "resulted_at",
        "resulted_by_id", "verified_at", "verified_by_id")  # fmt: skip
RESULT = ("clinic_id", "ordered_test_id", "parameter_id", "patient_id", "collected_at", "value",
          "flag", "applied_range", "status", "entered_by_id", "entered_at", "verified_by_id",
          "verified_at")  # fmt: skip
TABLES = (LabOrder, Sample, OrderedTest, Result)


def technician_username(number: int) -> str:
    return f"benchlab{number:02d}"


@dataclass(frozen=True)
class Measured:
    """A generated parameter: its id, its range (the applied range every result keeps) and
    how its values spread."""

    pk: int
    limits: ranges.AppliedRange
    applied: dict[str, Any]
    mean: float
    spread: float
    places: int


@dataclass
class Rows:
    orders: list[tuple[Any, ...]] = field(default_factory=list)
    samples: list[tuple[Any, ...]] = field(default_factory=list)
    tests: list[tuple[Any, ...]] = field(default_factory=list)
    results: list[tuple[Any, ...]] = field(default_factory=list)


def _catalogue(clinic: Clinic) -> tuple[LabTest, list[Measured]]:
    """The generated 20-parameter test, made once (without a per-row audit event)."""
    section, _ = LabSection.objects.get_or_create(clinic=clinic, name="Bench")
    test, made = LabTest.objects.get_or_create(
        clinic=clinic,
        code=TEST_CODE,
        defaults={"name": "Bench 20-parameter panel", "section": section, "price": 1500},
    )
    if made:
        for n in range(1, PARAMETERS + 1):
            low, high = Decimal(10 * n), Decimal(10 * n + 20 + n)
            parameter = Parameter.objects.create(
                clinic=clinic, test=test, code=f"gen{n:02d}", name=f"Analyte {n:02d}",
                unit="mg/dL", unit_label="mg/dL", decimals=1, order=n,
                absolute_low=Decimal(0), absolute_high=high * 20, delta_percent=50,
            )  # fmt: skip
            ReferenceRange.objects.create(
                clinic=clinic, parameter=parameter, low=low, high=high,
                critical_low=low / 4, critical_high=high * 4,
            )  # fmt: skip
    measured = []
    for parameter in Parameter.objects.filter(test=test).prefetch_related("ranges"):
        limits = ranges.AppliedRange.of(parameter.ranges.all()[0])
        bottom, top = float(limits.low or 0), float(limits.high or 0)
        measured.append(
            Measured(
                parameter.pk, limits, limits.as_dict(), (bottom + top) / 2, (top - bottom) / 3,
                parameter.decimals,
            )
        )  # fmt: skip
    return test, measured


class LabFaker:
    def __init__(self, *, clinic: Clinic, test: LabTest, measured: list[Measured],
                 technicians: list[Any], seed: int | None, keys: dict[str, int]):  # fmt: skip
        self.clinic, self.test, self.measured = clinic.pk, test.pk, measured
        self.technicians = technicians
        self.rng = random.Random(seed)  # noqa: S311  (synthetic data)
        self.keys = keys
        self.count = 0

    def _key(self, table: str) -> int:
        key = self.keys[table]
        self.keys[table] += 1
        return key

    def value(self, parameter: Measured) -> tuple[Decimal, str]:
        roll = self.rng.random()
        # Mostly within range; about one in eight outside it, one in 500 critical.
        spread = parameter.spread * (6 if roll < 0.002 else 2 if roll < 0.12 else 0.7)
        raw = max(0.1, self.rng.gauss(parameter.mean, spread))
        value = Decimal(f"{raw:.{parameter.places}f}")
        return value, ranges.flag(value, parameter.limits)

    def order(self, rows: Rows, patient: Any, at: datetime, *, resulted: bool) -> None:
        self.count += 1
        order, sample, test = uuid.uuid4(), self._key("sample"), self._key("test")
        collector, entering, verifying = self.rng.sample(self.technicians, 3)
        collected, received = at + timedelta(minutes=10), at + timedelta(minutes=40)
        entered, verified = at + timedelta(minutes=90), at + timedelta(minutes=120)
        number = f"{self.count:010d}"
        rows.orders.append((order, self.clinic, f"GO{number}", patient, OrderSource.DIRECT,
                            "Bench", "routine", collector, at, uuid.uuid4()))  # fmt: skip
        rows.samples.append((sample, self.clinic, order, f"GS{number}", "serum",
                             SampleStatus.RECEIVED, collected, collector, collected, collected,
                             received, entering))  # fmt: skip
        if not resulted:
            rows.tests.append((test, self.clinic, order, self.test, sample, TestStatus.RECEIVED,
                               None, None, None, None))  # fmt: skip
            return
        rows.tests.append((test, self.clinic, order, self.test, sample, TestStatus.VERIFIED,
                           entered, entering, verified, verifying))  # fmt: skip
        for parameter in self.measured:
            value, flag = self.value(parameter)
            rows.results.append((self.clinic, test, parameter.pk, patient, collected, value, flag,
                                 parameter.applied, ResultStatus.VERIFIED, entering, entered,
                                 verifying, verified))  # fmt: skip


def _write(rows: Rows) -> None:
    insert_rows(LabOrder, ORDER, rows.orders)
    insert_rows(Sample, SAMPLE, rows.samples)
    insert_rows(OrderedTest, TEST, rows.tests)
    insert_rows(Result, RESULT, rows.results)


class Command(BaseCommand):
    help = (
        "Generate a clinic's laboratory history, fast, for demo and benchmark data only: "
        "orders with their samples, verified tests and 20 results each, long trends for some "
        "patients and received samples awaiting results, bulk-written (COPY on PostgreSQL), "
        "bypassing the services and the per-row audit trail. Refuses without DEBUG unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's code, e.g. KTM.")
        parser.add_argument("--results", type=int, default=5_000_000, help="Stored results.")
        parser.add_argument("--years", type=int, default=3, help="Years of history, to now.")
        parser.add_argument("--history-patients", type=int, default=20)
        parser.add_argument("--history-years", type=int, default=10)
        parser.add_argument("--worklist", type=int, default=3000, help="Tests to result.")
        parser.add_argument("--technicians", type=int, default=10, help="benchlab01, 02, …")
        parser.add_argument("--seed", type=int, default=None, help="For reproducible data.")
        add_force_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_without_debug(options, "laboratory history")
        if options["technicians"] < 3:
            raise CommandError("--technicians must be at least 3 (collect, enter, verify).")
        clinic = Clinic.objects.filter(code=options["clinic"].upper()).first()
        if clinic is None:
            raise CommandError(f"No clinic with the code {options['clinic']!r}.")
        started = time.perf_counter()
        with audit_context(source="command:generate_lab", clinic_id=clinic.pk):
            made = self._generate(clinic, options, started)
        written = time.perf_counter() - started
        for model in TABLES:
            tidy_table(model)
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {made['orders']} lab orders with {made['results']} results "
                f"({made['history_patients']} patients with {options['history_years']} years "
                f"of history) and {made['worklist']} tests to result in {clinic.code} in "
                f"{time.perf_counter() - started:.1f} s (written in {written:.1f} s)."
            )
        )

    def _progress(self, text: str) -> None:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    @transaction.atomic
    def _generate(self, clinic: Clinic, options: dict[str, Any], started: float) -> dict[str, Any]:
        patients = list(
            Patient.objects.for_clinic(clinic).filter(is_active=True).values_list("pk", flat=True)
        )
        if not patients:
            raise CommandError(f"{clinic.code} has no active patients (generate_patients).")
        test, measured = _catalogue(clinic)
        names = [technician_username(n) for n in range(1, options["technicians"] + 1)]
        technicians = [
            u.pk
            for u in _accounts(clinic, Role.LAB_TECHNICIAN, names, make_password(DEMO_PASSWORD))
        ]
        keys = {"sample": next_key(Sample), "test": next_key(OrderedTest)}
        faker = LabFaker(clinic=clinic, test=test, measured=measured, technicians=technicians,
                         seed=options["seed"], keys=keys)  # fmt: skip
        # Numbers go on after an earlier run's (``GO…``/``GS…``), never twice.
        earlier = LabOrder.objects.for_clinic(clinic).filter(number__startswith="GO").count()
        faker.count = earlier
        now = timezone.now()
        wanted = options["results"] // PARAMETERS
        history = patients[: options["history_patients"]]
        months = options["history_years"] * 12
        span = timedelta(days=365 * options["years"]).total_seconds()
        rows, results = Rows(), 0
        with bulk_load(TABLES):
            for index in range(wanted):
                if index < len(history) * months:
                    patient = history[index // months]
                    at = now - timedelta(days=30 * (months - index % months))
                else:
                    patient = faker.rng.choice(patients)
                    at = now - timedelta(seconds=faker.rng.random() * span) - timedelta(hours=3)
                faker.order(rows, patient, at, resulted=True)
                if len(rows.orders) >= CHUNK:
                    results += len(rows.results)
                    _write(rows)
                    rows = Rows()
                    self._progress(
                        f"  {results}/{wanted * PARAMETERS} results, "
                        f"{time.perf_counter() - started:.0f} s"
                    )
            for _ in range(options["worklist"]):
                at = now - timedelta(minutes=faker.rng.randint(50, 240))
                faker.order(rows, faker.rng.choice(patients), at, resulted=False)
            results += len(rows.results)
            _write(rows)
            self._progress(f"  building indexes, {time.perf_counter() - started:.0f} s")
        for model in (Sample, OrderedTest, Result):
            advance_sequence(model)
        made = {
            "orders": faker.count - earlier,
            "results": results,
            "history_patients": len(history),
            "worklist": options["worklist"],
            "technicians": names,
        }
        record(
            AuditAction.CREATE,
            object_type="lab.result",
            object_repr=f"{results} generated lab results",
            clinic_id=clinic.pk,
            changes=made,
        )
        return made
