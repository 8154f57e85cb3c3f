"""Choosing the SMS gateway from the settings, the console gateway of development and tests,
and the Nepali mobile numbers every gateway accepts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinicflow.notifications.sms.backends import (
    PermanentSmsError,
    SmsSent,
    TemporarySmsError,
    get_backend,
)
from clinicflow.notifications.sms.backends.aakash import AakashBackend
from clinicflow.notifications.sms.backends.console import ConsoleBackend
from clinicflow.notifications.sms.backends.sparrow import SparrowBackend
from clinicflow.notifications.sms.numbers import masked, national_mobile

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("9841234567", "9841234567"),
        ("+9779841234567", "9841234567"),  # E.164, as patients' phones are stored
        ("+977 984-1234567", "9841234567"),
        ("009779801234567", "9801234567"),
        ("9779721234567", "9721234567"),
        ("(961) 234 5678", "9612345678"),
    ],
)
def test_nepali_mobiles_are_read_in_the_ways_people_write_them(typed, number):
    assert national_mobile(typed) == number


@pytest.mark.parametrize(
    "typed", ["01-4412345", "+977 1 4412345", "+447700900123", "9941234567", "98412345", "abc"]
)
def test_anything_else_is_a_permanent_refusal(typed):
    with pytest.raises(PermanentSmsError, match="Not a Nepali mobile"):
        national_mobile(typed)


def test_logs_see_a_masked_number():
    assert masked("9841234567") == "98XXXXX567"


# ---------------------------------------------------------------- console


def test_the_default_gateway_is_the_console_which_prints_and_keeps_each_message(capsys):
    backend = get_backend()
    sent = backend.send(to="+9779841234567", text="Your appointment is booked.", reference="k1")

    assert isinstance(backend, ConsoleBackend)
    assert sent.status == "sent"
    assert sent.provider_id.startswith("console-")
    [message] = ConsoleBackend.sent
    assert (message.to, message.text, message.reference, message.segments) == (
        "9841234567",
        "Your appointment is booked.",
        "k1",
        1,
    )
    printed = capsys.readouterr().out
    assert "SMS to 9841234567 (k1, 1 segment(s))" in printed
    assert "Your appointment is booked." in printed


def test_the_console_refuses_a_landline_and_keeps_nothing():
    with pytest.raises(PermanentSmsError):
        get_backend().send(to="01-4412345", text="Hi", reference="k")
    assert ConsoleBackend.sent == []


def test_the_console_can_be_told_to_fail_the_next_sends(capsys):
    ConsoleBackend.fail_next(
        TemporarySmsError("No Credits Available", provider_code="1012"),
        PermanentSmsError("Invalid Receiver", provider_code="1007"),
    )
    backend = get_backend(stream="")
    with pytest.raises(TemporarySmsError):
        backend.send(to="9841234567", text="Hi", reference="k")
    with pytest.raises(PermanentSmsError):
        backend.send(to="9841234567", text="Hi", reference="k")
    assert isinstance(backend.send(to="9841234567", text="Hi", reference="k"), SmsSent)
    assert len(ConsoleBackend.sent) == 1
    assert capsys.readouterr().out == ""  # stream "" prints nothing


# ---------------------------------------------------------------- get_backend


def test_the_configured_gateway_is_built_with_its_options(settings):
    settings.SMS_BACKEND = "aakash"
    settings.SMS_OPTIONS = {"token": "t0k", "url": "http://127.0.0.1:9/", "timeout": "3"}
    backend = get_backend()
    assert isinstance(backend, AakashBackend)
    assert (backend.url, backend.timeout) == ("http://127.0.0.1:9/", 3.0)
    assert get_backend(timeout=1).timeout == 1.0  # a call's options win


def test_a_dotted_path_names_a_gateway_too(settings):
    settings.SMS_BACKEND = "clinicflow.notifications.sms.backends.sparrow.SparrowBackend"
    settings.SMS_OPTIONS = {"token": "t0k", "sender": "Clinic"}
    backend = get_backend()
    assert isinstance(backend, SparrowBackend)
    assert backend.url == "http://api.sparrowsms.com/v2/sms/"


def test_another_gateway_by_name_does_not_get_the_configured_ones_token(settings):
    settings.SMS_BACKEND = "aakash"
    settings.SMS_OPTIONS = {"token": "aakash-token"}
    with pytest.raises(ImproperlyConfigured, match="token"):
        get_backend("sparrow", sender="Clinic")
    assert isinstance(get_backend("console"), ConsoleBackend)


def settings_of(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SMS_")}
    return subprocess.run(
        [sys.executable, "-c", "from config import settings as s; print(s.SMS_BACKEND, "
         "sorted(s.SMS_OPTIONS.items()))"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_settings_read_the_gateway_from_the_environment():
    result = settings_of({"SMS_BACKEND": "sparrow", "SMS_TOKEN": "abc", "SMS_SENDER": "Clinic"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "sparrow [('sender', 'Clinic'), ('token', 'abc')]"


def test_settings_refuse_a_real_gateway_without_its_token():
    result = settings_of({"SMS_BACKEND": "aakash"})
    assert result.returncode != 0
    assert "SMS_TOKEN must be set for the aakash SMS gateway" in result.stderr
