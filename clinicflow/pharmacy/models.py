"""The pharmacy's catalogue: the medicines a clinic stocks and what prescribing's safety checks
need to know of them. Stock (batches and the ledger) and dispensing come next."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
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
