"""The family member's bills in the portal: issued invoices and credit notes, payments and
the balance; an invoice with its payment QR while something is due (``billing.qr``, the same
code the desk and the printouts carry); invoices and receipts as the billing app's PDFs.

As on the record's pages, every row is fetched through the policy (``ManagedByAccount``) and
the member the portal is showing: any other id is a 404. Every page and PDF is an audited
read of the member's bill."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinicflow.billing import documents, qr
from clinicflow.billing.document_views import verify_url
from clinicflow.billing.models import Invoice, InvoiceKind, Payment
from clinicflow.core import pdf
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.patients.models import Patient
from clinicflow.portal import records
from clinicflow.portal.records import read_of
from clinicflow.portal.records_views import for_member, page_of

BILLS = "portal.bills"
#: The latest payments on the bills page (each bill lists its own).
PAYMENTS_SHOWN = 20


def _row(request: HttpRequest, member: Patient, rows: Any, pk: Any) -> Any:
    return access_object(actor_of(request), BILLS, rows.filter(patient=member), pk=pk)


@requires(BILLS)
@for_member
def bills(request: HttpRequest, member: Patient) -> HttpResponse:
    """The balance, the bills newest first, and the payments made."""
    page = page_of(
        request,
        records.issued_bills(member).select_related("credit_of").order_by("-issued_at", "-pk"),
    )
    payments = list(
        records.payments(member)
        .select_related("invoice")
        .order_by("-received_at", "-pk")[:PAYMENTS_SHOWN]
    )
    balance = records.balance(member)
    read_of(member, "bills", page=page.number)
    return render(
        request,
        "portal/bills/index.html",
        {"member": member, "page": page, "payments": payments, "balance": balance},
    )


@requires(BILLS)
@for_member
def invoice(request: HttpRequest, member: Patient, pk: Any) -> HttpResponse:
    """One bill: its lines, what was paid, what is due, and the QR to pay it."""
    rows = records.issued_bills(member).select_related("clinic", "payer", "credit_of")
    item: Invoice = _row(request, member, rows, pk)
    payable = item.kind == InvoiceKind.INVOICE and item.patient_due > 0
    read_of(member, "invoice", item)
    return render(
        request,
        "portal/bills/invoice.html",
        {
            "member": member,
            "invoice": item,
            "lines": list(item.lines.order_by("pk")),
            "payments": list(item.payments.order_by("received_at", "pk")),
            "payable": payable,
            "qr": qr.svg_for(item) if payable else None,
        },
    )


@requires(BILLS)
@for_member
def invoice_pdf(request: HttpRequest, member: Patient, pk: Any) -> HttpResponse:
    rows = records.issued_bills(member).select_related("clinic", "patient", "payer", "credit_of")
    item: Invoice = _row(request, member, rows, pk)
    part = "credit_note" if item.kind == InvoiceKind.CREDIT_NOTE else "invoice"
    read_of(member, part, item, format="pdf")
    content = documents.invoice_pdf(item, layout=documents.A4, verify_url=verify_url(request, item))
    return pdf.response(content, f"{part.replace('_', '-')}-{item.number}.pdf".replace("/", "-"))


@requires(BILLS)
@for_member
def receipt_pdf(request: HttpRequest, member: Patient, pk: Any) -> HttpResponse:
    rows = records.payments(member).select_related(
        "clinic", "patient", "invoice__payer", "received_by"
    )
    payment: Payment = _row(request, member, rows, pk)
    read_of(member, "receipt", payment, format="pdf")
    content = documents.receipt_pdf(
        payment, layout=documents.A4, verify_url=verify_url(request, payment)
    )
    return pdf.response(content, f"receipt-{payment.number}.pdf".replace("/", "-"))
