"""Invoices, credit notes and receipts as PDFs (A4 or ``?layout=thermal``), and the public
page that a printed copy's second QR code opens to confirm it is genuine.

A PDF is opened like its print page (``billing.balances``; another clinic's is not found) and
each download is audited, as a printed prescription is. The verification page needs no
sign-in: its address carries the document's unguessable token, and it confirms the number,
the date and the amount, and nothing about the patient."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from clinicflow.billing import documents
from clinicflow.billing.models import BillingSettings, Invoice, InvoiceKind, InvoiceStatus, Payment
from clinicflow.core import pdf
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.recorder import record
from clinicflow.core.models import AuditAction

VIEW = "billing.balances"
#: Tokens are 43 characters (``models.verification_token``); anything much shorter is not one.
SHORTEST_TOKEN = 32


def verify_url(request: HttpRequest, document: Invoice | Payment) -> str | None:
    """The absolute address of the document's verification page (none for an invoice that is
    not issued: a draft is not a document to vouch for)."""
    if isinstance(document, Invoice) and not document.is_issued:
        return None
    return request.build_absolute_uri(reverse("billing:verify", args=[document.verify_token]))


@requires(VIEW)
def invoice_pdf(request: HttpRequest, pk: Any) -> HttpResponse:
    rows = Invoice.objects.select_related("clinic", "patient", "payer", "credit_of")
    invoice = access_object(actor_of(request), VIEW, rows, pk=pk)
    layout = documents.layout_of(request.GET.get("layout"))
    part = "credit_note" if invoice.kind == InvoiceKind.CREDIT_NOTE else "invoice"
    record(AuditAction.VIEW, obj=invoice, changes={"part": part, "format": "pdf", "layout": layout})
    content = documents.invoice_pdf(invoice, layout=layout, verify_url=verify_url(request, invoice))
    name = invoice.number or f"draft-{invoice.pk}"
    return pdf.response(content, f"{part.replace('_', '-')}-{name}-{layout}.pdf".replace("/", "-"))


@requires(VIEW)
def receipt_pdf(request: HttpRequest, pk: Any) -> HttpResponse:
    rows = Payment.objects.select_related("clinic", "patient", "invoice__payer", "received_by")
    payment = access_object(actor_of(request), VIEW, rows, pk=pk)
    layout = documents.layout_of(request.GET.get("layout"))
    record(
        AuditAction.VIEW,
        obj=payment,
        changes={"part": "receipt", "format": "pdf", "layout": layout},
    )
    content = documents.receipt_pdf(payment, layout=layout, verify_url=verify_url(request, payment))
    return pdf.response(content, f"receipt-{payment.number}-{layout}.pdf".replace("/", "-"))


def _vouched(token: str) -> dict[str, Any]:
    """What the page confirms of the document with this token: never the patient. Looked up
    across clinics on purpose: the token is the key, whichever clinic printed the paper."""
    if len(token) < SHORTEST_TOKEN:
        raise Http404
    invoice = (
        Invoice.objects.all_clinics()
        .select_related("clinic", "credit_of")
        .filter(verify_token=token, status=InvoiceStatus.ISSUED)
        .first()
    )
    if invoice is not None:
        note = invoice.kind == InvoiceKind.CREDIT_NOTE
        return {
            "kind": "credit_note" if note else "invoice",
            "clinic": invoice.clinic,
            "number": invoice.number,
            "moment": invoice.issued_at,
            "amount": invoice.total,
            "credits": invoice.credit_of.number if note and invoice.credit_of else "",
        }
    payment = (
        Payment.objects.all_clinics()
        .select_related("clinic", "invoice")
        .filter(verify_token=token)
        .first()
    )
    if payment is None:
        raise Http404
    return {
        "kind": "receipt",
        "clinic": payment.clinic,
        "number": payment.number,
        "moment": payment.received_at,
        "amount": payment.amount,
        "invoice_number": payment.invoice.number if payment.invoice else "",
    }


@requires("billing.verify")
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Is this printed invoice, credit note or receipt genuine? (The page its QR opens.)"""
    facts = _vouched(token)
    clinic = facts["clinic"]
    # Read, not ``prices.settings_of``: a visitor's page never writes the clinic's defaults.
    rules = BillingSettings.objects.for_clinic(clinic).values_list("tax_number", flat=True)
    facts["tax_number"] = rules.first() or ""
    facts["day"] = clinic.local_date(facts["moment"])
    response = render(request, "billing/verify.html", facts)
    response["Referrer-Policy"] = "no-referrer"  # the address is the key
    response["X-Robots-Tag"] = "noindex"
    return response
