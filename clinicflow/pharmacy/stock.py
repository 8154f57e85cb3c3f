"""Stock: goods receipts into batches, adjustments, write-offs and returns, and what is
available to dispense. Every change goes through ``move``: it takes the batch's row lock, writes
one ledger row and the batch's new quantity together, so ``on_hand`` is always the sum of the
ledger; the database refuses a batch below zero and any change to a ledger row.

A batch is *expired* from its expiry date on: never offered, not counted as available, and
moved out only by a write-off."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.pharmacy.models import (
    Dispense,
    GoodsReceipt,
    Medicine,
    MovementKind,
    StockBatch,
    StockMovement,
)

MANAGE = "pharmacy.stock.manage"


def today() -> date:
    return timezone.localdate()


def near_expiry_days() -> int:
    """How far ahead a batch counts as "near expiry" (``PHARMACY_NEAR_EXPIRY_DAYS``, 90)."""
    return int(settings.CLINICFLOW_PHARMACY_NEAR_EXPIRY_DAYS)


def is_expired(batch: StockBatch, on: date | None = None) -> bool:
    return batch.expiry_date <= (on or today())


def usable_q(on: date | None = None, prefix: str = "") -> Q:
    """A batch that may be dispensed: some left, not expired (``prefix`` reaches batches from
    another model, e.g. ``"batches__"`` from a medicine)."""
    return Q(**{f"{prefix}on_hand__gt": 0, f"{prefix}expiry_date__gt": on or today()})


def expired_q(on: date | None = None, prefix: str = "") -> Q:
    """A batch with stock left that has expired (quarantined until written off)."""
    return Q(**{f"{prefix}on_hand__gt": 0, f"{prefix}expiry_date__lte": on or today()})


def low_q() -> Q:
    """Low stock, on medicines annotated by ``with_available``: one the clinic keeps (it has a
    reorder level, or was stocked at least once) with no more available than its reorder
    level."""
    kept = Q(reorder_level__gt=0) | Q(Exists(StockBatch.objects.filter(medicine=OuterRef("pk"))))
    return kept & Q(available_now__lte=F("reorder_level"))


def usable(medicine: Medicine, on: date | None = None) -> QuerySet[StockBatch]:
    """The medicine's batches that may be dispensed, first expiring first (FEFO)."""
    return (
        StockBatch.objects.for_clinic(medicine.clinic_id)
        .filter(usable_q(on), medicine=medicine)
        .order_by("expiry_date", "pk")
    )


def with_available(rows: QuerySet[Medicine], on: date | None = None) -> QuerySet[Medicine]:
    """``available`` for many medicines in their own query, as ``available_now``."""
    return rows.annotate(
        available_now=Coalesce(
            Sum("batches__on_hand", filter=usable_q(on, "batches__")),
            Value(Decimal("0")),
            output_field=DecimalField(max_digits=12, decimal_places=2),
        )
    )


def available(medicine: Medicine, on: date | None = None) -> Decimal:
    """Quantity that may be dispensed (expired batches are not counted)."""
    total = usable(medicine, on).aggregate(total=Sum("on_hand"))["total"]
    return total or Decimal("0")


def lock(batches: QuerySet[StockBatch]) -> list[StockBatch]:
    """Row locks on the batches, always taken in key order (two services locking overlapping
    batches never deadlock); returned first expiring first."""
    rows = list(
        batches.select_related("clinic", "medicine").select_for_update(of=("self",)).order_by("pk")
    )
    return sorted(rows, key=lambda b: (b.expiry_date, b.pk))


def move(
    *,
    actor: Actor,
    batch: StockBatch,
    kind: str,
    quantity: Decimal,
    reason: str = "",
    receipt: GoodsReceipt | None = None,
    dispense: Dispense | None = None,
) -> StockMovement:
    """One ledger row and the batch's new quantity. ``batch`` must be locked by the caller
    (``lock``) in this transaction; too little stock is a ``Conflict``."""
    balance = batch.on_hand + quantity
    if balance < 0:
        raise Conflict(
            _("Only %(left)s left in batch %(batch)s of %(medicine)s.")
            % {
                "left": _amount(batch.on_hand),
                "batch": batch.batch_number,
                "medicine": batch.medicine,
            }
        )
    batch.on_hand = balance
    batch.save(update_fields=["on_hand"])
    return StockMovement.objects.create(
        clinic_id=batch.clinic_id,
        batch=batch,
        kind=kind,
        quantity=quantity,
        balance_after=balance,
        reason=reason[:200],
        receipt=receipt,
        dispense=dispense,
        by=actor.user,
    )


def _amount(value: Decimal) -> str:
    return f"{value.normalize():f}"


def read_quantity(raw: Any, field: str = "quantity", *, signed: bool = False) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a number."), field=field) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise DomainError(_("Enter a number with at most two decimals."), field=field)
    if abs(value) >= Decimal("1e9"):
        raise DomainError(_("That quantity is too large."), field=field)
    if value == 0 or (value < 0 and not signed):
        raise DomainError(_("Enter a quantity above zero."), field=field)
    return value


def _price(raw: Any, field: str, default: Decimal | None = None) -> Decimal:
    if raw in (None, "") and default is not None:
        return default
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a price."), field=field) from None
    if not value.is_finite() or value < 0 or value >= Decimal("1e8"):
        raise DomainError(_("Enter a price of zero or more."), field=field)
    return value.quantize(Decimal("0.01"))


def _reason(raw: Any, field: str = "reason") -> str:
    text = " ".join(str(raw or "").split())
    if not text:
        raise DomainError(_("Say why."), field=field)
    return text[:200]


@dataclass(frozen=True)
class Line:
    """A checked goods-receipt line."""

    medicine: Medicine
    batch_number: str
    expiry_date: date
    quantity: Decimal
    cost_price: Decimal
    sale_price: Decimal


def read_line(clinic: Any, number: int, raw: Mapping[str, Any]) -> Line:
    """One receipt line, checked; a ``DomainError`` names the line and the field."""

    def refuse(message: str, field: str) -> DomainError:
        return DomainError(
            _("Line %(n)d: %(message)s") % {"n": number, "message": message},
            field=f"lines.{number}.{field}",
        )

    medicine = raw.get("medicine")
    if not isinstance(medicine, Medicine):
        medicine = (
            Medicine.objects.for_clinic(clinic).filter(pk=medicine).first()
            if str(medicine or "").isdigit()
            else None
        )
    if medicine is None or medicine.clinic_id != clinic.pk:
        raise refuse(_("choose a medicine of the catalogue."), "medicine")
    batch_number = " ".join(str(raw.get("batch_number") or "").split())[:60]
    if not batch_number:
        raise refuse(_("give the batch number."), "batch_number")
    expiry = raw.get("expiry_date")
    expiry = expiry if isinstance(expiry, date) else parse_date(str(expiry or "").strip() or "x")
    if expiry is None:
        raise refuse(_("give the expiry date (YYYY-MM-DD)."), "expiry_date")
    if expiry <= today():
        raise refuse(_("this batch has already expired."), "expiry_date")
    try:
        quantity = read_quantity(raw.get("quantity"))
        cost = _price(raw.get("cost_price"), "cost_price")
        sale = _price(raw.get("sale_price"), "sale_price", default=medicine.sale_price)
    except DomainError as exc:
        raise refuse(exc.message, exc.field or "quantity") from None
    return Line(medicine, batch_number, expiry, quantity, cost, sale)


@transaction.atomic
def receive(
    *,
    actor: Actor,
    supplier: str,
    invoice_number: str,
    lines: Iterable[Mapping[str, Any]],
    invoice_date: date | None = None,
    note: str = "",
) -> GoodsReceipt:
    """Record a delivery: each line adds to its batch (created at its first delivery) with a
    ``receive`` row. One bad line stores nothing."""
    clinic = policy.require(actor, MANAGE)
    supplier = " ".join(supplier.split())[:120]
    invoice_number = " ".join(invoice_number.split())[:60]
    if not supplier:
        raise DomainError(_("Name the supplier."), field="supplier")
    if not invoice_number:
        raise DomainError(_("Give the invoice number."), field="invoice_number")
    checked = [read_line(clinic, n, raw) for n, raw in enumerate(lines, start=1)]
    if not checked:
        raise DomainError(_("Add at least one line."), field="lines")
    if (
        GoodsReceipt.objects.for_clinic(clinic)
        .filter(supplier__iexact=supplier, invoice_number__iexact=invoice_number)
        .exists()
    ):
        raise Conflict(
            _("Invoice %(number)s from %(supplier)s is already received.")
            % {"number": invoice_number, "supplier": supplier}
        )
    try:
        with transaction.atomic():
            receipt = GoodsReceipt.objects.create(
                clinic=clinic,
                supplier=supplier,
                invoice_number=invoice_number,
                invoice_date=invoice_date,
                note=note.strip()[:200],
                received_by=actor.user,
            )
    except IntegrityError:
        raise Conflict(_("This invoice was just received by someone else.")) from None
    for n, line in enumerate(checked, start=1):
        batch = _batch_for(clinic, n, line)
        move(
            actor=actor, batch=batch, kind=MovementKind.RECEIVE, quantity=line.quantity,
            receipt=receipt,
        )  # fmt: skip
    return receipt


def _batch_for(clinic: Any, number: int, line: Line) -> StockBatch:
    """The line's batch, locked: created at its first delivery; a later delivery of the same
    batch must carry the same expiry date, and reprices it."""
    batch, created = StockBatch.objects.for_clinic(clinic).get_or_create(
        medicine=line.medicine,
        batch_number=line.batch_number,
        defaults={
            "clinic": clinic,
            "expiry_date": line.expiry_date,
            "cost_price": line.cost_price,
            "sale_price": line.sale_price,
        },
    )
    batch = StockBatch.objects.for_clinic(clinic).select_for_update().get(pk=batch.pk)
    if batch.expiry_date != line.expiry_date:
        raise DomainError(
            _("Line %(n)d: batch %(batch)s is on record with expiry %(expiry)s.")
            % {"n": number, "batch": batch.batch_number, "expiry": batch.expiry_date},
            field=f"lines.{number}.expiry_date",
        )
    if not created:
        _reprice(batch, line)
    return batch


def _reprice(batch: StockBatch, line: Line) -> None:
    """A later delivery of a batch: its cost becomes the average of what is on the shelf and
    what arrives (weighted by quantity), and it sells at the newest sale price."""
    total = batch.on_hand + line.quantity
    cost = (batch.on_hand * batch.cost_price + line.quantity * line.cost_price) / total
    batch.cost_price = cost.quantize(Decimal("0.01"))
    batch.sale_price = line.sale_price
    batch.save(update_fields=["cost_price", "sale_price"])


def _locked(actor: Actor, batch: StockBatch) -> StockBatch:
    clinic = policy.require(actor, MANAGE, batch)
    return StockBatch.objects.for_clinic(clinic).select_for_update().get(pk=batch.pk)


@transaction.atomic
def adjust(*, actor: Actor, batch: StockBatch, quantity: Any, reason: str) -> StockMovement:
    """Correct a batch by a signed quantity (damage, a count found short or over), with why."""
    change = read_quantity(quantity, signed=True)
    reason = _reason(reason)
    batch = _locked(actor, batch)
    return move(actor=actor, batch=batch, kind=MovementKind.ADJUST, quantity=change, reason=reason)


@transaction.atomic
def count(*, actor: Actor, batch: StockBatch, counted: Any, reason: str) -> StockMovement | None:
    """A stock count: the ledger is adjusted to what is on the shelf (nothing when it agrees)."""
    try:
        on_shelf = Decimal(str(counted).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter the number counted."), field="counted") from None
    if not on_shelf.is_finite() or on_shelf < 0 or on_shelf != on_shelf.quantize(Decimal("0.01")):
        raise DomainError(_("Enter the number counted (zero or more)."), field="counted")
    reason = _reason(reason)
    batch = _locked(actor, batch)
    if on_shelf == batch.on_hand:
        return None
    return move(
        actor=actor, batch=batch, kind=MovementKind.ADJUST, quantity=on_shelf - batch.on_hand,
        reason=reason,
    )  # fmt: skip


@transaction.atomic
def write_off(*, actor: Actor, batch: StockBatch, reason: str = "") -> StockMovement:
    """Move a batch's whole quantity out (expired, recalled, spoiled). An expired batch needs
    no other reason than its date."""
    batch = _locked(actor, batch)
    if batch.on_hand == 0:
        raise Conflict(_("Nothing is left in this batch."))
    if not reason.strip() and is_expired(batch):
        reason = _("Expired on %(date)s") % {"date": batch.expiry_date}
    return move(
        actor=actor, batch=batch, kind=MovementKind.WRITE_OFF, quantity=-batch.on_hand,
        reason=_reason(reason),
    )  # fmt: skip


def returned(dispense: Dispense) -> Decimal:
    total = dispense.movements.filter(kind=MovementKind.RETURN).aggregate(t=Sum("quantity"))["t"]
    return total or Decimal("0")


@transaction.atomic
def return_to_stock(
    *, actor: Actor, dispense: Dispense, quantity: Any, reason: str
) -> StockMovement:
    """Medicine brought back unopened goes back into its batch (at most what was given)."""
    clinic = policy.require(actor, "pharmacy.dispense", dispense)
    amount = read_quantity(quantity)
    reason = _reason(reason)
    batch = StockBatch.objects.for_clinic(clinic).select_for_update().get(pk=dispense.batch_id)
    left = dispense.quantity - returned(dispense)
    if amount > left:
        raise DomainError(
            _("At most %(left)s can come back.") % {"left": _amount(left)}, field="quantity"
        )
    return move(
        actor=actor, batch=batch, kind=MovementKind.RETURN, quantity=amount, reason=reason,
        dispense=dispense,
    )  # fmt: skip
