"""The pharmacy's reports, as reusable reads: what the stock is worth, how it moved, and what
was dispensed, by medicine and by prescriber. Every report costs the same few queries whatever
the number of rows (sums are taken in the database); money is ``Decimal``.

- **Stock on hand**: per medicine with stock, the usable quantity (not expired) valued at each
  batch's cost price and at its sale price, and the quarantined expired stock apart (it is
  worth nothing to dispense, but its cost is what a write-off loses).
- **Movements**: the ledger summed per period (day, ISO week from Monday, month — in the
  clinic's time zone) and kind; incoming kinds are positive, outgoing negative.
- **Dispensed**: what was handed out in a period, per medicine (or per prescriber and
  medicine), with what came back of it (returns of those dispenses, whenever they came) and
  the value at the price charged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, DateField, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Trunc

from clinicflow.pharmacy import stock
from clinicflow.pharmacy.alerts import (
    MONEY,
    QUANTITY,
    clinic_today,
)
from clinicflow.pharmacy.models import Dispense, Medicine, MovementKind, StockBatch, StockMovement
from clinicflow.scheduling.models import Practitioner

ZERO = Decimal("0")
CENT = Decimal("0.01")


def money(value: Decimal | None) -> Decimal:
    """A sum of quantity × price, to the cent."""
    return (value or ZERO).quantize(CENT)


def amount(value: Decimal | None) -> Decimal:
    """A quantity as the ledger keeps it (two decimals), whichever database summed it."""
    return (value or ZERO).quantize(CENT)


# ---------------------------------------------------------------- stock on hand


def _stock_sums(on: date, prefix: str = "") -> dict[str, Any]:
    """Quantity and value of usable and of expired stock, over batches at ``prefix``."""
    on_hand, cost, sale = (f"{prefix}on_hand", f"{prefix}cost_price", f"{prefix}sale_price")
    sums: dict[str, Any] = {}
    for part, where in (
        ("usable", stock.usable_q(on, prefix)),
        ("expired", stock.expired_q(on, prefix)),
    ):
        sums[f"{part}_quantity"] = Coalesce(Sum(on_hand, filter=where), ZERO, output_field=QUANTITY)
        sums[f"{part}_cost"] = Coalesce(
            Sum(F(on_hand) * F(cost), filter=where, output_field=MONEY), ZERO, output_field=MONEY
        )
        sums[f"{part}_sale"] = Coalesce(
            Sum(F(on_hand) * F(sale), filter=where, output_field=MONEY), ZERO, output_field=MONEY
        )
    return sums


def stock_on_hand(clinic: Any, on: date | None = None) -> QuerySet[Medicine]:
    """Medicines with stock on hand (usable or expired), by name, each with ``usable_quantity``,
    ``usable_cost``, ``usable_sale``, ``expired_quantity``, ``expired_cost``, ``expired_sale``."""
    on = on or clinic_today(clinic)
    return (
        Medicine.objects.for_clinic(clinic)
        .annotate(**_stock_sums(on, "batches__"))
        .filter(Q(usable_quantity__gt=0) | Q(expired_quantity__gt=0))
        .order_by("generic_name", "strength", "form", "brand", "pk")
    )


def stock_totals(clinic: Any, on: date | None = None) -> dict[str, Decimal]:
    """The same six figures over the whole stock (one query)."""
    on = on or clinic_today(clinic)
    totals = StockBatch.objects.for_clinic(clinic).aggregate(**_stock_sums(on))
    return {name: figure(name, value) for name, value in totals.items()}


def figure(name: str, value: Decimal | None) -> Decimal:
    """One of the stock figures, by name: money to the cent, quantities to two decimals."""
    return money(value) if name.endswith(("_cost", "_sale")) else amount(value)


# ---------------------------------------------------------------- periods


GROUPINGS = ("day", "week", "month")


@dataclass(frozen=True)
class Period:
    """Days ``first`` to ``last`` (both included), in the clinic's time zone."""

    first: date
    last: date

    def bounds(self, clinic: Any) -> tuple[datetime, datetime]:
        zone = clinic.zone
        start = datetime.combine(self.first, time.min, tzinfo=zone)
        end = datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=zone)
        return start, end


# ---------------------------------------------------------------- movements


#: The ledger's kinds in the order a report shows them.
KINDS = [kind.value for kind in MovementKind]


@dataclass
class MovementRow:
    period: date
    quantities: dict[str, Decimal] = field(default_factory=dict)
    movements: int = 0

    @property
    def by_kind(self) -> list[Decimal]:
        return [self.quantities.get(kind, ZERO) for kind in KINDS]

    @property
    def net(self) -> Decimal:
        return sum(self.quantities.values(), ZERO)


def movements(clinic: Any, period: Period, grouping: str = "day") -> list[MovementRow]:
    """The ledger summed per period and kind (one query), periods in order; periods without
    a movement are left out."""
    if grouping not in GROUPINGS:
        raise ValueError(grouping)
    start, end = period.bounds(clinic)
    grouped = (
        StockMovement.objects.for_clinic(clinic)
        .filter(at__gte=start, at__lt=end)
        .annotate(period=Trunc("at", grouping, output_field=DateField(), tzinfo=clinic.zone))
        .values("period", "kind")
        .annotate(total=Sum("quantity"), movements=Count("pk"))
        .order_by("period", "kind")
    )
    rows: dict[date, MovementRow] = {}
    for g in grouped:
        row = rows.setdefault(g["period"], MovementRow(period=g["period"]))
        row.quantities[g["kind"]] = amount(g["total"])
        row.movements += g["movements"]
    return list(rows.values())


def movement_totals(rows: list[MovementRow]) -> MovementRow:
    """The rows added up (its ``period`` is the first row's)."""
    total = MovementRow(period=rows[0].period if rows else date.min)
    for row in rows:
        for kind, quantity in row.quantities.items():
            total.quantities[kind] = total.quantities.get(kind, ZERO) + quantity
        total.movements += row.movements
    return total


# ---------------------------------------------------------------- dispensed


@dataclass
class DispensedRow:
    medicine: Medicine
    doctor: Practitioner | None = None
    quantity: Decimal = ZERO
    returned: Decimal = ZERO
    dispenses: int = 0
    value: Decimal = ZERO
    returned_value: Decimal = ZERO

    @property
    def net_quantity(self) -> Decimal:
        return self.quantity - self.returned

    @property
    def net_value(self) -> Decimal:
        return money(self.value - self.returned_value)


def dispensed(clinic: Any, period: Period, *, by_doctor: bool = False) -> list[DispensedRow]:
    """What was dispensed in the period per medicine — or per prescriber and medicine — with
    its returns; four queries (dispenses, returns, medicines, doctors). Ordered by doctor's
    name, then medicine."""
    start, end = period.bounds(clinic)
    given = Dispense.objects.for_clinic(clinic).filter(
        dispensed_at__gte=start, dispensed_at__lt=end
    )
    keys = ["prescription__prescriber", "medicine"] if by_doctor else ["medicine"]
    rows: dict[tuple[Any, ...], DispensedRow] = {}
    medicine_ids: set[Any] = set()
    doctor_ids: set[Any] = set()
    dispensed_rows = (
        given.values(*keys)
        .annotate(
            value=Sum(F("quantity") * F("unit_price"), output_field=MONEY),
            given=Sum("quantity"),
            dispenses=Count("pk"),
        )
        .order_by()
    )
    sums: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(dict)
    for d in dispensed_rows:
        sums[tuple(d[k] for k in keys)].update(d)
    returns = (
        StockMovement.objects.for_clinic(clinic)
        .filter(kind=MovementKind.RETURN, dispense__in=given.values("pk"))
        .values(*(f"dispense__{k}" for k in keys))
        .annotate(
            returned=Sum("quantity"),
            returned_value=Sum(F("quantity") * F("dispense__unit_price"), output_field=MONEY),
        )
        .order_by()
    )
    for r in returns:
        sums[tuple(r[f"dispense__{k}"] for k in keys)].update(r)
    for key in sums:
        medicine_ids.add(key[-1])
        if by_doctor:
            doctor_ids.add(key[0])
    medicines = Medicine.objects.for_clinic(clinic).in_bulk(medicine_ids)
    doctors = (
        Practitioner.objects.for_clinic(clinic).select_related("user").in_bulk(doctor_ids)
        if by_doctor
        else {}
    )
    for key, s in sums.items():
        rows[key] = DispensedRow(
            medicine=medicines[key[-1]],
            doctor=doctors.get(key[0]) if by_doctor else None,
            quantity=amount(s.get("given")),
            returned=amount(s.get("returned")),
            dispenses=s.get("dispenses") or 0,
            value=money(s.get("value")),
            returned_value=money(s.get("returned_value")),
        )

    def order(row: DispensedRow) -> tuple[Any, ...]:
        doctor = row.doctor.user.get_full_name().lower() if row.doctor else ""
        m = row.medicine
        return (doctor, m.generic_name.lower(), m.strength, m.form, m.brand, m.pk)

    return sorted(rows.values(), key=order)
