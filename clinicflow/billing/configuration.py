"""The clinic's billing settings, as a manager changes them: when consultations are charged,
who takes payment, the fiscal year, tax, approval thresholds, notes and coins, and the QR
merchant (refused where a payment code could not carry it)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from clinicflow.billing import prices, qr
from clinicflow.billing.models import BillingSettings
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import DomainError, field_errors

#: What a manager may change of the clinic's billing settings.
SETTINGS_FIELDS = (
    "consultation_charged_at",
    "payment_counter",
    "fiscal_year_rule",
    "vat_rate",
    "tax_number",
    "discount_approval_above",
    "refund_approval_above",
    "denominations",
    "qr_merchant_name",
    "qr_merchant_city",
    "qr_merchant_category",
    "qr_account_guid",
    "qr_account_id",
)


@transaction.atomic
def update_settings(*, actor: Actor, changes: dict[str, Any]) -> BillingSettings:
    """A manager changes the clinic's billing settings. Errors: ``DomainError`` naming the
    field; a change of fiscal year takes effect with the next number issued."""
    clinic = policy.require(actor, "billing.prices.manage")
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise DomainError("These settings cannot be changed here: " + ", ".join(sorted(unknown)))
    prices.settings_of(clinic)
    rules = BillingSettings.objects.for_clinic(clinic).select_for_update().get()
    for name, value in changes.items():
        setattr(rules, name, value.strip() if isinstance(value, str) else value)
    with field_errors():
        rules.full_clean(exclude=["clinic"], validate_constraints=False)
    # What the constraints hold too, said in words at the field.
    if not 0 <= rules.vat_rate < 100:
        raise DomainError("The VAT rate is a percentage under 100.", field="vat_rate")
    for name in ("discount_approval_above", "refund_approval_above"):
        if getattr(rules, name) < 0:
            raise DomainError("A threshold cannot be negative.", field=name)
    qr.check_merchant(rules)
    rules.save()
    return rules
