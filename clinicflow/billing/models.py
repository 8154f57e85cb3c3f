"""Billing: what a clinic charges (price lists), what it charged (charges, captured where the
service happened), what it asked to be paid (invoices and credit notes, unchangeable once
issued) and every money movement (the append-only ledger every balance is read from).

Money is ``Decimal`` with two places in the clinic's currency; ``billing.money`` says how and
where it is rounded. The database holds what it can: a source is charged once, an issued
invoice never changes, nothing is paid beyond what is owed, the ledger is never rewritten."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from clinicflow.core.bsdates import FiscalYearRule
from clinicflow.core.models import Audited, ClinicOwned

MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")
#: Amounts are whole cents; sums are compared within half of one, because SQLite (the
#: embedded default) computes them in binary floating point. On PostgreSQL it is exact.
HALF_CENT = Decimal("0.005")


def verification_token() -> str:
    """The secret in a printed document's verification link: 256 random bits, so the public
    page it opens cannot be found by trying addresses."""
    return secrets.token_urlsafe(32)


def money(verbose_name: Any, **kwargs: Any) -> models.DecimalField:
    return models.DecimalField(verbose_name, **MONEY, **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the clinic's billing rules


class ConsultationChargedAt(models.TextChoices):
    CHECK_IN = "check_in", _("at check-in")
    START = "start", _("when the consultation starts")


class PaymentCounter(models.TextChoices):
    CASHIER = "cashier", _("one cashier for everything")
    PHARMACY_OWN = "pharmacy_own", _("the pharmacy takes payment for its own invoices")


#: NPR notes and coins in circulation, largest first.
NPR_DENOMINATIONS = "1000,500,100,50,20,10,5,2,1"


class BillingSettings(Audited, ClinicOwned):
    """One per clinic: when consultations are charged, who takes payment, tax rates,
    approval thresholds, the fiscal year and what the payment QR carries."""

    consultation_charged_at = models.CharField(
        _("charge consultations"),
        max_length=10,
        choices=ConsultationChargedAt.choices,
        default=ConsultationChargedAt.CHECK_IN,
    )
    payment_counter = models.CharField(
        _("who takes payment"),
        max_length=12,
        choices=PaymentCounter.choices,
        default=PaymentCounter.CASHIER,
    )
    fiscal_year_rule = models.CharField(
        _("fiscal year"),
        max_length=12,
        choices=FiscalYearRule.choices,
        default=FiscalYearRule.BS_SHRAWAN,
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("13.00")
    )
    tax_number = models.CharField(_("PAN/VAT number"), max_length=20, blank=True)
    discount_approval_above = money(
        _("discounts above this need a manager"), default=Decimal("500.00")
    )
    refund_approval_above = money(
        _("refunds above this need a manager"), default=Decimal("1000.00")
    )
    denominations = models.CharField(
        _("notes and coins"),
        max_length=100,
        default=NPR_DENOMINATIONS,
        validators=[
            RegexValidator(
                r"^\d{1,6}(\.\d{1,2})?(,\d{1,6}(\.\d{1,2})?)*$",
                _("Values separated by commas, largest first, e.g. 1000,500,100,50."),
            )
        ],
    )
    qr_merchant_name = models.CharField(_("QR merchant name"), max_length=25, blank=True)
    qr_merchant_city = models.CharField(_("QR merchant city"), max_length=15, blank=True)
    qr_merchant_category = models.CharField(
        _("QR merchant category code"), max_length=4, default="8062"
    )
    qr_account_guid = models.CharField(_("QR network identifier"), max_length=32, blank=True)
    qr_account_id = models.CharField(_("QR merchant account"), max_length=40, blank=True)

    class Meta:
        verbose_name_plural = "billing settings"
        constraints = [
            models.UniqueConstraint(fields=["clinic"], name="billing_settings_one_per_clinic"),
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0, vat_rate__lt=100), name="billing_vat_rate_range"
            ),
            models.CheckConstraint(
                condition=Q(discount_approval_above__gte=0, refund_approval_above__gte=0),
                name="billing_thresholds_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Billing settings of {self.clinic_id}"

    @property
    def denomination_values(self) -> list[Decimal]:
        return [Decimal(d) for d in self.denominations.split(",") if d.strip()]

    @property
    def qr_ready(self) -> bool:
        return bool(self.qr_merchant_name and self.qr_account_guid and self.qr_account_id)


# ---------------------------------------------------------------- prices


class PayerKind(models.TextChoices):
    INSURER = "insurer", _("Insurer")
    COMPANY = "company", _("Company")
    OTHER = "other", _("Other")


class Payer(Audited, ClinicOwned):
    """Who pays part of some patients' bills: an insurer or a company."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=PayerKind.choices)
    reference = models.CharField(_("scheme or contract number"), max_length=60, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="payer_unique_name")]

    def __str__(self) -> str:
        return self.name


class PriceList(Audited, ClinicOwned):
    """A set of prices: the clinic's default (cash) list, or one for a payer."""

    name = models.CharField(_("name"), max_length=80)
    payer = models.ForeignKey(
        Payer, null=True, blank=True, on_delete=models.PROTECT, related_name="price_lists"
    )
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="price_list_unique_name"),
            models.UniqueConstraint(
                fields=["clinic"], condition=Q(is_default=True), name="price_list_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ItemKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    FOLLOW_UP = "follow_up", _("Follow-up")
    PROCEDURE = "procedure", _("Procedure")
    REGISTRATION = "registration", _("Registration")
    MEDICINE = "medicine", _("Medicine")
    LAB = "lab", _("Laboratory")
    OTHER = "other", _("Other service")


class TaxCategory(models.TextChoices):
    EXEMPT = "exempt", _("Exempt")
    VAT = "vat", _("VAT")


class PriceItem(Audited, ClinicOwned):
    """Something the clinic charges for. ``code`` is unique per clinic; items that a domain
    keeps in step with its own records (a doctor's consultation) have a code it derives."""

    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=14, choices=ItemKind.choices)
    department = models.CharField(_("department"), max_length=80, blank=True)
    tax_category = models.CharField(
        _("tax"), max_length=8, choices=TaxCategory.choices, default=TaxCategory.EXEMPT
    )
    #: Only these may be added by hand at the counter (a medicine is charged by dispensing).
    is_manual = models.BooleanField(_("can be charged by hand"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "code"], name="price_item_unique_code")
        ]

    def __str__(self) -> str:
        return self.name


class Price(Audited, ClinicOwned):
    """An item's price on a list from a day on. A new price is a new row: the old one keeps
    its days, so a charge made under it is never repriced."""

    price_list = models.ForeignKey(PriceList, on_delete=models.PROTECT, related_name="prices")
    item = models.ForeignKey(PriceItem, on_delete=models.PROTECT, related_name="prices")
    amount = money(_("price"))
    valid_from = models.DateField(_("valid from"))

    class Meta:
        ordering = ["item", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "item", "valid_from"], name="price_one_per_day"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.amount} from {self.valid_from}"


# ---------------------------------------------------------------- charges


class ChargeStatus(models.TextChoices):
    UNBILLED = "unbilled", _("Not yet invoiced")
    BILLED = "billed", _("Invoiced")
    VOID = "void", _("Void")


class Charge(Audited, ClinicOwned):
    """One thing to bill a patient for, captured where it happened: its source (a kind a
    domain registered in ``billing.sources`` and that domain's id) is charged at most once."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    source_kind = models.CharField(max_length=40)
    source_id = models.CharField(max_length=64)
    item = models.ForeignKey(
        PriceItem, null=True, blank=True, on_delete=models.PROTECT, related_name="charges"
    )
    description = models.CharField(_("description"), max_length=200)
    department = models.CharField(_("department"), max_length=80, blank=True)
    #: The doctor (or other professional) who gave the service, for takings by doctor.
    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_price = money(_("unit price"))
    amount = money(_("amount"))
    tax_category = models.CharField(
        max_length=8, choices=TaxCategory.choices, default=TaxCategory.EXEMPT
    )
    status = models.CharField(
        max_length=10, choices=ChargeStatus.choices, default=ChargeStatus.UNBILLED
    )
    void_reason = models.CharField(_("why void"), max_length=200, blank=True)
    #: A return's negative charge names the charge it gives back (in part).
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    charged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    charged_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["charged_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "source_kind", "source_id"], name="charge_source_once"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0)
                & (
                    Q(quantity__gt=0, amount__gte=0, reverses__isnull=True)
                    | Q(quantity__lt=0, amount__lte=0, reverses__isnull=False)
                ),
                name="charge_amounts_ok",
            ),
            models.CheckConstraint(
                condition=~Q(status=ChargeStatus.VOID) | ~Q(void_reason=""),
                name="charge_void_has_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["clinic", "patient"],
                condition=Q(status=ChargeStatus.UNBILLED),
                name="charge_unbilled_idx",
            ),
            models.Index(fields=["clinic", "charged_at"], name="charge_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.description} · {self.amount}"


# ---------------------------------------------------------------- invoices


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    VOID = "void", _("Discarded draft")


class Invoice(Audited, ClinicOwned):
    """An invoice, or a credit note (``credit_of`` names the invoice it corrects). A draft
    may change; once issued nothing on it or its lines changes but ``paid`` and ``credited``
    (a trigger on PostgreSQL), and what it asks of the patient is ``patient_due``."""

    kind = models.CharField(max_length=12, choices=InvoiceKind.choices, default="invoice")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    number = models.CharField(_("number"), max_length=40, blank=True)
    fiscal_year = models.CharField(_("fiscal year"), max_length=12, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)
    credit_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    price_list = models.ForeignKey(
        PriceList, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payer = models.ForeignKey(
        Payer, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    subtotal = money(_("subtotal"), default=ZERO)
    discount_total = money(_("discount"), default=ZERO)
    discount_reason = models.CharField(_("why the discount"), max_length=200, blank=True)
    discount_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tax_total = money(_("tax"), default=ZERO)
    total = money(_("total"), default=ZERO)
    payer_share = money(_("payer's part"), default=ZERO)
    #: Settled so far by payments and deposits (kept by the payment services under the
    #: invoice's lock; the ledger is the record, this is its running sum).
    paid = money(_("paid"), default=ZERO)
    #: Taken off by credit notes.
    credited = money(_("credited"), default=ZERO)
    #: Empty when no one at a counter made it: the credit note of an online booking's fee
    #: that was not paid in time (the release sweep's).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    #: Opens the public page that confirms a printed copy (``billing:verify``); given when the
    #: row is made, so it is fixed by the time the invoice is issued.
    verify_token = models.CharField(
        max_length=64, unique=True, default=verification_token, editable=False
    )

    audit_secrets: ClassVar[tuple[str, ...]] = ("verify_token",)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "number"], condition=~Q(number=""), name="invoice_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(status=InvoiceStatus.ISSUED, sequence__isnull=False) & ~Q(number="")
                | ~Q(status=InvoiceStatus.ISSUED) & Q(sequence__isnull=True, number=""),
                name="invoice_number_when_issued",
            ),
            models.CheckConstraint(
                condition=Q(kind=InvoiceKind.INVOICE, credit_of__isnull=True)
                | Q(kind=InvoiceKind.CREDIT_NOTE, credit_of__isnull=False) & ~Q(reason=""),
                name="invoice_credit_note_refers",
            ),
            models.CheckConstraint(
                condition=Q(
                    subtotal__gte=0,
                    discount_total__gte=0,
                    tax_total__gte=0,
                    total__gte=0,
                    payer_share__gte=0,
                    paid__gte=0,
                    credited__gte=0,
                ),
                name="invoice_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(payer_share__lte=F("total")), name="invoice_payer_share_within"
            ),
            # Never more paid than the patient owes, whatever two cashiers do at once.
            models.CheckConstraint(
                condition=Q(paid__lte=F("total") - F("payer_share") - F("credited") + HALF_CENT),
                name="invoice_never_overpaid",
            ),
            models.CheckConstraint(
                condition=~Q(kind=InvoiceKind.CREDIT_NOTE) | Q(paid=0, credited=0),
                name="credit_note_not_paid",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "patient", "status"], name="invoice_patient_idx"),
            models.Index(fields=["clinic", "issued_at"], name="invoice_issued_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft {self.pk}"

    @property
    def is_issued(self) -> bool:
        return self.status == InvoiceStatus.ISSUED

    @property
    def patient_share(self) -> Decimal:
        return self.total - self.payer_share

    @property
    def patient_due(self) -> Decimal:
        """What the patient still owes on it."""
        return self.total - self.payer_share - self.credited - self.paid

    @property
    def payment_state(self) -> str:
        if not self.is_issued:
            return str(self.get_status_display())
        if self.patient_due <= 0:
            return str(_("Paid")) if self.paid else str(_("Settled"))
        return str(_("Partly paid")) if self.paid else str(_("Unpaid"))


class InvoiceLine(Audited, ClinicOwned):
    """One line: a charge on an invoice, or what a credit note takes back of an invoice's
    line (``credits``; its ``charge``, if any, is the negative charge of a return that it
    settles). Amounts are rounded per line (``billing.money``)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    charge = models.ForeignKey(
        Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    credits = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credited_by"
    )
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=12, decimal_places=2)
    unit_price = money(_("unit price"))
    gross = money(_("amount"))
    discount = money(_("discount"), default=ZERO)
    tax_category = models.CharField(max_length=8, choices=TaxCategory.choices)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=ZERO)
    tax = money(_("tax"), default=ZERO)
    total = money(_("total"))

    clinic_path: ClassVar[str] = "clinic"

    class Meta:
        ordering = ["pk"]
        constraints = [
            # A charge is on one invoice at most (a discarded draft frees it).
            models.UniqueConstraint(
                fields=["charge"], condition=Q(charge__isnull=False), name="line_charge_once"
            ),
            models.CheckConstraint(
                condition=Q(charge__isnull=False, credits__isnull=True) | Q(credits__isnull=False),
                name="line_charge_or_credit",
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0, tax__gte=0, discount__lte=F("gross"))
                | Q(gross__lt=0, discount=0),
                name="line_discount_within",
            ),
            models.CheckConstraint(
                condition=Q(total__gte=F("gross") - F("discount") + F("tax") - HALF_CENT)
                & Q(total__lte=F("gross") - F("discount") + F("tax") + HALF_CENT),
                name="line_total_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} · {self.total}"


class NumberSeries(ClinicOwned):
    """The last number given in a series (invoices, credit notes, receipts, refunds) of a
    clinic's fiscal year. Taken under a row lock in the transaction that issues, so numbers
    have no gaps and never repeat."""

    series = models.CharField(max_length=4)
    fiscal_year = models.CharField(max_length=12)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "series", "fiscal_year"], name="number_series_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.fiscal_year}: {self.last}"


# ---------------------------------------------------------------- the cash desk


class ShiftStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed, awaiting sign-off")
    SIGNED_OFF = "signed_off", _("Signed off")


class Shift(Audited, ClinicOwned):
    """A cashier's time at the counter: opened with a float, closed with the cash counted by
    denomination; the expected cash is the float plus the shift's cash rows in the ledger."""

    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=ShiftStatus.choices, default="open")
    opening_float = money(_("opening float"))
    opened_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    closed_at = models.DateTimeField(null=True, blank=True)
    counted = models.JSONField(_("counted notes and coins"), default=dict, blank=True)
    counted_cash = money(_("counted cash"), null=True, blank=True)
    expected_cash = money(_("expected cash"), null=True, blank=True)
    variance_reason = models.CharField(_("why the difference"), max_length=200, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "cashier"], condition=Q(status="open"), name="shift_one_open"
            ),
            models.CheckConstraint(
                condition=Q(opening_float__gte=0), name="shift_float_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | ~Q(status="open") & Q(closed_at__isnull=False, counted_cash__isnull=False),
                name="shift_closed_is_counted",
            ),
            models.CheckConstraint(
                condition=Q(counted_cash=F("expected_cash"))
                | Q(counted_cash__isnull=True)
                | ~Q(variance_reason=""),
                name="shift_variance_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="signed_off") | Q(signed_off_by__isnull=False),
                name="shift_signed_off_by",
            ),
        ]

    def __str__(self) -> str:
        return f"Shift {self.pk} ({self.get_status_display()})"

    @property
    def variance(self) -> Decimal | None:
        if self.counted_cash is None or self.expected_cash is None:
            return None
        return self.counted_cash - self.expected_cash


class Method(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    BANK = "bank", _("Bank transfer")
    QR = "qr", _("QR / mobile wallet")
    CHEQUE = "cheque", _("Cheque")


class PaymentPurpose(models.TextChoices):
    INVOICE = "invoice", _("Payment of an invoice")
    DEPOSIT = "deposit", _("Deposit (advance)")


class Payment(Audited, ClinicOwned):
    """Money received in one go, with its receipt number: for one invoice or as a deposit,
    in one or more tenders (split tender: part cash, part QR)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=8, choices=PaymentPurpose.choices)
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    number = models.CharField(_("receipt number"), max_length=40)
    amount = money(_("amount"))
    shift = models.ForeignKey(
        Shift, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    #: Empty for a payment a gateway reported (no one at a counter took it).
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    #: Opens the public page that confirms a printed receipt (``billing:verify``).
    verify_token = models.CharField(
        max_length=64, unique=True, default=verification_token, editable=False
    )

    audit_secrets: ClassVar[tuple[str, ...]] = ("verify_token",)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "number"], name="payment_unique_number"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=Q(purpose=PaymentPurpose.INVOICE, invoice__isnull=False)
                | Q(purpose=PaymentPurpose.DEPOSIT, invoice__isnull=True),
                name="payment_purpose_fits",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "received_at"], name="payment_at_idx")]

    def __str__(self) -> str:
        return f"{self.number} · {self.amount}"


class Tender(Audited, ClinicOwned):
    """One way a payment was made: cash, card, QR... with its reference (the card slip, the
    wallet's transaction id). A gateway's transaction is recorded once."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="tenders")
    method = models.CharField(max_length=8, choices=Method.choices)
    amount = money(_("amount"))
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    #: ``provider:transaction`` when a gateway reported it (idempotency of its callbacks).
    gateway_reference = models.CharField(max_length=120, null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="tender_positive"),
            models.UniqueConstraint(
                fields=["clinic", "gateway_reference"],
                condition=Q(gateway_reference__isnull=False),
                name="tender_gateway_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount}"


class RefundStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting", _("Awaiting a manager")
    APPROVED = "approved", _("Approved, to pay out")
    PAID = "paid", _("Paid out")
    REJECTED = "rejected", _("Rejected")


class Refund(Audited, ClinicOwned):
    """Money given back from the patient's credit (a credit note's excess, or a deposit):
    to the original method or in cash, with a reason; above the clinic's threshold only
    after a manager approved it."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    number = models.CharField(_("refund number"), max_length=40, blank=True)
    method = models.CharField(max_length=8, choices=Method.choices)
    amount = money(_("amount"))
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(max_length=10, choices=RefundStatus.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shift = models.ForeignKey(
        Shift, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="refund_has_reason"),
            models.CheckConstraint(
                condition=~Q(status=RefundStatus.PAID)
                | Q(paid_at__isnull=False, paid_by__isnull=False) & ~Q(number=""),
                name="refund_paid_recorded",
            ),
            models.UniqueConstraint(
                fields=["clinic", "number"], condition=~Q(number=""), name="refund_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.number or self.pk} · {self.amount}"


# ---------------------------------------------------------------- the ledger


class Entry(models.TextChoices):
    INVOICED = "invoiced", _("Invoice issued")
    CREDITED = "credited", _("Credit note")
    PAID = "paid", _("Payment")
    DEPOSITED = "deposited", _("Deposit")
    APPLIED = "applied", _("Deposit applied")
    REFUNDED = "refunded", _("Refund")
    CLAIM_PAID = "claim_paid", _("Payer's payment of a claim")


class LedgerEntry(Audited, ClinicOwned):
    """The append-only money ledger: every movement is one row, never updated or deleted (a
    trigger refuses both). Each row moves up to three balances of one patient:

    - ``owed``: what the patient owes on issued invoices (``invoice`` says which);
    - ``credit``: what the clinic holds for the patient (deposits, a credit note's excess);
    - ``cash``: money received (``method``, and the ``shift`` at a counter): in for payments,
      deposits and payers' payments of claims, out for refunds.

    Every balance (an invoice's, a patient's, a shift's, a day's takings) is a sum of rows.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Entry.choices)
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    refund = models.ForeignKey(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    claim = models.ForeignKey(
        "Claim", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    method = models.CharField(max_length=8, choices=Method.choices, blank=True)
    shift = models.ForeignKey(
        Shift, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    owed = money("owed", default=ZERO)
    credit = money("credit", default=ZERO)
    cash = money("cash", default=ZERO)
    #: Empty for a gateway's payment.
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "ledger entries"
        constraints = [
            # Each kind moves the balances it may, and the way it may.
            models.CheckConstraint(
                condition=Q(
                    kind=Entry.INVOICED, owed__gte=0, credit=0, cash=0, invoice__isnull=False
                )
                | Q(kind=Entry.CREDITED, owed__lte=0, credit__gte=0, cash=0, invoice__isnull=False)
                | Q(kind=Entry.PAID, owed__lt=0, credit=0, cash=-F("owed"), payment__isnull=False)
                | Q(
                    kind=Entry.DEPOSITED,
                    owed=0,
                    credit__gt=0,
                    cash=F("credit"),
                    payment__isnull=False,
                )
                | Q(kind=Entry.APPLIED, owed__lt=0, credit=F("owed"), cash=0, invoice__isnull=False)
                | Q(
                    kind=Entry.REFUNDED,
                    owed=0,
                    credit__lt=0,
                    cash=F("credit"),
                    refund__isnull=False,
                )
                | Q(kind=Entry.CLAIM_PAID, owed=0, credit=0, cash__gt=0, claim__isnull=False),
                name="ledger_entry_moves_fit_kind",
            ),
            models.CheckConstraint(
                condition=Q(cash=0, method="") | ~Q(cash=0) & ~Q(method=""),
                name="ledger_cash_has_method",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "patient"], name="ledger_patient_idx"),
            models.Index(fields=["invoice"], name="ledger_invoice_idx"),
            models.Index(fields=["shift"], name="ledger_shift_idx"),
            models.Index(fields=["clinic", "at"], name="ledger_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.owed}/{self.credit}/{self.cash}"


# ---------------------------------------------------------------- payers' parts


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("To submit")
    SUBMITTED = "submitted", _("Submitted")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")


class Claim(Audited, ClinicOwned):
    """A payer's part of an issued invoice, to claim from it. Shaped so that electronic
    submission (a FHIR Claim to Nepal's Health Insurance Board) can fill ``external_id``."""

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="claim")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="claims")
    amount = money(_("amount"))
    status = models.CharField(max_length=10, choices=ClaimStatus.choices, default="pending")
    external_id = models.CharField(_("payer's reference"), max_length=80, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    #: What the payer paid (at most the claim; the ledger holds the payment).
    paid_amount = money(_("paid by the payer"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="claim_positive"),
            models.CheckConstraint(
                condition=Q(
                    status=ClaimStatus.PAID, paid_amount__gt=0, paid_amount__lte=F("amount")
                )
                | ~Q(status=ClaimStatus.PAID) & Q(paid_amount__isnull=True),
                name="claim_paid_within",
            ),
            models.CheckConstraint(
                condition=~Q(status=ClaimStatus.REJECTED) | ~Q(note=""),
                name="claim_rejected_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim {self.invoice} · {self.amount}"
