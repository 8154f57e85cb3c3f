"""The second factor (TOTP): enrolment, sign-in with a code, and clinics that require it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice) -> str:
    """The code the person's app shows now."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def enrol(client: Client, user) -> TOTPDevice:
    client.post(reverse("accounts:two_factor"), {"operation": "start"})
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(
        reverse("accounts:two_factor"), {"operation": "confirm", "token": code_for(device)}
    )
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_enrolled_doctor_needs_a_code_to_sign_in(doctor, sign_in):
    device = enrol(sign_in(doctor), doctor)
    without = Client().post(reverse("accounts:login"), {"username": "doctor", "password": PASSWORD})
    assert "Enter the 6-digit code" in without.content.decode()
    wrong = Client().post(
        reverse("accounts:login"),
        {"username": "doctor", "password": PASSWORD, "otp_token": "000000"},
    )
    assert "not right" in wrong.content.decode()
    device.refresh_from_db()
    # The enrolment used this time step's code, and the wrong code above started django-otp's
    # back-off; a person would simply wait for the next code.
    device.last_t = -1
    device.throttle_reset(commit=False)
    device.save()
    ok = Client().post(
        reverse("accounts:login"),
        {"username": "doctor", "password": PASSWORD, "otp_token": code_for(device)},
    )
    assert ok.status_code == 302


def test_a_wrong_code_does_not_confirm_enrolment(doctor, sign_in):
    client = sign_in(doctor)
    client.post(reverse("accounts:two_factor"), {"operation": "start"})
    page = client.post(reverse("accounts:two_factor"), {"operation": "confirm", "token": "123456"})
    assert "not right" in page.content.decode()
    assert not TOTPDevice.objects.filter(user=doctor, confirmed=True).exists()


def test_a_clinic_can_require_a_second_factor_for_managers(manager, clinic, sign_in):
    clinic.require_two_factor_for_managers = True
    clinic.save()
    client = sign_in(manager)
    response = client.get(reverse("core:dashboard"))
    assert response["Location"] == reverse("accounts:two_factor")
    enrol(client, manager)
    assert client.get(reverse("core:dashboard")).status_code == 200


def test_removing_the_app_needs_the_password(doctor, sign_in):
    client = sign_in(doctor)
    enrol(client, doctor)
    client.post(reverse("accounts:two_factor"), {"operation": "remove", "password": "nope"})
    assert TOTPDevice.objects.filter(user=doctor).exists()
    client.post(reverse("accounts:two_factor"), {"operation": "remove", "password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=doctor).exists()


def test_the_enrolment_page_shows_a_qr_code_without_inline_script(doctor, sign_in):
    client = sign_in(doctor)
    page = client.post(reverse("accounts:two_factor"), {"operation": "start"}).content.decode()
    assert 'src="data:image/svg+xml' in page
    assert "<script>" not in page
