"""Generate portal accounts with a long history, fast: demo and benchmark data only.

    manage.py generate_portal_history --clinic KTM [--patients 50] [--years 10] \\
        [--visits 200] [--results 1000] [--invoices 20] [--upcoming 2] [--seed 1] --force

For ``--patients`` active patients of the clinic that no account looks after yet (the first by
MRN, e.g. from ``generate_patients``), each gets a **portal account** of its own
(``benchportal01``…, the demo's password, the patient role at the clinic, linked as the
record's own, as self-registration links it) and, over the last ``--years`` years:

- ``--visits`` **signed consultations** with the clinic's doctors, each from a completed
  **appointment**, with one or two **diagnoses** (ICD-10), a set of **vital signs** taken
  before it, and, at about two visits in five, an issued **prescription** of one to three
  items;
- ``--results`` **released lab results** (verified): ``--results / 20`` orders of the lab's
  generated 20-parameter panel, spread over the years (``generate_lab``'s rows);
- about ``--invoices`` issued **invoices** with their payments, ledger rows and the cashiers'
  shifts (``generate_billing``'s rows, over the same years);
- ``--upcoming`` **booked appointments** in the next weeks, at times the doctor is free.

Rows are bulk-written (``COPY`` on PostgreSQL, ``bulk_create`` elsewhere) in one transaction,
bypassing the services' checks and the per-row audit trail (one summary audit event instead);
the same seed gives the same history. Refuses to run with DEBUG off unless ``--force``.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from clinicflow.accounts.demo import DEMO_PASSWORD
from clinicflow.billing import prices
from clinicflow.billing.management.commands import generate_billing as billing_gen
from clinicflow.billing.models import (
    Charge,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Payment,
    Shift,
    Tender,
)
from clinicflow.clinical.models import (
    Diagnosis,
    Encounter,
    EncounterStatus,
    Icd10Code,
    Prescription,
    PrescriptionItem,
    PrescriptionStatus,
    Route,
)
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
from clinicflow.frontdesk.models import Observation, ObservationStatus
from clinicflow.frontdesk.vitals import BY_KEY, Vital
from clinicflow.lab.management.commands import generate_lab as lab_gen
from clinicflow.lab.models import LabOrder, OrderedTest, Result, Sample
from clinicflow.patients.models import Patient
from clinicflow.pharmacy.management.commands.generate_stock import PER_DAY
from clinicflow.portal.models import ACTIVE, LinkedVia, PatientLink, Relationship
from clinicflow.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Practitioner,
)

ACCOUNT_PREFIX = "benchportal"
#: Common reasons for a visit to a general clinic (ICD-10), used where the list has them.
DIAGNOSES = ("J06.9", "I10", "E11.9", "K29.7", "M54.5", "J45.9", "N39.0", "R51", "A09",
             "L30.9", "E78.5", "J02.9", "K21.9", "B34.9", "R10.4", "H10.9")  # fmt: skip
REASONS = ("Follow-up", "Fever and cough", "Blood pressure check", "Sugar review",
           "Back pain", "Stomach ache", "Headache", "Skin rash", "Routine check-up")  # fmt: skip
#: What a prescription item may be: name, strength, form.
MEDICINES = (("Paracetamol", "500 mg", "tablet"), ("Amlodipine", "5 mg", "tablet"),
             ("Metformin", "500 mg", "tablet"), ("Omeprazole", "20 mg", "capsule"),
             ("Cetirizine", "10 mg", "tablet"), ("Amoxicillin", "500 mg", "capsule"),
             ("Losartan", "50 mg", "tablet"), ("Atorvastatin", "10 mg", "tablet"),
             ("Ibuprofen", "400 mg", "tablet"), ("Salbutamol", "4 mg", "tablet"))  # fmt: skip
#: The vital signs taken before a visit, with a usual value and its spread.
VITAL_SIGNS: tuple[tuple[Vital, float, float], ...] = (
    (BY_KEY["weight"], 64, 9),
    (BY_KEY["temperature"], 36.9, 0.5),
    (BY_KEY["pulse"], 80, 11),
    (BY_KEY["systolic"], 124, 14),
    (BY_KEY["diastolic"], 80, 9),
    (BY_KEY["spo2"], 97.5, 1.2),
)
PRESCRIBED_SHARE = 0.4
VISIT_MINUTES = 15

APPOINTMENT = ("id", "clinic_id", "patient_id", "practitioner_id", "starts_at", "ends_at",
               "kind", "reason", "status", "status_reason", "created_at")  # fmt: skip
ENCOUNTER = ("id", "clinic_id", "patient_id", "practitioner_id", "appointment_id",
             "subjective", "assessment", "plan", "status", "started_at", "signed_at",
             "signed_by_id")  # fmt: skip
DIAGNOSIS = ("clinic_id", "encounter_id", "code_id", "text", "rank", "recorded_at")
OBSERVATION = ("id", "clinic_id", "patient_id", "code", "name", "value", "unit", "flag",
               "status", "taken_at")  # fmt: skip
PRESCRIPTION = ("id", "clinic_id", "encounter_id", "patient_id", "prescriber_id", "status",
                "issued_at")  # fmt: skip
ITEM = ("clinic_id", "prescription_id", "medicine_name", "free_text", "strength", "form",
        "dose", "dose_unit", "route", "frequency", "duration_days", "quantity")  # fmt: skip

CLINICAL_TABLES: tuple[type[Model], ...] = (
    Appointment, Encounter, Diagnosis, Observation, Prescription, PrescriptionItem,
)  # fmt: skip
TABLES: tuple[type[Model], ...] = (
    *CLINICAL_TABLES, *lab_gen.TABLES, *billing_gen.BULK_TABLES, PatientLink,
)  # fmt: skip
TIDIED: tuple[type[Model], ...] = (*TABLES, Shift)


def account_username(number: int) -> str:
    """``benchportal01``, ``benchportal02``, … (the bench signs in as these)."""
    return f"{ACCOUNT_PREFIX}{number:02d}"


@dataclass(frozen=True)
class Doctor:
    pk: int
    user: int


@dataclass
class Clinical:
    """The visits' rows, table by table."""

    appointments: list[tuple[Any, ...]] = field(default_factory=list)
    encounters: list[tuple[Any, ...]] = field(default_factory=list)
    diagnoses: list[tuple[Any, ...]] = field(default_factory=list)
    observations: list[tuple[Any, ...]] = field(default_factory=list)
    prescriptions: list[tuple[Any, ...]] = field(default_factory=list)
    items: list[tuple[Any, ...]] = field(default_factory=list)


class VisitFaker:
    """One patient's visits after another, in time order; the same seed gives the same rows
    (the keys excepted)."""

    def __init__(self, *, clinic: Clinic, now: datetime, years: int, rng: random.Random,
                 doctors: list[Doctor], codes: dict[str, str]):  # fmt: skip
        self.clinic = clinic
        self.now = now
        self.span = timedelta(days=365 * years)
        self.rng = rng
        self.doctors = doctors
        self.codes = codes

    def moments(self, count: int) -> list[datetime]:
        """``count`` times spread evenly over the years (oldest first), each in the clinic's
        opening hours on its day, the last at least a day ago."""
        zone = self.clinic.zone
        step = self.span / max(count, 1)
        found = []
        for n in range(count):
            day = timezone.localtime(self.now - self.span + step * n, zone).date()
            minute = self.rng.randrange(9 * 60, 17 * 60, VISIT_MINUTES)
            at = datetime.combine(day, clock(minute // 60, minute % 60), tzinfo=zone)
            found.append(min(at, self.now - timedelta(days=1)))
        return found

    def _diagnoses(self, made: Clinical, encounter: uuid.UUID, at: datetime) -> None:
        rng = self.rng
        for rank in ("primary", "secondary")[: 1 if rng.random() < 0.7 else 2]:
            code = rng.choice(DIAGNOSES)
            title = self.codes.get(code)
            made.diagnoses.append(
                (self.clinic.pk, encounter, code if title else None, title or code, rank, at)
            )

    def _vitals(self, made: Clinical, patient: Any, at: datetime) -> None:
        for vital, mean, spread in VITAL_SIGNS:
            low, high = vital.possible
            raw = min(max(self.rng.gauss(mean, spread), float(low)), float(high))
            value = Decimal(f"{raw:.{vital.decimals}f}")
            made.observations.append(
                (uuid.uuid4(), self.clinic.pk, patient, vital.code, str(vital.label), value,
                 vital.unit, vital.flag(value), ObservationStatus.FINAL.value, at)
            )  # fmt: skip

    def _prescription(
        self, made: Clinical, patient: Any, encounter: uuid.UUID, doctor: Doctor, at: datetime
    ) -> None:
        rng = self.rng
        prescription = uuid.uuid4()
        made.prescriptions.append(
            (prescription, self.clinic.pk, encounter, patient, doctor.pk,
             PrescriptionStatus.ISSUED.value, at)
        )  # fmt: skip
        for name, strength, form in rng.sample(MEDICINES, rng.randint(1, 3)):
            frequency = rng.choice(tuple(PER_DAY))
            days = rng.choice((3, 5, 7, 10, 30))
            made.items.append(
                (self.clinic.pk, prescription, name, True, strength, form, Decimal(1), form,
                 Route.ORAL.value, frequency.value, days, Decimal(PER_DAY[frequency] * days))
            )  # fmt: skip

    def visits(self, patient: Any, count: int) -> Clinical:
        """The patient's ``count`` signed consultations, each from a completed appointment."""
        rng = self.rng
        made = Clinical()
        clinic = self.clinic.pk
        for at in self.moments(count):
            doctor = rng.choice(self.doctors)
            appointment, encounter = uuid.uuid4(), uuid.uuid4()
            reason = rng.choice(REASONS)
            ends = at + timedelta(minutes=VISIT_MINUTES)
            made.appointments.append(
                (appointment, clinic, patient, doctor.pk, at, ends, AppointmentKind.IN_PERSON.value,
                 reason, AppointmentStatus.COMPLETED.value, "",
                 at - timedelta(days=rng.randint(1, 14)))
            )  # fmt: skip
            signed = ends + timedelta(minutes=rng.randint(0, 20))
            made.encounters.append(
                (encounter, clinic, patient, doctor.pk, appointment, reason,
                 "Examined; findings as recorded.", "Advice given; review if not better.",
                 EncounterStatus.SIGNED.value, at, signed, doctor.user)
            )  # fmt: skip
            self._diagnoses(made, encounter, at)
            self._vitals(made, patient, at - timedelta(minutes=10))
            if rng.random() < PRESCRIBED_SHARE:
                self._prescription(made, patient, encounter, doctor, signed)
        return made


def upcoming_rows(
    *, clinic: Clinic, now: datetime, patients: list[Any], doctors: list[Doctor], per_patient: int
) -> list[tuple[Any, ...]]:
    """``per_patient`` booked appointments each, on days two weeks apart from tomorrow, at a
    time the doctor has nothing active (an earlier booking, another generated one)."""
    zone = clinic.zone
    today = timezone.localtime(now, zone).date()
    horizon = today + timedelta(days=15 * (per_patient + 1))
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for doctor, starts, ends in (
        Appointment.objects.for_clinic(clinic)
        .filter(status__in=ACTIVE_STATUSES, starts_at__gte=now - timedelta(days=1))
        .filter(starts_at__date__lte=horizon)
        .values_list("practitioner_id", "starts_at", "ends_at")
    ):
        busy.setdefault(doctor, []).append((starts, ends))
    rows = []
    step = timedelta(minutes=VISIT_MINUTES)
    for index, patient in enumerate(patients):
        for n in range(per_patient):
            doctor = doctors[(index + n) % len(doctors)]
            day = today + timedelta(days=1 + index % 14 + 15 * n)
            at = datetime.combine(day, clock(9), tzinfo=zone)
            taken = busy.setdefault(doctor.pk, [])
            while any(at < end and start < at + step for start, end in taken):
                at += step
            taken.append((at, at + step))
            rows.append(
                (uuid.uuid4(), clinic.pk, patient, doctor.pk, at, at + step,
                 AppointmentKind.IN_PERSON.value, "Follow-up", AppointmentStatus.BOOKED.value,
                 "", now - timedelta(days=3))
            )  # fmt: skip
    return rows


def _write_clinical(made: Clinical) -> None:
    insert_rows(Appointment, APPOINTMENT, made.appointments)
    insert_rows(Encounter, ENCOUNTER, made.encounters)
    insert_rows(Diagnosis, DIAGNOSIS, made.diagnoses)
    insert_rows(Observation, OBSERVATION, made.observations)
    insert_rows(Prescription, PRESCRIPTION, made.prescriptions)
    insert_rows(PrescriptionItem, ITEM, made.items)


class Command(BaseCommand):
    help = (
        "Generate portal accounts with years of history, fast, for demo and benchmark data "
        "only: each its own record's account, with signed visits (diagnoses, vitals, "
        "prescriptions), released lab results, bills and payments, and appointments past and "
        "coming, bulk-written (COPY on PostgreSQL), bypassing the services and the per-row "
        "audit trail. Refuses without DEBUG unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's code, e.g. KTM.")
        parser.add_argument("--patients", type=int, default=50, help="Portal accounts.")
        parser.add_argument("--years", type=int, default=10, help="Years of history, to now.")
        parser.add_argument("--visits", type=int, default=200, help="Visits per patient.")
        parser.add_argument(
            "--results", type=int, default=1000, help="Released lab results per patient."
        )
        parser.add_argument("--invoices", type=int, default=20, help="Invoices per patient.")
        parser.add_argument("--upcoming", type=int, default=2, help="Booked visits ahead.")
        parser.add_argument("--seed", type=int, default=None, help="For reproducible data.")
        add_force_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_without_debug(options, "portal history")
        if min(options["patients"], options["years"]) < 1:
            raise CommandError("--patients and --years must be at least 1.")
        if min(options["visits"], options["results"], options["invoices"], options["upcoming"]) < 0:
            raise CommandError("--visits, --results, --invoices and --upcoming cannot be negative.")
        if options["results"] % lab_gen.PARAMETERS:
            raise CommandError(f"--results must be a multiple of {lab_gen.PARAMETERS}.")
        clinic = Clinic.objects.filter(code=options["clinic"].upper()).first()
        if clinic is None:
            raise CommandError(f"No clinic with the code {options['clinic']!r}.")
        started = time.perf_counter()
        with audit_context(source="command:generate_portal_history", clinic_id=clinic.pk):
            made = self._generate(clinic, options)
        written = time.perf_counter() - started
        tidied = [tidy_table(model) for model in TIDIED]
        seconds = time.perf_counter() - started
        tidy = f", VACUUM ANALYZE {seconds - written:.1f} s" if any(tidied) else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {made['accounts']} portal accounts with {made['visits']} visits "
                f"({made['prescriptions']} prescriptions, {made['observations']} vital signs), "
                f"{made['lab_results']} lab results, {made['invoices']} invoices "
                f"({made['payments']} payments) and {made['upcoming']} coming appointments "
                f"in {clinic.code} in {seconds:.1f} s (written in {written:.1f} s{tidy})."
            )
        )

    @transaction.atomic
    def _generate(self, clinic: Clinic, options: dict[str, Any]) -> dict[str, Any]:
        count: int = options["patients"]
        names = [account_username(n) for n in range(1, count + 1)]
        if PatientLink.objects.for_clinic(clinic).filter(user__username__in=names).exists():
            raise CommandError("The bench's portal accounts already look after records here.")
        linked = PatientLink.objects.for_clinic(clinic).filter(ACTIVE).values("patient")
        patients = list(
            Patient.objects.for_clinic(clinic)
            .filter(is_active=True)
            .exclude(pk__in=linked)
            .order_by("mrn_seq")
            .values_list("pk", flat=True)[:count]
        )
        if len(patients) < count:
            raise CommandError(
                f"{clinic.code} has {len(patients)} active patients without a portal account; "
                f"{count} are needed (generate_patients)."
            )
        doctors = [
            Doctor(pk, user)
            for pk, user in Practitioner.objects.for_clinic(clinic)
            .filter(is_active=True)
            .order_by("pk")
            .values_list("pk", "user_id")
        ]
        if not doctors:
            raise CommandError(f"{clinic.code} has no active doctors.")
        now = timezone.now()
        rng = random.Random(options["seed"])  # noqa: S311  (synthetic data)
        password = make_password(DEMO_PASSWORD)
        accounts = [u.pk for u in _accounts(clinic, Role.PATIENT, names, password)]
        codes = dict(Icd10Code.objects.filter(code__in=DIAGNOSES).values_list("code", "title"))
        visits = VisitFaker(clinic=clinic, now=now, years=options["years"], rng=rng,
                            doctors=doctors, codes=codes)  # fmt: skip
        # The lab's generated panel and its rows, on these patients only.
        test, measured = lab_gen._catalogue(clinic)
        technicians = [
            u.pk
            for u in _accounts(
                clinic, Role.LAB_TECHNICIAN, [lab_gen.technician_username(n) for n in (1, 2, 3)],
                password,
            )
        ]  # fmt: skip
        lab = lab_gen.LabFaker(
            clinic=clinic, test=test, measured=measured, technicians=technicians,
            seed=options["seed"],
            keys={"sample": next_key(Sample), "test": next_key(OrderedTest)},
        )  # fmt: skip
        lab.count = LabOrder.objects.for_clinic(clinic).filter(number__startswith="GO").count()
        orders = options["results"] // lab_gen.PARAMETERS
        # Bills over the same years, shared among these patients.
        days = 365 * options["years"]
        rules = prices.settings_of(clinic)
        bills = billing_gen.BillingFaker(
            clinic=clinic, now=now, days=days, seed=options["seed"], patients=patients,
            items=billing_gen._price_items(clinic, timezone.localdate(now) - timedelta(days + 1)),
            cashiers=[u.pk for u in billing_gen._cashiers(clinic, 3)],
            rule=rules.fiscal_year_rule,
            keys={"charge": next_key(Charge), "invoice": next_key(Invoice),
                  "payment": next_key(Payment), "shift": next_key(Shift)},
        )  # fmt: skip
        counts = dict.fromkeys(("visits", "prescriptions", "observations", "lab_results"), 0)
        with bulk_load(TABLES):
            own, registered = Relationship.SELF.value, LinkedVia.REGISTRATION.value
            insert_rows(
                PatientLink,
                ("clinic_id", "user_id", "patient_id", "relationship", "linked_via", "linked_at"),
                [
                    (clinic.pk, user, patient, own, registered, now)
                    for user, patient in zip(accounts, patients, strict=True)
                ],
            )
            for patient in patients:
                made = visits.visits(patient, options["visits"])
                _write_clinical(made)
                counts["visits"] += len(made.encounters)
                counts["prescriptions"] += len(made.prescriptions)
                counts["observations"] += len(made.observations)
                rows = lab_gen.Rows()
                for at in visits.moments(orders):
                    lab.order(rows, patient, at, resulted=True)
                lab_gen._write(rows)
                counts["lab_results"] += len(rows.results)
            wanted = options["invoices"] * count
            billed = (
                bills.chunk(0, wanted, wanted)
                if wanted
                else billing_gen.Rows([], [], [], [], [], [])
            )
            insert_rows(Charge, billing_gen.CHARGE, billed.charges)
            insert_rows(InvoiceLine, billing_gen.LINE, billed.lines)
            insert_rows(Invoice, billing_gen.INVOICE, billed.invoices)
            insert_rows(Payment, billing_gen.PAYMENT, billed.payments)
            insert_rows(Tender, billing_gen.TENDER, billed.tenders)
            insert_rows(LedgerEntry, billing_gen.LEDGER, billed.ledger)
            if wanted:
                insert_rows(
                    Shift, billing_gen.SHIFT, bills.shift_rows(None, billing_gen.DENOMINATIONS)
                )
            upcoming = upcoming_rows(clinic=clinic, now=now, patients=patients, doctors=doctors,
                                     per_patient=options["upcoming"])  # fmt: skip
            insert_rows(Appointment, APPOINTMENT, upcoming)
        for model in (Sample, OrderedTest, Result, Charge, Invoice, Payment, Shift, PatientLink):
            advance_sequence(model)
        billing_gen._save_series(clinic, bills.last)
        made_all = {
            "accounts": count,
            "patients": [str(p) for p in patients],
            "usernames": names,
            "years": options["years"],
            **counts,
            "invoices": len(billed.invoices),
            "payments": len(billed.payments),
            "upcoming": len(upcoming),
        }
        record(
            AuditAction.CREATE,
            object_type="portal.patientlink",
            object_repr=f"{count} generated portal accounts with their history",
            clinic_id=clinic.pk,
            changes={k: v for k, v in made_all.items() if k != "patients"},
        )
        return made_all
