"""A manager sets up the clinic's billing: its settings (the PAN/VAT number, the payment QR),
payers and their price lists. Nobody else may, and a wrong value changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import configuration, prices
from clinicflow.billing.models import Payer, PriceList
from clinicflow.core.errors import DomainError

pytestmark = pytest.mark.django_db


def test_a_manager_sets_the_tax_number_and_the_payment_qr(manager, clinic):
    rules = configuration.update_settings(
        actor=actor_for(manager),
        changes={
            "tax_number": " 601234567 ",
            "qr_merchant_name": "Himalaya Family Clinic",
            "qr_merchant_city": "Kathmandu",
            "qr_account_guid": "fonepay.com",
            "qr_account_id": "2222090012345678",
        },
    )
    assert rules.tax_number == "601234567"
    assert prices.settings_of(clinic).qr_ready


def test_a_bad_setting_is_refused_and_nothing_changes(manager, clinic):
    with pytest.raises(DomainError) as refused:
        configuration.update_settings(
            actor=actor_for(manager), changes={"vat_rate": "150", "tax_number": "1"}
        )
    assert refused.value.field == "vat_rate"
    assert prices.settings_of(clinic).tax_number == ""
    with pytest.raises(DomainError):
        configuration.update_settings(actor=actor_for(manager), changes={"clinic": None})


def test_a_payer_and_its_price_list(manager, clinic):
    actor = actor_for(manager)
    payer = prices.add_payer(
        actor=actor, name="Health  Insurance Board", kind="insurer", reference="SSP-1"
    )
    listed = prices.add_price_list(actor=actor, name=payer.name, payer=payer)
    assert (payer.name, listed.payer, listed.is_default) == ("Health Insurance Board", payer, False)
    assert PriceList.objects.filter(is_default=True).count() == 1
    with pytest.raises(DomainError):
        prices.add_payer(actor=actor, name="health insurance board", kind="insurer")
    with pytest.raises(DomainError):
        prices.add_payer(actor=actor, name="Someone", kind="friend")
    with pytest.raises(DomainError):
        prices.add_price_list(actor=actor, name="Health Insurance Board")


def test_a_cashier_cannot_set_up_billing(cashier, clinic):
    actor = actor_for(cashier)
    with pytest.raises(DomainError):
        configuration.update_settings(actor=actor, changes={"tax_number": "1"})
    with pytest.raises(DomainError):
        prices.add_payer(actor=actor, name="Friends", kind="other")
    assert not Payer.objects.exists()
    assert prices.settings_of(clinic).vat_rate == Decimal("13.00")
