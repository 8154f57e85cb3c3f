"""Fixtures for billing: a priced service list, a registered patient with charges, a cashier
with an open shift."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import charges, prices, shifts
from clinicflow.billing.models import ItemKind, PriceItem, TaxCategory


@pytest.fixture
def billing_patient(register):
    return register(given_name="Sita", family_name="Gurung", phone="9841000001")


@pytest.fixture
def services(manager, clinic) -> dict[str, PriceItem]:
    """Three services on the standard list: a dressing (exempt), a certificate (VAT) and a
    registration fee."""
    actor = actor_for(manager)
    today = clinic.local_date()
    made = {}
    for code, name, kind, amount, tax in [
        ("DRESS", "Wound dressing", ItemKind.PROCEDURE, "350.00", TaxCategory.EXEMPT),
        ("CERT", "Medical certificate", ItemKind.OTHER, "200.00", TaxCategory.VAT),
        ("REG", "Registration", ItemKind.REGISTRATION, "100.00", TaxCategory.EXEMPT),
    ]:
        made[code] = prices.create_item(
            actor=actor,
            code=code,
            name=name,
            kind=kind,
            amount=amount,
            valid_from=today,
            tax_category=tax,
        )
    return made


@pytest.fixture
def charged(cashier, billing_patient, services):
    """The patient's unbilled charges: two dressings and a certificate (700 + 200 + 26 VAT)."""
    actor = actor_for(cashier)
    return [
        charges.add_manual(
            actor=actor, patient=billing_patient, item=services["DRESS"], quantity=2
        ),
        charges.add_manual(actor=actor, patient=billing_patient, item=services["CERT"]),
    ]


@pytest.fixture
def shift(cashier):
    return shifts.open_shift(actor=actor_for(cashier), opening_float=Decimal("1000"))


@pytest.fixture
def qr_clinic(clinic):
    """The clinic with its QR merchant and PAN/VAT number set up."""
    rules = prices.settings_of(clinic)
    rules.qr_merchant_name = "Himalaya Family Clinic"
    rules.qr_merchant_city = "Kathmandu"
    rules.qr_account_guid = "np.com.nepalpay"
    rules.qr_account_id = "9800000001"
    rules.tax_number = "601234567"
    rules.save()
    return clinic
