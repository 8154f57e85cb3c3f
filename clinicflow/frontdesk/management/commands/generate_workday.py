"""Generate one clinic's day of work for the mixed-writers bench: demo and benchmark data only.

    manage.py generate_workday --clinic KTM --bookings 2000 --check-ins 2000 --vitals 2000 \\
        --signings 1000 --dispensings 2000 [--signers 20] [--prefix mx] \\
        [--manifest work.json] --force

For the staff of ``generate_staff`` (same ``--prefix``), each kind of work on patients of its
own, so that no writer refuses another's (one open visit per patient a day; one appointment
of a patient at a time):

- **bookings**: patients free from today on, for the receptionists to book into the doctors'
  free slots (nothing is written: the bench books them);
- **check-ins**: appointments booked with the doctors from an hour from now on, 5 minutes
  each, for the receptionists to check in (``confirm`` for those far from now);
- **vitals**: today's queue entries waiting for the nurse, with the day's next tokens;
- **signings**: draft consultations with a written note, of the first ``--signers`` doctors in
  turn, for them to sign;
- **dispensings**: issued, reviewed prescriptions nothing was dispensed from yet (from
  ``generate_stock``), newest first, whose every product has at least ``--min-stock`` usable
  units (3,000: none of the short-stocked hot medicines, so pharmacists are not refused).

Rows are bulk-written, bypassing the services' checks and the per-row audit trail (one summary
audit event instead). ``--manifest`` writes what was made, with ids, as JSON (the bench's work
list). Run again, it picks patients and prescriptions not used yet. Refuses to run with DEBUG
off unless given ``--force``.
"""

from __future__ import annotations

import json
import time as clock
from datetime import datetime, time, timedelta
from itertools import cycle
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from clinicflow.accounts.models import User
from clinicflow.clinical.models import Encounter, EncounterStatus, Prescription, PrescriptionStatus
from clinicflow.core.audit.context import audit_context
from clinicflow.core.audit.recorder import record
from clinicflow.core.bulkdata import add_force_argument, refuse_without_debug
from clinicflow.core.models import AuditAction, Clinic
from clinicflow.core.roles import Role
from clinicflow.frontdesk.management.commands.generate_staff import DEFAULT_PREFIX, STAFF_ROLES
from clinicflow.frontdesk.models import Priority, QueueEntry, QueueStatus, TokenCounter
from clinicflow.frontdesk.services import today
from clinicflow.patients.models import Patient
from clinicflow.pharmacy.models import Dispense, Review, StockBatch
from clinicflow.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Practitioner,
)

APPOINTMENT_MINUTES = 5
#: Units a product must have for its prescriptions to be work: more than generate_stock's hot
#: medicines ever hold (at most 3,000), which run out under the dispensing bench.
MIN_STOCK = 3000
#: Check-in appointments start this long from now: never "no-show" while the bench runs.
CHECK_IN_LEAD = timedelta(hours=1)
NOTE = {
    "subjective": "Cough and mild fever for three days.",
    "objective": "Chest clear, temperature 37.8.",
    "assessment": "Viral upper respiratory infection.",
    "plan": "Fluids, rest; review if not better in five days.",
}


def _staff(clinic: Clinic, prefix: str, role: Role) -> list[User]:
    return list(
        User.objects.filter(
            username__startswith=f"{prefix}{STAFF_ROLES[role]}",
            memberships__clinic=clinic,
            memberships__role=role,
            memberships__is_active=True,
        ).order_by("username")
    )


def free_patients(clinic: Clinic, count: int) -> list[Patient]:
    """Active patients with nothing today or ahead: no queue entry today, no active
    appointment ending after today began, no consultation being written; oldest record first."""
    day = today(clinic)
    day_start = timezone.make_aware(datetime.combine(day, time()), clinic.zone)
    busy_queue = QueueEntry.objects.filter(patient=OuterRef("pk"), day=day)
    busy_booked = Appointment.objects.filter(
        patient=OuterRef("pk"), status__in=ACTIVE_STATUSES, ends_at__gt=day_start
    )
    busy_note = Encounter.objects.filter(patient=OuterRef("pk"), status=EncounterStatus.OPEN)
    return list(
        Patient.objects.for_clinic(clinic)
        .filter(is_active=True)
        .filter(~Exists(busy_queue), ~Exists(busy_booked), ~Exists(busy_note))
        .order_by("mrn_seq")[:count]
    )


def _tokens(clinic: Clinic, count: int) -> list[int]:
    """The day's next ``count`` tokens, taken from its counter as the front desk takes them."""
    day = today(clinic)
    TokenCounter.objects.for_clinic(clinic).get_or_create(clinic=clinic, day=day)
    counter = TokenCounter.objects.for_clinic(clinic).select_for_update().get(day=day)
    first = counter.last_token + 1
    counter.last_token += count
    counter.save(update_fields=["last_token"])
    return list(range(first, first + count))


def _appointment_starts(clinic: Clinic, doctors: list[Practitioner], count: int) -> list[Any]:
    """``count`` back-to-back starts, doctors in turn, each doctor after their last active
    appointment (so that a second run never overlaps the first)."""
    step = timedelta(minutes=APPOINTMENT_MINUTES)
    earliest = timezone.now().replace(second=0, microsecond=0) + CHECK_IN_LEAD
    nxt: dict[int, Any] = {}
    for doctor in doctors:
        last = (
            Appointment.objects.for_clinic(clinic)
            .filter(practitioner=doctor, status__in=ACTIVE_STATUSES, ends_at__gt=earliest)
            .order_by("-ends_at")
            .values_list("ends_at", flat=True)
            .first()
        )
        nxt[doctor.pk] = max(earliest, last) if last else earliest
    starts = []
    for _, doctor in zip(range(count), cycle(doctors), strict=False):
        starts.append((doctor, nxt[doctor.pk]))
        nxt[doctor.pk] += step
    return starts


def _usable_stock(clinic: Clinic) -> dict[tuple[str, str, str], Any]:
    """Usable units (on hand, not expired in the clinic's calendar) per product as a
    prescription names it: (generic name, strength, form), lower-cased."""
    rows = (
        StockBatch.objects.for_clinic(clinic)
        .filter(on_hand__gt=0, expiry_date__gt=today(clinic))
        .values_list("medicine__generic_name", "medicine__strength", "medicine__form")
        .annotate(units=Sum("on_hand"))
    )
    return {(n.lower(), s.lower(), f.lower()): units for n, s, f, units in rows}


def prescriptions_to_dispense(
    clinic: Clinic, count: int, min_stock: int = 0
) -> list[tuple[str, list[int]]]:
    """Issued, reviewed prescriptions nothing was dispensed from, newest first, with their
    active items; with ``min_stock``, only those whose every item's product has at least that
    many usable units (so that the pharmacists dispense instead of meeting an empty shelf)."""
    dispensed = Dispense.objects.filter(prescription=OuterRef("pk"))
    reviewed = Review.objects.filter(prescription=OuterRef("pk"))
    candidates = (
        Prescription.objects.for_clinic(clinic)
        .filter(status=PrescriptionStatus.ISSUED)
        .filter(Exists(reviewed), ~Exists(dispensed))
        .order_by("-issued_at", "-pk")
        .prefetch_related("items")
    )
    stock = _usable_stock(clinic) if min_stock else {}
    work: list[tuple[str, list[int]]] = []
    for prescription in candidates.iterator(chunk_size=1000):
        if len(work) >= count:
            break
        items = [i for i in prescription.items.all() if i.status == "active"]
        if not items:
            continue
        if min_stock and any(
            stock.get((i.medicine_name.lower(), i.strength.lower(), i.form.lower()), 0) < min_stock
            for i in items
        ):
            continue
        work.append((str(prescription.pk), sorted(i.pk for i in items)))
    return work


class Command(BaseCommand):
    help = (
        "Generate a day of work for the mixed-writers bench in one clinic (after "
        "generate_staff): patients to book, appointments to check in, queue entries waiting "
        "for vitals, draft consultations to sign, and the reviewed prescriptions to dispense; "
        "--manifest writes their ids as JSON. Refuses without DEBUG unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's code, e.g. KTM.")
        parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="generate_staff's prefix.")
        for kind, default in (
            ("bookings", 2000),
            ("check-ins", 2000),
            ("vitals", 2000),
            ("signings", 1000),
            ("dispensings", 2000),
        ):
            parser.add_argument(f"--{kind}", type=int, default=default, help=f"Work: {kind}.")
        parser.add_argument(
            "--signers", type=int, default=0, help="Doctors who sign (default: every one)."
        )
        parser.add_argument(
            "--min-stock",
            type=int,
            default=MIN_STOCK,
            help="Dispense only prescriptions whose every product has this many usable units.",
        )
        parser.add_argument("--manifest", type=Path, help="Write the work list here (JSON).")
        add_force_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_without_debug(options, "work")
        kinds = ("bookings", "check_ins", "vitals", "signings", "dispensings")
        if min(options[k] for k in kinds) < 0 or options["signers"] < 0:
            raise CommandError("Counts cannot be negative.")
        clinic = Clinic.objects.filter(code=options["clinic"].upper()).first()
        if clinic is None:
            raise CommandError(f"No clinic with the code {options['clinic']!r}.")
        started = clock.perf_counter()
        with audit_context(source="command:generate_workday", clinic_id=clinic.pk):
            manifest = self._generate(clinic, options)
        if options["manifest"]:
            options["manifest"].write_text(json.dumps(manifest))
        made = {k: len(manifest[k]) for k in ("check_ins", "vitals", "dispensings")}
        made["bookings"] = len(manifest["bookings"]["patients"])
        made["signings"] = sum(len(v) for v in manifest["signings"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated a workday in {clinic.code}: "
                + ", ".join(f"{n} {k.replace('_', '-')}" for k, n in made.items())
                + f" in {clock.perf_counter() - started:.1f} s."
            )
        )

    @transaction.atomic
    def _generate(self, clinic: Clinic, options: dict[str, Any]) -> dict[str, Any]:
        prefix = options["prefix"]
        staff = {role: _staff(clinic, prefix, role) for role in STAFF_ROLES}
        missing = [str(role) for role, users in staff.items() if not users]
        if missing:
            raise CommandError(
                f"No {', '.join(missing)} named {prefix}… in {clinic.code}: run generate_staff."
            )
        doctors = list(
            Practitioner.objects.for_clinic(clinic)
            .filter(user__in=staff[Role.DOCTOR], is_active=True)
            .select_related("user")
            .order_by("user__username")
        )
        if not doctors:
            raise CommandError("The generated doctors have no practitioner profile.")
        receptionist = staff[Role.RECEPTIONIST][0]
        wanted = {
            k: options[k] for k in ("bookings", "check_ins", "vitals", "signings", "dispensings")
        }
        needed = sum(v for k, v in wanted.items() if k != "dispensings")
        patients = free_patients(clinic, needed)
        if len(patients) < needed:
            raise CommandError(
                f"Only {len(patients)} free patients in {clinic.code}, {needed} needed "
                "(generate_patients)."
            )
        taken = iter(patients)

        def share(n: int) -> list[Patient]:
            return [next(taken) for _ in range(n)]

        booking = share(wanted["bookings"])
        checking_in = share(wanted["check_ins"])
        waiting = share(wanted["vitals"])
        signing = share(wanted["signings"])

        length = timedelta(minutes=APPOINTMENT_MINUTES)
        appointments = Appointment.objects.bulk_create(
            [
                Appointment(
                    clinic=clinic,
                    patient=patient,
                    practitioner=doctor,
                    starts_at=start,
                    ends_at=start + length,
                    reason="Bench workday visit",
                    status=AppointmentStatus.BOOKED,
                    booked_by=receptionist,
                )
                for patient, (doctor, start) in zip(
                    checking_in, _appointment_starts(clinic, doctors, len(checking_in)), strict=True
                )
            ]
        )
        now = timezone.now()
        day = today(clinic)
        entries = QueueEntry.objects.bulk_create(
            [
                QueueEntry(
                    clinic=clinic,
                    day=day,
                    token=token,
                    patient=patient,
                    practitioner=doctor,
                    priority=Priority.ROUTINE,
                    reason="Bench workday walk-in",
                    status=QueueStatus.WAITING,
                    queue_time=now,
                    checked_in_by=receptionist,
                )
                for patient, token, doctor in zip(
                    waiting, _tokens(clinic, len(waiting)), cycle(doctors), strict=False
                )
            ]
        )
        signers = doctors[: options["signers"]] if options["signers"] else doctors
        encounters = Encounter.objects.bulk_create(
            [
                Encounter(clinic=clinic, patient=patient, practitioner=doctor, **NOTE)
                for patient, doctor in zip(signing, cycle(signers), strict=False)
            ]
        )
        by_signer: dict[str, list[str]] = {d.user.username: [] for d in signers}
        for encounter, doctor in zip(encounters, cycle(signers), strict=False):
            by_signer[doctor.user.username].append(str(encounter.pk))
        dispensing = prescriptions_to_dispense(clinic, wanted["dispensings"], options["min_stock"])
        manifest = {
            "clinic": clinic.code,
            "day": day.isoformat(),
            "staff": {
                STAFF_ROLES[role]: [u.username for u in users] for role, users in staff.items()
            },
            "doctors": {d.user.username: d.pk for d in doctors},
            "bookings": {"patients": [str(p.pk) for p in booking]},
            "check_ins": [str(a.pk) for a in appointments],
            "vitals": [str(e.pk) for e in entries],
            "signings": by_signer,
            "dispensings": dispensing,
        }
        record(
            AuditAction.CREATE,
            object_type="frontdesk.queueentry",
            object_repr=(
                f"generated workday: {len(appointments)} appointments, {len(entries)} queue "
                f"entries, {len(encounters)} draft consultations"
            ),
            clinic_id=clinic.pk,
            changes=dict(wanted),
        )
        return manifest
