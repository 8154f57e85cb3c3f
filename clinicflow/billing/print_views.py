"""Printed invoices and receipts, as HTML pages in two layouts: A4, and an 80 mm thermal
roll (``?layout=thermal``). Each carries the clinic's header and PAN/VAT number, the number,
the AD date and, in Nepal, the BS date, the lines, tax, payments, the balance and the
payment QR, and a second QR that opens the public page confirming the paper
(``document_views.verify``). The same as PDFs: ``document_views``."""

from __future__ import annotations

from typing import Any

import segno
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from clinicflow.billing import prices, qr
from clinicflow.billing.document_views import verify_url
from clinicflow.billing.models import Invoice, InvoiceStatus, Payment
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.reads import record_row_read

VIEW = "billing.balances"
LAYOUTS = ("a4", "thermal")


def _layout(request: HttpRequest) -> str:
    asked = request.GET.get("layout", "a4")
    return asked if asked in LAYOUTS else "a4"


def _dates(clinic: Any, moment: Any) -> dict[str, Any]:
    """The day it was issued or paid, on the clinic's calendar (shown with its BS day)."""
    return {"day": clinic.local_date(moment) if moment else clinic.local_date()}


def _verify_svg(url: str | None) -> SafeString | None:
    if url is None:
        return None
    code = segno.make_qr(url, error="m")
    # segno draws the address as modules (no text of ours but the fixed title is in it).
    return mark_safe(code.svg_inline(scale=2, border=2, light="#fff", title="Verify this copy"))  # noqa: S308


@requires(VIEW)
def invoice_print(request: HttpRequest, pk: Any) -> HttpResponse:
    rows = Invoice.objects.select_related("clinic", "patient", "payer", "credit_of")
    invoice = access_object(actor_of(request), VIEW, rows, pk=pk)
    record_row_read(invoice, patient_key="patient_id", part="billing.invoice.print")
    clinic = invoice.clinic
    return render(
        request,
        "billing/invoice_print.html",
        {
            "invoice": invoice,
            "clinic": clinic,
            "patient": invoice.patient,
            "rules": prices.settings_of(clinic),
            "lines": list(invoice.lines.order_by("pk")),
            "payments": list(invoice.payments.prefetch_related("tenders").order_by("received_at")),
            "layout": _layout(request),
            "is_draft": invoice.status != InvoiceStatus.ISSUED,
            "qr": qr.svg_for(invoice),
            "verify_qr": _verify_svg(verify_url(request, invoice)),
            "printed_at": timezone.now(),
            **_dates(clinic, invoice.issued_at),
        },
    )


@requires(VIEW)
def receipt_print(request: HttpRequest, pk: Any) -> HttpResponse:
    rows = Payment.objects.select_related("clinic", "patient", "invoice", "received_by")
    payment = access_object(actor_of(request), VIEW, rows, pk=pk)
    record_row_read(payment, patient_key="patient_id", part="billing.receipt.print")
    clinic = payment.clinic
    return render(
        request,
        "billing/receipt_print.html",
        {
            "payment": payment,
            "invoice": payment.invoice,
            "clinic": clinic,
            "patient": payment.patient,
            "rules": prices.settings_of(clinic),
            "tenders": list(payment.tenders.all()),
            "layout": _layout(request),
            "qr": qr.svg_for(payment.invoice) if payment.invoice else None,
            "verify_qr": _verify_svg(verify_url(request, payment)),
            "printed_at": timezone.now(),
            **_dates(clinic, payment.received_at),
        },
    )
