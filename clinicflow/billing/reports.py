"""Billing's reports, as reads: what came in at the counters (by method and day), what was
invoiced (by service, department and doctor), the cashiers' shifts, what patients still owe
(aged), refunds, discounts and credit notes, the tax summary and the payers' claims.

Every figure is summed in the database: a report costs the same few queries whatever the
number of rows, and a listing is a queryset the page slices and the export iterates. Money is
``Decimal`` to the cent (SQLite sums in binary floating point, so sums are quantized here).

What counts in a period (days in the clinic's time zone, both included):

- **Takings**: the ledger's ``cash`` column, by the moment money moved: payments and
  deposits in, refunds out, by method.
- **By service, department, doctor**: lines of invoices issued in the period, less what
  issued credit notes took back of those lines (whenever they were issued, so a correction
  lands on the service it corrects).
- **Tax**: invoices issued in the period less credit notes issued in the period (a tax
  return's rule: a credit note counts when it is issued).
- **Outstanding**: what is owed today, aged from each invoice's issue day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Trunc

from clinicflow.billing.models import (
    HALF_CENT,
    Claim,
    Entry,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LedgerEntry,
    Method,
    Refund,
    RefundStatus,
    Shift,
)
from clinicflow.billing.money import CENT, ZERO
from clinicflow.core import bsdates

AMOUNT = DecimalField(max_digits=14, decimal_places=2)
METHODS = [m.value for m in Method]


def cents(value: Decimal | float | None) -> Decimal:
    """A sum as money, whichever database summed it."""
    if value is None:
        return ZERO
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(CENT)


def _sum(expression: Any, **kwargs: Any) -> Coalesce:
    return Coalesce(
        Sum(expression, output_field=AMOUNT, **kwargs), Value(ZERO), output_field=AMOUNT
    )


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """Days ``first`` to ``last`` (both included) on the clinic's calendar; ``label`` names it
    when it was chosen as a fiscal year or a BS month."""

    first: date
    last: date
    label: str = ""

    def bounds(self, clinic: Any) -> tuple[datetime, datetime]:
        start = datetime.combine(self.first, time.min, tzinfo=clinic.zone)
        end = datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=clinic.zone)
        return start, end

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def fiscal_year_choices(today: date, rule: str, count: int = 5) -> list[bsdates.FiscalYear]:
    """This fiscal year and the ``count - 1`` before it, newest first."""
    years = [bsdates.fiscal_year(today, rule)]
    while len(years) < count:
        try:
            years.append(bsdates.fiscal_year(years[-1].start - timedelta(days=1), rule))
        except ValueError:  # before the calendar the library knows
            break
    return years


@dataclass(frozen=True)
class BSMonth:
    year: int
    month: int
    first: date
    last: date

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{bsdates.MONTH_NAMES[self.month - 1]} {self.year}"


def bs_month_choices(today: date, count: int = 24) -> list[BSMonth]:
    """This Bikram Sambat month and the ``count - 1`` before it, newest first."""
    bs = bsdates.to_bs(today)
    year, month = bs.year, bs.month
    months: list[BSMonth] = []
    while len(months) < count:
        next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
        try:
            first = bsdates.to_ad(year, month, 1)
            last = bsdates.to_ad(next_year, next_month, 1) - timedelta(days=1)
        except ValueError:
            break
        months.append(BSMonth(year, month, first, last))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


# ---------------------------------------------------------------- takings


@dataclass
class TakingsRow:
    day: date
    by_method: dict[str, Decimal] = field(default_factory=dict)
    money_in: Decimal = ZERO
    refunds: Decimal = ZERO

    @property
    def methods(self) -> list[Decimal]:
        return [self.by_method.get(m, ZERO) for m in METHODS]

    @property
    def net(self) -> Decimal:
        return self.money_in - self.refunds


def takings_by_day(clinic: Any, period: Period, *, every_day: bool = False) -> list[TakingsRow]:
    """Money in less refunds out, per day and method (one query). Days without money are
    left out unless ``every_day``."""
    start, end = period.bounds(clinic)
    grouped = (
        LedgerEntry.objects.for_clinic(clinic)
        .filter(at__gte=start, at__lt=end)
        .exclude(cash=0)
        .annotate(day=Trunc("at", "day", output_field=DateField(), tzinfo=clinic.zone))
        .values("day", "method")
        .annotate(
            net=_sum("cash"),
            money_in=_sum("cash", filter=Q(cash__gt=0)),
            money_out=_sum("cash", filter=Q(cash__lt=0)),
        )
        .order_by("day", "method")
    )
    rows: dict[date, TakingsRow] = (
        {day: TakingsRow(day) for day in period.days} if every_day else {}
    )
    for g in grouped:
        row = rows.setdefault(g["day"], TakingsRow(g["day"]))
        row.by_method[g["method"]] = cents(g["net"])
        row.money_in += cents(g["money_in"])
        row.refunds -= cents(g["money_out"])
    return sorted(rows.values(), key=lambda r: r.day)


def takings_total(rows: list[TakingsRow]) -> TakingsRow:
    total = TakingsRow(day=rows[0].day if rows else date.min)
    for row in rows:
        for method, amount in row.by_method.items():
            total.by_method[method] = total.by_method.get(method, ZERO) + amount
        total.money_in += row.money_in
        total.refunds += row.refunds
    return total


# ---------------------------------------------------------------- invoiced, by what


GROUPINGS = {
    # key: (fields that identify a group, fields that name it)
    "service": ("charge__item", ("charge__item__code", "charge__item__name")),
    "department": ("charge__department", ()),
    "doctor": (
        "charge__performer",
        ("charge__performer__first_name", "charge__performer__last_name"),
    ),
}


@dataclass
class ServiceRow:
    key: Any
    label: str
    lines: int = 0
    quantity: Decimal = ZERO
    gross: Decimal = ZERO
    discount: Decimal = ZERO
    tax: Decimal = ZERO
    invoiced: Decimal = ZERO
    credited: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.invoiced - self.credited


def _label(grouping: str, values: dict[str, Any], prefix: str) -> str:
    if grouping == "service":
        name = values[f"{prefix}charge__item__name"]
        return str(name) if name else "Other charges"
    if grouping == "department":
        return str(values[f"{prefix}charge__department"] or "No department")
    first = values[f"{prefix}charge__performer__first_name"] or ""
    last = values[f"{prefix}charge__performer__last_name"] or ""
    return f"{first} {last}".strip() or "No doctor named"


def takings_by(clinic: Any, period: Period, grouping: str) -> list[ServiceRow]:
    """What invoices issued in the period charged, per service, department or doctor (the
    charge's item, department or performer), less what credit notes took back of those
    lines; two queries. Ordered by name."""
    if grouping not in GROUPINGS:
        raise ValueError(grouping)
    key, names = GROUPINGS[grouping]
    fields = [key, *names]
    start, end = period.bounds(clinic)
    lines = InvoiceLine.objects.for_clinic(clinic).filter(
        invoice__kind=InvoiceKind.INVOICE,
        invoice__status=InvoiceStatus.ISSUED,
        invoice__issued_at__gte=start,
        invoice__issued_at__lt=end,
        charge__isnull=False,
    )
    rows: dict[Any, ServiceRow] = {}
    for g in (
        lines.values(*fields)
        .annotate(
            count=Count("pk"),
            quantity=_sum("quantity"),
            gross=_sum("gross"),
            discount=_sum("discount"),
            tax=_sum("tax"),
            total=_sum("total"),
        )
        .order_by()
    ):
        rows[g[key]] = ServiceRow(
            key=g[key],
            label=_label(grouping, g, ""),
            lines=g["count"],
            quantity=cents(g["quantity"]),
            gross=cents(g["gross"]),
            discount=cents(g["discount"]),
            tax=cents(g["tax"]),
            invoiced=cents(g["total"]),
        )
    credits = (
        InvoiceLine.objects.for_clinic(clinic)
        .filter(
            invoice__kind=InvoiceKind.CREDIT_NOTE,
            invoice__status=InvoiceStatus.ISSUED,
            credits__in=lines.values("pk"),
        )
        .values(*(f"credits__{f}" for f in fields))
        .annotate(total=_sum("total"))
        .order_by()
    )
    for c in credits:
        group = c[f"credits__{key}"]
        row = rows.setdefault(group, ServiceRow(group, _label(grouping, c, "credits__")))
        row.credited = cents(c["total"])
    return sorted(rows.values(), key=lambda r: (r.label.lower(), str(r.key)))


def service_total(rows: list[ServiceRow]) -> ServiceRow:
    total = ServiceRow(key=None, label="Total")
    for row in rows:
        total.lines += row.lines
        total.quantity += row.quantity
        total.gross += row.gross
        total.discount += row.discount
        total.tax += row.tax
        total.invoiced += row.invoiced
        total.credited += row.credited
    return total


# ---------------------------------------------------------------- outstanding, aged


BUCKETS = ("0–30", "31–60", "61–90", "> 90")


def _owing(clinic: Any) -> QuerySet[Invoice]:
    due = ExpressionWrapper(
        F("total") - F("payer_share") - F("credited") - F("paid"), output_field=AMOUNT
    )
    return (
        Invoice.objects.for_clinic(clinic)
        .filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED)
        .annotate(due=due)
        .filter(due__gt=HALF_CENT)  # a settled one, summed in floating point
    )


def _bucket_sums(clinic: Any, today: date, prefix: str = "") -> dict[str, Any]:
    """Sums of what is due by age in days (from the issue day to ``today``)."""

    def since(days: int) -> datetime:
        return datetime.combine(today - timedelta(days=days), time.min, tzinfo=clinic.zone)

    issued = f"{prefix}issued_at"
    return {
        "b0": _sum("due", filter=Q(**{f"{issued}__gte": since(30)})),
        "b1": _sum("due", filter=Q(**{f"{issued}__gte": since(60), f"{issued}__lt": since(30)})),
        "b2": _sum("due", filter=Q(**{f"{issued}__gte": since(90), f"{issued}__lt": since(60)})),
        "b3": _sum("due", filter=Q(**{f"{issued}__lt": since(90)})),
        "owed": _sum("due"),
        "invoices": Count("pk"),
    }


def outstanding(clinic: Any, today: date) -> QuerySet[Any]:
    """Per patient who owes on issued invoices: the amounts by age (0–30, 31–60, 61–90 and
    over 90 days since issue), the total and the number of invoices; by name. One query per
    page (rows are dicts)."""
    return (
        _owing(clinic)
        .values("patient", "patient__mrn", "patient__given_name", "patient__family_name")
        .annotate(**_bucket_sums(clinic, today))
        .order_by("patient__family_name", "patient__given_name", "patient")
    )


def outstanding_totals(clinic: Any, today: date) -> dict[str, Any]:
    sums = _owing(clinic).aggregate(**_bucket_sums(clinic, today))
    return {k: v if k == "invoices" else cents(v) for k, v in sums.items()}


def ageing_figures(row: dict[str, Any]) -> list[Decimal]:
    return [cents(row[k]) for k in ("b0", "b1", "b2", "b3", "owed")]


# ---------------------------------------------------------------- refunds, discounts, notes


def refunds(clinic: Any, period: Period) -> QuerySet[Refund]:
    """Refunds paid out in the period, oldest first."""
    start, end = period.bounds(clinic)
    return (
        Refund.objects.for_clinic(clinic)
        .filter(status=RefundStatus.PAID, paid_at__gte=start, paid_at__lt=end)
        .select_related("patient", "requested_by", "approved_by", "paid_by")
        .order_by("paid_at", "pk")
    )


def _issued(clinic: Any, period: Period) -> QuerySet[Invoice]:
    start, end = period.bounds(clinic)
    return Invoice.objects.for_clinic(clinic).filter(
        status=InvoiceStatus.ISSUED, issued_at__gte=start, issued_at__lt=end
    )


def discounts(clinic: Any, period: Period) -> QuerySet[Invoice]:
    """Invoices issued in the period with a discount, oldest first."""
    return (
        _issued(clinic, period)
        .filter(kind=InvoiceKind.INVOICE, discount_total__gt=0)
        .select_related("patient", "issued_by", "discount_approved_by")
        .order_by("issued_at", "pk")
    )


def credit_notes(clinic: Any, period: Period) -> QuerySet[Invoice]:
    """Credit notes issued in the period, oldest first, with the invoice each corrects."""
    return (
        _issued(clinic, period)
        .filter(kind=InvoiceKind.CREDIT_NOTE)
        .select_related("patient", "credit_of", "issued_by")
        .order_by("issued_at", "pk")
    )


def listing_total(rows: QuerySet[Any], column: str) -> Decimal:
    return cents(rows.aggregate(t=_sum(column))["t"])


# ---------------------------------------------------------------- tax


@dataclass
class TaxRow:
    category: str
    rate: Decimal
    invoiced_base: Decimal
    credited_base: Decimal
    invoiced_tax: Decimal
    credited_tax: Decimal

    @property
    def net_base(self) -> Decimal:
        return self.invoiced_base - self.credited_base

    @property
    def net_tax(self) -> Decimal:
        return self.invoiced_tax - self.credited_tax


def tax_summary(clinic: Any, period: Period) -> list[TaxRow]:
    """Per tax category and rate: the amount before tax and the tax, of invoices issued in
    the period less credit notes issued in it (one query). Exempt first, then by rate."""
    start, end = period.bounds(clinic)
    base = ExpressionWrapper(F("total") - F("tax"), output_field=AMOUNT)
    invoice, note = Q(invoice__kind=InvoiceKind.INVOICE), Q(invoice__kind=InvoiceKind.CREDIT_NOTE)
    grouped = (
        InvoiceLine.objects.for_clinic(clinic)
        .filter(
            invoice__status=InvoiceStatus.ISSUED,
            invoice__issued_at__gte=start,
            invoice__issued_at__lt=end,
        )
        .values("tax_category", "tax_rate")
        .annotate(
            invoiced_base=_sum(base, filter=invoice),
            credited_base=_sum(base, filter=note),
            invoiced_tax=_sum("tax", filter=invoice),
            credited_tax=_sum("tax", filter=note),
        )
        .order_by("tax_category", "tax_rate")
    )
    return [
        TaxRow(
            category=g["tax_category"],
            rate=cents(g["tax_rate"]),
            invoiced_base=cents(g["invoiced_base"]),
            credited_base=cents(g["credited_base"]),
            invoiced_tax=cents(g["invoiced_tax"]),
            credited_tax=cents(g["credited_tax"]),
        )
        for g in grouped
    ]


def tax_total(rows: list[TaxRow]) -> TaxRow:
    return TaxRow(
        category="",
        rate=ZERO,
        invoiced_base=sum((r.invoiced_base for r in rows), ZERO),
        credited_base=sum((r.credited_base for r in rows), ZERO),
        invoiced_tax=sum((r.invoiced_tax for r in rows), ZERO),
        credited_tax=sum((r.credited_tax for r in rows), ZERO),
    )


# ---------------------------------------------------------------- shifts


def shifts(clinic: Any, period: Period) -> QuerySet[Shift]:
    """Shifts opened in the period, oldest first, each with ``takings`` (its cash rows, net)
    and ``refunded`` (paid out); the variance is counted less expected."""
    start, end = period.bounds(clinic)
    return (
        Shift.objects.for_clinic(clinic)
        .filter(opened_at__gte=start, opened_at__lt=end)
        .annotate(
            takings=_sum("ledger__cash"),
            refunded=_sum("ledger__cash", filter=Q(ledger__kind=Entry.REFUNDED)),
        )
        .select_related("cashier", "signed_off_by")
        .order_by("opened_at", "pk")
    )


def shifts_by_cashier(clinic: Any, period: Period) -> list[dict[str, Any]]:
    """Per cashier, over the shifts opened in the period: how many, takings, refunds and the
    sum of the closed shifts' variances (two queries)."""
    start, end = period.bounds(clinic)
    opened = Shift.objects.for_clinic(clinic).filter(opened_at__gte=start, opened_at__lt=end)
    variance = ExpressionWrapper(F("counted_cash") - F("expected_cash"), output_field=AMOUNT)
    people = {
        r["cashier"]: r
        for r in opened.values(
            "cashier", "cashier__first_name", "cashier__last_name", "cashier__username"
        )
        .annotate(shifts=Count("pk"), variance=_sum(variance, filter=Q(counted_cash__isnull=False)))
        .order_by()
    }
    money = (
        LedgerEntry.objects.for_clinic(clinic)
        .filter(shift__in=opened.values("pk"))
        .values("shift__cashier")
        .annotate(takings=_sum("cash"), refunded=_sum("cash", filter=Q(kind=Entry.REFUNDED)))
        .order_by()
    )
    sums = {m["shift__cashier"]: m for m in money}
    rows = []
    for cashier, r in people.items():
        name = f"{r['cashier__first_name']} {r['cashier__last_name']}".strip()
        m = sums.get(cashier, {})
        rows.append(
            {
                "cashier": name or r["cashier__username"],
                "shifts": r["shifts"],
                "takings": cents(m.get("takings")),
                "refunded": -cents(m.get("refunded")),
                "variance": cents(r["variance"]),
            }
        )
    return sorted(rows, key=lambda r: str(r["cashier"]).lower())


# ---------------------------------------------------------------- claims


def claims(clinic: Any, period: Period, status: str = "") -> QuerySet[Claim]:
    """Payers' claims on invoices issued in the period (of one status, if given), oldest
    invoice first."""
    start, end = period.bounds(clinic)
    rows = Claim.objects.for_clinic(clinic).filter(
        invoice__issued_at__gte=start, invoice__issued_at__lt=end
    )
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("payer", "invoice", "invoice__patient").order_by(
        "invoice__issued_at", "pk"
    )
