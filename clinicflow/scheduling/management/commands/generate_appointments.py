"""Generate synthetic appointments for one clinic, fast: demo and benchmark data only.

    manage.py generate_appointments --clinic KTM --count 1000000 [--days 365] [--seed 7]

The appointments are laid out on the clinic's doctors' own slot grid (their weekly rules, minus
time off), **one appointment per slot at most**, so that no two active appointments of a doctor
overlap; patients (the clinic's existing active patients, e.g. from ``generate_patients``) are
assigned round-robin in time order, so that a patient never has two active appointments at
the same time. The database's exclusion constraints would refuse anything else.

- The future (``--future-days``, at most a quarter of ``--count``): about half of the slots
  booked (a few requested, some cancelled with a reason); the next two weeks of the
  ``--keep-free`` doctor (default ``doc002``) only a quarter, so that a benchmark can race for
  the rest.
- The past, walking back from now: nine slots in ten filled, mostly completed, some no-shows
  and cancellations. ``--days`` is the least span covered; when ``--count`` needs more slots
  than the doctors have in it (the demo clinic's four doctors have about 24,000 slots a year),
  the history simply goes back further, one appointment per slot.

On PostgreSQL the rows are streamed with ``COPY`` (then ``VACUUM ANALYZE``), elsewhere
inserted with ``bulk_create``; no per-row audit event or history row, one summary audit event
instead. This is for demo and benchmark installations only: it refuses to run with DEBUG off
unless given ``--force``.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import NOT_PROVIDED, Field
from django.utils import timezone

from clinicflow.core.audit.context import audit_context
from clinicflow.core.audit.recorder import record
from clinicflow.core.bulkdata import add_force_argument, refuse_without_debug, tidy_table
from clinicflow.core.models import AuditAction, Clinic
from clinicflow.patients.models import Patient
from clinicflow.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Practitioner,
)
from clinicflow.scheduling.slots import Slot, working_slots

#: Round-robin needs more patients than appointments can overlap at one time.
MIN_PATIENTS = 64
#: Slots are computed this many days at a time.
CHUNK_DAYS = 28
PAST_FILL = 0.9
FUTURE_FILL = 0.5
KEEP_FREE_FILL = 0.25
KEEP_FREE_DAYS = 14
REASONS = (
    "Follow-up",
    "Fever",
    "Check-up",
    "Cough and cold",
    "Blood pressure review",
    "Back pain",
    "Diabetes review",
    "Chest pain",
    "Vaccination",
    "Lab results",
    "",
    "",
)
CANCEL_REASONS = (
    "Patient asked to cancel",
    "Doctor unavailable",
    "Rescheduled by phone",
    "Patient unwell, will call back",
)

#: What the generator fills, in the order of its rows.
GENERATED = (
    "id",
    "patient",
    "practitioner",
    "starts_at",
    "ends_at",
    "kind",
    "reason",
    "status",
    "status_reason",
    "created_at",
)


def _columns() -> tuple[list[Field[Any, Any]], dict[str, Any]]:
    """The columns written (generated first, then constants) and those constant values; fails
    loudly when the model gained a required column that nothing here fills."""
    fields = {f.name: f for f in Appointment._meta.concrete_fields}
    written = [fields[name] for name in GENERATED]
    constants: dict[str, Any] = {}
    for field in fields.values():
        if field.name in GENERATED or field.name in ("clinic", "updated_at"):
            continue
        if field.db_default is not NOT_PROVIDED or field.null:
            continue
        default = field.get_default()
        if default is None:
            raise CommandError(f"generate_appointments does not know how to fill {field.name}")
        written.append(field)
        constants[field.name] = default
    written.append(fields["clinic"])
    if "updated_at" in fields:
        written.append(fields["updated_at"])
    return written, constants


class AppointmentFaker:
    """Rows (tuples in the order of :data:`GENERATED`) on the doctors' slot grid."""

    def __init__(
        self,
        *,
        doctors: list[Practitioner],
        patients: list[Any],
        busy: dict[int, list[tuple[datetime, datetime]]],
        keep_free: int | None,
        now: datetime,
        today: date,
        seed: int | None,
    ):
        self.rng = random.Random(seed)  # noqa: S311  (fake data, reproducible; no secrets)
        self.doctors = doctors
        self.patients = patients
        self.busy = busy
        self.keep_free = keep_free
        self.now = now
        self.today = today
        self.keep_free_until = now + timedelta(days=KEEP_FREE_DAYS)
        self.first_day = today
        self.last_day = today

    def _slots(self, first: date, last: date, *, reverse: bool) -> list[Slot]:
        found = [s for d in self.doctors for s in working_slots(d, first, last)]
        found.sort(key=lambda s: (s.starts_at, s.practitioner_id), reverse=reverse)
        return found

    def _taken(self, slot: Slot) -> bool:
        return any(
            slot.starts_at < end and start < slot.ends_at
            for start, end in self.busy.get(slot.practitioner_id, ())
        )

    def _extras(self) -> tuple[str, str]:
        rng = self.rng
        kind = AppointmentKind.VIDEO.value if rng.random() < 0.1 else AppointmentKind.IN_PERSON
        return kind, rng.choice(REASONS)

    def future(self, quota: int, days: int) -> Iterator[tuple[Any, ...]]:
        """Up to ``quota`` rows from now on, ``days`` ahead, in time order; the patients taken
        round-robin in that order, so no patient has two overlapping active appointments."""
        rng = self.rng
        made = 0
        first = self.today
        end = self.today + timedelta(days=days)
        while made < quota and first < end:
            last = min(first + timedelta(days=CHUNK_DAYS - 1), end - timedelta(days=1))
            for slot in self._slots(first, last, reverse=False):
                if made >= quota:
                    return
                if slot.starts_at < self.now or self._taken(slot):
                    continue
                fill = FUTURE_FILL
                if slot.practitioner_id == self.keep_free and slot.starts_at < self.keep_free_until:
                    fill = KEEP_FREE_FILL
                if rng.random() >= fill:
                    continue
                roll = rng.random()
                if roll < 0.08:
                    status, why = AppointmentStatus.CANCELLED.value, rng.choice(CANCEL_REASONS)
                elif roll < 0.12:
                    status, why = AppointmentStatus.REQUESTED.value, ""
                else:
                    status, why = AppointmentStatus.BOOKED.value, ""
                created = self.now - timedelta(minutes=rng.randrange(60 * 24 * 30))
                kind, reason = self._extras()
                patient = self.patients[made % len(self.patients)]
                yield (uuid.uuid4(), patient, slot.practitioner_id, slot.starts_at, slot.ends_at,
                       kind, reason, status, why, created)  # fmt: skip
                made += 1
                self.last_day = max(self.last_day, slot.starts_at.date())
            first = last + timedelta(days=1)

    def past(self, count: int, min_days: int) -> Iterator[tuple[Any, ...]]:
        """``count`` rows before now, walking back from now (further than ``min_days`` when
        the slots of that span do not suffice)."""
        rng = self.rng
        made = 0
        last = self.today
        idle_chunks = 0
        while made < count:
            first = last - timedelta(days=CHUNK_DAYS - 1)
            before = made
            for slot in self._slots(first, last, reverse=True):
                if made >= count:
                    break
                if slot.ends_at > self.now or rng.random() >= PAST_FILL:
                    continue
                roll = rng.random()
                if roll < 0.09:
                    status, why = AppointmentStatus.CANCELLED.value, rng.choice(CANCEL_REASONS)
                elif roll < 0.16:
                    status, why = AppointmentStatus.NO_SHOW.value, ""
                else:
                    status, why = AppointmentStatus.COMPLETED.value, ""
                created = slot.starts_at - timedelta(minutes=rng.randrange(30, 60 * 24 * 30))
                kind, reason = self._extras()
                patient = self.patients[(made * 7919) % len(self.patients)]
                yield (uuid.uuid4(), patient, slot.practitioner_id, slot.starts_at, slot.ends_at,
                       kind, reason, status, why, created)  # fmt: skip
                made += 1
            self.first_day = min(self.first_day, first)
            idle_chunks = idle_chunks + 1 if made == before else 0
            if idle_chunks > 52:  # two years without a single slot: the doctors have no hours
                raise CommandError("The clinic's doctors have no working hours to fill.")
            last = first - timedelta(days=1)
        self.first_day = min(self.first_day, self.today - timedelta(days=min_days))


def _copy(clinic: Clinic, rows: Iterator[tuple[Any, ...]], now: datetime, batch: int) -> None:
    """Stream the rows into PostgreSQL, one COPY per batch: the slots are computed with
    queries, which cannot run on the connection while a COPY is in progress."""
    written, constants = _columns()
    tail: tuple[Any, ...] = (*constants.values(), clinic.pk)
    if written[-1].name == "updated_at":
        tail = (*tail, now)
    quote = connection.ops.quote_name
    statement = "COPY {} ({}) FROM STDIN".format(
        quote(Appointment._meta.db_table), ", ".join(quote(str(f.column)) for f in written)
    )
    while chunk := list(islice(rows, batch)):
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in chunk:
                copy.write_row((*row, *tail))


def _bulk_create(clinic: Clinic, rows: Iterator[tuple[Any, ...]], batch: int) -> None:
    _, constants = _columns()
    names = [f"{name}_id" if name in ("patient", "practitioner") else name for name in GENERATED]
    pending: list[Appointment] = []
    for row in rows:
        pending.append(
            Appointment(clinic=clinic, **constants, **dict(zip(names, row, strict=True)))
        )
        if len(pending) >= batch:
            Appointment.objects.bulk_create(pending)
            pending = []
    if pending:
        Appointment.objects.bulk_create(pending)


class Command(BaseCommand):
    help = (
        "Generate synthetic appointments for one clinic's doctors and existing patients, fast, "
        "for demo and benchmark data only: one per slot of the doctors' grid, no overlaps, "
        "bulk-written (COPY on PostgreSQL), bypassing booking's checks and the per-row audit "
        "trail (one summary audit event instead). Refuses without DEBUG unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's code, e.g. KTM.")
        parser.add_argument("--count", type=int, required=True, help="How many appointments.")
        parser.add_argument(
            "--days", type=int, default=365, help="The least span covered (past and future)."
        )
        parser.add_argument(
            "--future-days", type=int, default=90, help="How far ahead appointments are booked."
        )
        parser.add_argument(
            "--keep-free",
            default="doc002",
            help="Username of the doctor whose next two weeks stay mostly free ('' for none).",
        )
        parser.add_argument("--seed", type=int, default=None, help="For reproducible data.")
        parser.add_argument("--batch", type=int, default=5_000, help="bulk_create batch size.")
        add_force_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_without_debug(options, "appointments")
        count: int = options["count"]
        if count < 1 or options["days"] < 1 or options["future_days"] < 0 or options["batch"] < 1:
            raise CommandError("--count, --days and --batch must be at least 1.")
        clinic = Clinic.objects.filter(code=options["clinic"].upper()).first()
        if clinic is None:
            raise CommandError(f"No clinic with the code {options['clinic']!r}.")

        started = time.perf_counter()
        with audit_context(source="command:generate_appointments", clinic_id=clinic.pk):
            summary = self._generate(clinic, count, options)
        written = time.perf_counter() - started
        tidied = tidy_table(Appointment)
        seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {count} appointments in {clinic.code} ({summary['past']} past, "
                f"{summary['future']} future, {summary['first_day']} … {summary['last_day']}) "
                f"in {seconds:.1f} s ({count / seconds:.0f} rows/s; written in {written:.1f} s"
                f"{tidied})."
            )
        )

    @transaction.atomic
    def _generate(self, clinic: Clinic, count: int, options: dict[str, Any]) -> dict[str, Any]:
        now = timezone.now()
        doctors = list(
            Practitioner.objects.for_clinic(clinic)
            .filter(is_active=True)
            .select_related("clinic", "user")
            .order_by("pk")
        )
        if not doctors:
            raise CommandError(f"{clinic.code} has no doctors taking appointments.")
        active = Appointment.objects.for_clinic(clinic).filter(
            status__in=ACTIVE_STATUSES, ends_at__gt=now
        )
        busy: dict[int, list[tuple[datetime, datetime]]] = {}
        for doctor_id, start, end in active.values_list("practitioner_id", "starts_at", "ends_at"):
            busy.setdefault(doctor_id, []).append((start, end))
        patients = list(
            Patient.objects.for_clinic(clinic)
            .filter(is_active=True)
            .exclude(pk__in=active.values("patient_id"))
            .order_by("mrn_seq")
            .values_list("pk", flat=True)
        )
        if len(patients) < MIN_PATIENTS:
            raise CommandError(
                f"{clinic.code} has {len(patients)} free active patients; at least "
                f"{MIN_PATIENTS} are needed (run generate_patients first)."
            )
        keep_free = next((d.pk for d in doctors if d.user.username == options["keep_free"]), None)
        faker = AppointmentFaker(
            doctors=doctors,
            patients=patients,
            busy=busy,
            keep_free=keep_free,
            now=now,
            today=timezone.localtime(now, clinic.zone).date(),
            seed=options["seed"],
        )
        tally = {"future": 0, "past": 0}

        def rows() -> Iterator[tuple[Any, ...]]:
            for row in faker.future(count // 4, options["future_days"]):
                tally["future"] += 1
                yield row
            past_days = max(options["days"] - options["future_days"], 1)
            for row in faker.past(count - tally["future"], past_days):
                tally["past"] += 1
                yield row

        if connection.vendor == "postgresql":
            _copy(clinic, rows(), now, options["batch"] * 10)
        else:
            _bulk_create(clinic, rows(), options["batch"])
        summary = {
            "generated": count,
            **tally,
            "first_day": faker.first_day.isoformat(),
            "last_day": faker.last_day.isoformat(),
            "doctors": len(doctors),
            "patients": len(patients),
        }
        record(
            AuditAction.CREATE,
            object_type="scheduling.appointment",
            object_repr=f"{count} generated appointments",
            clinic_id=clinic.pk,
            changes=summary,
        )
        return summary
