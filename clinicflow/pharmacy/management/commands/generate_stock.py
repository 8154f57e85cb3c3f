"""Generate a synthetic pharmacy for one clinic, fast: demo and benchmark data only.

    manage.py generate_stock --clinic KTM --medicines 5000 --batches 50000 \\
        --prescriptions 30000 --pharmacists 20 [--hot 50] [--seed 1] --force

- **Medicines**: generic names from a small vocabulary, in the forms and strengths usual for
  each form (``Amlodipine 5 mg tablet``, ``Cefixime 100 mg/5 ml suspension``); never one the
  clinic already stocks under the same name, strength and form.
- **Goods receipts** from a few suppliers over the last 18 months; their lines are the
  **batches**, expiring 3 to 30 months ahead, except about one in twenty (and one of every hot
  medicine) that has already expired and is still on the shelf: quarantined, never to be
  dispensed. Every batch has its one ``receive`` row in the ledger, so each batch's quantity
  is the sum of its ledger from the start.
- The ``--hot`` medicines (tablets and capsules) carry most of the prescriptions and little
  stock (40 to 3,000 units each, spread evenly on a log scale): under a dispensing load some
  run short however fast it goes, and pharmacists dispensing them wait for each other's batch
  locks. The others hold plenty.
- **Prescriptions**, issued at signed consultations of the clinic's doctors for its active
  patients (e.g. from ``generate_patients``), one or two items of 5 to 30 tablets or capsules
  named as the doctor writes them (generic name, strength, form), each already reviewed by a
  pharmacist, so that what is left to do is dispensing.
- **Pharmacists** ``benchpharm01``, ``benchpharm02``, … of the clinic, signing in with the
  demo's published password (hashed once for all).

Rows are bulk-inserted, bypassing the services' checks and the per-row audit trail (one
summary audit event instead). For demo and benchmark installations only: refuses to run with
DEBUG off unless given ``--force``.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from math import ceil
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from clinicflow.accounts.demo import DEMO_PASSWORD
from clinicflow.accounts.models import Membership, User
from clinicflow.clinical.models import (
    Encounter,
    EncounterStatus,
    Frequency,
    Prescription,
    PrescriptionItem,
    PrescriptionStatus,
    Route,
)
from clinicflow.core.audit.context import audit_context
from clinicflow.core.audit.recorder import record
from clinicflow.core.bulkdata import (
    add_force_argument,
    insert_rows,
    refuse_without_debug,
    tidy_table,
)
from clinicflow.core.models import AuditAction, Clinic
from clinicflow.core.roles import Role
from clinicflow.patients.models import Patient
from clinicflow.pharmacy.models import (
    GoodsReceipt,
    Medicine,
    MovementKind,
    Review,
    StockBatch,
    StockMovement,
)
from clinicflow.scheduling.models import Practitioner

# ---------------------------------------------------------------- the vocabulary

#: Generic name and class, one a line.
GENERICS = """
Aceclofenac:nsaid  Acyclovir:antiviral  Albendazole:anthelmintic  Alendronate:bisphosphonate
Allopurinol:xanthine oxidase inhibitor  Alprazolam:benzodiazepine  Amiodarone:antiarrhythmic
Amitriptyline:tricyclic antidepressant  Amlodipine:calcium channel blocker
Amoxicillin:penicillin  Ampicillin:penicillin  Atenolol:beta blocker  Atorvastatin:statin
Azithromycin:macrolide  Baclofen:muscle relaxant  Betahistine:antivertigo
Bisoprolol:beta blocker  Bromhexine:mucolytic  Budesonide:corticosteroid
Calcium carbonate:mineral  Captopril:ace inhibitor  Carbamazepine:anticonvulsant
Carbimazole:antithyroid  Carvedilol:beta blocker  Cefadroxil:cephalosporin
Cefalexin:cephalosporin  Cefixime:cephalosporin  Cefpodoxime:cephalosporin
Cefuroxime:cephalosporin  Cetirizine:antihistamine  Chlorpheniramine:antihistamine
Chlorthalidone:diuretic  Cilnidipine:calcium channel blocker  Ciprofloxacin:fluoroquinolone
Clarithromycin:macrolide  Clonazepam:benzodiazepine  Clopidogrel:antiplatelet
Colchicine:antigout  Dapagliflozin:sglt2 inhibitor  Deflazacort:corticosteroid
Dexamethasone:corticosteroid  Diazepam:benzodiazepine  Diclofenac:nsaid  Digoxin:cardiac glycoside
Domperidone:prokinetic  Doxycycline:tetracycline  Empagliflozin:sglt2 inhibitor
Enalapril:ace inhibitor  Escitalopram:ssri  Esomeprazole:proton pump inhibitor
Ethambutol:antituberculosis  Etoricoxib:nsaid  Famotidine:h2 blocker  Febuxostat:antigout
Fexofenadine:antihistamine  Finasteride:5-alpha reductase inhibitor  Fluconazole:antifungal
Flunarizine:calcium channel blocker  Fluoxetine:ssri  Folic acid:vitamin  Furosemide:diuretic
Gabapentin:anticonvulsant  Gliclazide:sulfonylurea  Glimepiride:sulfonylurea
Hydrochlorothiazide:diuretic  Hydroxychloroquine:antimalarial  Hydroxyzine:antihistamine
Ibuprofen:nsaid  Isoniazid:antituberculosis  Isosorbide mononitrate:nitrate
Itraconazole:antifungal  Ivermectin:anthelmintic  Ketorolac:nsaid  Labetalol:beta blocker
Lamotrigine:anticonvulsant  Lansoprazole:proton pump inhibitor  Levetiracetam:anticonvulsant
Levocetirizine:antihistamine  Levofloxacin:fluoroquinolone  Levothyroxine:thyroid hormone
Linezolid:oxazolidinone  Lisinopril:ace inhibitor  Loperamide:antidiarrhoeal
Loratadine:antihistamine  Losartan:angiotensin receptor blocker  Mebendazole:anthelmintic
Mefenamic acid:nsaid  Meloxicam:nsaid  Metformin:biguanide  Methyldopa:antihypertensive
Methylprednisolone:corticosteroid  Metoclopramide:antiemetic  Metoprolol:beta blocker
Metronidazole:nitroimidazole  Montelukast:leukotriene antagonist  Moxifloxacin:fluoroquinolone
Naproxen:nsaid  Nebivolol:beta blocker  Nifedipine:calcium channel blocker
Nitrofurantoin:urinary antibacterial  Norfloxacin:fluoroquinolone  Ofloxacin:fluoroquinolone
Olmesartan:angiotensin receptor blocker  Omeprazole:proton pump inhibitor  Ondansetron:antiemetic
Oseltamivir:antiviral  Pantoprazole:proton pump inhibitor  Paracetamol:analgesic
Phenytoin:anticonvulsant  Pioglitazone:thiazolidinedione  Piroxicam:nsaid  Prazosin:alpha blocker
Prednisolone:corticosteroid  Pregabalin:anticonvulsant  Primaquine:antimalarial
Propranolol:beta blocker  Quetiapine:antipsychotic  Rabeprazole:proton pump inhibitor
Ramipril:ace inhibitor  Ranolazine:antianginal  Rifampicin:antituberculosis
Risperidone:antipsychotic  Rosuvastatin:statin  Salbutamol:bronchodilator
Sertraline:ssri  Simvastatin:statin  Sitagliptin:dpp-4 inhibitor  Sodium valproate:anticonvulsant
Spironolactone:diuretic  Sucralfate:mucosal protectant  Tamsulosin:alpha blocker
Telmisartan:angiotensin receptor blocker  Terbinafine:antifungal  Theophylline:bronchodilator
Tinidazole:nitroimidazole  Tizanidine:muscle relaxant  Torsemide:diuretic  Tramadol:opioid analgesic
Tranexamic acid:antifibrinolytic  Trimetazidine:antianginal  Ursodeoxycholic acid:bile acid
Valsartan:angiotensin receptor blocker  Verapamil:calcium channel blocker
Vildagliptin:dpp-4 inhibitor  Warfarin:anticoagulant  Zinc sulfate:mineral  Zolpidem:hypnotic
"""


@dataclass(frozen=True)
class Form:
    name: str
    unit: str
    strengths: tuple[str, ...]
    price: tuple[float, float]  # sale price range per unit


TABLET_STRENGTHS = (
    "1 mg", "2 mg", "2.5 mg", "4 mg", "5 mg", "6.25 mg", "10 mg", "12.5 mg", "20 mg", "25 mg",
    "40 mg", "50 mg", "80 mg", "100 mg", "150 mg", "200 mg", "250 mg", "400 mg", "500 mg",
    "650 mg", "1 g",
)  # fmt: skip
CAPSULE_STRENGTHS = (
    "10 mg", "20 mg", "40 mg", "75 mg", "100 mg", "150 mg", "250 mg", "300 mg", "500 mg",
)  # fmt: skip
FORMS = (
    Form("tablet", "tablet", TABLET_STRENGTHS, (0.5, 25)),
    Form("capsule", "capsule", CAPSULE_STRENGTHS, (1, 40)),
    Form("SR tablet", "tablet", ("30 mg", "60 mg", "100 mg", "200 mg", "500 mg"), (2, 45)),
    Form("dispersible tablet", "tablet", ("125 mg", "250 mg"), (2, 20)),
    Form("syrup", "bottle", ("5 mg/5 ml", "125 mg/5 ml", "250 mg/5 ml"), (45, 250)),
    Form("suspension", "bottle", ("100 mg/5 ml", "200 mg/5 ml"), (60, 300)),
    Form("injection", "vial", ("10 mg/ml", "40 mg", "500 mg", "1 g"), (30, 900)),
    Form("cream", "tube", ("0.1%", "1%", "2%"), (60, 350)),
)

#: Medicines counted out in these units are the ones the generated prescriptions name.
COUNTED_UNITS = ("tablet", "capsule")
SUPPLIERS = (
    "Himal Pharma Distributors",
    "Everest Medical Suppliers",
    "Sagarmatha Drug House",
    "Bagmati Medicos",
    "Annapurna Pharmaceuticals Traders",
    "Lumbini Health Supplies",
)
INSTRUCTIONS = ("After food", "Before food", "", "", "With plenty of water", "")
#: Tablets or capsules a day for each frequency the generated items use.
PER_DAY = {Frequency.OD: 1, Frequency.BD: 2, Frequency.TDS: 3}

LINES_PER_RECEIPT = 20
RECEIPTS_SPAN_DAYS = 540
#: Batches expired before this many days ago came in receipts older than this.
OLD_RECEIPT_DAYS = 200
EXPIRED_SHARE = 0.05
#: Share of the prescribed items that name a hot medicine.
HOT_SHARE = 0.8
#: A hot medicine's usable units, drawn evenly on a log scale (about as many under 350 as over).
HOT_STOCK = (40, 3000)
#: Prescriptions wait in the queue for up to this long.
PENDING_MINUTES = 7 * 24 * 60
ITEM_QUANTITY = (5, 30)
PHARMACIST_PREFIX = "benchpharm"


def pharmacist_username(number: int) -> str:
    """``benchpharm01``, ``benchpharm02``, … (the bench signs in as these)."""
    return f"{PHARMACIST_PREFIX}{number:02d}"


@dataclass(frozen=True)
class Product:
    generic: str
    drug_class: str
    form: Form
    strength: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.generic.lower(), self.strength.lower(), self.form.name.lower())


def products() -> list[Product]:
    """Every generic name of the vocabulary in every form and strength."""
    pairs = [pair.split(":") for line in GENERICS.strip().splitlines() for pair in line.split("  ")]
    return [
        Product(name.strip(), drug_class.strip(), form, strength)
        for name, drug_class in pairs
        for form in FORMS
        for strength in form.strengths
    ]


# ---------------------------------------------------------------- the generator

#: The columns each table's rows fill, in the order of the faker's tuples.
MEDICINE = (
    "clinic_id", "generic_name", "form", "strength", "unit", "ingredients", "drug_class",
    "reorder_level", "sale_price",
)  # fmt: skip
RECEIPT = ("clinic_id", "supplier", "invoice_number", "invoice_date", "received_by_id",
           "received_at")  # fmt: skip
BATCH = (
    "clinic_id", "medicine_id", "batch_number", "expiry_date", "cost_price", "sale_price",
    "on_hand", "created_at",
)  # fmt: skip
MOVEMENT = ("clinic_id", "batch_id", "kind", "quantity", "balance_after", "receipt_id", "by_id",
            "at")  # fmt: skip
ENCOUNTER = (
    "id", "clinic_id", "patient_id", "practitioner_id", "plan", "status", "started_at",
    "signed_at", "signed_by_id",
)  # fmt: skip
PRESCRIPTION = ("id", "clinic_id", "encounter_id", "patient_id", "prescriber_id", "status",
                "issued_at")  # fmt: skip
ITEM = (
    "clinic_id", "prescription_id", "medicine_name", "free_text", "strength", "form", "dose",
    "dose_unit", "route", "frequency", "duration_days", "quantity", "instructions",
)  # fmt: skip
REVIEW = ("clinic_id", "prescription_id", "findings", "reviewed_by_id", "reviewed_at")


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


@dataclass(frozen=True)
class Stocked:
    """A generated medicine, once written."""

    pk: int
    product: Product
    sale_price: Decimal

    @property
    def counted(self) -> bool:
        return self.product.form.unit in COUNTED_UNITS


@dataclass(frozen=True)
class Receipt:
    pk: int
    received_at: datetime


@dataclass
class Prescribing:
    """The rows of the issued prescriptions, table by table."""

    encounters: list[tuple[Any, ...]]
    prescriptions: list[tuple[Any, ...]]
    items: list[tuple[Any, ...]]
    reviews: list[tuple[Any, ...]]


class PharmacyFaker:
    """Rows (tuples in the order of the column lists above) of one clinic's synthetic
    pharmacy; the same seed gives the same catalogue, stock and prescriptions (primary keys
    excepted)."""

    def __init__(self, *, clinic: Clinic, now: datetime, seed: int | None):
        self.rng = random.Random(seed)  # noqa: S311  (fake data, reproducible; no secrets)
        self.clinic = clinic.pk
        self.now = now
        self.today = timezone.localtime(now, clinic.zone).date()

    # -------------------------------------------------------------- catalogue

    def catalogue(self, count: int, taken: set[tuple[str, str, str]]) -> list[Product]:
        """``count`` products the clinic does not stock yet, in a seeded order."""
        candidates = products()
        self.rng.shuffle(candidates)
        fresh = [p for p in candidates if p.key not in taken]
        if len(fresh) < count:
            raise CommandError(
                f"The vocabulary makes {len(fresh)} medicines the clinic does not stock yet; "
                f"{count} were asked for."
            )
        return fresh[:count]

    def medicine_rows(self, chosen: Sequence[Product]) -> list[tuple[Any, ...]]:
        rng = self.rng
        return [
            (self.clinic, p.generic, p.form.name, p.strength, p.form.unit, p.generic.lower(),
             p.drug_class, rng.choice((10, 20, 50, 100, 200)), _money(rng.uniform(*p.form.price)))
            for p in chosen
        ]  # fmt: skip

    def hot(self, medicines: Sequence[Stocked], count: int) -> list[Stocked]:
        counted = [m for m in medicines if m.counted]
        return self.rng.sample(counted, min(count, len(counted)))

    # -------------------------------------------------------------- stock

    def receipt_rows(self, count: int, received_by: Any, first: int) -> list[tuple[Any, ...]]:
        """Deliveries spread evenly over the last 18 months, oldest first; invoices numbered
        from ``first``."""
        rows = []
        for n in range(count):
            days_ago = RECEIPTS_SPAN_DAYS - n * (RECEIPTS_SPAN_DAYS - 1) // max(count - 1, 1)
            received = self.now - _days(days_ago) - timedelta(minutes=self.rng.randrange(600))
            rows.append(
                (self.clinic, self.rng.choice(SUPPLIERS), f"GS-{first + n:07d}", received.date(),
                 received_by, received)
            )  # fmt: skip
        return rows

    def batch_counts(self, medicines: Sequence[Stocked], hot: set[int], total: int) -> list[int]:
        """Batches per medicine: three at least for a hot one (one expired, the rest to
        dispense), one for the others, the rest spread at random."""
        counts = [3 if m.pk in hot else 1 for m in medicines]
        if total < sum(counts):
            raise CommandError(
                f"{len(medicines)} medicines ({len(hot)} hot) need at least {sum(counts)} batches."
            )
        for _ in range(total - sum(counts)):
            counts[self.rng.randrange(len(counts))] += 1
        return counts

    def _quantities(self, expired: list[bool], is_hot: bool) -> list[int]:
        rng = self.rng
        valid = expired.count(False)
        if is_hot:
            # Little stock for much demand, spread over its batches.
            weights = [rng.uniform(0.5, 1.5) for _ in range(valid)]
            low, high = HOT_STOCK
            target = round(low * (high / low) ** rng.random())
            shares = iter([max(1, round(target * w / sum(weights))) for w in weights])
        else:
            shares = iter([rng.randrange(20, 101) * 5 for _ in range(valid)])
        return [rng.randrange(10, 201) if gone else next(shares) for gone in expired]

    def batch_rows(
        self,
        medicines: Sequence[Stocked],
        hot: set[int],
        counts: Sequence[int],
        receipts: Sequence[Receipt],
    ) -> tuple[list[tuple[Any, ...]], list[Receipt]]:
        """Each medicine's batches, and the receipt each came in. A hot medicine's first batch
        has expired: first-expiry-first-out would pick it, were it not quarantined."""
        rng = self.rng
        old = [r for r in receipts if r.received_at <= self.now - _days(OLD_RECEIPT_DAYS)]
        rows, came_in = [], []
        for medicine, count in zip(medicines, counts, strict=True):
            is_hot = medicine.pk in hot
            sure = 2 if is_hot else 1  # the first batches' state is set, not drawn
            expired = [
                (is_hot and j == 0) or (j >= sure and rng.random() < EXPIRED_SHARE)
                for j in range(count)
            ]
            cost = _money(float(medicine.sale_price) * rng.uniform(0.6, 0.8))
            prefix = medicine.product.generic[:3].upper()
            for j, (gone, quantity) in enumerate(
                zip(expired, self._quantities(expired, is_hot), strict=True)
            ):
                if gone:
                    receipt = rng.choice(old)
                    expiry = self.today - _days(rng.randint(1, OLD_RECEIPT_DAYS - 20))
                else:
                    receipt = rng.choice(receipts)
                    expiry = self.today + _days(rng.randint(92, 912))  # 3 to 30 months
                rows.append(
                    (self.clinic, medicine.pk, f"{prefix}{receipt.received_at:%y%m}-{j + 1:03d}",
                     expiry, cost, medicine.sale_price, Decimal(quantity), receipt.received_at)
                )  # fmt: skip
                came_in.append(receipt)
        return rows, came_in

    def movement_rows(
        self, batches: Sequence[tuple[Any, ...]], keys: Sequence[int], came_in: Sequence[Receipt],
        received_by: Any,
    ) -> list[tuple[Any, ...]]:  # fmt: skip
        """Each batch's ``receive`` row: the ledger sums to the batch's quantity."""
        quantity = BATCH.index("on_hand")
        return [
            (self.clinic, key, MovementKind.RECEIVE.value, row[quantity], row[quantity],
             receipt.pk, received_by, receipt.received_at)
            for row, key, receipt in zip(batches, keys, came_in, strict=True)
        ]  # fmt: skip

    # -------------------------------------------------------------- prescriptions

    def _item_medicines(self, hot: Sequence[Stocked], cold: Sequence[Stocked]) -> list[Stocked]:
        """One or two different medicines, most often hot ones."""
        rng = self.rng
        chosen: list[Stocked] = []
        for _ in range(1 if rng.random() < 0.55 else 2):
            medicine = rng.choice(hot if (rng.random() < HOT_SHARE or not cold) else cold)
            if medicine not in chosen:
                chosen.append(medicine)
        return chosen

    def _item(self, prescription: uuid.UUID, medicine: Stocked) -> tuple[Any, ...]:
        """5 to 30 tablets: one, two or three a day for as many days."""
        rng = self.rng
        frequency = rng.choice(tuple(PER_DAY))
        per_day = PER_DAY[frequency]
        low, high = ITEM_QUANTITY
        days = rng.randint(ceil(low / per_day), high // per_day)
        p = medicine.product
        return (self.clinic, prescription, p.generic, False, p.strength, p.form.name, Decimal(1),
                p.form.unit, Route.ORAL.value, frequency.value, days, Decimal(per_day * days),
                rng.choice(INSTRUCTIONS))  # fmt: skip

    def prescription_rows(
        self,
        count: int,
        *,
        doctors: Sequence[tuple[int, Any]],
        patients: Sequence[Any],
        hot: Sequence[Stocked],
        cold: Sequence[Stocked],
        pharmacists: Sequence[Any],
    ) -> Prescribing:
        """Issued prescriptions of signed consultations, oldest first, each reviewed by a
        pharmacist (in turn)."""
        rng = self.rng
        issued = sorted(
            self.now - timedelta(minutes=rng.randrange(PENDING_MINUTES)) for _ in range(count)
        )
        made = Prescribing([], [], [], [])
        signed, issued_status = EncounterStatus.SIGNED.value, PrescriptionStatus.ISSUED.value
        for n, at in enumerate(issued):
            doctor, doctor_user = rng.choice(doctors)
            patient = rng.choice(patients)
            encounter, prescription = uuid.uuid4(), uuid.uuid4()
            started = at - timedelta(minutes=rng.randint(5, 30))
            made.encounters.append(
                (encounter, self.clinic, patient, doctor, "Medicines as prescribed.", signed,
                 started, at, doctor_user)
            )  # fmt: skip
            made.prescriptions.append(
                (prescription, self.clinic, encounter, patient, doctor, issued_status, at)
            )
            made.items += [self._item(prescription, m) for m in self._item_medicines(hot, cold)]
            reviewed = at + timedelta(minutes=rng.randint(1, 20))
            made.reviews.append(
                (self.clinic, prescription, [], pharmacists[n % len(pharmacists)], reviewed)
            )
        return made


# ---------------------------------------------------------------- writing


def _pharmacists(clinic: Clinic, count: int) -> list[User]:
    """``benchpharm01``… as pharmacists of the clinic, created when missing, with the demo's
    password (hashed once: hashing is slow on purpose)."""
    names = [pharmacist_username(n) for n in range(1, count + 1)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    password = make_password(DEMO_PASSWORD)
    User.objects.bulk_create(
        [
            User(
                username=name,
                first_name="Bench",
                last_name=f"Pharmacist {name.removeprefix(PHARMACIST_PREFIX)}",
                job_title="Pharmacist",
                password=password,
            )
            for name in names
            if name not in existing
        ]
    )
    users = list(User.objects.filter(username__in=names).order_by("username"))
    memberships = Membership.objects.filter(clinic=clinic, role=Role.PHARMACIST, user__in=users)
    member = set(memberships.values_list("user_id", flat=True))
    Membership.objects.bulk_create(
        [
            Membership(user=u, clinic=clinic, role=Role.PHARMACIST)
            for u in users
            if u.pk not in member
        ]
    )
    memberships.filter(is_active=False).update(is_active=True)
    return users


#: The tables written, tidied after the load.
TABLES: tuple[type[Model], ...] = (
    Medicine, GoodsReceipt, StockBatch, StockMovement, Encounter, Prescription,
    PrescriptionItem, Review,
)  # fmt: skip


class Command(BaseCommand):
    help = (
        "Generate a synthetic pharmacy for one clinic, fast, for demo and benchmark data only: "
        "medicines, goods receipts, batches (some expired) with their ledger rows, reviewed "
        "prescriptions waiting to be dispensed and pharmacist accounts, bulk-written (COPY on "
        "PostgreSQL), bypassing the services' checks and the per-row audit trail (one summary "
        "audit event instead). Refuses without DEBUG unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's code, e.g. KTM.")
        parser.add_argument("--medicines", type=int, default=5_000, help="New medicines.")
        parser.add_argument("--batches", type=int, default=50_000, help="Batches over them.")
        parser.add_argument(
            "--prescriptions", type=int, default=30_000, help="Issued, reviewed prescriptions."
        )
        parser.add_argument(
            "--pharmacists", type=int, default=20, help="Accounts benchpharm01, benchpharm02, …"
        )
        parser.add_argument(
            "--hot", type=int, default=50, help="Medicines most prescriptions name (low stock)."
        )
        parser.add_argument("--seed", type=int, default=None, help="For reproducible data.")
        add_force_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_without_debug(options, "pharmacy stock")
        if min(options[k] for k in ("medicines", "batches", "pharmacists", "hot")) < 1:
            raise CommandError(
                "--medicines, --batches, --pharmacists and --hot must be at least 1."
            )
        if options["prescriptions"] < 0:
            raise CommandError("--prescriptions cannot be negative.")
        clinic = Clinic.objects.filter(code=options["clinic"].upper()).first()
        if clinic is None:
            raise CommandError(f"No clinic with the code {options['clinic']!r}.")

        started = time.perf_counter()
        with audit_context(source="command:generate_stock", clinic_id=clinic.pk):
            made = self._generate(clinic, options)
        written = time.perf_counter() - started
        tidied = [tidy_table(model) for model in TABLES]
        seconds = time.perf_counter() - started
        tidy = f", VACUUM ANALYZE {seconds - written:.1f} s" if any(tidied) else ""
        names = made["pharmacists"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {made['medicines']} medicines ({made['hot_medicines']} hot), "
                f"{made['batches']} batches ({made['expired_batches']} expired) on "
                f"{made['goods_receipts']} goods receipts, {made['prescriptions']} reviewed "
                f"prescriptions ({made['prescription_items']} items) and {len(names)} "
                f"pharmacists ({names[0]} … {names[-1]}) in {clinic.code} in {seconds:.1f} s "
                f"(written in {written:.1f} s{tidy})."
            )
        )

    @transaction.atomic
    def _generate(self, clinic: Clinic, options: dict[str, Any]) -> dict[str, Any]:
        wanted: int = options["prescriptions"]
        doctors = list(
            Practitioner.objects.for_clinic(clinic)
            .filter(is_active=True)
            .order_by("pk")
            .values_list("pk", "user_id")
        )
        patients = list(
            Patient.objects.for_clinic(clinic)
            .filter(is_active=True)
            .order_by("mrn_seq")
            .values_list("pk", flat=True)[: max(wanted, 1)]
        )
        if wanted and not (doctors and patients):
            raise CommandError(
                f"{clinic.code} needs active doctors and patients to prescribe "
                "(seed_demo, generate_patients)."
            )
        faker = PharmacyFaker(clinic=clinic, now=timezone.now(), seed=options["seed"])
        pharmacists = [u.pk for u in _pharmacists(clinic, options["pharmacists"])]
        receiver = pharmacists[0]

        taken = {
            (name.lower(), strength.lower(), form.lower())
            for name, strength, form in Medicine.objects.for_clinic(clinic).values_list(
                "generic_name", "strength", "form"
            )
        }
        chosen = faker.catalogue(options["medicines"], taken)
        rows = faker.medicine_rows(chosen)
        price = MEDICINE.index("sale_price")
        medicines = [
            Stocked(pk, product, row[price])
            for pk, product, row in zip(
                insert_rows(Medicine, MEDICINE, rows), chosen, rows, strict=True
            )
        ]
        hot = faker.hot(medicines, options["hot"])
        hot_ids = {m.pk for m in hot}
        if wanted and not hot:
            raise CommandError("No tablets or capsules among the medicines to prescribe.")

        first = GoodsReceipt.objects.for_clinic(clinic).count() + 1
        count = max(2, ceil(options["batches"] / LINES_PER_RECEIPT))
        rows = faker.receipt_rows(count, receiver, first)
        at = RECEIPT.index("received_at")
        receipts = [
            Receipt(pk, row[at])
            for pk, row in zip(insert_rows(GoodsReceipt, RECEIPT, rows), rows, strict=True)
        ]
        counts = faker.batch_counts(medicines, hot_ids, options["batches"])
        batches, came_in = faker.batch_rows(medicines, hot_ids, counts, receipts)
        keys = insert_rows(StockBatch, BATCH, batches)
        insert_rows(StockMovement, MOVEMENT, faker.movement_rows(batches, keys, came_in, receiver))

        cold = [m for m in medicines if m.counted and m.pk not in hot_ids]
        prescribing = faker.prescription_rows(
            wanted, doctors=doctors, patients=patients, hot=hot, cold=cold, pharmacists=pharmacists
        )
        insert_rows(Encounter, ENCOUNTER, prescribing.encounters)
        insert_rows(Prescription, PRESCRIPTION, prescribing.prescriptions)
        insert_rows(PrescriptionItem, ITEM, prescribing.items)
        insert_rows(Review, REVIEW, prescribing.reviews)

        expiry = BATCH.index("expiry_date")
        made = {
            "medicines": len(medicines),
            "hot_medicines": len(hot),
            "goods_receipts": len(receipts),
            "batches": len(batches),
            "expired_batches": sum(1 for row in batches if row[expiry] <= faker.today),
            "prescriptions": len(prescribing.prescriptions),
            "prescription_items": len(prescribing.items),
            "pharmacists": [pharmacist_username(n) for n in range(1, len(pharmacists) + 1)],
        }
        record(
            AuditAction.CREATE,
            object_type="pharmacy.stockbatch",
            object_repr=(
                f"{len(batches)} generated batches, {len(prescribing.prescriptions)} "
                "generated prescriptions"
            ),
            clinic_id=clinic.pk,
            changes=made,
        )
        return made
