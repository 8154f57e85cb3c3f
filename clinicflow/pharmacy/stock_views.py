"""Stock pages: stock per medicine and per batch, goods receipts, the batch actions (adjust,
count, write off), the stock ledger, and the dispensing history. Views read and show; every
change is a ``stock`` service call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.reads import record_rows_read
from clinicflow.core.errors import DomainError
from clinicflow.core.lists import Column, ExportView, FilteredListView, keyset_page
from clinicflow.pharmacy import levels, stock
from clinicflow.pharmacy.models import (
    Dispense,
    GoodsReceipt,
    Medicine,
    MovementKind,
    StockBatch,
    StockMovement,
)
from clinicflow.pharmacy.stock_forms import (
    LINES_PREFIX,
    AdjustForm,
    CountForm,
    HistoryFilter,
    LedgerFilter,
    LineFormSet,
    ReceiptFilter,
    ReceiptForm,
    ReceiptLineForm,
    StockFilter,
    WriteOffForm,
    medicine_labels,
)

VIEW = "pharmacy.stock.view"
MANAGE = "pharmacy.stock.manage"
HISTORY = "pharmacy.history"

# ---------------------------------------------------------------- stock per medicine


class StockListView(FilteredListView):
    """Each medicine's available and expired quantities against its reorder level."""

    policy_action = VIEW
    model = Medicine
    filterset_class = StockFilter
    template_name = "pharmacy/stock_list.html"
    page_key = "pk"
    page_descending = False

    def base_queryset(self) -> QuerySet[Any]:
        return levels.with_levels(super().base_queryset())


def _dates() -> dict[str, Any]:
    """What the batch badges compare with: today (expired on or before) and the near-expiry
    limit."""
    return {"today": stock.today(), "near_limit": levels.near_expiry_limit()}


@requires(VIEW)
def medicine_stock(request: HttpRequest, pk: int) -> HttpResponse:
    """One medicine's batches (those in stock, or all with ``?all=1``), each with its latest
    ledger rows."""
    actor = actor_of(request)
    medicine = access_object(actor, VIEW, levels.with_levels(Medicine.objects.all()), pk=pk)
    show_all = request.GET.get("all") == "1"
    batches = StockBatch.objects.for_clinic(actor.clinic).filter(medicine=medicine)
    if not show_all:
        batches = batches.filter(on_hand__gt=0)
    rows = list(batches.order_by("expiry_date", "pk"))
    recent = levels.recent_movements(actor.clinic, rows)
    for row in rows:
        row.recent = recent.get(row.pk, [])
    return render(
        request,
        "pharmacy/stock_medicine.html",
        {"medicine": medicine, "batches": rows, "show_all": show_all, **_dates()},
    )


# ---------------------------------------------------------------- one batch and its actions


@dataclass(frozen=True)
class BatchAction:
    form: type[forms.Form]
    run: Callable[..., Any]
    done: str | Promise


def _adjust(actor: Any, batch: StockBatch, data: dict[str, Any]) -> Any:
    return stock.adjust(actor=actor, batch=batch, quantity=data["quantity"], reason=data["reason"])


def _count(actor: Any, batch: StockBatch, data: dict[str, Any]) -> Any:
    return stock.count(actor=actor, batch=batch, counted=data["counted"], reason=data["reason"])


def _write_off(actor: Any, batch: StockBatch, data: dict[str, Any]) -> Any:
    return stock.write_off(actor=actor, batch=batch, reason=data["reason"])


BATCH_ACTIONS = {
    "adjust": BatchAction(AdjustForm, _adjust, gettext_lazy("The batch was adjusted.")),
    "count": BatchAction(CountForm, _count, gettext_lazy("The count was recorded.")),
    "write_off": BatchAction(WriteOffForm, _write_off, gettext_lazy("The batch was written off.")),
}


def _batch(request: HttpRequest, action: str, pk: int) -> StockBatch:
    return access_object(
        actor_of(request), action, StockBatch.objects.select_related("medicine"), pk=pk
    )


def _action_forms(batch: StockBatch, bound: forms.Form | None = None) -> dict[str, forms.Form]:
    """The three action forms of a batch page; ``bound`` is the one just sent back."""
    expired = stock.is_expired(batch)
    initial = {"write_off": {"reason": _("Expired on %(date)s") % {"date": batch.expiry_date}}}
    made = {
        name: action.form(prefix=name, initial=initial.get(name) if expired else None)
        for name, action in BATCH_ACTIONS.items()
    }
    if bound is not None:
        made[str(bound.prefix)] = bound
    return made


def _batch_page(request: HttpRequest, batch: StockBatch, bound: forms.Form | None = None) -> Any:
    actor = actor_of(request)
    ledger = keyset_page(
        StockMovement.objects.for_clinic(actor.clinic)
        .filter(batch=batch)
        .select_related("by", "receipt", "dispense"),
        cursor=request.GET.get("after") or None,
        size=50,
    )
    context = {
        "batch": batch,
        "page": ledger,
        "query_string": "",
        "is_expired": stock.is_expired(batch),
        "action_forms": _action_forms(batch, bound),
        **_dates(),
    }
    return render(request, "pharmacy/stock_batch.html", context)


@requires(VIEW)
def batch_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A batch: its details, its whole ledger (paged) and, for those who manage stock, the
    adjust / count / write-off forms."""
    return _batch_page(request, _batch(request, VIEW, pk))


@requires(MANAGE)
@require_POST
def batch_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    batch = _batch(request, MANAGE, pk)
    chosen = BATCH_ACTIONS[action]
    form = chosen.form(request.POST, prefix=action)
    if form.is_valid():
        try:
            moved = chosen.run(actor_of(request), batch, form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            if moved is None:
                messages.info(request, _("The count agrees with the ledger: nothing changed."))
            else:
                messages.success(request, str(chosen.done))
            return redirect("pharmacy:stock_batch", pk=batch.pk)
    return _batch_page(request, batch, form)


# ---------------------------------------------------------------- goods receipts


def _catalogue_labels(clinic: Any) -> dict[str, Medicine]:
    return medicine_labels(
        Medicine.objects.for_clinic(clinic)
        .filter(is_active=True)
        .order_by("generic_name", "strength", "form", "brand")
    )


def _place_error(exc: DomainError, header: ReceiptForm, filled: list[ReceiptLineForm]) -> None:
    """Show the service's refusal where it belongs: ``lines.<n>.<field>`` at that field of the
    n-th line sent (the blank lines were not sent), anything else on the header."""
    parts = (exc.field or "").split(".")
    if len(parts) == 3 and parts[0] == LINES_PREFIX and parts[1].isdigit():
        number = int(parts[1])
        if 1 <= number <= len(filled):
            line = filled[number - 1]
            message = _at_line(exc.message, number)
            line.add_error(parts[2] if parts[2] in line.fields else None, message)
            return
    header.add_error(exc.field if exc.field in header.fields else None, exc.message)


def _at_line(message: str, number: int) -> str:
    """The message without the service's "Line <n>: ": shown at the line's own field, and
    counted without the blank lines, that number would name the wrong line."""
    prefix = _("Line %(n)d: %(message)s") % {"n": number, "message": ""}
    if not message.startswith(prefix):
        return message
    rest = message[len(prefix) :]
    return rest[:1].upper() + rest[1:]


@requires(MANAGE)
def receive_goods(request: HttpRequest) -> HttpResponse:
    """A delivery: the invoice and its lines. Blank lines are left out; one refused line
    stores nothing and the refusal shows at its field."""
    actor = actor_of(request)
    medicines = _catalogue_labels(actor.clinic)
    data = request.POST if request.method == "POST" else None
    header = ReceiptForm(data)
    lines = LineFormSet(data, prefix=LINES_PREFIX, medicines=medicines)
    if data is not None and header.is_valid() and lines.is_valid():
        filled = [f for f in lines.forms if f.has_changed()]
        if not filled:
            header.add_error(None, _("Add at least one line."))
        else:
            try:
                receipt = stock.receive(
                    actor=actor, lines=[f.as_line() for f in filled], **header.cleaned_data
                )
            except DomainError as exc:
                _place_error(exc, header, filled)
            else:
                messages.success(
                    request,
                    _("Received %(n)d lines of invoice %(number)s.")
                    % {"n": len(filled), "number": receipt.invoice_number},
                )
                return redirect("pharmacy:goods_receipt", pk=receipt.pk)
    return render(
        request,
        "pharmacy/receipt_form.html",
        {"header": header, "lines": lines, "medicines": medicines},
    )


@requires(MANAGE)
def receipt_line(request: HttpRequest) -> HttpResponse:
    """One more blank line for the receipt form (HTMX): the line, and the formset's new
    total swapped in out of band."""
    try:
        index = int(request.GET.get(f"{LINES_PREFIX}-TOTAL_FORMS", "0"))
    except ValueError:
        index = 0
    index = min(max(index, 0), LineFormSet.max_num - 1)
    form = ReceiptLineForm(prefix=f"{LINES_PREFIX}-{index}", medicines={})
    return render(
        request, "pharmacy/_receipt_line.html", {"form": form, "number": index + 1, "oob": True}
    )


class ReceiptListView(FilteredListView):
    policy_action = VIEW
    model = GoodsReceipt
    filterset_class = ReceiptFilter
    template_name = "pharmacy/receipt_list.html"
    select_related = ("received_by",)

    def base_queryset(self) -> QuerySet[Any]:
        return super().base_queryset().annotate(line_count=Count("movements"))


@requires(VIEW)
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """A goods receipt and its lines: the ``receive`` rows it wrote."""
    item = access_object(
        actor_of(request), VIEW, GoodsReceipt.objects.select_related("received_by"), pk=pk
    )
    rows = list(
        item.movements.filter(kind=MovementKind.RECEIVE)
        .select_related("batch__medicine")
        .order_by("pk")
    )
    return render(request, "pharmacy/receipt_detail.html", {"receipt": item, "rows": rows})


# ---------------------------------------------------------------- the ledger


class LedgerView(FilteredListView):
    """Every stock movement of the clinic, newest first."""

    policy_action = VIEW
    model = StockMovement
    filterset_class = LedgerFilter
    template_name = "pharmacy/ledger.html"
    select_related = ("batch__medicine", "by", "receipt", "dispense")


def _receipt_of(movement: StockMovement) -> str:
    return str(movement.receipt) if movement.receipt_id else ""


class LedgerExportView(ExportView):
    policy_action = VIEW
    model = StockMovement
    filterset_class = LedgerFilter
    select_related = ("batch__medicine", "by", "receipt")
    filename = "stock-ledger"
    columns: ClassVar[list[Column]] = [
        Column(gettext_lazy("When"), lambda m: timezone.localtime(m.at)),
        Column(gettext_lazy("Kind"), lambda m: m.get_kind_display()),
        Column(gettext_lazy("Medicine"), lambda m: str(m.batch.medicine)),
        Column(gettext_lazy("Batch"), lambda m: m.batch.batch_number),
        Column(gettext_lazy("Expiry"), lambda m: m.batch.expiry_date),
        Column(gettext_lazy("Quantity"), lambda m: m.quantity),
        Column(gettext_lazy("Balance after"), lambda m: m.balance_after),
        Column(gettext_lazy("Reason"), lambda m: m.reason),
        Column(gettext_lazy("By"), lambda m: m.by.get_full_name() or m.by.username),
        Column(gettext_lazy("Goods receipt"), _receipt_of),
        Column(gettext_lazy("Dispense"), lambda m: m.dispense_id or ""),
    ]


# ---------------------------------------------------------------- dispensing history

HISTORY_RELATED = (
    "patient",
    "medicine",
    "batch",
    "dispensed_by",
    "prescription__prescriber__user",
)


class HistoryView(FilteredListView):
    """What was dispensed, to whom: patient data, so each page shown is audited (which
    filters, which patients)."""

    policy_action = HISTORY
    model = Dispense
    filterset_class = HistoryFilter
    template_name = "pharmacy/history.html"
    select_related = HISTORY_RELATED

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        record_rows_read(
            Dispense,
            context["page"].items,
            patient_key="patient_id",
            part="dispensing history",
            filters=self.request.GET,
        )
        return context


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.username)


class HistoryExportView(ExportView):
    policy_action = HISTORY
    model = Dispense
    filterset_class = HistoryFilter
    select_related = HISTORY_RELATED
    filename = "dispensing-history"
    columns: ClassVar[list[Column]] = [
        Column(gettext_lazy("When"), lambda d: timezone.localtime(d.dispensed_at)),
        Column(gettext_lazy("MRN"), lambda d: d.patient.mrn),
        Column(gettext_lazy("Patient"), lambda d: d.patient.full_name),
        Column(gettext_lazy("Medicine"), lambda d: str(d.medicine)),
        Column(gettext_lazy("Batch"), lambda d: d.batch.batch_number),
        Column(gettext_lazy("Expiry"), lambda d: d.batch.expiry_date),
        Column(gettext_lazy("Quantity"), lambda d: d.quantity),
        Column(gettext_lazy("Unit price"), lambda d: d.unit_price),
        Column(gettext_lazy("Doctor"), lambda d: str(d.prescription.prescriber)),
        Column(gettext_lazy("Pharmacist"), lambda d: _person(d.dispensed_by)),
        Column(gettext_lazy("Why another medicine"), lambda d: d.substitution_reason),
        Column(gettext_lazy("Why this batch"), lambda d: d.batch_reason),
    ]
