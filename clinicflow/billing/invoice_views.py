"""One invoice: its lines, tax, discount, payer's part, payments and what is due. A draft
takes a discount (a manager approves one above the threshold), is issued or discarded; an
issued invoice takes payment (one or two tenders), the patient's credit, or a credit note.
Every form's refusal comes back at the form, and nothing is saved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.billing import balances, invoices, payments, qr, selectors
from clinicflow.billing.forms import (
    QUICK_METHODS,
    CreditNoteForm,
    DiscountForm,
    PaymentForm,
    UseCreditForm,
    show_error,
)
from clinicflow.billing.models import Claim, Invoice, InvoiceKind, InvoiceStatus, Method
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.reads import record_row_read
from clinicflow.core.errors import DomainError
from clinicflow.core.feedback import run_and_report

VIEW = "billing.balances"


def _invoice(request: HttpRequest, action: str, pk: Any) -> Invoice:
    rows = Invoice.objects.select_related(
        "clinic", "patient", "payer", "credit_of", "discount_approved_by", "issued_by"
    )
    return access_object(actor_of(request), action, rows, pk=pk)


def _credit_lines(invoice: Invoice) -> list[Any]:
    if not invoice.is_issued or invoice.kind != InvoiceKind.INVOICE:
        return []
    return list(invoice.lines.filter(charge__isnull=False).order_by("pk"))


def _page(request: HttpRequest, invoice: Invoice, **forms_: Any) -> HttpResponse:
    """The whole page; a form sent back with errors replaces its empty twin."""
    clinic = invoice.clinic
    lines = list(invoice.lines.select_related("charge").order_by("pk"))
    credit_lines = _credit_lines(invoice)
    done = invoices.credited_so_far([line.pk for line in credit_lines]) if credit_lines else {}
    balance = balances.of_patient(clinic, invoice.patient_id)
    payable = invoice.is_issued and invoice.kind == InvoiceKind.INVOICE and invoice.patient_due > 0
    pay_form = forms_.get("pay_form") or PaymentForm(
        initial={"amount": invoice.patient_due, "method": Method.CASH}
    )
    return render(
        request,
        "billing/invoice.html",
        {
            "invoice": invoice,
            "patient": invoice.patient,
            "clinic": clinic,
            "lines": lines,
            "payments": list(invoice.payments.prefetch_related("tenders").order_by("received_at")),
            "credit_notes": list(invoice.credit_notes.filter(status=InvoiceStatus.ISSUED)),
            "balance": balance,
            "is_draft": invoice.status == InvoiceStatus.DRAFT,
            "payable": payable,
            "pay_form": pay_form,
            "quick_methods": [(m.value, m.label) for m in QUICK_METHODS],
            "credit_form": forms_.get("credit_form") or UseCreditForm(),
            "discount_form": forms_.get("discount_form")
            or DiscountForm(
                initial={"amount": invoice.discount_total, "reason": invoice.discount_reason}
            ),
            "note_form": forms_.get("note_form") or CreditNoteForm(lines=credit_lines),
            "credit_rows": [(line, line.total - done.get(line.pk, 0)) for line in credit_lines],
            "has_shift": selectors.open_shift(clinic, actor_of(request).user) is not None,
            "qr": qr.svg_for(invoice) if payable else None,
            "claim": Claim.objects.for_clinic(clinic).filter(invoice=invoice).first(),
        },
    )


@requires(VIEW)
def invoice(request: HttpRequest, pk: Any) -> HttpResponse:
    """One invoice or credit note; opening it is a read of the patient's bill (audited)."""
    item = _invoice(request, VIEW, pk)
    record_row_read(item, patient_key="patient_id", part="billing.invoice")
    return _page(request, item)


def _post(
    request: HttpRequest,
    pk: Any,
    action: str,
    form_name: str,
    make_form: Callable[[Invoice], forms.Form],
    run: Callable[[Invoice, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """Check the form, run the service; back to the invoice, or the page with the form."""
    item = _invoice(request, action, pk)
    form = make_form(item)
    if form.is_valid():
        try:
            run(item, form.cleaned_data)
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("billing:invoice", pk=item.pk)
    return _page(request, item, **{form_name: form})


@requires("billing.invoices.issue")
@require_POST
def discount(request: HttpRequest, pk: Any) -> HttpResponse:
    def run(item: Invoice, data: dict[str, Any]) -> None:
        invoices.set_discount(
            actor=actor_of(request), invoice=item, amount=data["amount"], reason=data["reason"]
        )

    return _post(
        request,
        pk,
        "billing.invoices.issue",
        "discount_form",
        lambda _item: DiscountForm(request.POST),
        run,
        _("The discount is set."),
    )


def _simple(
    request: HttpRequest, pk: Any, action: str, run: Callable[..., Any], done: str
) -> HttpResponse:
    item = _invoice(request, action, pk)
    run_and_report(request, lambda: run(actor=actor_of(request), invoice=item), done)
    return redirect("billing:invoice", pk=item.pk)


@requires("billing.discounts.approve")
@require_POST
def approve_discount(request: HttpRequest, pk: Any) -> HttpResponse:
    return _simple(
        request, pk, "billing.discounts.approve", invoices.approve_discount, _("Discount approved.")
    )


@requires("billing.invoices.issue")
@require_POST
def issue(request: HttpRequest, pk: Any) -> HttpResponse:
    return _simple(
        request, pk, "billing.invoices.issue", invoices.issue, _("The invoice is issued.")
    )


@requires("billing.invoices.issue")
@require_POST
def discard(request: HttpRequest, pk: Any) -> HttpResponse:
    item = _invoice(request, "billing.invoices.issue", pk)
    if run_and_report(
        request,
        lambda: invoices.discard(actor=actor_of(request), invoice=item),
        _("The draft is discarded; its charges are waiting to be invoiced again."),
    ):
        return redirect("billing:patient", pk=item.patient_id)
    return redirect("billing:invoice", pk=item.pk)


def tenders_of(request: HttpRequest, data: dict[str, Any]) -> list[payments.TenderIn]:
    """The first tender's method is the button pressed (the form's ``method`` without one)."""
    method = request.POST.get("pay_with") or data["method"] or Method.CASH
    tenders = [payments.TenderIn(method, data["amount"], data["reference"])]
    if data["amount_2"]:
        tenders.append(payments.TenderIn(data["method_2"], data["amount_2"], data["reference_2"]))
    return tenders


@requires("billing.payments.take")
@require_POST
def pay(request: HttpRequest, pk: Any) -> HttpResponse:
    item = _invoice(request, "billing.payments.take", pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            payment = payments.pay(
                actor=actor_of(request),
                invoice=item,
                tenders=tenders_of(request, form.cleaned_data),
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(
                request,
                _("Paid %(amount)s, receipt %(number)s.")
                % {"amount": payment.amount, "number": payment.number},
            )
            return redirect("billing:invoice", pk=item.pk)
    return _page(request, item, pay_form=form)


@requires("billing.payments.take")
@require_POST
def use_credit(request: HttpRequest, pk: Any) -> HttpResponse:
    def run(item: Invoice, data: dict[str, Any]) -> None:
        payments.apply_credit(actor=actor_of(request), invoice=item, amount=data["amount"])

    return _post(
        request,
        pk,
        "billing.payments.take",
        "credit_form",
        lambda _item: UseCreditForm(request.POST),
        run,
        _("The patient's credit is used on this invoice."),
    )


@requires("billing.invoices.credit")
@require_POST
def credit_note(request: HttpRequest, pk: Any) -> HttpResponse:
    def run(item: Invoice, data: dict[str, Any]) -> None:
        form = forms_made[0]
        amounts = form.line_amounts()
        if not amounts:
            raise DomainError(_("Enter the amount to take off at least one line."), field="lines")
        invoices.credit(actor=actor_of(request), invoice=item, reason=data["reason"], lines=amounts)

    forms_made: list[CreditNoteForm] = []

    def make(item: Invoice) -> CreditNoteForm:
        forms_made.append(CreditNoteForm(request.POST, lines=_credit_lines(item)))
        return forms_made[0]

    return _post(
        request,
        pk,
        "billing.invoices.credit",
        "note_form",
        make,
        run,
        _("The credit note is issued."),
    )
