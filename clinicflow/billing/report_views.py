"""Billing's report pages, for managers: each report is a declaration (its title, its
columns, how one row reads, its total) that one view shows as a page and streams as CSV or
Excel, audited as every export is. The figures come from ``billing.reports``.

A period is a range of AD days, or a fiscal year (the clinic's rule), or, for a clinic in
Nepal, a Bikram Sambat month; days are the clinic's, in its time zone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from operator import attrgetter, itemgetter
from typing import Any

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinicflow.billing import prices, reports
from clinicflow.billing.models import ClaimStatus, Method, TaxCategory
from clinicflow.core.access import actor_of, requires
from clinicflow.core.audit.reads import record_rows_read
from clinicflow.core.audit.recorder import record
from clinicflow.core.forms import ClinicFlowForm
from clinicflow.core.lists import Column, excel_file, stream_csv
from clinicflow.core.models import AuditAction
from clinicflow.core.templatetags.clinicflow import with_bs
from clinicflow.patients.models import Patient

ACTION = "billing.reports"
#: The longest period a report covers.
MAX_PERIOD_DAYS = 3 * 366
FORMATS = ("csv", "xlsx")


def _clinic(request: HttpRequest) -> Any:
    clinic = actor_of(request).clinic
    assert clinic is not None  # the policy refuses clinic-less actors first
    return clinic


# ---------------------------------------------------------------- the period


class PeriodForm(ClinicFlowForm):
    """A report's period: the AD days ``first`` to ``last``, or a fiscal year, or (in Nepal)
    a BS month; a month wins over a year, a year over the days."""

    first = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))
    fiscal_year = forms.ChoiceField(label=gettext_lazy("or fiscal year"), required=False)
    bs_month = forms.ChoiceField(label=gettext_lazy("or BS month"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any")), *ClaimStatus.choices],
    )

    def __init__(self, query: Any, *, clinic: Any, statuses: bool = False) -> None:
        today = clinic.local_date()
        defaults = {"first": today - timedelta(days=29), "last": today}
        names = ("first", "last", "fiscal_year", "bs_month", "status")
        data = {**defaults, **{k: v for k, v in query.items() if k in names and v}}
        super().__init__(data)
        rule = prices.settings_of(clinic).fiscal_year_rule
        self.years = {fy.label: fy for fy in reports.fiscal_year_choices(today, rule)}
        self._choices("fiscal_year", [("", "—"), *((k, k) for k in self.years)])
        self.months: dict[str, reports.BSMonth] = {}
        if clinic.country == "NP":
            self.months = {m.key: m for m in reports.bs_month_choices(today)}
            months = [(m.key, m.label) for m in self.months.values()]
            self._choices("bs_month", [("", "—"), *months])
        else:
            del self.fields["bs_month"]
        if not statuses:
            del self.fields["status"]

    def _choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        chosen = self.fields[name]
        assert isinstance(chosen, forms.ChoiceField)
        chosen.choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if first and last:
            if last < first:
                self.add_error("last", _("The end comes before the start."))
            elif (last - first).days >= MAX_PERIOD_DAYS:
                self.add_error("last", _("Choose at most three years."))
        return data

    @property
    def period(self) -> reports.Period:
        data = self.cleaned_data
        if data.get("bs_month"):
            month = self.months[data["bs_month"]]
            return reports.Period(month.first, month.last, month.label)
        if data.get("fiscal_year"):
            year = self.years[data["fiscal_year"]]
            return reports.Period(year.start, year.end, _("Fiscal year %s") % year.label)
        return reports.Period(data["first"], data["last"])

    @property
    def filters(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.cleaned_data.items() if v}


# ---------------------------------------------------------------- reports as declarations


@dataclass
class Table:
    """What a report shows for a period: ``rows`` (a list, or a queryset the page slices and
    the export iterates), ``line`` to read one as cells, and the ``total`` line, if any."""

    rows: Sequence[Any] | QuerySet[Any]
    line: Callable[[Any], list[Any]] = list
    total: Callable[[], list[Any] | None] = lambda: None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    slug: str
    title: str | Promise
    description: str | Promise
    headers: Callable[[], list[str | Promise]]
    build: Callable[[Any, reports.Period | None, PeriodForm | None], Table]
    needs_period: bool = True
    statuses: bool = False
    note: str | Promise = ""
    #: For reports whose rows name patients: a row's patient (the page's read is audited).
    patient_of: Callable[[Any], Any] | None = None

    @property
    def url_name(self) -> str:
        return f"billing:report_{self.slug}"


def _name(user: Any) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _patient(patient: Any) -> str:
    return f"{patient.given_name} {patient.family_name} ({patient.mrn})"


# Takings by method and day ------------------------------------------------------------------


def _takings_headers() -> list[str | Promise]:
    return [
        gettext_lazy("Day"),
        *(m.label for m in Method),
        gettext_lazy("Money in"),
        gettext_lazy("Refunded"),
        gettext_lazy("Net takings"),
    ]


def _takings_line(row: reports.TakingsRow) -> list[Any]:
    return [row.day, *row.methods, row.money_in, row.refunds, row.net]


def _takings(clinic: Any, period: Any, form: Any) -> Table:
    rows = reports.takings_by_day(clinic, period)

    def total() -> list[Any] | None:
        if not rows:
            return None
        return [_("Total"), *_takings_line(reports.takings_total(rows))[1:]]

    return Table(rows, _takings_line, total)


# Invoiced by service, department, doctor ----------------------------------------------------


def _service_headers(first: str | Promise) -> Callable[[], list[str | Promise]]:
    def headers() -> list[str | Promise]:
        return [
            first,
            gettext_lazy("Lines"),
            gettext_lazy("Quantity"),
            gettext_lazy("Gross"),
            gettext_lazy("Discount"),
            gettext_lazy("Tax"),
            gettext_lazy("Invoiced"),
            gettext_lazy("Credited"),
            gettext_lazy("Net"),
        ]

    return headers


def _service_line(row: reports.ServiceRow) -> list[Any]:
    return [
        row.label,
        row.lines,
        row.quantity,
        row.gross,
        row.discount,
        row.tax,
        row.invoiced,
        row.credited,
        row.net,
    ]


def _by(grouping: str) -> Callable[[Any, Any, Any], Table]:
    def build(clinic: Any, period: Any, form: Any) -> Table:
        rows = reports.takings_by(clinic, period, grouping)

        def total() -> list[Any] | None:
            return [_("Total"), *_service_line(reports.service_total(rows))[1:]] if rows else None

        return Table(rows, _service_line, total)

    return build


# Outstanding, aged --------------------------------------------------------------------------


def _ageing_headers() -> list[str | Promise]:
    return [
        gettext_lazy("MRN"),
        gettext_lazy("Patient"),
        gettext_lazy("Invoices"),
        *(_("%s days") % bucket for bucket in reports.BUCKETS),
        gettext_lazy("Owed"),
    ]


def _ageing_line(row: dict[str, Any]) -> list[Any]:
    name = f"{row['patient__given_name']} {row['patient__family_name']}"
    return [row["patient__mrn"], name, row["invoices"], *reports.ageing_figures(row)]


def _outstanding(clinic: Any, period: Any, form: Any) -> Table:
    today = clinic.local_date()

    def total() -> list[Any]:
        sums = reports.outstanding_totals(clinic, today)
        return ["", _("Total"), sums["invoices"], *reports.ageing_figures(sums)]

    return Table(reports.outstanding(clinic, today), _ageing_line, total, {"on": today})


# Refunds, discounts, credit notes ---------------------------------------------------------


def _refund_headers() -> list[str | Promise]:
    return [
        gettext_lazy("Refund"),
        gettext_lazy("Paid out"),
        gettext_lazy("Patient"),
        gettext_lazy("Method"),
        gettext_lazy("Reason"),
        gettext_lazy("Requested by"),
        gettext_lazy("Approved by"),
        gettext_lazy("Paid by"),
        gettext_lazy("Amount"),
    ]


def _refunds(clinic: Any, period: Any, form: Any) -> Table:
    rows = reports.refunds(clinic, period)

    def line(r: Any) -> list[Any]:
        return [
            r.number, r.paid_at, _patient(r.patient), r.get_method_display(), r.reason,
            _name(r.requested_by), _name(r.approved_by), _name(r.paid_by), r.amount,
        ]  # fmt: skip

    def total() -> list[Any]:
        return [_("Total"), *[""] * 7, reports.listing_total(rows, "amount")]

    return Table(rows, line, total)


def _discount_headers() -> list[str | Promise]:
    return [
        gettext_lazy("Invoice"),
        gettext_lazy("Issued"),
        gettext_lazy("Patient"),
        gettext_lazy("Reason"),
        gettext_lazy("Approved by"),
        gettext_lazy("Issued by"),
        gettext_lazy("Subtotal"),
        gettext_lazy("Discount"),
    ]


def _discounts(clinic: Any, period: Any, form: Any) -> Table:
    rows = reports.discounts(clinic, period)

    def line(i: Any) -> list[Any]:
        approved = _name(i.discount_approved_by) or _("(within the cashier's limit)")
        return [
            i.number, i.issued_at, _patient(i.patient), i.discount_reason, approved,
            _name(i.issued_by), i.subtotal, i.discount_total,
        ]  # fmt: skip

    def total() -> list[Any]:
        return [_("Total"), *[""] * 6, reports.listing_total(rows, "discount_total")]

    return Table(rows, line, total)


def _credit_note_headers() -> list[str | Promise]:
    return [
        gettext_lazy("Credit note"),
        gettext_lazy("Issued"),
        gettext_lazy("Of invoice"),
        gettext_lazy("Patient"),
        gettext_lazy("Reason"),
        gettext_lazy("Issued by"),
        gettext_lazy("Amount"),
    ]


def _credit_notes(clinic: Any, period: Any, form: Any) -> Table:
    rows = reports.credit_notes(clinic, period)

    def line(n: Any) -> list[Any]:
        return [
            n.number, n.issued_at, n.credit_of.number, _patient(n.patient), n.reason,
            _name(n.issued_by), n.total,
        ]  # fmt: skip

    def total() -> list[Any]:
        return [_("Total"), *[""] * 5, reports.listing_total(rows, "total")]

    return Table(rows, line, total)


# Tax --------------------------------------------------------------------------------------


def _tax_headers() -> list[str | Promise]:
    return [
        gettext_lazy("Tax"),
        gettext_lazy("Rate (%)"),
        gettext_lazy("Invoiced before tax"),
        gettext_lazy("Credited before tax"),
        gettext_lazy("Net before tax"),
        gettext_lazy("Tax invoiced"),
        gettext_lazy("Tax credited"),
        gettext_lazy("Net tax"),
    ]


def _tax_line(row: reports.TaxRow) -> list[Any]:
    label = dict(TaxCategory.choices).get(row.category, row.category)
    return [
        label, row.rate, row.invoiced_base, row.credited_base, row.net_base,
        row.invoiced_tax, row.credited_tax, row.net_tax,
    ]  # fmt: skip


def _tax(clinic: Any, period: Any, form: Any) -> Table:
    rows = reports.tax_summary(clinic, period)

    def total() -> list[Any] | None:
        return [_("Total"), "", *_tax_line(reports.tax_total(rows))[2:]] if rows else None

    return Table(rows, _tax_line, total)


# Shifts -----------------------------------------------------------------------------------


def _shift_headers() -> list[str | Promise]:
    return [
        gettext_lazy("Cashier"),
        gettext_lazy("Opened"),
        gettext_lazy("Closed"),
        gettext_lazy("Status"),
        gettext_lazy("Float"),
        gettext_lazy("Takings"),
        gettext_lazy("Refunded"),
        gettext_lazy("Expected cash"),
        gettext_lazy("Counted cash"),
        gettext_lazy("Variance"),
        gettext_lazy("Why"),
        gettext_lazy("Signed off by"),
    ]


def _shift_line(s: Any) -> list[Any]:
    return [
        _name(s.cashier), s.opened_at, s.closed_at, s.get_status_display(), s.opening_float,
        reports.cents(s.takings), -reports.cents(s.refunded), s.expected_cash, s.counted_cash,
        s.variance, s.variance_reason, _name(s.signed_off_by),
    ]  # fmt: skip


def _shifts(clinic: Any, period: Any, form: Any) -> Table:
    return Table(
        reports.shifts(clinic, period),
        _shift_line,
        extra={"cashiers": reports.shifts_by_cashier(clinic, period)},
    )


# Claims -----------------------------------------------------------------------------------


def _claim_headers() -> list[str | Promise]:
    return [
        gettext_lazy("Payer"),
        gettext_lazy("Invoice"),
        gettext_lazy("Issued"),
        gettext_lazy("Patient"),
        gettext_lazy("Status"),
        gettext_lazy("Payer's reference"),
        gettext_lazy("Amount"),
    ]


def _claims(clinic: Any, period: Any, form: Any) -> Table:
    rows = reports.claims(clinic, period, form.cleaned_data.get("status") or "")

    def line(c: Any) -> list[Any]:
        return [
            c.payer.name, c.invoice.number, c.invoice.issued_at, _patient(c.invoice.patient),
            c.get_status_display(), c.external_id, c.amount,
        ]  # fmt: skip

    def total() -> list[Any]:
        return [_("Total"), *[""] * 5, reports.listing_total(rows, "amount")]

    return Table(rows, line, total)


REPORTS = [
    Report(
        "takings", gettext_lazy("Takings by method"),
        gettext_lazy("Money taken at the counters and gateways, less refunds, by day and method."),
        _takings_headers, _takings,
    ),
    Report(
        "service", gettext_lazy("Invoiced by service"),
        gettext_lazy("Invoice lines issued in the period, less credit notes, per service."),
        _service_headers(gettext_lazy("Service")), _by("service"),
    ),
    Report(
        "department", gettext_lazy("Invoiced by department"),
        gettext_lazy("The same, per department."),
        _service_headers(gettext_lazy("Department")), _by("department"),
    ),
    Report(
        "doctor", gettext_lazy("Invoiced by doctor"),
        gettext_lazy("The same, per doctor who gave the service."),
        _service_headers(gettext_lazy("Doctor")), _by("doctor"),
    ),
    Report(
        "outstanding", gettext_lazy("Outstanding balances"),
        gettext_lazy("What patients owe today on issued invoices, aged by the day of issue."),
        _ageing_headers, _outstanding, needs_period=False, patient_of=itemgetter("patient"),
    ),
    Report(
        "refunds", gettext_lazy("Refunds"),
        gettext_lazy("Refunds paid out in the period."),
        _refund_headers, _refunds, patient_of=attrgetter("patient_id"),
    ),
    Report(
        "discounts", gettext_lazy("Discounts"),
        gettext_lazy("Invoices issued with a discount: why, and who approved it."),
        _discount_headers, _discounts, patient_of=attrgetter("patient_id"),
    ),
    Report(
        "credit_notes", gettext_lazy("Credit notes"),
        gettext_lazy("Credit notes issued in the period, the invoice each corrects and why."),
        _credit_note_headers, _credit_notes, patient_of=attrgetter("patient_id"),
    ),
    Report(
        "tax", gettext_lazy("Tax summary"),
        gettext_lazy("Taxable and exempt amounts and VAT by rate: invoices less credit notes."),
        _tax_headers, _tax,
    ),
    Report(
        "shifts", gettext_lazy("Cashiers and shifts"),
        gettext_lazy("Shifts opened in the period: expected against counted cash, refunds."),
        _shift_headers, _shifts,
    ),
    Report(
        "claims", gettext_lazy("Claims"),
        gettext_lazy("Payers' parts of invoices issued in the period, and where each stands."),
        _claim_headers, _claims, statuses=True, patient_of=attrgetter("invoice.patient_id"),
    ),
]  # fmt: skip
BY_SLUG = {r.slug: r for r in REPORTS}


# ---------------------------------------------------------------- the views


def _all(rows: Sequence[Any] | QuerySet[Any]) -> Iterable[Any]:
    return rows.iterator(chunk_size=2000) if isinstance(rows, QuerySet) else rows


def _lines(table: Table) -> Iterator[list[Any]]:
    for row in _all(table.rows):
        yield table.line(row)
    total = table.total()
    if total is not None:
        yield total


@dataclass(frozen=True)
class Cell:
    text: str
    number: bool


def _cell(value: Any, clinic: Any) -> Cell:
    if isinstance(value, bool) or value is None:
        return Cell("", False)
    if isinstance(value, Decimal | int):
        return Cell(str(value), True)
    if isinstance(value, datetime):
        local = timezone.localtime(value, clinic.zone)
        return Cell(f"{with_bs(local, clinic)} {local:%H:%M}", False)
    if isinstance(value, date):
        return Cell(with_bs(value, clinic), False)
    return Cell(str(value), False)


def _export(report: Report, fmt: str, table: Table, filters: dict[str, Any]) -> HttpResponseBase:
    record(
        AuditAction.EXPORT,
        object_type="billing.report",
        object_repr=f"{fmt.upper()} of the {report.slug} report",
        changes={"report": report.slug, "filters": filters, "format": fmt},
    )
    columns = [Column(h, itemgetter(i)) for i, h in enumerate(report.headers())]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"billing-{report.slug.replace('_', '-')}-{stamp}.{fmt}"
    if fmt == "xlsx":
        return excel_file(filename, columns, _lines(table))
    return stream_csv(filename, columns, _lines(table))


@requires(ACTION)
def reports_index(request: HttpRequest) -> HttpResponse:
    return render(request, "billing/reports.html", {"reports": REPORTS, "section": "reports"})


@requires(ACTION)
def report(request: HttpRequest, slug: str, fmt: str | None = None) -> HttpResponseBase:
    """One report as a page, or (``fmt``) as a CSV or Excel download."""
    chosen = BY_SLUG[slug]
    clinic = _clinic(request)
    context: dict[str, Any] = {"report": chosen, "section": "reports", "currency": clinic.currency}
    form = None
    period = None
    if chosen.needs_period:
        form = PeriodForm(request.GET, clinic=clinic, statuses=chosen.statuses)
        context["form"] = form
        if not form.is_valid():
            return render(request, "billing/report.html", context, status=400 if fmt else 200)
        period = form.period
    table = chosen.build(clinic, period, form)
    if fmt:
        return _export(chosen, fmt, table, form.filters if form else {})
    params = request.GET.copy()
    params.pop("page", None)
    page = Paginator(table.rows, settings.CLINICFLOW_LIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    if chosen.patient_of is not None:
        record_rows_read(
            Patient, page, patient_key=chosen.patient_of, part=f"billing.report.{chosen.slug}"
        )
    total = table.total()
    context.update(
        table.extra,
        period=period,
        headers=chosen.headers(),
        page=page,
        rows=[[_cell(v, clinic) for v in table.line(row)] for row in page],
        total=[_cell(v, clinic) for v in total] if total else None,
        query_string=params.urlencode(),
        csv_url=f"{chosen.url_name}_csv",
        xlsx_url=f"{chosen.url_name}_xlsx",
    )
    return render(request, "billing/report.html", context)


def report_urls() -> list[Any]:
    """The reports' index, and each report's page and its ``.csv`` and ``.xlsx`` exports."""
    urls = [path("reports/", reports_index, name="reports")]
    for r in REPORTS:
        prefix, name = f"reports/{r.slug.replace('_', '-')}", f"report_{r.slug}"
        urls.append(path(f"{prefix}/", report, {"slug": r.slug}, name=name))
        urls.extend(
            path(f"{prefix}.{fmt}", report, {"slug": r.slug, "fmt": fmt}, name=f"{name}_{fmt}")
            for fmt in FORMATS
        )
    return urls
