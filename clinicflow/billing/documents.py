"""Invoices, credit notes and receipts as PDFs, on A4 or on an 80 mm receipt roll as long as
the bill: the clinic's header with its PAN/VAT number, the number, the AD date (and BS in
Nepal), the patient, the lines with discount and tax, the totals, the payer's part, payments
and what is still due; the payment QR while something is due, and a second QR that opens the
public page confirming the paper is genuine (``billing:verify``).

The same facts as the HTML print pages (``print_views``), drawn with the shared PDF pieces of
``core.pdf``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from clinicflow.billing import prices, qr
from clinicflow.billing.models import Entry, Invoice, InvoiceKind, Payment, PaymentPurpose
from clinicflow.billing.money import summed
from clinicflow.core.errors import Conflict
from clinicflow.core.pdf import Document, roll
from clinicflow.core.templatetags.clinicflow import with_bs

A4, THERMAL = "a4", "thermal"
LAYOUTS = (A4, THERMAL)
ROLL_MM = 80.0


def layout_of(asked: str | None) -> str:
    return asked if asked in LAYOUTS else A4


def amount(value: Decimal) -> str:
    return f"{value:,.2f}"


def quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def day_of(clinic: Any, moment: datetime | None) -> str:
    """The day on the clinic's calendar, with its BS date for a clinic in Nepal."""
    return with_bs(clinic.local_date(moment) if moment else clinic.local_date(), clinic)


def invoice_title(invoice: Invoice, tax_number: str) -> str:
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return "Credit note"
    return "Tax invoice" if tax_number or invoice.tax_total else "Invoice"


@dataclass(frozen=True)
class Heading:
    """What the top of every printed bill says."""

    clinic: Any
    tax_number: str
    title: str
    number: str
    moment: datetime | None
    patient: Any
    verify_url: str | None


class Bill:
    """Writes a bill on a page in one of the two layouts."""

    def __init__(self, pdf: Document, layout: str) -> None:
        self.pdf = pdf
        self.thermal = layout == THERMAL
        self.small, self.body, self.big = (7, 8, 11) if self.thermal else (8, 10, 15)
        self.height = 4.0 if self.thermal else 5.5
        self.verify_size = 24.0 if self.thermal else 26.0

    # ------------------------------------------------------------ pieces

    def text(self, value: Any, *, size: float | None = None, style: str = "", **kw: Any) -> None:
        self.pdf.paragraph(value, size or self.body, style, self.height, **kw)

    def gap(self, mm: float = 2) -> None:
        self.pdf.ln(mm)

    def rule(self) -> None:
        pdf = self.pdf
        y = pdf.get_y() + 1
        pdf.set_line_width(0.2)
        pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
        pdf.set_y(y + 1)

    def pair(self, label: str, value: str, *, bold: bool = False) -> None:
        """A label and an amount on one line: amounts in a column at the right."""
        pdf = self.pdf
        value_width = 26.0 if self.thermal else 36.0
        style = "B" if bold else ""
        pdf.use(self.body, style)
        label_width = pdf.epw - value_width
        align = "L" if self.thermal else "R"
        pdf.multi_cell(
            label_width, self.height, pdf.clean(label), align=align, new_x="RIGHT", new_y="TOP"
        )
        pdf.multi_cell(
            value_width, self.height, pdf.clean(value), align="R", new_x="LMARGIN", new_y="NEXT"
        )

    def room_for(self, mm: float) -> None:
        pdf = self.pdf
        if pdf.auto_page_break and pdf.get_y() + mm > pdf.page_break_trigger:
            pdf.add_page()

    def code(self, data: str, caption: str, size: float) -> None:
        """A QR code with its caption above: centred on the roll, at the left on A4."""
        pdf = self.pdf
        self.room_for(size + 8)
        align = "C" if self.thermal else "L"
        self.text(caption, size=self.small, style="B", align=align)
        x = (pdf.w - size) / 2 if self.thermal else pdf.l_margin
        pdf.qr(data, x=x, y=pdf.get_y(), size=size)
        pdf.set_y(pdf.get_y() + size + 1)

    # ------------------------------------------------------------ the top and the bottom

    def heading(self, head: Heading) -> None:
        pdf, clinic = self.pdf, head.clinic
        centre = "C" if self.thermal else "L"
        # On A4 the verification QR sits at the top right, beside the clinic's header.
        width = 0.0 if self.thermal or not head.verify_url else pdf.epw - self.verify_size - 4
        if head.verify_url and not self.thermal:
            pdf.qr(
                head.verify_url,
                x=pdf.w - pdf.r_margin - self.verify_size,
                y=pdf.t_margin,
                size=self.verify_size,
            )
        self.text(clinic.name, size=self.big, style="B", align=centre, width=width)
        address = " · ".join(v for v in (clinic.address.replace("\n", ", "), clinic.phone) if v)
        if address:
            self.text(address, size=self.small, align=centre, width=width)
        if head.tax_number:
            self.text(f"PAN/VAT {head.tax_number}", style="B", align=centre, width=width)
        if head.verify_url and not self.thermal:
            pdf.set_y(max(pdf.get_y(), pdf.t_margin + self.verify_size + 1))
        self.gap()
        self.text(head.title, size=self.big - 2, style="B", align=centre)
        self.gap(1)
        self.text(f"No. {head.number}", style="B")
        self.text(f"Date: {day_of(clinic, head.moment)}")
        patient = head.patient
        self.text(f"Patient: {patient.full_name} · MRN {patient.mrn}")

    def footing(self, head: Heading, currency: str) -> None:
        self.gap()
        printed = timezone.localtime(timezone.now(), head.clinic.zone)
        self.text(f"Amounts in {currency} · printed {printed:%d %b %Y %H:%M}", size=self.small)
        if head.verify_url:
            if self.thermal:
                self.gap()
                self.code(head.verify_url, "Scan to verify this copy", self.verify_size)
            self.text(f"Verify: {head.verify_url}", size=self.small - 1)

    # ------------------------------------------------------------ an invoice's body

    def invoice_lines(self, invoice: Invoice, lines: list[Any]) -> None:
        if self.thermal:
            self.rule()
            for line in lines:
                self.text(line.description, style="B")
                self.pair(
                    f"{quantity(line.quantity)} × {amount(line.unit_price)}", amount(line.total)
                )
                extras = []
                if line.discount:
                    extras.append(f"discount −{amount(line.discount)}")
                if line.tax:
                    extras.append(f"tax {amount(line.tax)}")
                if extras:
                    self.text(" · ".join(extras), size=self.small)
            self.rule()
            return
        pdf = self.pdf
        pdf.use(self.body - 1)
        head = ("Description", "Qty", "Unit price", "Discount", "Tax", "Total")
        with pdf.table(
            col_widths=(74, 14, 26, 24, 22, 30),
            text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
            line_height=self.height,
            borders_layout="HORIZONTAL_LINES",
            width=pdf.epw,
        ) as table:
            table.row(head)
            for line in lines:
                table.row(
                    (
                        pdf.clean(line.description),
                        quantity(line.quantity),
                        amount(line.unit_price),
                        f"−{amount(line.discount)}" if line.discount else "",
                        amount(line.tax),
                        amount(line.total),
                    )
                )
        self.gap()

    def invoice_totals(self, invoice: Invoice, currency: str) -> None:
        self.pair("Subtotal", amount(invoice.subtotal))
        if invoice.discount_total:
            reason = f" ({invoice.discount_reason})" if invoice.discount_reason else ""
            self.pair(f"Discount{reason}", f"−{amount(invoice.discount_total)}")
        self.pair("Tax", amount(invoice.tax_total))
        self.pair("Total", f"{amount(invoice.total)} {currency}", bold=True)
        if invoice.payer_share:
            self.pair(f"Paid by {invoice.payer}", f"−{amount(invoice.payer_share)}")
            self.pair("Patient's share", amount(invoice.patient_share))
        if invoice.kind != InvoiceKind.INVOICE:
            return
        if invoice.credited:
            self.pair("Credited", f"−{amount(invoice.credited)}")
        if invoice.paid:
            self.pair("Paid", f"−{amount(invoice.paid)}")
        if invoice.is_issued:
            self.pair("Balance due", f"{amount(invoice.patient_due)} {currency}", bold=True)

    def payments(self, payments: list[Payment]) -> None:
        if not payments:
            return
        self.gap()
        self.text("Payments", style="B")
        for payment in payments:
            tenders = ", ".join(
                f"{t.get_method_display()} {amount(t.amount)}" for t in payment.tenders.all()
            )
            when = timezone.localtime(payment.received_at, payment.clinic.zone)
            self.text(
                f"{payment.number} · {when.day} {when:%b %Y} · {tenders}", size=self.small + 1
            )

    def payment_code(self, invoice: Invoice | None, currency: str) -> None:
        """The payment QR, only while something is due and the clinic takes QR payments."""
        if invoice is None:
            return
        try:
            payload, due = qr.payload_for(invoice)
        except Conflict:
            return
        self.gap()
        self.code(payload, f"Scan to pay {amount(due)} {currency}", 34.0)


def _draw_invoice(
    pdf: Document, layout: str, invoice: Invoice, head: Heading, payments: list[Payment]
) -> None:
    bill = Bill(pdf, layout)
    currency = invoice.clinic.currency
    bill.heading(head)
    if invoice.payer:
        bill.text(f"Payer: {invoice.payer}")
    if not invoice.is_issued:
        bill.text("DRAFT — not valid until issued", style="B")
    if invoice.credit_of:
        bill.text(f"Credits invoice {invoice.credit_of.number}", style="B")
        bill.text(f"Reason: {invoice.reason}")
    bill.gap()
    bill.invoice_lines(invoice, list(invoice.lines.order_by("pk")))
    bill.invoice_totals(invoice, currency)
    bill.payments(payments)
    bill.payment_code(invoice, currency)
    bill.footing(head, currency)


def _draw_receipt(pdf: Document, layout: str, payment: Payment, head: Heading) -> None:
    bill = Bill(pdf, layout)
    currency = payment.clinic.currency
    invoice = payment.invoice
    bill.heading(head)
    bill.gap()
    bill.text("Received", style="B")
    for tender in payment.tenders.all():
        reference = f" ({tender.reference})" if tender.reference else ""
        bill.pair(f"{tender.get_method_display()}{reference}", amount(tender.amount))
    bill.pair("Amount received", f"{amount(payment.amount)} {currency}", bold=True)
    bill.gap()
    if invoice is not None:
        bill.text(f"For invoice {invoice.number}", style="B")
        bill.pair("Invoice total", amount(invoice.total))
        if invoice.payer_share:
            bill.pair(f"Paid by {invoice.payer}", f"−{amount(invoice.payer_share)}")
        if invoice.credited:
            bill.pair("Credited", f"−{amount(invoice.credited)}")
        bill.pair("Paid so far", f"−{amount(invoice.paid)}")
        bill.pair("Balance due", f"{amount(invoice.patient_due)} {currency}", bold=True)
        kept = summed(payment.ledger.filter(kind=Entry.DEPOSITED).aggregate(t=Sum("credit"))["t"])
        if kept:  # a gateway's payment beyond the bill (``payments.gateway_share``)
            bill.pair("Kept on the patient's account", f"{amount(kept)} {currency}")
    else:
        bill.text("Deposit held on the patient's account.")
    if payment.received_by:
        bill.text(f"Received by {payment.received_by}", size=bill.small)
    bill.payment_code(invoice, currency)
    bill.footing(head, currency)


def _render(layout: str, draw: Any) -> bytes:
    if layout == THERMAL:
        return roll(draw, width=ROLL_MM)
    pdf = Document(format="A4")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    draw(pdf)
    return bytes(pdf.output())


def invoice_pdf(invoice: Invoice, *, layout: str, verify_url: str | None) -> bytes:
    """An invoice or credit note (``verify_url``: None for a draft, which has no page)."""
    rules = prices.settings_of(invoice.clinic)
    head = Heading(
        clinic=invoice.clinic,
        tax_number=rules.tax_number,
        title=invoice_title(invoice, rules.tax_number),
        number=invoice.number or "Draft",
        moment=invoice.issued_at or invoice.created_at,
        patient=invoice.patient,
        verify_url=verify_url if invoice.is_issued else None,
    )
    payments = list(invoice.payments.prefetch_related("tenders").order_by("received_at"))
    return _render(layout, lambda pdf: _draw_invoice(pdf, layout, invoice, head, payments))


def receipt_pdf(payment: Payment, *, layout: str, verify_url: str | None) -> bytes:
    rules = prices.settings_of(payment.clinic)
    deposit = payment.purpose == PaymentPurpose.DEPOSIT
    head = Heading(
        clinic=payment.clinic,
        tax_number=rules.tax_number,
        title="Deposit receipt" if deposit else "Payment receipt",
        number=payment.number,
        moment=payment.received_at,
        patient=payment.patient,
        verify_url=verify_url,
    )
    return _render(layout, lambda pdf: _draw_receipt(pdf, layout, payment, head))
