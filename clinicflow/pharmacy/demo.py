"""The demo pharmacies: their catalogue, common medicines from ``data/medicines.csv`` (all of
them in Kathmandu, a quarter in the smaller Pokhara centre), imported through the same
all-or-nothing import a pharmacist uses; and their stock, received on supplier invoices through
the same goods-receipt service."""

from __future__ import annotations

import csv
import io
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from clinicflow.accounts.demo import demo_actor
from clinicflow.accounts.models import User
from clinicflow.core.models import Clinic
from clinicflow.pharmacy import catalogue, stock
from clinicflow.pharmacy.models import Medicine, StockBatch

CATALOGUE = Path(__file__).resolve().parent / "data" / "medicines.csv"


@dataclass(frozen=True)
class DemoPharmacy:
    #: Every this-many-th medicine of the catalogue file is kept (1: all of them).
    keeps_every: int
    #: Seed of the stock's quantities, expiry dates and prices (the same demo everywhere).
    seed: int
    suppliers: tuple[tuple[str, str], ...]  # (invoice prefix, name)


#: Per clinic code.
PHARMACIES = {
    "KTM": DemoPharmacy(
        keeps_every=1,
        seed=8,
        suppliers=(
            ("HPD", "Himalayan Pharma Distributors"),
            ("KMS", "Kathmandu Medical Suppliers"),
            ("EDH", "Everest Drug House"),
        ),
    ),
    "PKR": DemoPharmacy(
        keeps_every=4,
        seed=61,
        suppliers=(("PPT", "Pokhara Pharma Traders"), ("GMD", "Gandaki Medical Distributors")),
    ),
}
LINES_PER_INVOICE = 40
#: Every this-many-th medicine is left under its reorder level (the "low" list is not empty).
LOW_EVERY = 19
#: Pack sizes: counted medicines come in tens, bottles and tubes one by one.
COUNTED_FORMS = {"tablet", "capsule"}


def load_demo_catalogue(*, pharmacist: User, clinic: Clinic | None = None) -> int:
    """The demo medicines of ``clinic`` (the pharmacist's first clinic when none is named).
    Once: nothing happens when the clinic has any medicine. Returns how many were added."""
    actor = demo_actor(pharmacist, clinic)
    assert actor.clinic is not None
    pharmacy = PHARMACIES.get(actor.clinic.code)
    if pharmacy is None or Medicine.objects.for_clinic(actor.clinic).exists():
        return 0
    content = _every(CATALOGUE.read_bytes(), pharmacy.keeps_every)
    added, _updated = catalogue.import_csv(actor=actor, content=content)
    return added


def _every(content: bytes, step: int) -> bytes:
    """The CSV file with its header and every ``step``-th row."""
    if step == 1:
        return content
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows[::step]])
    return out.getvalue().encode("utf-8")


def load_demo_stock(*, pharmacist: User, clinic: Clinic | None = None) -> int:
    """One to three batches of every active medicine of ``clinic`` (the pharmacist's first
    clinic when none is named), expiring 2 to 24 months ahead, received on supplier invoices
    (once: nothing happens when the clinic has any batch). A few medicines are left under their
    reorder level, one batch expires within 60 days and one has expired. Returns how many
    batches were made."""
    actor = demo_actor(pharmacist, clinic)
    clinic = actor.clinic
    assert clinic is not None
    pharmacy = PHARMACIES.get(clinic.code)
    if pharmacy is None or StockBatch.objects.for_clinic(clinic).exists():
        return 0
    medicines = list(Medicine.objects.for_clinic(clinic).filter(is_active=True).order_by("pk"))
    if not medicines:
        return 0
    rng = random.Random(pharmacy.seed)  # noqa: S311  (the same demo stock on every installation; no secrets)
    today = stock.today()
    lines: list[dict[str, Any]] = []
    for index, medicine in enumerate(medicines):
        low = index % LOW_EVERY == 5 and medicine.reorder_level > 1
        batches = 1 if low else rng.randint(1, 3)
        total = medicine.reorder_level // 2 if low else _plenty(rng, medicine)
        for letter in "ABC"[:batches]:
            months = rng.randint(2, 24)
            expiry = today + timedelta(days=30 * months + rng.randint(0, 14))
            lines.append(_line(rng, medicine, expiry, letter, max(1, total // batches)))
    near, expiring = medicines[0], medicines[1 % len(medicines)]
    lines.append(_line(rng, near, today + timedelta(days=45), "N", _plenty(rng, near) // 3))
    expired = _line(rng, expiring, today + timedelta(days=30), "X", _plenty(rng, expiring) // 4)
    lines.append(expired)
    for number, start in enumerate(range(0, len(lines), LINES_PER_INVOICE), start=1):
        code, supplier = pharmacy.suppliers[number % len(pharmacy.suppliers)]
        stock.receive(
            actor=actor,
            supplier=supplier,
            invoice_number=f"{code}-{today:%Y}-{number:04d}",
            invoice_date=today - timedelta(days=rng.randint(1, 60)),
            lines=lines[start : start + LINES_PER_INVOICE],
        )
    # The goods-receipt service refuses an expired line, as it should; to show the quarantine
    # (an expired batch kept out of dispensing until written off), the demo receives one batch
    # and then moves its expiry date into the past. Only demo data is ever changed like this.
    StockBatch.objects.for_clinic(clinic).filter(
        medicine=expiring, batch_number=expired["batch_number"]
    ).update(expiry_date=today - timedelta(days=20))
    return len(lines)


def _plenty(rng: random.Random, medicine: Medicine) -> int:
    """Two to five times the reorder level (at least a few packs)."""
    return max(medicine.reorder_level, 10) * rng.randint(2, 5)


def _line(
    rng: random.Random, medicine: Medicine, expiry: date, letter: str, quantity: int
) -> dict[str, Any]:
    """A delivery line with a manufacturer-like batch number ("AMO2503B417")."""
    prefix = re.sub(r"[^A-Z]", "", (medicine.brand or medicine.generic_name).upper())[:3]
    if medicine.form in COUNTED_FORMS:
        quantity = max(10, quantity - quantity % 10)
    made = expiry - timedelta(days=730)
    cost = medicine.sale_price * Decimal(rng.randint(55, 80)) / 100
    return {
        "medicine": medicine,
        "batch_number": f"{prefix or 'MED'}{made:%y%m}{letter}{rng.randint(100, 999)}",
        "expiry_date": expiry,
        "quantity": str(max(1, quantity)),
        "cost_price": str(cost.quantize(Decimal("0.01"))),
    }
