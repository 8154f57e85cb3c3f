"""What billing tells patients: an invoice issued to them and a payment received from them
(a receipt). Registered as event kinds of the notifications app; emitted by ``invoices`` and
``payments`` inside the transaction that numbers the invoice or the receipt, so a refused or
rolled-back bill tells nobody. Amounts are shown in the clinic's currency (``money.shown``)."""

from __future__ import annotations

from clinicflow.billing.models import Invoice, Payment
from clinicflow.billing.money import shown
from clinicflow.notifications import events
from clinicflow.notifications.events import Audience, EventKind, Text
from clinicflow.notifications.models import Channel

INVOICE_ISSUED = "billing.invoice_issued"
PAYMENT_RECEIVED = "billing.payment_received"

PATIENT_CHANNELS = (Channel.SMS, Channel.EMAIL)

KINDS = (
    EventKind(
        key=INVOICE_ISSUED,
        label="Invoice issued",
        audience=Audience.PATIENT,
        channels=PATIENT_CHANNELS,
        placeholders=("patient", "number", "amount", "total"),
        texts={
            "en": Text(
                subject="Invoice {number} from {clinic}",
                body="Dear {patient},\n\nInvoice {number} is issued: {total} in all, "
                "{amount} for you to pay.\n\nThank you.\n\n{clinic}",
                sms="{clinic}: invoice {number} issued, {amount} to pay. Thank you.",
            ),
            "ne": Text(
                subject="{clinic} को बिल {number}",
                body="{patient} ज्यू,\n\nबिल {number} जारी भयो: जम्मा {total}, तपाईंले तिर्ने "
                "{amount}।\n\nधन्यवाद।\n\n{clinic}",
                sms="बिल {number}: {amount} तिर्न बाँकी। धन्यवाद",
            ),
        },
    ),
    EventKind(
        key=PAYMENT_RECEIVED,
        label="Payment received",
        audience=Audience.PATIENT,
        channels=PATIENT_CHANNELS,
        placeholders=("patient", "number", "amount", "invoice"),
        texts={
            "en": Text(
                subject="Payment received: {amount}",
                body="Dear {patient},\n\nWe received {amount} (receipt {number}). "
                "Thank you.\n\n{clinic}",
                sms="{clinic}: {amount} received, receipt {number}. Thank you.",
            ),
            "ne": Text(
                subject="भुक्तानी प्राप्त: {amount}",
                body="{patient} ज्यू,\n\n{amount} प्राप्त भयो (रसिद {number})। धन्यवाद।\n\n{clinic}",
                sms="{amount} प्राप्त भयो, रसिद {number}। धन्यवाद।",
            ),
        },
    ),
)


def register() -> None:
    for kind in KINDS:
        events.register_kind(kind)


def invoice_issued(invoice: Invoice) -> events.Emitted:
    """An invoice (not a credit note) was numbered: tell its patient what they owe."""
    clinic = invoice.clinic
    return events.emit(
        INVOICE_ISSUED,
        clinic=clinic,
        key=str(invoice.pk),
        patient=invoice.patient,
        values={
            "patient": invoice.patient.given_name,
            "number": invoice.number,
            "amount": shown(invoice.patient_share, clinic.currency),
            "total": shown(invoice.total, clinic.currency),
        },
    )


def payment_received(payment: Payment) -> events.Emitted:
    """A payment (of an invoice, or a deposit) was received: the patient's receipt."""
    clinic = payment.clinic
    return events.emit(
        PAYMENT_RECEIVED,
        clinic=clinic,
        key=str(payment.pk),
        patient=payment.patient,
        values={
            "patient": payment.patient.given_name,
            "number": payment.number,
            "amount": shown(payment.amount, clinic.currency),
            "invoice": payment.invoice.number if payment.invoice is not None else "",
        },
    )
