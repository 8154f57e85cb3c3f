"""The price list and billing settings pages: everyone who charges sees today's prices; a
manager adds services, sets a price from a day on and changes the settings; bad input is
refused at the form and saves nothing; the others are refused."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from clinicflow.billing import prices
from clinicflow.billing.models import BillingSettings, Price, PriceItem

pytestmark = pytest.mark.django_db


def test_reception_sees_the_services_and_todays_prices(receptionist, sign_in, services):
    page = sign_in(receptionist).get(reverse("billing:prices")).content.decode()
    assert "Wound dressing" in page
    assert "350.00" in page
    assert 'data-testid="item-form"' not in page


def test_the_list_costs_the_same_queries_whatever_its_length(
    manager, sign_in, services, clinic, django_assert_max_num_queries
):
    client = sign_in(manager)
    client.get(reverse("billing:prices"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("billing:prices"))
    for index in range(10):
        PriceItem.objects.create(clinic=clinic, code=f"X{index}", name=f"X{index}", kind="other")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("billing:prices"))


def test_a_manager_adds_a_service_with_its_price(manager, sign_in, clinic):
    today = clinic.local_date()
    answer = sign_in(manager).post(
        reverse("billing:add_item"),
        {
            "code": "ecg",
            "name": "ECG",
            "kind": "procedure",
            "tax_category": "exempt",
            "department": "",
            "amount": "800",
            "valid_from": today.isoformat(),
        },
    )
    assert answer.status_code == 302
    item = PriceItem.objects.get(code="ECG")
    assert prices.price_of(item, today) == Decimal("800.00")


def test_a_bad_price_is_refused_at_the_form_and_adds_nothing(manager, sign_in, clinic):
    page = sign_in(manager).post(
        reverse("billing:add_item"),
        {
            "code": "ECG",
            "name": "ECG",
            "kind": "procedure",
            "tax_category": "exempt",
            "amount": "-1",
            "valid_from": clinic.local_date().isoformat(),
        },
    )
    assert page.status_code == 200
    assert "more than zero" in page.content.decode()
    assert not PriceItem.objects.filter(code="ECG").exists()


def test_a_new_price_applies_from_its_day(manager, sign_in, services, clinic):
    tomorrow = clinic.local_date() + timedelta(days=1)
    url = reverse("billing:set_price", args=[services["DRESS"].pk])
    sign_in(manager).post(url, {"amount": "400", "valid_from": tomorrow.isoformat()})
    assert prices.price_of(services["DRESS"], tomorrow) == Decimal("400.00")
    assert prices.price_of(services["DRESS"], clinic.local_date()) == Decimal("350.00")


@pytest.mark.parametrize("role", ["receptionist", "cashier"])
def test_only_a_manager_changes_prices(role, request, sign_in, services, clinic):
    client = sign_in(request.getfixturevalue(role))
    url = reverse("billing:set_price", args=[services["DRESS"].pk])
    answer = client.post(url, {"amount": "1", "valid_from": clinic.local_date().isoformat()})
    assert answer.status_code == 403
    assert Price.objects.count() == 3
    assert client.get(reverse("billing:settings")).status_code == 403


def test_another_clinics_item_is_not_found(other_clinic_manager, sign_in, services, other_clinic):
    url = reverse("billing:set_price", args=[services["DRESS"].pk])
    day = other_clinic.local_date().isoformat()
    assert (
        sign_in(other_clinic_manager).post(url, {"amount": "1", "valid_from": day}).status_code
        == 404
    )


def settings_data(clinic, **changes):
    data = {
        "consultation_charged_at": "start",
        "payment_counter": "pharmacy_own",
        "fiscal_year_rule": "bs-shrawan",
        "vat_rate": "13.00",
        "tax_number": "601234567",
        "discount_approval_above": "500",
        "refund_approval_above": "1000",
        "denominations": "1000,500,100,50,20,10,5,2,1",
        "qr_merchant_name": "Himalaya Clinic",
        "qr_merchant_city": "Kathmandu",
        "qr_merchant_category": "8062",
        "qr_account_guid": "fonepay.com",
        "qr_account_id": "2222080001",
    }
    return data | changes


def test_a_manager_changes_the_billing_settings(manager, sign_in, clinic):
    answer = sign_in(manager).post(reverse("billing:settings"), settings_data(clinic))
    assert answer.status_code == 302
    rules = BillingSettings.objects.get(clinic=clinic)
    assert (rules.consultation_charged_at, rules.payment_counter, rules.qr_ready) == (
        "start",
        "pharmacy_own",
        True,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("denominations", "1000;500"), ("vat_rate", "120"), ("qr_merchant_name", "Clinic\u202e")],
)
def test_bad_settings_are_refused_and_nothing_changes(manager, sign_in, clinic, field, value):
    page = sign_in(manager).post(
        reverse("billing:settings"), settings_data(clinic, **{field: value})
    )
    assert page.status_code == 200
    assert 'data-testid="settings-form"' in page.content.decode()
    rules = prices.settings_of(clinic)
    assert (rules.consultation_charged_at, rules.tax_number) == ("check_in", "")
