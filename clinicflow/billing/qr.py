"""An issued invoice's payment QR: the EMVCo payload for what is still due, from the
clinic's merchant settings, for the page, the printout and the API alike."""

from __future__ import annotations

from decimal import Decimal

from django.utils.safestring import SafeString, mark_safe

from clinicflow.billing import emvco, prices
from clinicflow.billing.models import BillingSettings, Invoice, InvoiceKind
from clinicflow.core.errors import Conflict, DomainError

#: The currency the code carries (ISO 4217 numeric); NEPALPAY QR settles in rupees.
CURRENCIES = {"NPR": emvco.NPR}


#: Which setting an EMVCo refusal is about, by the data object it names.
SETTING_OF_TAG = {"59": "qr_merchant_name", "60": "qr_merchant_city", "52": "qr_merchant_category"}


def merchant_of(rules: BillingSettings) -> emvco.Merchant:
    """The clinic's QR merchant; ``emvco.EMVCoError`` when a setting cannot go in a code."""
    return emvco.Merchant(
        name=rules.qr_merchant_name,
        city=rules.qr_merchant_city,
        mcc=rules.qr_merchant_category,
        guid=rules.qr_account_guid,
        account_id=rules.qr_account_id,
    )


def check_merchant(rules: BillingSettings) -> None:
    """Refuse QR settings a code could not carry, at the setting at fault."""
    if not any(getattr(rules, name) for name in ("qr_account_guid", "qr_account_id")):
        return
    try:
        merchant_of(rules)
    except emvco.EMVCoError as exc:
        field = SETTING_OF_TAG.get((exc.tag or "").split(".")[0], "qr_account_id")
        raise DomainError(exc.message, field=field) from None


def payload_for(invoice: Invoice, rules: BillingSettings | None = None) -> tuple[str, Decimal]:
    """The payload and the amount it asks. A Conflict when the clinic has no QR merchant, bills
    in a currency the code cannot carry, or nothing is due on an issued invoice. ``rules``:
    the clinic's billing settings, when the caller has them already (a page of several)."""
    rules = rules or prices.settings_of(invoice.clinic)
    if not rules.qr_ready:
        raise Conflict("This clinic has no QR merchant set up.", code="no_qr_merchant")
    currency = CURRENCIES.get(invoice.clinic.currency)
    if currency is None:
        raise Conflict("QR payment is in Nepali rupees only.", code="no_qr_merchant")
    if invoice.kind != InvoiceKind.INVOICE or not invoice.is_issued:
        raise Conflict("Only an issued invoice has a payment QR.")
    due = invoice.patient_due
    if due <= 0:
        raise Conflict("Nothing is due on this invoice.", code="nothing_due")
    try:
        payload = emvco.merchant_payload(
            merchant=merchant_of(rules), amount=due, currency=currency, bill_number=invoice.number
        )
    except emvco.EMVCoError as exc:
        raise Conflict(
            f"This clinic's QR merchant is not set up fully: {exc}", code="no_qr_merchant"
        ) from None
    return payload, due


def svg_for(invoice: Invoice, rules: BillingSettings | None = None) -> SafeString | None:
    """The QR as inline SVG, or None where there is none to show."""
    try:
        payload, _due = payload_for(invoice, rules)
    except Conflict:
        return None
    # segno writes the SVG from the checked payload: no text of ours is in it.
    return mark_safe(emvco.qr_svg(payload, title=f"Pay {invoice.number}"))  # noqa: S308
