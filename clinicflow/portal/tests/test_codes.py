"""One-time codes: kept hashed, expire, few tries, used once, limited per address and IP;
never readable in the delivery log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinicflow.core.errors import DomainError
from clinicflow.notifications import outbox
from clinicflow.notifications.models import Message, MessageStatus
from clinicflow.portal import codes
from clinicflow.portal.models import CodePurpose, OneTimeCode
from clinicflow.portal.tests.conftest import code_sent_to

pytestmark = pytest.mark.django_db

PHONE = "+9779801234567"


def _issue(clinic, address=PHONE, ip="10.0.0.1"):
    return codes.issue(purpose=CodePurpose.SIGN_IN, clinic=clinic, address=address, ip=ip)


def _redeem(code, digits, ip="10.0.0.1"):
    return codes.redeem(
        code_id=code.pk, digits=digits, purpose=CodePurpose.SIGN_IN, ip=ip, then=lambda c: "ok"
    )


def test_a_code_is_stored_only_as_its_hmac(clinic):
    code = _issue(clinic)
    digits = code_sent_to(PHONE)
    stored = OneTimeCode.objects.get(pk=code.pk)
    assert len(digits) == 6
    assert stored.code_hash
    assert digits not in stored.code_hash
    assert digits not in str(stored.payload)
    assert stored.code_hash == codes.digest(stored, digits)


def test_the_right_code_works_once(clinic):
    code = _issue(clinic)
    digits = code_sent_to(PHONE)
    assert _redeem(code, digits) == "ok"
    with pytest.raises(DomainError, match="already used"):
        _redeem(code, digits)


def test_an_expired_code_is_refused(clinic):
    code = _issue(clinic)
    digits = code_sent_to(PHONE)
    OneTimeCode.objects.filter(pk=code.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(DomainError, match="expired"):
        _redeem(code, digits)


def test_after_five_wrong_tries_even_the_right_code_is_refused(clinic):
    code = _issue(clinic)
    digits = code_sent_to(PHONE)
    wrong = f"{(int(digits) + 1) % 1_000_000:06d}"
    for _n in range(codes.MAX_ATTEMPTS):
        with pytest.raises(DomainError, match="not right"):
            _redeem(code, wrong)
    assert OneTimeCode.objects.get(pk=code.pk).attempts == codes.MAX_ATTEMPTS
    with pytest.raises(DomainError, match="Too many wrong tries"):
        _redeem(code, digits)
    assert OneTimeCode.objects.get(pk=code.pk).used_at is None


def test_a_fourth_code_for_one_address_within_the_window_is_refused(clinic):
    for _n in range(codes.SEND_PER_ADDRESS.limit):
        codes.check_send_limits(address_key=PHONE, ip="10.0.0.1")
    with pytest.raises(codes.TooManyTries):
        codes.check_send_limits(address_key=PHONE, ip="10.0.0.2")


def test_one_ip_asking_codes_for_many_addresses_is_stopped(clinic):
    for n in range(codes.SEND_PER_IP.limit):
        codes.check_send_limits(address_key=f"+97798000000{n:02d}", ip="10.0.0.9")
    with pytest.raises(codes.TooManyTries):
        codes.check_send_limits(address_key="+9779800000099", ip="10.0.0.9")
    codes.check_send_limits(address_key="+9779800000099", ip="10.0.0.10")


def test_one_ip_guessing_codes_is_stopped_whatever_the_code(clinic):
    issued = [_issue(clinic, address=f"+97798000001{n:02d}") for n in range(8)]
    tries = 0
    for code in issued * 5:
        try:
            _redeem(code, "000000", ip="10.0.0.66")
        except codes.TooManyTries:
            break
        except DomainError:
            tries += 1
    else:
        pytest.fail("never stopped")
    assert tries == codes.VERIFY_PER_IP.limit


def test_resending_from_the_registration_page_is_limited(clinic):
    client = Client()
    data = {
        "address": "9801234567",
        "given_name": "Asha",
        "family_name": "Gurung",
        "birth_date": "1992-01-01",
        "sex": "female",
        "clinic": str(clinic.pk),
        "password": "a long enough passphrase",
        "password_again": "a long enough passphrase",
    }
    for _n in range(codes.SEND_PER_ADDRESS.limit):
        assert client.post(reverse("portal:register"), data).status_code == 302
    refused = client.post(reverse("portal:register"), data)
    assert refused.status_code == 429
    assert "Too many codes" in refused.content.decode()
    assert Message.objects.for_clinic(clinic).filter(event="portal.code").count() == 3


def test_the_delivery_log_never_shows_the_code(clinic, manager, sign_in):
    _issue(clinic)
    digits = code_sent_to(PHONE)
    page = sign_in(manager).get(reverse("notifications:log"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "••••••" in text
    assert digits not in text


def test_once_sent_the_code_is_masked_in_the_stored_text_and_not_sent_again(clinic, manager):
    from clinicflow.accounts.actors import actor_for
    from clinicflow.notifications.sms.backends.console import ConsoleBackend

    _issue(clinic)
    digits = code_sent_to(PHONE)
    outbox.deliver_due()
    message = Message.objects.for_clinic(clinic).get(event="portal.code")
    assert message.status == MessageStatus.SENT
    assert digits in ConsoleBackend.sent[-1].text
    assert digits not in message.body
    Message.objects.for_clinic(clinic).filter(pk=message.pk).update(
        status=MessageStatus.FAILED, last_error="bounced"
    )
    with pytest.raises(DomainError, match="never sent again"):
        outbox.resend(actor=actor_for(manager), message=message)


def test_unused_codes_forget_what_they_held_a_day_after_expiry(clinic):
    from clinicflow.portal import tasks

    stale = codes.issue(
        purpose=CodePurpose.REGISTER,
        clinic=clinic,
        address=PHONE,
        ip="10.0.0.1",
        payload={"given_name": "Asha", "password": "argon2$..."},
    )
    fresh = _issue(clinic, address="+9779800000001")
    OneTimeCode.objects.filter(pk=stale.pk).update(
        expires_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    assert tasks.forget_expired_codes() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.payload, stale.code_hash) == ({}, "")
    assert fresh.code_hash


def test_the_codes_text_is_not_the_clinics_to_edit(clinic, manager):
    from clinicflow.accounts.actors import actor_for
    from clinicflow.notifications import message_templates

    with pytest.raises(DomainError, match="one-time code"):
        message_templates.save_template(
            actor=actor_for(manager),
            event="portal.code",
            channel="sms",
            language="en",
            subject="",
            body="{code}{code} is your code",
        )
    listed = {text.kind.key for text in message_templates.catalogue(clinic)}
    assert "portal.code" not in listed
