"""Pharmacy pages that read rather than change: the stock alerts dashboard and the reports
(stock valuation, movements by period, dispensed quantities), each report exportable to CSV
and Excel. The figures come from ``alerts`` and ``reports``; these views only read the form,
lay the rows out and stream the export (audited, as every export is)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, timedelta
from operator import itemgetter
from typing import Any

from django import forms
from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinicflow.core.access import actor_of, requires
from clinicflow.core.audit.recorder import record
from clinicflow.core.forms import ClinicFlowForm
from clinicflow.core.lists import Column, excel_file, stream_csv
from clinicflow.core.models import AuditAction
from clinicflow.pharmacy import alerts, reports, stock
from clinicflow.pharmacy.models import MovementKind

#: Rows shown per alert list on the page (the counts above them are exact).
ALERT_ROWS = 200
#: The longest period a report covers.
MAX_PERIOD_DAYS = 3 * 366
FORMATS = ("csv", "xlsx")


def _clinic(request: HttpRequest) -> Any:
    clinic = actor_of(request).clinic
    assert clinic is not None  # the policy refuses clinic-less actors first
    return clinic


# ---------------------------------------------------------------- alerts


@requires("pharmacy.stock.view")
def stock_alerts(request: HttpRequest) -> HttpResponse:
    """Low stock, near expiry and expired: the counts and the first rows of each list."""
    clinic = _clinic(request)
    on = alerts.clinic_today(clinic)
    context = {
        "on": on,
        "days": stock.near_expiry_days(),
        "counts": alerts.counts(clinic, on),
        "low_stock": alerts.low_stock(clinic, on)[:ALERT_ROWS],
        "near_expiry": alerts.near_expiry(clinic, on)[:ALERT_ROWS],
        "expired": alerts.expired(clinic, on)[:ALERT_ROWS],
        "limit": ALERT_ROWS,
    }
    return render(request, "pharmacy/alerts.html", context)


# ---------------------------------------------------------------- forms and exports


class PeriodForm(ClinicFlowForm):
    """A report's period (both days included) and, for movements, its grouping."""

    first = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))
    group = forms.ChoiceField(
        label=gettext_lazy("Group by"),
        choices=[
            ("day", gettext_lazy("Day")),
            ("week", gettext_lazy("Week")),
            ("month", gettext_lazy("Month")),
        ],
        required=False,
    )

    def __init__(self, query: Any, *, today: date, grouped: bool = False) -> None:
        defaults = {"first": today - timedelta(days=29), "last": today, "group": "day"}
        data = {**defaults, **{k: v for k, v in query.items() if k in defaults and v}}
        super().__init__(data)
        if not grouped:
            del self.fields["group"]

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
        return reports.Period(self.cleaned_data["first"], self.cleaned_data["last"])


def _columns(headers: Sequence[str | Promise]) -> list[Column]:
    return [Column(header, itemgetter(i)) for i, header in enumerate(headers)]


def _export(
    request: HttpRequest,
    fmt: str,
    *,
    name: str,
    headers: Sequence[str | Promise],
    lines: Iterable[Sequence[Any]],
    filters: dict[str, Any],
) -> HttpResponseBase:
    """A report's table as CSV or Excel, recorded in the audit trail."""
    record(
        AuditAction.EXPORT,
        object_type="pharmacy.report",
        object_repr=f"{fmt.upper()} of the {name} report",
        changes={"report": name, "filters": filters, "format": fmt},
    )
    filename = f"pharmacy-{name}-{timezone.localtime().strftime('%Y%m%d-%H%M')}.{fmt}"
    if fmt == "xlsx":
        return excel_file(filename, _columns(headers), lines)
    return stream_csv(filename, _columns(headers), lines)


def report_urls(view: Callable[..., Any], prefix: str, name: str) -> list[Any]:
    """A report's page and its ``.csv`` and ``.xlsx`` exports."""
    return [
        path(f"{prefix}/", view, name=name),
        *(path(f"{prefix}.{fmt}", view, {"fmt": fmt}, name=f"{name}_{fmt}") for fmt in FORMATS),
    ]


def _period_form(request: HttpRequest, *, grouped: bool = False) -> PeriodForm:
    return PeriodForm(request.GET, today=alerts.clinic_today(_clinic(request)), grouped=grouped)


def _query_string(request: HttpRequest) -> str:
    """The report's filters, without the page number (for pager and export links)."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _paged(request: HttpRequest, rows: Any) -> Page:
    """One page of a long report (the export has every row)."""
    paginator = Paginator(rows, settings.CLINICFLOW_LIST_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def _refused_export(request: HttpRequest, template: str, form: PeriodForm) -> HttpResponse:
    """An export asked with a bad period: the page with the form's errors, nothing exported."""
    return render(request, template, {"form": form}, status=400)


# ---------------------------------------------------------------- the reports


@requires("pharmacy.reports")
def reports_index(request: HttpRequest) -> HttpResponse:
    return render(request, "pharmacy/reports.html")


STOCK_HEADERS = [
    gettext_lazy("Medicine"),
    gettext_lazy("Usable quantity"),
    gettext_lazy("Usable at cost"),
    gettext_lazy("Usable at sale price"),
    gettext_lazy("Expired quantity"),
    gettext_lazy("Expired at cost"),
    gettext_lazy("Expired at sale price"),
]
STOCK_FIGURES = [
    "usable_quantity",
    "usable_cost",
    "usable_sale",
    "expired_quantity",
    "expired_cost",
    "expired_sale",
]


def _stock_lines(clinic: Any, on: date) -> Iterator[list[Any]]:
    for m in reports.stock_on_hand(clinic, on).iterator(chunk_size=2000):
        yield [str(m), *(reports.figure(name, getattr(m, name)) for name in STOCK_FIGURES)]
    totals = reports.stock_totals(clinic, on)
    yield [_("Total"), *(totals[name] for name in STOCK_FIGURES)]


@requires("pharmacy.reports")
def stock_report(request: HttpRequest, fmt: str | None = None) -> HttpResponseBase:
    """Stock on hand today, valued at cost and at sale price; expired stock apart."""
    clinic = _clinic(request)
    on = alerts.clinic_today(clinic)
    if fmt:
        return _export(
            request, fmt, name="stock", headers=STOCK_HEADERS, lines=_stock_lines(clinic, on),
            filters={"on": on.isoformat()},
        )  # fmt: skip
    context = {
        "on": on,
        "page": _paged(request, reports.stock_on_hand(clinic, on)),
        "totals": reports.stock_totals(clinic, on),
        "currency": clinic.currency,
    }
    return render(request, "pharmacy/reports_stock.html", context)


def _movement_headers() -> list[str | Promise]:
    return [
        gettext_lazy("Period starting"),
        *(kind.label for kind in MovementKind),
        gettext_lazy("Net change"),
        gettext_lazy("Movements"),
    ]


def _movement_lines(rows: list[reports.MovementRow]) -> Iterator[list[Any]]:
    for row in rows:
        yield [row.period, *row.by_kind, row.net, row.movements]
    if rows:
        total = reports.movement_totals(rows)
        yield [_("Total"), *total.by_kind, total.net, total.movements]


@requires("pharmacy.reports")
def movements_report(request: HttpRequest, fmt: str | None = None) -> HttpResponseBase:
    """The stock ledger summed by period and kind over a date range."""
    template = "pharmacy/reports_movements.html"
    form = _period_form(request, grouped=True)
    if not form.is_valid():
        if fmt:
            return _refused_export(request, template, form)
        return render(request, template, {"form": form})
    grouping = form.cleaned_data["group"] or "day"
    rows = reports.movements(_clinic(request), form.period, grouping)
    if fmt:
        return _export(
            request, fmt, name="movements", headers=_movement_headers(),
            lines=_movement_lines(rows), filters=_filters(form),
        )  # fmt: skip
    context = {
        "form": form,
        "rows": rows,
        "total": reports.movement_totals(rows) if rows else None,
        "kinds": list(MovementKind),
        "query_string": _query_string(request),
    }
    return render(request, template, context)


def _filters(form: PeriodForm) -> dict[str, Any]:
    return {k: str(v) for k, v in form.cleaned_data.items() if v}


def _dispensed_headers(by_doctor: bool) -> list[str | Promise]:
    return [
        *([gettext_lazy("Doctor")] if by_doctor else []),
        gettext_lazy("Medicine"),
        gettext_lazy("Dispensed"),
        gettext_lazy("Returned"),
        gettext_lazy("Net quantity"),
        gettext_lazy("Dispenses"),
        gettext_lazy("Value"),
        gettext_lazy("Returned value"),
        gettext_lazy("Net value"),
    ]


def _dispensed_lines(rows: list[reports.DispensedRow], by_doctor: bool) -> Iterator[list[Any]]:
    for row in rows:
        yield [
            *([str(row.doctor) if row.doctor else ""] if by_doctor else []),
            str(row.medicine),
            row.quantity,
            row.returned,
            row.net_quantity,
            row.dispenses,
            row.value,
            row.returned_value,
            row.net_value,
        ]


@requires("pharmacy.reports")
def dispensed_report(request: HttpRequest, fmt: str | None = None) -> HttpResponseBase:
    """Quantities dispensed over a date range, per medicine or (``?by=doctor``) per
    prescriber and medicine."""
    template = "pharmacy/reports_dispensed.html"
    by_doctor = request.GET.get("by") == "doctor"
    form = _period_form(request)
    if not form.is_valid():
        if fmt:
            return _refused_export(request, template, form)
        return render(request, template, {"form": form, "by_doctor": by_doctor})
    rows = reports.dispensed(_clinic(request), form.period, by_doctor=by_doctor)
    if fmt:
        return _export(
            request, fmt, name="dispensed-by-doctor" if by_doctor else "dispensed",
            headers=_dispensed_headers(by_doctor), lines=_dispensed_lines(rows, by_doctor),
            filters=_filters(form),
        )  # fmt: skip
    context = {
        "form": form,
        "rows": rows,
        "page": _paged(request, rows),
        "by_doctor": by_doctor,
        "query_string": _query_string(request),
        "currency": _clinic(request).currency,
    }
    return render(request, template, context)
