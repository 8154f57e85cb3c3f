"""Generate a clinic's billing history, fast: demo and benchmark data only.

    manage.py generate_billing --clinic KTM --invoices 1000000 [--days 365] [--cashiers 20] \\
        [--seed 1] --force

Over the last ``--days`` days (ending now), for the clinic's active patients (e.g. from
``generate_patients``):

- a **price list** of services charged at the counter (``GEN-…`` items, VAT-exempt, whole
  rupees, priced on the clinic's default list since before the history starts);
- **charges** of those services (source ``manual``), each billed on one **invoice line**;
- **issued invoices** of 1 to 4 lines, numbered without gaps in each fiscal year in the order
  they were issued (``KTM-INV-2082/83-000123``), each with its ``invoiced`` ledger row;
- about 1.5 **payments** an invoice: most invoices are paid at once, some in two or three
  parts days apart, some not yet or only in part (a part falling after now is left unpaid);
  about a third are split cash + QR, the others in cash, by card or QR; each with its
  receipt number (gap-free per fiscal year, in the order generated), **tenders** and one
  ``paid`` ledger row per tender, so that every invoice's ledger sums to its ``paid`` and
  nothing is ever paid beyond what is due;
- **cashiers** ``benchcashier01``… (the demo's password) working eight-hour **shifts**, three
  at a time; each shift closed with its cash counted note by note (counted = expected: the
  float plus the shift's cash rows) and signed off by a manager of the clinic; none is left
  open, so a cashier can open one;
- the **number series** (invoices, receipts) of every fiscal year touched, at their last
  number, so the next invoice issued by the real service follows without a gap.

No credit notes, discounts, payers' parts, deposits or refunds.

Rows are bulk-written (``COPY`` on PostgreSQL, ``bulk_create`` elsewhere) in one transaction,
bypassing the services' checks and the **per-row audit trail** (one summary audit event
instead). On PostgreSQL, the indexes that back no constraint are dropped for the load and
built again after it, and a superuser's load skips the triggers (foreign-key checks, the
issued-invoice guards: the rows are made consistent by construction; the check constraints
still apply). For demo and benchmark installations only: refuses to run with DEBUG off unless
given ``--force``.
"""

from __future__ import annotations

import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import ceil
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from clinicflow.accounts.demo import DEMO_PASSWORD
from clinicflow.accounts.models import Membership, User
from clinicflow.billing import prices
from clinicflow.billing.models import (
    Charge,
    ChargeStatus,
    Entry,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    ItemKind,
    LedgerEntry,
    Method,
    NumberSeries,
    Payment,
    PaymentPurpose,
    Price,
    PriceItem,
    Shift,
    ShiftStatus,
    Tender,
    verification_token,
)
from clinicflow.billing.numbers import Series
from clinicflow.billing.sources import MANUAL
from clinicflow.core.audit.context import audit_context
from clinicflow.core.audit.recorder import record
from clinicflow.core.bsdates import fiscal_year
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
from clinicflow.patients.models import Patient

#: Services charged at the counter: code, name, kind, department, price (whole rupees).
SERVICES = (
    ("GEN-REG", "Registration card", ItemKind.REGISTRATION, "Front desk", 100),
    ("GEN-OPD", "OPD consultation", ItemKind.CONSULTATION, "OPD", 500),
    ("GEN-SPC", "Specialist consultation", ItemKind.CONSULTATION, "OPD", 1000),
    ("GEN-FUP", "Follow-up visit", ItemKind.FOLLOW_UP, "OPD", 300),
    ("GEN-DRS", "Dressing (small)", ItemKind.PROCEDURE, "Procedure room", 150),
    ("GEN-DRL", "Dressing (large)", ItemKind.PROCEDURE, "Procedure room", 350),
    ("GEN-INJ", "Injection charge", ItemKind.PROCEDURE, "Procedure room", 50),
    ("GEN-NEB", "Nebulisation", ItemKind.PROCEDURE, "Procedure room", 200),
    ("GEN-ECG", "ECG", ItemKind.PROCEDURE, "Cardiology", 400),
    ("GEN-SUT", "Suturing", ItemKind.PROCEDURE, "Emergency", 1200),
    ("GEN-PLA", "Plaster cast", ItemKind.PROCEDURE, "Orthopaedics", 2500),
    ("GEN-IVC", "IV cannulation", ItemKind.PROCEDURE, "Emergency", 250),
    ("GEN-CER", "Medical certificate", ItemKind.OTHER, "Front desk", 300),
    ("GEN-AMB", "Ambulance (in town)", ItemKind.OTHER, "Transport", 1500),
    ("GEN-BED", "Observation bed (per hour)", ItemKind.OTHER, "Emergency", 200),
    ("GEN-USG", "Ultrasound (abdomen)", ItemKind.PROCEDURE, "Radiology", 1800),
    ("GEN-XRY", "X-ray (one view)", ItemKind.PROCEDURE, "Radiology", 600),
    ("GEN-DEN", "Dental scaling", ItemKind.PROCEDURE, "Dental", 1500),
    ("GEN-PHY", "Physiotherapy session", ItemKind.PROCEDURE, "Physiotherapy", 700),
    ("GEN-EMG", "Emergency fee", ItemKind.OTHER, "Emergency", 800),
)
#: Lines an invoice has, and how often.
LINES = ((1, 2, 3, 4), (45, 35, 15, 5))
#: Payments an invoice gets, and how often (mean about 1.6, less the parts after now).
PAYMENTS = ((0, 1, 2, 3), (8, 42, 32, 18))
SPLIT_SHARE = 0.35
SINGLE_METHODS = ((Method.CASH, Method.CARD, Method.QR), (65, 15, 20))
SHIFT_HOURS = 8
CASHIERS_AT_ONCE = 3
OPENING_FLOAT = 2000
CASHIER_PREFIX = "benchcashier"
CHUNK = 50_000
#: Notes and coins, largest first (the clinic's own are read; these when it has none).
DENOMINATIONS = (1000, 500, 100, 50, 20, 10, 5, 2, 1)


def cashier_username(number: int) -> str:
    """``benchcashier01``, ``benchcashier02``, … (the bench signs in as these)."""
    return f"{CASHIER_PREFIX}{number:02d}"


CHARGE = (
    "id", "clinic_id", "patient_id", "source_kind", "source_id", "item_id", "description",
    "department", "quantity", "unit_price", "amount", "status", "charged_by_id", "charged_at",
)  # fmt: skip
LINE = ("clinic_id", "invoice_id", "charge_id", "description", "quantity", "unit_price", "gross",
        "tax_category", "total")  # fmt: skip
INVOICE = (
    "id", "clinic_id", "kind", "patient_id", "status", "number", "fiscal_year", "sequence",
    "subtotal", "total", "paid", "created_by_id", "created_at", "issued_by_id", "issued_at",
    "verify_token",
)  # fmt: skip
PAYMENT = ("id", "clinic_id", "patient_id", "purpose", "invoice_id", "number", "amount",
           "shift_id", "received_by_id", "received_at", "verify_token")  # fmt: skip
TENDER = ("clinic_id", "payment_id", "method", "amount", "reference")
LEDGER = ("clinic_id", "patient_id", "kind", "invoice_id", "payment_id", "method", "shift_id",
          "owed", "cash", "by_id", "at")  # fmt: skip
SHIFT = (
    "id", "clinic_id", "cashier_id", "status", "opening_float", "opened_at", "closed_at",
    "counted", "counted_cash", "expected_cash", "signed_off_by_id", "signed_off_at",
)  # fmt: skip

#: The tables the load writes most of (indexes rebuilt, statistics refreshed after it).
BULK_TABLES: tuple[type[Model], ...] = (Charge, InvoiceLine, Invoice, Payment, Tender, LedgerEntry)
TIDIED: tuple[type[Model], ...] = (*BULK_TABLES, Shift)


def count_notes(amount: int, denominations: tuple[int, ...]) -> dict[str, int]:
    """``amount`` in the fewest notes and coins, as a closing count records it."""
    pieces = {}
    for value in denominations:
        many, amount = divmod(amount, value)
        if many:
            pieces[str(value)] = many
    if amount:
        raise CommandError(f"{amount} cannot be counted in {denominations}")
    return pieces


@dataclass
class Rows:
    """One chunk's rows, table by table."""

    charges: list[tuple[Any, ...]]
    lines: list[tuple[Any, ...]]
    invoices: list[tuple[Any, ...]]
    payments: list[tuple[Any, ...]]
    tenders: list[tuple[Any, ...]]
    ledger: list[tuple[Any, ...]]


class BillingFaker:
    """The rows of a clinic's billing history, chunk after chunk in time order; the same seed
    gives the same history (ids depend on what the tables held)."""

    def __init__(
        self,
        *,
        clinic: Clinic,
        now: datetime,
        days: int,
        seed: int | None,
        patients: list[Any],
        items: list[tuple[int, str, str, int]],
        cashiers: list[Any],
        rule: str,
        keys: dict[str, int],
    ):
        self.rng = random.Random(seed)  # noqa: S311  (fake data, reproducible; no secrets)
        self.clinic = clinic
        self.now = now
        self.start = now - timedelta(days=days)
        self.span_s = days * 86400.0
        self.patients = patients
        self.items = items
        self.cashiers = cashiers
        self.rule = rule
        self.keys = dict(keys)
        self.years: dict[date, str] = {}
        # Numbers carry on from those the clinic has given already (the demo's bills).
        self.last: dict[tuple[str, str], int] = defaultdict(int)
        given = NumberSeries.objects.for_clinic(clinic).values_list("series", "fiscal_year", "last")
        self.last.update({(series, year): last for series, year, last in given})
        self.shift_cash: dict[int, int] = defaultdict(int)
        self.slots = ceil(self.span_s / (SHIFT_HOURS * 3600))
        self.first_shift = keys["shift"]

    # -------------------------------------------------------------- time, numbers, shifts

    def _year(self, at: datetime) -> str:
        day = timezone.localtime(at, self.clinic.zone).date()
        label = self.years.get(day)
        if label is None:
            label = self.years[day] = fiscal_year(day, self.rule).label
        return label

    def number(self, series: str, at: datetime) -> tuple[str, str, int]:
        year = self._year(at)
        self.last[(series, year)] += 1
        sequence = self.last[(series, year)]
        return f"{self.clinic.code}-{series}-{year}-{sequence:06d}", year, sequence

    def _slot(self, at: datetime) -> int:
        return min(int((at - self.start).total_seconds() // (SHIFT_HOURS * 3600)), self.slots - 1)

    def shift_at(self, at: datetime) -> tuple[int, Any]:
        """A shift open at ``at`` (one of the slot's cashiers at random): its id, its cashier."""
        slot, desk = self._slot(at), self.rng.randrange(self._at_once())
        return self.first_shift + slot * self._at_once() + desk, self._cashier(slot, desk)

    def _at_once(self) -> int:
        return min(CASHIERS_AT_ONCE, len(self.cashiers))

    def _cashier(self, slot: int, desk: int) -> Any:
        return self.cashiers[(slot * self._at_once() + desk) % len(self.cashiers)]

    def shift_rows(self, manager: Any, denominations: tuple[int, ...]) -> list[tuple[Any, ...]]:
        """Every shift, closed and counted (counted = expected) and signed off when the clinic
        has a manager; after the last chunk (the cash is summed as payments are made)."""
        rows = []
        hours = timedelta(hours=SHIFT_HOURS)
        for slot in range(self.slots):
            opened = self.start + slot * hours
            closed = min(opened + hours, self.now)
            for desk in range(self._at_once()):
                pk = self.first_shift + slot * self._at_once() + desk
                expected = OPENING_FLOAT + self.shift_cash.get(pk, 0)
                rows.append(
                    (pk, self.clinic.pk, self._cashier(slot, desk),
                     ShiftStatus.SIGNED_OFF.value if manager else ShiftStatus.CLOSED.value,
                     OPENING_FLOAT, opened, closed, count_notes(expected, denominations),
                     expected, expected, manager, closed if manager else None)
                )  # fmt: skip
        return rows

    @property
    def shift_count(self) -> int:
        return self.slots * self._at_once()

    # -------------------------------------------------------------- invoices

    def _key(self, table: str) -> int:
        pk = self.keys[table]
        self.keys[table] = pk + 1
        return pk

    def chunk(self, first: int, count: int, total: int) -> Rows:
        """Invoices ``first`` … ``first + count - 1`` of ``total``, spread evenly in time
        (each chunk covers its share of the days, in issue order)."""
        rng = self.rng
        made = Rows([], [], [], [], [], [])
        begin = self.span_s * first / total
        width = self.span_s * count / total
        offsets = sorted(begin + rng.random() * width for _ in range(count))
        line_counts = rng.choices(LINES[0], LINES[1], k=count)
        payment_counts = rng.choices(PAYMENTS[0], PAYMENTS[1], k=count)
        clinic, manual = self.clinic.pk, MANUAL.key
        billed, issued, invoice_kind = (
            ChargeStatus.BILLED.value,
            InvoiceStatus.ISSUED.value,
            InvoiceKind.INVOICE.value,
        )
        for offset, lines, paying in zip(offsets, line_counts, payment_counts, strict=True):
            at = self.start + timedelta(seconds=offset)
            patient = rng.choice(self.patients)
            _shift, cashier = self.shift_at(at)
            invoice = self._key("invoice")
            total_due = 0
            for item, name, department, price in rng.sample(self.items, lines):
                charge = self._key("charge")
                quantity = 2 if rng.random() < 0.1 else 1
                amount = price * quantity
                total_due += amount
                charged = at - timedelta(seconds=rng.randrange(60, 3600))
                made.charges.append(
                    (charge, clinic, patient, manual, f"gen{charge}", item, name, department,
                     quantity, price, amount, billed, cashier, charged)
                )  # fmt: skip
                made.lines.append(
                    (clinic, invoice, charge, name, quantity, price, amount, "exempt", amount)
                )
            number, year, sequence = self.number(Series.INVOICE, at)
            paid = self._payments(made, invoice, patient, at, total_due, paying)
            made.invoices.append(
                (invoice, clinic, invoice_kind, patient, issued, number, year, sequence,
                 total_due, total_due, paid, cashier, at - timedelta(seconds=30), cashier, at,
                 verification_token())
            )  # fmt: skip
            made.ledger.append(
                (clinic, patient, Entry.INVOICED.value, invoice, None, "", None, total_due, 0,
                 cashier, at)
            )  # fmt: skip
        return made

    def _parts(self, due: int, paying: int) -> list[int]:
        """``due`` in ``paying`` parts (whole rupees, each at least one)."""
        paying = min(paying, due)
        if paying <= 1:
            return [due] if paying else []
        cuts = sorted(self.rng.sample(range(1, due), paying - 1))
        return [b - a for a, b in zip([0, *cuts], [*cuts, due], strict=True)]

    def _payments(
        self, made: Rows, invoice: int, patient: Any, issued: datetime, due: int, paying: int
    ) -> int:
        """The invoice's payments (a part due after now is not made); returns what is paid."""
        rng = self.rng
        paid = 0
        at = issued
        for index, amount in enumerate(self._parts(due, paying)):
            at = at + (
                timedelta(seconds=rng.randrange(30, 900))
                if index == 0
                else timedelta(days=rng.uniform(1, 30))
            )
            if at >= self.now:
                break
            paid += amount
            shift, cashier = self.shift_at(at)
            payment = self._key("payment")
            number, _year, _sequence = self.number(Series.RECEIPT, at)
            made.payments.append(
                (payment, self.clinic.pk, patient, PaymentPurpose.INVOICE.value, invoice, number,
                 amount, shift, cashier, at, verification_token())
            )  # fmt: skip
            if amount >= 2 and rng.random() < SPLIT_SHARE:
                cash = amount // 2
                tenders = [(Method.CASH.value, cash), (Method.QR.value, amount - cash)]
            else:
                single = rng.choices(SINGLE_METHODS[0], SINGLE_METHODS[1])[0]
                tenders = [(single.value, amount)]
            for method, part in tenders:
                reference = "" if method == Method.CASH else f"T{payment}{method[:1].upper()}"
                made.tenders.append((self.clinic.pk, payment, method, part, reference))
                made.ledger.append(
                    (self.clinic.pk, patient, Entry.PAID.value, invoice, payment, method, shift,
                     -part, part, cashier, at)
                )  # fmt: skip
                if method == Method.CASH:
                    self.shift_cash[shift] += part
        return paid


# ---------------------------------------------------------------- writing


def _cashiers(clinic: Clinic, count: int) -> list[User]:
    names = [cashier_username(n) for n in range(1, count + 1)]
    return _accounts(clinic, Role.CASHIER, names, make_password(DEMO_PASSWORD))


def _price_items(clinic: Clinic, since: date) -> list[tuple[int, str, str, int]]:
    """The counter's services (made when missing, without a per-row audit event), priced on
    the default list."""
    price_list = prices.default_list(clinic)
    existing = PriceItem.objects.for_clinic(clinic)
    have = set(existing.filter(code__in=[s[0] for s in SERVICES]).values_list("code", flat=True))
    made = PriceItem.objects.bulk_create(
        [
            PriceItem(clinic=clinic, code=code, name=name, kind=kind, department=department)
            for code, name, kind, department, _amount in SERVICES
            if code not in have
        ]
    )
    amounts = {code: amount for code, _name, _kind, _department, amount in SERVICES}
    Price.objects.bulk_create(
        [
            Price(
                clinic=clinic,
                price_list=price_list,
                item=item,
                amount=amounts[item.code],
                valid_from=since,
            )
            for item in made
        ]
    )
    by_code = {item.code: item.pk for item in existing.filter(code__in=list(amounts))}
    return [
        (by_code[code], name, department, amount)
        for code, name, _kind, department, amount in SERVICES
    ]


def _save_series(clinic: Clinic, last: dict[tuple[str, str], int]) -> None:
    for (series, year), sequence in last.items():
        row, _made = NumberSeries.objects.for_clinic(clinic).get_or_create(
            clinic=clinic, series=series, fiscal_year=year
        )
        if sequence > row.last:
            row.last = sequence
            row.save(update_fields=["last"])


class Command(BaseCommand):
    help = (
        "Generate a clinic's billing history, fast, for demo and benchmark data only: charges, "
        "issued invoices and their lines, payments (partial, split tender) with tenders, the "
        "ledger, cashiers' shifts and the number series, bulk-written (COPY on PostgreSQL), "
        "bypassing the services' checks and the per-row audit trail (one summary audit event "
        "instead). Refuses without DEBUG unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's code, e.g. KTM.")
        parser.add_argument("--invoices", type=int, default=1_000_000, help="Issued invoices.")
        parser.add_argument("--days", type=int, default=365, help="Days of history, to now.")
        parser.add_argument(
            "--cashiers", type=int, default=20, help="Accounts benchcashier01, 02, …"
        )
        parser.add_argument("--seed", type=int, default=None, help="For reproducible data.")
        add_force_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_without_debug(options, "billing history")
        if min(options["invoices"], options["days"], options["cashiers"]) < 1:
            raise CommandError("--invoices, --days and --cashiers must be at least 1.")
        clinic = Clinic.objects.filter(code=options["clinic"].upper()).first()
        if clinic is None:
            raise CommandError(f"No clinic with the code {options['clinic']!r}.")
        started = time.perf_counter()
        with audit_context(source="command:generate_billing", clinic_id=clinic.pk):
            made = self._generate(clinic, options, started)
        written = time.perf_counter() - started
        tidied = [tidy_table(model) for model in TIDIED]
        seconds = time.perf_counter() - started
        tidy = f", VACUUM ANALYZE {seconds - written:.1f} s" if any(tidied) else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {made['invoices']} invoices ({made['invoice_lines']} lines, "
                f"{made['charges']} charges), {made['payments']} payments "
                f"({made['tenders']} tenders), {made['ledger_rows']} ledger rows and "
                f"{made['shifts']} shifts of {len(made['cashiers'])} cashiers in {clinic.code} "
                f"in {seconds:.1f} s (written in {written:.1f} s{tidy})."
            )
        )

    def _progress(self, text: str) -> None:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    @transaction.atomic
    def _generate(self, clinic: Clinic, options: dict[str, Any], started: float) -> dict[str, Any]:
        wanted: int = options["invoices"]
        patients = list(
            Patient.objects.for_clinic(clinic).filter(is_active=True).values_list("pk", flat=True)
        )
        if not patients:
            raise CommandError(f"{clinic.code} has no active patients (generate_patients).")
        now = timezone.now()
        rules = prices.settings_of(clinic)
        denominations = tuple(int(d) for d in rules.denomination_values) or DENOMINATIONS
        if 1 not in denominations:
            denominations = DENOMINATIONS
        items = _price_items(clinic, timezone.localdate(now) - timedelta(days=options["days"] + 1))
        cashiers = [u.pk for u in _cashiers(clinic, options["cashiers"])]
        manager = (
            Membership.objects.filter(clinic=clinic, role=Role.MANAGER, is_active=True)
            .order_by("pk")
            .values_list("user_id", flat=True)
            .first()
        )
        keys = {
            "charge": next_key(Charge),
            "invoice": next_key(Invoice),
            "payment": next_key(Payment),
            "shift": next_key(Shift),
        }
        faker = BillingFaker(
            clinic=clinic, now=now, days=options["days"], seed=options["seed"],
            patients=patients, items=items, cashiers=cashiers,
            rule=rules.fiscal_year_rule, keys=keys,
        )  # fmt: skip
        counts = dict.fromkeys(("charges", "lines", "invoices", "payments", "tenders", "ledger"), 0)
        with bulk_load(BULK_TABLES):
            # Lines before their invoices (an issued invoice takes no new line); the shifts
            # last, with the cash their payments brought (foreign keys are checked at commit).
            for first in range(0, wanted, CHUNK):
                rows = faker.chunk(first, min(CHUNK, wanted - first), wanted)
                insert_rows(Charge, CHARGE, rows.charges)
                insert_rows(InvoiceLine, LINE, rows.lines)
                insert_rows(Invoice, INVOICE, rows.invoices)
                insert_rows(Payment, PAYMENT, rows.payments)
                insert_rows(Tender, TENDER, rows.tenders)
                insert_rows(LedgerEntry, LEDGER, rows.ledger)
                for name, made_rows in vars(rows).items():
                    counts[name] += len(made_rows)
                self._progress(
                    f"  {counts['invoices']}/{wanted} invoices, {counts['payments']} payments, "
                    f"{time.perf_counter() - started:.0f} s"
                )
            insert_rows(Shift, SHIFT, faker.shift_rows(manager, denominations))
            self._progress(f"  building indexes, {time.perf_counter() - started:.0f} s")
        for model in (Charge, Invoice, Payment, Shift):
            advance_sequence(model)
        _save_series(clinic, faker.last)
        made = {
            "invoices": counts["invoices"],
            "invoice_lines": counts["lines"],
            "charges": counts["charges"],
            "payments": counts["payments"],
            "tenders": counts["tenders"],
            "ledger_rows": counts["ledger"],
            "shifts": faker.shift_count,
            "cashiers": [cashier_username(n) for n in range(1, len(cashiers) + 1)],
            "days": options["days"],
        }
        record(
            AuditAction.CREATE,
            object_type="billing.invoice",
            object_repr=f"{made['invoices']} generated invoices, {made['payments']} payments",
            clinic_id=clinic.pk,
            changes=made,
        )
        return made
