"""Sparrow and Aakash against the loopback stand-in: the exact request each backend sends,
and how each documented answer (queued, invalid number, low credit, bad token, server error,
a gateway that hangs, one that is down) becomes ``SmsSent`` or a permanent or temporary
error carrying the provider's own message. The token is never logged."""

from __future__ import annotations

import logging
import socket
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinicflow.notifications.sms.backends import (
    PermanentSmsError,
    SmsError,
    SmsSent,
    TemporarySmsError,
)
from clinicflow.notifications.sms.backends.aakash import AakashBackend
from clinicflow.notifications.sms.backends.sparrow import SparrowBackend
from clinicflow.notifications.sms.standin import (
    GatewayStandin,
    Reply,
    aakash_invalid,
    aakash_refused,
    server_error,
    sparrow_refused,
)

TOKEN = "v2_s3cr3t-gateway-token-0123456789"
NEPALI = "भोलि १०:३० मा डा. शर्मासँग भेट। पुष्टि: C, रद्द: X"
SPARROW_PATH = "/v2/sms/"
AAKASH_PATH = "/sms/v3/send"


@pytest.fixture
def sparrow():
    with GatewayStandin("sparrow") as gateway:
        yield gateway


@pytest.fixture
def aakash():
    with GatewayStandin("aakash") as gateway:
        yield gateway


def sparrow_backend(gateway, **options):
    return SparrowBackend(
        token=TOKEN, sender="SunriseClinic", url=gateway.url(SPARROW_PATH),
        credit_price="0.60", **options,
    )  # fmt: skip


def aakash_backend(gateway, **options):
    return AakashBackend(token=TOKEN, url=gateway.url(AAKASH_PATH), credit_price="0.55", **options)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---------------------------------------------------------------- Sparrow


def test_sparrow_posts_the_documented_form_and_reads_the_queued_answer(sparrow):
    sent = sparrow_backend(sparrow).send(
        to="+977 984-1234567", text="Your appointment is confirmed.", reference="ev1:p7:sms"
    )

    assert sent == SmsSent(
        provider_id="1000001", cost=Decimal("0.60"), status="queued", credits=Decimal(1)
    )
    [request] = sparrow.requests
    assert (request.method, request.path) == ("POST", SPARROW_PATH)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form == {
        "token": TOKEN,
        "from": "SunriseClinic",
        "to": "9841234567",
        "text": "Your appointment is confirmed.",
    }


def test_sparrow_gets_nepali_text_intact_and_charges_per_segment(sparrow):
    text = NEPALI * 2  # two segments of UCS-2
    sent = sparrow_backend(sparrow).send(to="9801234567", text=text, reference="r")
    assert sparrow.requests[0].form["text"] == text
    assert (sent.credits, sent.cost) == (Decimal(2), Decimal("1.20"))


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (1002, "Invalid Token"),
        (1007, "Invalid Receiver"),
        (1008, "Invalid Sender"),
        (1011, "No valid receiver"),
        (1003, "Account Inactive"),
    ],
)
def test_sparrow_refusals_that_retrying_cannot_fix_are_permanent(sparrow, code, message):
    sparrow.script(sparrow_refused(code))
    with pytest.raises(PermanentSmsError) as refused:
        sparrow_backend(sparrow).send(to="9841234567", text="Hello", reference="r")
    assert (refused.value.message, refused.value.provider_code) == (message, str(code))


@pytest.mark.parametrize(
    ("code", "message"), [(1012, "No Credits Available"), (1013, "Insufficient Credits")]
)
def test_sparrow_out_of_credit_is_temporary_until_topped_up(sparrow, code, message):
    sparrow.script(sparrow_refused(code))
    backend = sparrow_backend(sparrow)
    with pytest.raises(TemporarySmsError) as refused:
        backend.send(to="9841234567", text="Hello", reference="r")
    assert (refused.value.message, refused.value.provider_code) == (message, str(code))
    assert not refused.value.may_have_sent
    # Topped up: the provider's usual answer again.
    assert backend.send(to="9841234567", text="Hello", reference="r").status == "queued"


def test_sparrow_server_error_is_temporary(sparrow):
    sparrow.script(server_error(503))
    with pytest.raises(TemporarySmsError) as failed:
        sparrow_backend(sparrow).send(to="9841234567", text="Hello", reference="r")
    assert failed.value.provider_code == "503"
    assert "HTTP 503" in failed.value.message


def test_sparrow_answer_it_does_not_document_is_temporary(sparrow):
    sparrow.script(Reply(200, "OK"))
    with pytest.raises(TemporarySmsError, match="does not document"):
        sparrow_backend(sparrow).send(to="9841234567", text="Hello", reference="r")


def test_sparrow_needs_its_token_and_sender():
    with pytest.raises(ImproperlyConfigured, match="token"):
        SparrowBackend(sender="SunriseClinic")
    with pytest.raises(ImproperlyConfigured, match="sender"):
        SparrowBackend(token=TOKEN)


# ---------------------------------------------------------------- Aakash


def test_aakash_posts_the_documented_form_and_reads_the_valid_entry(aakash):
    sent = aakash_backend(aakash).send(
        to="009779851234567", text="Your report is ready.", reference="ev2:p9:sms"
    )

    assert sent == SmsSent(
        provider_id="1000001", cost=Decimal("0.55"), status="queued", credits=Decimal(1)
    )
    [request] = aakash.requests
    assert (request.method, request.path) == ("POST", AAKASH_PATH)
    assert request.form == {
        "auth_token": TOKEN,
        "to": "9851234567",
        "text": "Your report is ready.",
    }


def test_aakash_number_in_the_invalid_list_is_permanent(aakash):
    aakash.script(aakash_invalid(mobile="9601234567", text="Hello"))
    with pytest.raises(PermanentSmsError) as refused:
        aakash_backend(aakash).send(to="9601234567", text="Hello", reference="r")
    assert refused.value.provider_code == "aborted"
    assert "will not send to this number" in refused.value.message


def test_aakash_not_enough_balance_is_temporary(aakash):
    aakash.script(aakash_refused("Not enough balance."))
    with pytest.raises(TemporarySmsError) as refused:
        aakash_backend(aakash).send(to="9841234567", text="Hello", reference="r")
    assert refused.value.message == "Not enough balance."


def test_aakash_bad_token_is_permanent_with_its_message(aakash):
    aakash.script(aakash_refused("The provided Auth Token is not valid."))
    with pytest.raises(PermanentSmsError) as refused:
        aakash_backend(aakash).send(to="9841234567", text="Hello", reference="r")
    assert refused.value.message == "The provided Auth Token is not valid."


def test_aakash_server_error_is_temporary(aakash):
    aakash.script(server_error(500))
    with pytest.raises(TemporarySmsError, match="HTTP 500"):
        aakash_backend(aakash).send(to="9841234567", text="Hello", reference="r")


def test_aakash_needs_its_token():
    with pytest.raises(ImproperlyConfigured, match="token"):
        AakashBackend()


# ---------------------------------------------------------------- both


@pytest.mark.parametrize("provider", ["sparrow", "aakash"])
def test_a_gateway_that_hangs_times_out_as_temporary_and_may_have_sent(provider):
    with GatewayStandin(provider) as gateway:
        gateway.script(Reply(200, {}, delay=3))
        make = sparrow_backend if provider == "sparrow" else aakash_backend
        backend = make(gateway, timeout="0.3")
        started = time.monotonic()
        with pytest.raises(TemporarySmsError) as failed:
            backend.send(to="9841234567", text="Hello", reference="r")
        assert time.monotonic() - started < 2
    assert failed.value.provider_code == "timeout"
    assert failed.value.may_have_sent
    assert len(gateway.requests) == 1


@pytest.mark.parametrize("backend_class", [SparrowBackend, AakashBackend])
def test_a_gateway_that_is_down_is_temporary_and_sent_nothing(backend_class):
    backend = backend_class(
        token=TOKEN, sender="SunriseClinic", url=f"http://127.0.0.1:{closed_port()}/", timeout=2
    )
    with pytest.raises(TemporarySmsError) as failed:
        backend.send(to="9841234567", text="Hello", reference="r")
    assert failed.value.provider_code == "connection"
    assert not failed.value.may_have_sent


@pytest.mark.parametrize("provider", ["sparrow", "aakash"])
@pytest.mark.parametrize(
    "number", ["01-4412345", "+44 7700 900123", "984123456", "98412345678", "5841234567", ""]
)
def test_a_number_that_is_not_a_nepali_mobile_is_refused_before_any_request(provider, number):
    with GatewayStandin(provider) as gateway:
        make = sparrow_backend if provider == "sparrow" else aakash_backend
        with pytest.raises(PermanentSmsError, match="Not a Nepali mobile"):
            make(gateway).send(to=number, text="Hello", reference="r")
    assert gateway.requests == []


@pytest.mark.parametrize("provider", ["sparrow", "aakash"])
def test_the_token_appears_in_no_log_error_or_repr(provider, caplog):
    caplog.set_level(logging.DEBUG)
    with GatewayStandin(provider) as gateway:
        make = sparrow_backend if provider == "sparrow" else aakash_backend
        backend = make(gateway)
        backend.send(to="9841234567", text="Hello", reference="ok")
        refusal = sparrow_refused(1002) if provider == "sparrow" else aakash_refused("Bad token")
        gateway.script(refusal, server_error(502))
        errors = []
        for _ in range(2):
            with pytest.raises(SmsError) as failed:
                backend.send(to="9841234567", text="Hello", reference="bad")
            errors.append(failed.value)
    assert "9841234567" not in caplog.text  # numbers are masked too
    assert "98XXXXX567" in caplog.text
    for said in [caplog.text, repr(backend), *map(str, errors), *map(repr, errors)]:
        assert TOKEN not in said


def test_the_standin_serves_concurrent_senders():
    """The delivery bench sends from many threads: each gets its own queued id."""
    from concurrent.futures import ThreadPoolExecutor

    with GatewayStandin("sparrow") as gateway:
        backend = sparrow_backend(gateway)
        with ThreadPoolExecutor(max_workers=8) as pool:
            sent = list(
                pool.map(
                    lambda n: backend.send(to=f"98000000{n:02d}", text="Hi", reference=str(n)),
                    range(40),
                )
            )
    assert len({s.provider_id for s in sent}) == 40
    assert len(gateway.requests) == 40


def test_sparrow_code_sent_as_text_is_read_as_its_number(sparrow):
    sparrow.script(Reply(403, {"response_code": "1013", "response": "Insufficient Credits"}))
    with pytest.raises(TemporarySmsError) as refused:
        sparrow_backend(sparrow).send(to="9841234567", text="Hello", reference="r")
    assert refused.value.provider_code == "1013"
