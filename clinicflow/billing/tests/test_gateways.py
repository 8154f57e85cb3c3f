"""A payment gateway's callback: an authentic, fresh, well-formed one is read; a forged, replayed
or garbled one is refused with the error the webhook answers it by. No database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from clinicflow.billing import gateways
from clinicflow.billing.gateways import (
    Gateway,
    GatewayCallback,
    GatewayPayloadError,
    GatewaySignatureError,
    SignedCallbackGateway,
    UnknownGatewayError,
    sign,
)

SECRET = b"shared-with-the-provider"
NOW = 1_738_300_000  # 2025-01-31, unix seconds


def body(**overrides):
    fields = {
        "reference": "FP-20250131-0001",
        "bill_number": "INV-000123",
        "amount": "1250.00",
        "currency": "NPR",
        "paid_at": "2025-01-31T10:15:00+05:45",
    }
    return json.dumps(fields | overrides).encode()


def signed(request_body, *, secret=SECRET, timestamp=NOW):
    return {
        "X-Signature": sign(request_body, secret, timestamp),
        "X-Timestamp": str(timestamp),
    }


def gateway(now=NOW):
    return SignedCallbackGateway(clock=lambda: now)


def test_a_signed_fresh_callback_is_read():
    request_body = body()

    callback = gateway().verify(request_body, signed(request_body), SECRET)

    assert callback == GatewayCallback(
        provider="signed",
        provider_reference="FP-20250131-0001",
        bill_number="INV-000123",
        amount=Decimal("1250.00"),
        currency="NPR",
        paid_at=datetime(2025, 1, 31, 4, 30, tzinfo=UTC),
        raw=json.loads(request_body),
    )
    assert callback.paid_at.utcoffset() == timedelta(hours=5, minutes=45)
    assert callback.raw["reference"] == "FP-20250131-0001"


def test_header_names_are_read_whatever_their_case_and_paid_at_may_be_absent():
    request_body = json.dumps(
        {"reference": "K-1", "bill_number": "INV-1", "amount": "10", "currency": "NPR"}
    ).encode()
    headers = {k.lower(): v for k, v in signed(request_body).items()}

    callback = gateway().verify(request_body, headers, SECRET)

    assert callback.paid_at is None
    assert callback.amount == Decimal("10")


def test_the_signature_covers_the_timestamp_and_the_body():
    assert sign(b"{}", SECRET, 1) != sign(b"{}", SECRET, 2)
    assert sign(b"{}", SECRET, 1) != sign(b"[]", SECRET, 1)
    assert sign(b"{}", SECRET, 1).startswith("sha256=")
    assert len(sign(b"{}", SECRET, 1)) == len("sha256=") + 64


# ---------------------------------------------------------------- not from the provider


def test_a_callback_signed_with_another_secret_is_refused():
    request_body = body()

    with pytest.raises(GatewaySignatureError, match="does not match"):
        gateway().verify(request_body, signed(request_body, secret=b"guessed"), SECRET)


def test_a_callback_whose_body_was_changed_after_signing_is_refused():
    headers = signed(body())

    with pytest.raises(GatewaySignatureError, match="does not match"):
        gateway().verify(body(amount="12.50"), headers, SECRET)


def test_a_callback_whose_timestamp_was_changed_after_signing_is_refused():
    request_body = body()
    headers = signed(request_body) | {"X-Timestamp": str(NOW + 1)}

    with pytest.raises(GatewaySignatureError, match="does not match"):
        gateway().verify(request_body, headers, SECRET)


@pytest.mark.parametrize("missing", ["X-Signature", "X-Timestamp"])
def test_a_callback_without_its_signature_headers_is_refused(missing):
    request_body = body()
    headers = signed(request_body)
    del headers[missing]

    with pytest.raises(GatewaySignatureError, match="no X-Signature or X-Timestamp"):
        gateway().verify(request_body, headers, SECRET)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Signature": "md5=abc", "X-Timestamp": str(NOW)},
        {"X-Signature": "sha256=" + "G" * 64, "X-Timestamp": str(NOW)},
        {"X-Signature": "sha256=" + "a" * 64, "X-Timestamp": "-5"},
        {"X-Signature": "sha256=" + "a" * 64, "X-Timestamp": "1e9"},
    ],
)
def test_malformed_signature_headers_are_refused(headers):
    with pytest.raises(GatewaySignatureError, match="malformed"):
        gateway().verify(body(), headers, SECRET)


@pytest.mark.parametrize("drift", [-301, 301, -86_400])
def test_a_callback_signed_more_than_five_minutes_away_is_refused(drift):
    request_body = body()
    headers = signed(request_body, timestamp=NOW + drift)

    with pytest.raises(GatewaySignatureError, match="more than 300 seconds"):
        gateway().verify(request_body, headers, SECRET)


@pytest.mark.parametrize("drift", [-300, 0, 300])
def test_a_callback_within_five_minutes_either_way_is_taken(drift):
    request_body = body()

    gateway().verify(request_body, signed(request_body, timestamp=NOW + drift), SECRET)


def test_an_empty_secret_is_a_configuration_fault_not_a_pass():
    request_body = body()

    with pytest.raises(ValueError, match="must not be empty"):
        gateway().verify(request_body, signed(request_body), b"")


# ---------------------------------------------------------------- not readable


@pytest.mark.parametrize(
    ("request_body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b'["a list"]', "not a JSON object"),
        (b'{"reference": "a", "reference": "b"}', "names 'reference' twice"),
        (b" " * (64 * 1024 + 1), "too large"),
    ],
)
def test_a_body_that_is_not_one_json_object_is_refused(request_body, reason):
    with pytest.raises(GatewayPayloadError, match=reason):
        gateway().verify(request_body, signed(request_body), SECRET)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"amount": "-1250.00"}, "amount must be a string"),
        ({"amount": "12.505"}, "at most two decimal places"),
        ({"amount": "0.00"}, "not more than zero"),
        ({"amount": 1250.0}, "amount must be a string"),
        ({"amount": "1e3"}, "amount must be a string"),
        ({"amount": "12345678901"}, "amount must be a string"),
        ({"currency": "Rs"}, "three capital letters"),
        ({"currency": "npr"}, "three capital letters"),
        ({"currency": "524"}, "three capital letters"),
        ({"reference": ""}, "no 'reference'"),
        ({"reference": None}, "no 'reference'"),
        ({"bill_number": "INV\n1"}, "control character"),
        ({"bill_number": "B" * 26}, "longer than 25"),
        ({"paid_at": "yesterday"}, "not an ISO 8601 time"),
        ({"paid_at": "2025-01-31T10:15:00"}, "no UTC offset"),
    ],
)
def test_a_callback_that_does_not_say_a_payable_amount_for_a_bill_is_refused(changes, reason):
    request_body = body(**changes)

    with pytest.raises(GatewayPayloadError, match=reason):
        gateway().verify(request_body, signed(request_body), SECRET)


# ---------------------------------------------------------------- the registry


def test_a_gateway_is_found_by_its_name():
    assert isinstance(gateways.get("signed"), SignedCallbackGateway)
    assert "signed" in gateways.names()


@pytest.mark.parametrize("name", ["fonepay-typo", "", "SIGNED"])
def test_an_unknown_provider_is_refused(name):
    with pytest.raises(UnknownGatewayError, match="No payment gateway"):
        gateways.get(name)


def test_a_provider_is_one_small_class(monkeypatch):
    monkeypatch.setattr(gateways, "_GATEWAYS", dict(gateways._GATEWAYS))

    @gateways.register
    class Cash(Gateway):
        name = "cash-desk"

        def verify(self, request_body, headers, secret):
            return GatewayCallback(
                provider=self.name,
                provider_reference="R1",
                bill_number="INV-1",
                amount=Decimal(1),
                currency="NPR",
                paid_at=datetime(2025, 1, 31, tzinfo=timezone(timedelta(hours=5, minutes=45))),
                raw={},
            )

    assert gateways.get("cash-desk").verify(b"", {}, SECRET).provider == "cash-desk"


def test_two_gateways_cannot_share_a_name(monkeypatch):
    monkeypatch.setattr(gateways, "_GATEWAYS", dict(gateways._GATEWAYS))

    class Impostor(SignedCallbackGateway):
        name = "signed"

    with pytest.raises(ValueError, match="already registered"):
        gateways.register(Impostor)
    gateways.register(SignedCallbackGateway)  # the same class again is harmless
