"""The pharmacy: the catalogue (what a clinic stocks and what prescribing's safety checks need to
know of it), stock in batches with an append-only ledger, and what was dispensed from which
batch. The database holds the invariants: no batch below zero, no ledger row changed."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from clinicflow.core.models import Audited, ClinicOwned


class Medicine(Audited, ClinicOwned):
    generic_name = models.CharField(_("generic name"), max_length=120)
    brand = models.CharField(_("brand"), max_length=120, blank=True)
    form = models.CharField(_("form"), max_length=40)
    strength = models.CharField(_("strength"), max_length=40, blank=True)
    unit = models.CharField(_("unit"), max_length=20, default="tablet")
    #: Active ingredients, lower case, separated by ";" (used by the safety checks).
    ingredients = models.CharField(_("active ingredients"), max_length=300)
    drug_class = models.CharField(_("class"), max_length=80, blank=True)
    max_daily_mg = models.DecimalField(
        _("maximum daily dose (mg)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    mg_per_unit = models.DecimalField(
        _("mg per unit"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    pregnancy_caution = models.BooleanField(_("caution in pregnancy"), default=False)
    paediatric_caution = models.BooleanField(_("caution in children"), default=False)
    reorder_level = models.PositiveIntegerField(_("reorder level"), default=0)
    sale_price = models.DecimalField(
        _("sale price"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["generic_name", "strength", "brand"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "generic_name", "brand", "form", "strength"],
                name="medicine_unique_product",
            ),
            models.CheckConstraint(
                condition=Q(sale_price__gte=0), name="medicine_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(max_daily_mg__isnull=True) | Q(max_daily_mg__gt=0),
                name="medicine_max_dose_positive",
            ),
            models.CheckConstraint(
                condition=Q(mg_per_unit__isnull=True) | Q(mg_per_unit__gt=0),
                name="medicine_mg_per_unit_positive",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "generic_name"], name="medicine_name_idx")]

    def __str__(self) -> str:
        brand = f" ({self.brand})" if self.brand else ""
        return f"{self.generic_name}{brand} {self.strength} {self.form}".strip()

    @property
    def ingredient_set(self) -> frozenset[str]:
        return frozenset(i.strip().lower() for i in self.ingredients.split(";") if i.strip())


class GoodsReceipt(Audited, ClinicOwned):
    """A delivery from a supplier: its lines are the batches (and their ``receive`` rows)."""

    supplier = models.CharField(_("supplier"), max_length=120)
    invoice_number = models.CharField(_("invoice number"), max_length=60)
    invoice_date = models.DateField(_("invoice date"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "supplier", "invoice_number"], name="receipt_unique_invoice"
            )
        ]

    def __str__(self) -> str:
        return f"{self.supplier} · {self.invoice_number}"


class StockBatch(Audited, ClinicOwned):
    """One batch of one medicine. ``on_hand`` is the sum of its ledger rows, kept by the
    services under a row lock; the database refuses it below zero."""

    medicine = models.ForeignKey(Medicine, on_delete=models.PROTECT, related_name="batches")
    batch_number = models.CharField(_("batch number"), max_length=60)
    expiry_date = models.DateField(_("expiry date"))
    cost_price = models.DecimalField(_("cost price"), max_digits=10, decimal_places=2)
    sale_price = models.DecimalField(_("sale price"), max_digits=10, decimal_places=2)
    on_hand = models.DecimalField(
        _("on hand"), default=Decimal("0"), max_digits=12, decimal_places=2
    )
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["expiry_date", "pk"]
        verbose_name_plural = "stock batches"
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "medicine", "batch_number"], name="batch_unique_number"
            ),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="batch_never_negative"),
            models.CheckConstraint(
                condition=Q(cost_price__gte=0, sale_price__gte=0), name="batch_prices_not_negative"
            ),
        ]
        indexes = [
            models.Index(
                fields=["medicine", "expiry_date"],
                condition=Q(on_hand__gt=0),
                name="batch_in_stock_fefo_idx",
            ),
            models.Index(fields=["clinic", "expiry_date"], name="batch_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.medicine} · {self.batch_number} (exp. {self.expiry_date:%Y-%m-%d})"


class MovementKind(models.TextChoices):
    RECEIVE = "receive", _("Received")
    DISPENSE = "dispense", _("Dispensed")
    RETURN = "return", _("Returned")
    ADJUST = "adjust", _("Adjusted")
    WRITE_OFF = "write_off", _("Written off")


#: Which way each kind moves stock (an adjustment goes either way).
INCOMING = (MovementKind.RECEIVE, MovementKind.RETURN)
OUTGOING = (MovementKind.DISPENSE, MovementKind.WRITE_OFF)


class StockMovement(Audited, ClinicOwned):
    """The append-only stock ledger: every change of a batch is one row, never updated or
    deleted (a trigger refuses both). ``balance_after`` is the batch's quantity after it."""

    batch = models.ForeignKey(StockBatch, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=MovementKind.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    balance_after = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    receipt = models.ForeignKey(
        GoodsReceipt, null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    dispense = models.ForeignKey(
        "Dispense", null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="movement_balance_ok"),
            models.CheckConstraint(
                condition=Q(kind__in=INCOMING, quantity__gt=0)
                | Q(kind__in=OUTGOING, quantity__lt=0)
                | Q(kind=MovementKind.ADJUST) & ~Q(quantity=0),
                name="movement_sign_fits_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[MovementKind.ADJUST, MovementKind.WRITE_OFF])
                | ~Q(reason=""),
                name="movement_adjustment_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MovementKind.RECEIVE) | Q(receipt__isnull=False),
                name="movement_receive_has_receipt",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MovementKind.DISPENSE) | Q(dispense__isnull=False),
                name="movement_dispense_has_dispense",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "at"], name="movement_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} · {self.batch}"


class Review(Audited, ClinicOwned):
    """A pharmacist's check of a prescription before dispensing: the safety checks run again
    against the patient's allergies and medicines of now. ``findings`` lists what fired; a
    finding the prescriber had not overridden needs the pharmacist's ``note``."""

    prescription = models.ForeignKey(
        "clinical.Prescription", on_delete=models.PROTECT, related_name="reviews"
    )
    findings = models.JSONField(default=list, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["-reviewed_at", "-pk"]

    def __str__(self) -> str:
        return f"Review of {self.prescription_id}"


class Dispense(Audited, ClinicOwned):
    """What was handed out for one prescription item from one batch: by whom, when, and why
    when it was another medicine (substitution) or not the first-expiring batch."""

    prescription = models.ForeignKey(
        "clinical.Prescription", on_delete=models.PROTECT, related_name="dispenses"
    )
    item = models.ForeignKey(
        "clinical.PrescriptionItem", on_delete=models.PROTECT, related_name="dispenses"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="dispenses"
    )
    medicine = models.ForeignKey(Medicine, on_delete=models.PROTECT, related_name="dispenses")
    batch = models.ForeignKey(StockBatch, on_delete=models.PROTECT, related_name="dispenses")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    substitution_reason = models.CharField(_("why another medicine"), max_length=200, blank=True)
    batch_reason = models.CharField(_("why this batch"), max_length=200, blank=True)
    #: The pharmacist said this item needs no more (e.g. one bottle covers the course).
    completes_item = models.BooleanField(default=False)
    dispensed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    dispensed_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["-dispensed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0, unit_price__gte=0), name="dispense_amounts_ok"
            )
        ]
        indexes = [
            models.Index(fields=["clinic", "dispensed_at"], name="dispense_at_idx"),
            models.Index(fields=["patient", "dispensed_at"], name="dispense_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.medicine}"

    @property
    def is_substitution(self) -> bool:
        return bool(self.substitution_reason)
