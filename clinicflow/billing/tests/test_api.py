"""The billing API at the cash desk: the price list, charges, invoices paid in parts and in
split tender, credit notes, deposits, refunds, shifts, and gateways' signed callbacks."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import balances, charges, invoices, prices
from clinicflow.billing.gateways import sign
from clinicflow.billing.models import (
    ChargeStatus,
    Entry,
    Invoice,
    ItemKind,
    LedgerEntry,
    Payment,
    Price,
    Refund,
    Tender,
)
from clinicflow.core.models import AuditAction, AuditEvent

SECRET = "gateway-shared-secret"


def url(name: str, *args: Any) -> str:
    return reverse(f"api:{name}", args=args)


def post(client: Client, address: str, body: Any = None) -> Any:
    return client.post(address, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def at_desk(sign_in, cashier) -> Client:
    return sign_in(cashier)


@pytest.fixture
def issued(cashier, billing_patient, charged) -> Invoice:
    """An issued invoice of two dressings and a certificate: 926.00 due."""
    return invoices.invoice_now(actor=actor_for(cashier), patient=billing_patient)


def tender(method: str, amount: Any, reference: str = "") -> dict[str, Any]:
    return {"method": method, "amount": amount, "reference": reference}


# ---------------------------------------------------------------- the price list


def test_cashier_sees_the_price_list_with_todays_prices(at_desk, services):
    rows = at_desk.get(url("price-item-list")).json()["results"]
    assert {r["code"]: r["price"] for r in rows} == {
        "DRESS": "350.00",
        "CERT": "200.00",
        "REG": "100.00",
    }


def test_manager_adds_a_service_and_gives_it_a_new_price(sign_in, manager, at_desk, clinic):
    client = sign_in(manager)
    made = post(
        client,
        url("price-item-list"),
        {"code": "ecg", "name": "ECG", "kind": ItemKind.PROCEDURE, "amount": "800"},
    )
    assert made.status_code == 201, made.json()
    assert (made.json()["code"], made.json()["price"]) == ("ECG", "800.00")
    item = made.json()["id"]
    same_day = post(client, url("price-item-set-price", item), {"amount": "900.50"})
    assert (same_day.status_code, same_day.json()["field"]) == (400, "valid_from")
    tomorrow = clinic.local_date() + timedelta(days=1)
    repriced = post(
        client,
        url("price-item-set-price", item),
        {"amount": "900.50", "valid_from": tomorrow.isoformat()},
    )
    assert repriced.status_code == 200
    assert repriced.json()["price"] == "800.00"  # today's, until tomorrow
    assert Price.objects.get(item_id=item, valid_from=tomorrow).amount == Decimal("900.50")
    refused = post(at_desk, url("price-item-list"), {"code": "X", "name": "X", "kind": "other"})
    assert refused.status_code == 403


# ---------------------------------------------------------------- charges


def test_receptionist_charges_a_service_and_the_cashier_voids_it(
    sign_in, receptionist, at_desk, billing_patient, services
):
    front = sign_in(receptionist)
    made = post(
        front,
        url("charge-list"),
        {"patient": str(billing_patient.pk), "item": services["DRESS"].pk, "quantity": "2"},
    )
    assert made.status_code == 201, made.json()
    charge = made.json()
    assert (charge["amount"], charge["status"]) == ("700.00", ChargeStatus.UNBILLED)
    assert (charge["patient_name"], charge["patient_mrn"]) == (
        billing_patient.full_name,
        billing_patient.mrn,
    )
    listed = at_desk.get(url("charge-list"), {"patient": billing_patient.pk, "status": "unbilled"})
    assert [r["id"] for r in listed.json()["results"]] == [charge["id"]]
    assert post(front, url("charge-void", charge["id"]), {"reason": "Twice"}).status_code == 403
    voided = post(at_desk, url("charge-void", charge["id"]), {"reason": "Added twice"})
    assert voided.status_code == 200
    assert voided.json()["status"] == ChargeStatus.VOID


def test_a_charge_of_a_negative_quantity_is_refused(at_desk, billing_patient, services):
    answer = post(
        at_desk,
        url("charge-list"),
        {"patient": str(billing_patient.pk), "item": services["DRESS"].pk, "quantity": "-1"},
    )
    assert answer.status_code == 400
    assert answer.json()["field"] == "quantity"


# ---------------------------------------------------------------- invoices and payments


def test_cashier_issues_at_once_and_takes_cash_and_qr_together(
    at_desk, billing_patient, charged, shift
):
    made = post(at_desk, url("invoice-list"), {"patient": str(billing_patient.pk), "issue": True})
    assert made.status_code == 201, made.json()
    invoice = made.json()
    assert (invoice["status"], invoice["total"], invoice["patient_due"]) == (
        "issued",
        "926.00",
        "926.00",
    )
    assert invoice["patient_mrn"] == billing_patient.mrn
    assert len(invoice["lines"]) == 2
    paid = post(
        at_desk,
        url("invoice-pay", invoice["id"]),
        {"tenders": [tender("cash", "500.00"), tender("qr", "426.00", "FP-991")]},
    )
    assert paid.status_code == 201, paid.json()
    assert paid.json()["amount"] == "926.00"
    assert [(t["method"], t["amount"]) for t in paid.json()["tenders"]] == [
        ("cash", "500.00"),
        ("qr", "426.00"),
    ]
    after = at_desk.get(url("invoice-detail", invoice["id"])).json()
    assert after["patient_due"] == "0.00"
    assert [p["number"] for p in after["payments"]] == [paid.json()["number"]]


def test_a_partial_payment_leaves_the_rest_due(at_desk, issued, shift):
    paid = post(at_desk, url("invoice-pay", issued.pk), {"tenders": [tender("cash", "500")]})
    assert paid.status_code == 201
    after = at_desk.get(url("invoice-detail", issued.pk)).json()
    assert (after["paid"], after["patient_due"]) == ("500.00", "426.00")


def test_a_large_discount_waits_for_a_managers_approval_before_issuing(
    at_desk, sign_in, manager, billing_patient, charged
):
    made = post(
        at_desk,
        url("invoice-list"),
        {"patient": str(billing_patient.pk), "charges": [charged[0].pk]},
    )
    assert made.status_code == 201
    draft = made.json()
    assert (draft["status"], draft["total"]) == ("draft", "700.00")
    discounted = post(
        at_desk, url("invoice-discount", draft["id"]), {"amount": "600", "reason": "Staff family"}
    )
    assert discounted.json()["total"] == "100.00"
    refused = post(at_desk, url("invoice-issue", draft["id"]))
    assert (refused.status_code, refused.json()["code"]) == (400, "needs_approval")
    assert post(at_desk, url("invoice-approve-discount", draft["id"])).status_code == 403
    approved = post(sign_in(manager), url("invoice-approve-discount", draft["id"]))
    assert approved.json()["discount_approved"] is True
    issued = post(at_desk, url("invoice-issue", draft["id"]))
    assert issued.status_code == 200
    assert issued.json()["number"].startswith("KTM-INV-")


def test_a_discarded_draft_cannot_be_paid(at_desk, billing_patient, charged, shift):
    draft = post(at_desk, url("invoice-list"), {"patient": str(billing_patient.pk)}).json()
    discarded = post(at_desk, url("invoice-discard", draft["id"]))
    assert discarded.json()["status"] == "void"
    answer = post(at_desk, url("invoice-pay", draft["id"]), {"tenders": [tender("cash", "10")]})
    assert answer.status_code == 409
    assert not Payment.objects.exists()


def test_a_credit_note_turns_what_was_paid_into_the_patients_credit(at_desk, issued, shift):
    post(at_desk, url("invoice-pay", issued.pk), {"tenders": [tender("cash", "926")]})
    note = post(at_desk, url("invoice-credit", issued.pk), {"reason": "Certificate not needed"})
    assert note.status_code == 201, note.json()
    assert (note.json()["kind"], note.json()["total"]) == ("credit_note", "926.00")
    assert note.json()["credit_of"] == issued.pk
    assert at_desk.get(url("invoice-detail", issued.pk)).json()["credited"] == "926.00"
    assert LedgerEntry.objects.get(kind=Entry.CREDITED).credit == Decimal("926.00")


def test_a_deposit_is_used_on_a_later_bill(at_desk, billing_patient, issued, shift):
    deposit = post(
        at_desk,
        url("payment-deposit"),
        {"patient": str(billing_patient.pk), "tenders": [tender("cash", "1000")]},
    )
    assert deposit.status_code == 201, deposit.json()
    assert (deposit.json()["purpose"], deposit.json()["invoice"]) == ("deposit", None)
    too_much = post(at_desk, url("invoice-use-credit", issued.pk), {"amount": "1000"})
    assert too_much.status_code == 409
    used = post(at_desk, url("invoice-use-credit", issued.pk), {"amount": "926.00"})
    assert used.status_code == 200
    assert used.json()["patient_due"] == "0.00"
    listed = at_desk.get(url("payment-list"), {"patient": billing_patient.pk}).json()["results"]
    assert [p["purpose"] for p in listed] == ["deposit"]


def test_a_refund_over_the_threshold_waits_for_a_manager(
    at_desk, sign_in, manager, billing_patient, services, shift
):
    post(
        at_desk,
        url("payment-deposit"),
        {"patient": str(billing_patient.pk), "tenders": [tender("cash", "1500")]},
    )
    asked = post(
        at_desk,
        url("refund-list"),
        {"patient": str(billing_patient.pk), "amount": "1200", "reason": "Treatment cancelled"},
    )
    assert asked.status_code == 201, asked.json()
    refund = asked.json()
    assert (refund["status"], refund["number"]) == ("awaiting", "")
    assert post(at_desk, url("refund-pay-out", refund["id"])).status_code == 409
    assert post(at_desk, url("refund-approve", refund["id"])).status_code == 403
    approved = post(sign_in(manager), url("refund-approve", refund["id"]))
    assert approved.json()["status"] == "approved"
    paid = post(at_desk, url("refund-pay-out", refund["id"]))
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert paid.json()["number"]


def test_a_manager_may_reject_a_refund(at_desk, sign_in, manager, billing_patient, shift):
    post(
        at_desk,
        url("payment-deposit"),
        {"patient": str(billing_patient.pk), "tenders": [tender("cash", "1500")]},
    )
    asked = post(
        at_desk,
        url("refund-list"),
        {"patient": str(billing_patient.pk), "amount": "1200", "reason": "Asked for it"},
    ).json()
    rejected = post(sign_in(manager), url("refund-reject", asked["id"]))
    assert rejected.json()["status"] == "rejected"
    assert Refund.objects.get().status == "rejected"


# ---------------------------------------------------------------- shifts


def test_a_shift_is_opened_closed_with_its_difference_explained_and_signed_off(
    at_desk, sign_in, manager, billing_patient
):
    opened = post(at_desk, url("shift-open"), {"opening_float": "1000"})
    assert opened.status_code == 201, opened.json()
    shift = opened.json()
    assert post(at_desk, url("shift-open"), {"opening_float": "0"}).status_code == 409
    post(
        at_desk,
        url("payment-deposit"),
        {"patient": str(billing_patient.pk), "tenders": [tender("cash", "500")]},
    )
    summary = at_desk.get(url("shift-summary", shift["id"])).json()
    assert (summary["expected_cash"], summary["deposits"]) == ("1500.00", "500.00")
    short = {"counted": {"1000": 1}}
    unexplained = post(at_desk, url("shift-close", shift["id"]), short)
    assert (unexplained.status_code, unexplained.json()["field"]) == (400, "reason")
    closed = post(at_desk, url("shift-close", shift["id"]), {**short, "reason": "Change given"})
    assert closed.status_code == 200, closed.json()
    assert (closed.json()["status"], closed.json()["variance"]) == ("closed", "-500.00")
    assert post(at_desk, url("shift-sign-off", shift["id"])).status_code == 403
    boss = sign_in(manager)
    assert [s["id"] for s in boss.get(url("shift-list")).json()["results"]] == [shift["id"]]
    signed = post(boss, url("shift-sign-off", shift["id"]))
    assert signed.json()["status"] == "signed_off"


def test_a_cashier_sees_only_their_own_shifts(at_desk, manager):
    from clinicflow.billing import shifts

    theirs = shifts.open_shift(actor=actor_for(manager), opening_float="0")
    assert at_desk.get(url("shift-list")).json()["results"] == []
    assert at_desk.get(url("shift-detail", theirs.pk)).status_code == 404


# ---------------------------------------------------------------- refusals


def test_receptionist_cannot_take_payment(sign_in, receptionist, issued):
    front = sign_in(receptionist)
    assert front.get(url("invoice-detail", issued.pk)).status_code == 200  # balances: yes
    answer = post(front, url("invoice-pay", issued.pk), {"tenders": [tender("cash", "10")]})
    assert answer.status_code == 403
    assert not Payment.objects.exists()


def test_doctor_cannot_see_invoices(sign_in, doctor, issued):
    assert sign_in(doctor).get(url("invoice-list")).status_code == 403
    assert sign_in(doctor).get(url("invoice-detail", issued.pk)).status_code == 403


def test_a_patient_is_refused_the_billing_api(sign_in, patient, issued):
    client = sign_in(patient)
    assert client.get(url("invoice-list")).status_code == 403
    assert client.get(url("payment-list")).status_code == 403


def test_another_clinics_invoice_is_not_found(at_desk, other_clinic_manager, register, shift):
    boss = actor_for(other_clinic_manager)
    theirs = register(actor_user=other_clinic_manager, given_name="Hari")
    item = prices.create_item(
        actor=boss,
        code="DRESS",
        name="Dressing",
        kind=ItemKind.PROCEDURE,
        amount="100",
        valid_from=other_clinic_manager.memberships.first().clinic.local_date(),
    )
    charges.add_manual(actor=boss, patient=theirs, item=item)
    invoice = invoices.invoice_now(actor=boss, patient=theirs)
    assert at_desk.get(url("invoice-detail", invoice.pk)).status_code == 404
    paid = post(at_desk, url("invoice-pay", invoice.pk), {"tenders": [tender("cash", "100")]})
    assert paid.status_code == 404
    assert at_desk.get(url("invoice-list")).json()["results"] == []


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (tender("cash", "-5"), "tenders.0.amount"),
        (tender("cash", "10.555"), "tenders.0.amount"),
        (tender("card", "10"), "tenders.0.reference"),
    ],
    ids=["negative", "three-decimals", "card-without-slip"],
)
def test_a_bad_tender_is_refused_and_nothing_is_saved(at_desk, issued, shift, given, field):
    answer = post(at_desk, url("invoice-pay", issued.pk), {"tenders": [given]})
    assert answer.status_code == 400
    assert answer.json()["field"] == field
    assert not Payment.objects.exists()


def test_an_unknown_way_of_paying_is_refused(at_desk, issued, shift):
    answer = post(at_desk, url("invoice-pay", issued.pk), {"tenders": [tender("gold", "10")]})
    assert answer.status_code == 400
    assert not Payment.objects.exists()


def test_paying_more_than_is_owed_is_refused_and_nothing_is_saved(at_desk, issued, shift):
    answer = post(
        at_desk,
        url("invoice-pay", issued.pk),
        {"tenders": [tender("cash", "900"), tender("qr", "100", "FP-1")]},
    )
    assert answer.status_code == 409
    assert answer.json()["field"] == "tenders"
    assert not Payment.objects.exists()
    assert not Tender.objects.exists()
    assert not LedgerEntry.objects.filter(kind=Entry.PAID).exists()
    issued.refresh_from_db()
    assert issued.paid == Decimal("0.00")


def test_payment_without_an_open_shift_is_refused(at_desk, issued):
    answer = post(at_desk, url("invoice-pay", issued.pk), {"tenders": [tender("cash", "10")]})
    assert (answer.status_code, answer.json()["code"]) == (400, "no_shift")


# ---------------------------------------------------------------- the payment QR


def test_the_qr_carries_what_is_due_once_the_clinic_has_a_merchant(at_desk, clinic, issued):
    refused = at_desk.get(url("invoice-qr", issued.pk))
    assert (refused.status_code, refused.json()["code"]) == (409, "no_qr_merchant")
    rules = prices.settings_of(clinic)
    rules.qr_merchant_city, rules.qr_account_guid, rules.qr_account_id = (
        "Kathmandu",
        "np.com.nepalpay",
        "9800012345",
    )
    rules.save()
    answer = at_desk.get(url("invoice-qr", issued.pk))
    assert answer.status_code == 200, answer.json()
    assert answer.json()["amount"] == "926.00"
    assert issued.number in answer.json()["payload"]
    assert "926.00" in answer.json()["payload"]


def test_no_qr_when_nothing_is_due(at_desk, clinic, issued, shift):
    rules = prices.settings_of(clinic)
    rules.qr_merchant_city, rules.qr_account_guid, rules.qr_account_id = ("Ktm", "np.x", "1")
    rules.save()
    post(at_desk, url("invoice-pay", issued.pk), {"tenders": [tender("cash", "926")]})
    answer = at_desk.get(url("invoice-qr", issued.pk))
    assert (answer.status_code, answer.json()["code"]) == (409, "nothing_due")


# ---------------------------------------------------------------- gateways' callbacks


@pytest.fixture
def gateway_secret(settings):
    settings.BILLING_GATEWAY_SECRETS = {"signed": SECRET}
    return SECRET


def callback(bill_number: str, *, amount: str = "926.00", reference: str = "TX-1") -> bytes:
    return json.dumps(
        {"reference": reference, "bill_number": bill_number, "amount": amount, "currency": "NPR"}
    ).encode()


def send(body: bytes, *, secret: str = SECRET, clinic_code: str = "KTM", provider="signed"):
    stamp = int(time.time())
    # A gateway has no session and no CSRF token: the webhook needs neither.
    client = Client(enforce_csrf_checks=True)
    return client.post(
        url("billing-webhook", provider, clinic_code),
        body,
        content_type="application/json",
        headers={"X-Timestamp": str(stamp), "X-Signature": sign(body, secret.encode(), stamp)},
    )


def test_a_gateways_callback_records_the_payment_once(gateway_secret, issued):
    first = send(callback(issued.number))
    assert first.status_code == 200, first.json()
    again = send(callback(issued.number))
    assert again.status_code == 200
    assert again.json()["receipt"] == first.json()["receipt"]
    payment = Payment.objects.get()
    assert (payment.amount, payment.received_by, payment.shift) == (Decimal("926.00"), None, None)
    assert Tender.objects.get().gateway_reference == "signed:TX-1"
    issued.refresh_from_db()
    assert issued.patient_due == Decimal("0.00")


def test_a_callback_with_a_wrong_signature_is_refused_and_audited(gateway_secret, issued):
    answer = send(callback(issued.number), secret="not-the-secret")
    assert answer.status_code == 403
    assert not Payment.objects.exists()
    event = AuditEvent.objects.for_clinic(issued.clinic).get(
        action=AuditAction.PERMISSION_DENIED, object_type="billing.gateway_callback"
    )
    assert event.changes["refused"] == "bad_signature"


def test_a_callback_naming_another_clinics_invoice_records_nothing(
    gateway_secret, issued, other_clinic
):
    answer = send(callback(issued.number), clinic_code=other_clinic.code)
    assert answer.status_code == 400
    assert not Payment.objects.all_clinics().exists()


def test_a_callback_for_an_unknown_provider_or_clinic_is_not_found(gateway_secret, issued):
    assert send(callback(issued.number), provider="nobody").status_code == 404
    assert send(callback(issued.number), clinic_code="ZZZ").status_code == 404
    assert not Payment.objects.exists()


def test_an_unreadable_callback_is_a_bad_request(gateway_secret, issued):
    assert send(b"not json").status_code == 400
    assert send(callback(issued.number, amount="9.999")).status_code == 400
    assert not Payment.objects.exists()


def test_a_callback_for_more_than_is_due_pays_the_bill_and_keeps_the_rest_as_credit(
    gateway_secret, issued
):
    # The wallet has moved the money already: refused, it would be nowhere.
    answer = send(callback(issued.number, amount="5000.00"))
    assert answer.status_code == 200, answer.json()
    assert send(callback(issued.number, amount="5000.00")).status_code == 200  # once
    payment = Payment.objects.get()
    assert (payment.invoice, payment.amount) == (issued, Decimal("5000.00"))
    issued.refresh_from_db()
    assert (issued.paid, issued.patient_due) == (Decimal("926.00"), 0)
    held = balances.of_patient(issued.clinic, issued.patient_id)
    assert (held.owed, held.credit) == (0, Decimal("4074.00"))
    assert balances.takings(issued.clinic, issued.clinic.local_date()) == {"qr": Decimal("5000.00")}


def test_a_callback_for_less_than_is_due_pays_that_part_of_an_ordinary_bill(gateway_secret, issued):
    assert send(callback(issued.number, amount="400.00")).status_code == 200
    issued.refresh_from_db()
    assert (issued.paid, issued.patient_due) == (Decimal("400.00"), Decimal("526.00"))
    assert balances.of_patient(issued.clinic, issued.patient_id).credit == 0


# ---------------------------------------------------------------- reads are audited


def test_listing_invoices_is_a_read_of_the_patients_record(at_desk, issued, billing_patient):
    before = AuditEvent.objects.for_clinic(issued.clinic).filter(action=AuditAction.VIEW).count()
    assert at_desk.get(url("invoice-list")).status_code == 200
    events = AuditEvent.objects.for_clinic(issued.clinic).filter(action=AuditAction.VIEW)
    assert events.count() == before + 1
    assert str(billing_patient.pk) in events.latest("pk").changes["patients"]


def test_no_payment_qr_for_a_clinic_billing_in_another_currency(at_desk, qr_clinic, issued):
    qr_clinic.currency = "INR"
    qr_clinic.save()
    assert at_desk.get(url("invoice-qr", issued.pk)).status_code == 409
