"""The pharmacist's dispensing pages: one prescription with the patient's allergies, the safety
checks of today beside the doctor's overrides, the review, a dispense form per item, cancelling,
what was given (with returns), and the printed labels and receipt. Every page about the
prescription is a read of the patient's data, and audited. The rules are the services'
(``dispensing``, ``stock``); a refusal comes back at the field it names and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.clinical.models import Prescription, PrescriptionItem, PrescriptionStatus
from clinicflow.core import policy
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError
from clinicflow.core.feedback import run_and_report
from clinicflow.core.models import AuditAction
from clinicflow.patients.selectors import active_allergies
from clinicflow.pharmacy import dispensing, offers, stock
from clinicflow.pharmacy.dispense_forms import (
    CancelForm,
    DispenseForm,
    ReturnForm,
    ReviewForm,
    show_error,
)
from clinicflow.pharmacy.models import Dispense, Medicine, MovementKind, StockBatch
from clinicflow.pharmacy.queue import PENDING

VIEW = "pharmacy.queue"
DISPENSE = "pharmacy.dispense"


def _prescription(request: HttpRequest, action: str, pk: Any) -> Prescription:
    """An issued prescription of the actor's clinic (a draft is still the doctor's): 404 else."""
    rows = Prescription.objects.exclude(status=PrescriptionStatus.DRAFT).select_related(
        "clinic", "patient", "prescriber__user", "encounter"
    )
    return access_object(actor_of(request), action, rows, pk=pk)


def _audit(prescription: Prescription, part: str) -> None:
    record(
        AuditAction.VIEW,
        obj=prescription,
        changes={"part": part, "patient": str(prescription.patient_id)},
    )


def given(prescription: Prescription) -> QuerySet[Dispense]:
    """The prescription's dispenses, newest first, with what came back of each (one query)."""
    return (
        Dispense.objects.for_clinic(prescription.clinic)
        .filter(prescription=prescription)
        .select_related("medicine", "batch", "item", "dispensed_by")
        .annotate(
            returned=Sum("movements__quantity", filter=Q(movements__kind=MovementKind.RETURN))
        )
        .order_by("-dispensed_at", "-pk")
    )


# ---------------------------------------------------------------- the page


@dataclass
class ItemRow:
    state: dispensing.ItemProgress
    form: DispenseForm | None


def _item_form(
    state: dispensing.ItemProgress, others: list[offers.Offer], data: Any = None
) -> DispenseForm:
    offered = offers.offers_for(state.item, others)
    return DispenseForm(
        data,
        prefix=f"item-{state.item.pk}",
        offers=offered,
        suggested=offers.suggested(offered),
        remaining=state.remaining,
    )


def _page(
    request: HttpRequest,
    prescription: Prescription,
    *,
    review_form: ReviewForm | None = None,
    cancel_form: CancelForm | None = None,
    item_form: DispenseForm | None = None,
    item_pk: Any = None,
) -> HttpResponse:
    """The whole page; a form sent back with errors replaces its empty twin."""
    actor = actor_of(request)
    _audit(prescription, "dispensing")
    review = dispensing.latest_review(prescription)
    open_for_dispensing = prescription.status in PENDING
    may_dispense = open_for_dispensing and policy.allows(actor, DISPENSE)
    others = offers.others_in_stock(prescription.clinic) if may_dispense and review else []
    rows = []
    for state in dispensing.progress(prescription):
        form = None
        if may_dispense and review and not state.completed:
            form = item_form if state.item.pk == item_pk else _item_form(state, others)
        rows.append(ItemRow(state, form))
    return render(
        request,
        "pharmacy/prescription.html",
        {
            "prescription": prescription,
            "patient": prescription.patient,
            "allergies": active_allergies(prescription.patient),
            "today": timezone.localdate(),
            "rows": rows,
            "findings": dispensing.findings(prescription) if open_for_dispensing else [],
            "review": review,
            "may_dispense": may_dispense,
            "may_print": policy.allows(actor, DISPENSE),
            "review_form": review_form or ReviewForm(),
            "cancel_form": cancel_form or CancelForm(),
            "dispenses": list(given(prescription)),
            "return_form": ReturnForm(),
        },
    )


@requires(VIEW)
def prescription(request: HttpRequest, pk: Any) -> HttpResponse:
    """The prescription to dispense (managers see it without the forms)."""
    return _page(request, _prescription(request, VIEW, pk))


def _submitted(
    request: HttpRequest, form: forms.Form, run: Callable[[dict[str, Any]], Any], done: str
) -> bool:
    """Run the service with the form's data; its refusal goes to the form."""
    if not form.is_valid():
        return False
    try:
        run(form.cleaned_data)
    except DomainError as exc:
        show_error(form, exc)
        return False
    messages.success(request, done)
    return True


@requires(DISPENSE)
@require_POST
def review(request: HttpRequest, pk: Any) -> HttpResponse:
    item = _prescription(request, DISPENSE, pk)
    form = ReviewForm(request.POST)
    actor = actor_of(request)

    def run(data: dict[str, Any]) -> None:
        dispensing.review(actor=actor, prescription=item, note=data["note"])

    if _submitted(request, form, run, _("The prescription is reviewed.")):
        return redirect("pharmacy:dispense", pk=item.pk)
    return _page(request, item, review_form=form)


@requires(DISPENSE)
@require_POST
def dispense(request: HttpRequest, pk: Any, item: Any) -> HttpResponse:
    """Give (part of) one item from the form's medicine and batch."""
    prescription = _prescription(request, DISPENSE, pk)
    line: PrescriptionItem = get_object_or_404(
        PrescriptionItem.objects.for_clinic(prescription.clinic),
        prescription=prescription,
        pk=item,
    )
    state = next((s for s in dispensing.progress(prescription) if s.item.pk == line.pk), None)
    if state is None or state.completed or prescription.status not in PENDING:
        messages.error(request, _("Nothing more can be dispensed for this medicine."))
        return redirect("pharmacy:dispense", pk=prescription.pk)
    others = offers.others_in_stock(prescription.clinic)
    form = _item_form(state, others, request.POST)
    actor = actor_of(request)
    clinic = prescription.clinic

    def run(data: dict[str, Any]) -> None:
        medicine = Medicine.objects.for_clinic(clinic).filter(pk=data["medicine"] or None).first()
        batch = StockBatch.objects.for_clinic(clinic).filter(pk=data["batch"] or None).first()
        dispensing.dispense(
            actor=actor,
            item=state.item,
            quantity=data["quantity"],
            medicine=medicine,
            batch=batch,
            batch_reason=data["batch_reason"],
            substitution_reason=data["substitution_reason"],
            complete=data["complete"],
        )

    if _submitted(request, form, run, _("Dispensed.")):
        return redirect("pharmacy:dispense", pk=prescription.pk)
    return _page(request, prescription, item_form=form, item_pk=line.pk)


@requires(DISPENSE)
@require_POST
def cancel(request: HttpRequest, pk: Any) -> HttpResponse:
    item = _prescription(request, DISPENSE, pk)
    form = CancelForm(request.POST)
    actor = actor_of(request)

    def run(data: dict[str, Any]) -> None:
        dispensing.cancel(actor=actor, prescription=item, reason=data["reason"])

    if _submitted(request, form, run, _("The prescription is cancelled.")):
        return redirect("pharmacy:dispense", pk=item.pk)
    return _page(request, item, cancel_form=form)


def _dispense(request: HttpRequest, pk: Any) -> Dispense:
    rows = Dispense.objects.select_related(
        "clinic", "prescription", "patient", "medicine", "batch", "item", "dispensed_by"
    )
    return access_object(actor_of(request), DISPENSE, rows, pk=pk)


@requires(DISPENSE)
@require_POST
def return_to_stock(request: HttpRequest, pk: Any) -> HttpResponse:
    """Medicine brought back unopened goes back into its batch."""
    row = _dispense(request, pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the quantity brought back and why."))
    else:
        run_and_report(
            request,
            lambda: stock.return_to_stock(
                actor=actor_of(request),
                dispense=row,
                quantity=form.cleaned_data["quantity"],
                reason=form.cleaned_data["reason"],
            ),
            _("Returned to stock."),
        )
    return redirect("pharmacy:dispense", pk=row.prescription_id)


# ---------------------------------------------------------------- printing


@requires(DISPENSE)
def label(request: HttpRequest, pk: Any) -> HttpResponse:
    """The label for what one dispense handed out (one medicine from one batch)."""
    row = _dispense(request, pk)
    _audit(row.prescription, "label")
    return render(request, "pharmacy/label.html", {"rows": [row], "clinic": row.clinic})


@requires(DISPENSE)
def labels(request: HttpRequest, pk: Any) -> HttpResponse:
    """Every label of the prescription, to print at once."""
    item = _prescription(request, DISPENSE, pk)
    _audit(item, "label")
    rows = list(given(item).select_related("patient"))
    return render(request, "pharmacy/label.html", {"rows": rows, "clinic": item.clinic})


@dataclass(frozen=True)
class ReceiptLine:
    dispense: Dispense
    quantity: Decimal
    total: Decimal


def receipt_lines(rows: list[Dispense]) -> tuple[list[ReceiptLine], Decimal]:
    """What the patient pays for: each dispense less what came back, at its unit price."""
    lines = []
    for row in reversed(rows):  # oldest first, as handed out
        kept = row.quantity - (getattr(row, "returned", None) or Decimal("0"))
        if kept > 0:
            lines.append(ReceiptLine(row, kept, (kept * row.unit_price).quantize(Decimal("0.01"))))
    return lines, sum((line.total for line in lines), Decimal("0.00"))


@requires(DISPENSE)
def receipt(request: HttpRequest, pk: Any) -> HttpResponse:
    item = _prescription(request, DISPENSE, pk)
    _audit(item, "receipt")
    lines, total = receipt_lines(list(given(item)))
    return render(
        request,
        "pharmacy/receipt.html",
        {
            "prescription": item,
            "patient": item.patient,
            "clinic": item.clinic,
            "lines": lines,
            "total": total,
            "printed_at": timezone.now(),
        },
    )
