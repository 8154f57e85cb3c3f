"""Signing in with a code to the account's verified phone: audited like any sign-in; a wrong
code is a failed sign-in; an unknown number gets the same page and no code."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role
from clinicflow.notifications.models import Message
from clinicflow.portal.models import OneTimeCode
from clinicflow.portal.tests.conftest import as_seen, code_sent_to
from tests.factories import member

pytestmark = pytest.mark.django_db

PHONE = "+9779801234567"


@pytest.fixture
def asha(clinic):
    """A patient account that registered with (so proved) its phone."""
    client = Client()
    client.post(
        reverse("portal:register"),
        {
            "address": "9801234567",
            "given_name": "Asha",
            "family_name": "Gurung",
            "birth_date": "1992-01-01",
            "sex": "female",
            "clinic": str(clinic.pk),
            "password": "a long enough passphrase",
            "password_again": "a long enough passphrase",
        },
    )
    client.post(reverse("portal:register_code"), {"code": code_sent_to(PHONE)})
    Message.objects.all_clinics().delete()
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(phone=PHONE)


def _ask(client, phone="9801234567"):
    return client.post(reverse("portal:sign_in_code"), {"phone": phone})


def test_a_patient_signs_in_with_a_code_to_their_phone(asha, client):
    asked = _ask(client)
    assert asked.status_code == 302
    done = client.post(reverse("portal:sign_in_code_verify"), {"code": code_sent_to(PHONE)})
    assert done.status_code == 302
    assert done["Location"] == reverse("core:dashboard")
    assert client.get(reverse("core:dashboard")).context["actor"].user == asha
    logins = AuditEvent.objects.all_clinics().filter(action=AuditAction.LOGIN, actor=asha)
    assert logins.count() == 2  # at registration, and now


def test_a_wrong_code_is_a_failed_sign_in(asha, client):
    _ask(client)
    right = code_sent_to(PHONE)
    page = client.post(
        reverse("portal:sign_in_code_verify"), {"code": f"{(int(right) + 1) % 1_000_000:06d}"}
    )
    assert page.status_code == 400
    assert "not right" in page.content.decode()
    assert AuditEvent.objects.all_clinics().filter(action=AuditAction.LOGIN_FAILED).count() == 1
    assert client.get(reverse("core:dashboard")).status_code == 302  # still signed out


def test_an_unknown_number_gets_the_same_page_and_no_code(asha, client):
    known, unknown = Client(), Client()
    a, b = _ask(known), _ask(unknown, "9807654321")
    assert (a.status_code, a["Location"]) == (b.status_code, b["Location"])
    pages = [as_seen(c.get(reverse("portal:sign_in_code_verify"))) for c in (known, unknown)]
    assert pages[0] == pages[1]
    assert list(Message.objects.all_clinics().values_list("to", flat=True)) == [PHONE]
    refused = unknown.post(reverse("portal:sign_in_code_verify"), {"code": "123456"})
    assert "not right" in refused.content.decode()


def test_a_staff_account_cannot_sign_in_with_a_code(clinic, client):
    member(Role.DOCTOR, clinic, phone=PHONE)
    _ask(client)
    assert not Message.objects.all_clinics().exists()
    assert OneTimeCode.objects.get().address == ""


def test_a_phone_never_proved_gets_no_code(clinic, client):
    member(Role.PATIENT, clinic, phone=PHONE)  # typed at the desk, never verified
    _ask(client)
    assert not Message.objects.all_clinics().exists()


def test_wrong_codes_never_lock_the_account_for_its_password(asha, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _ask(client)
    right = code_sent_to(PHONE)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _n in range(4):
        client.post(reverse("portal:sign_in_code_verify"), {"code": wrong})
    # Whoever knows the phone cannot lock its owner out: the password still opens it.
    allowed = Client().post(
        reverse("accounts:login"),
        {"username": asha.username, "password": "a long enough passphrase"},
    )
    assert allowed.status_code == 302


def test_a_locked_account_is_said_so_only_with_its_right_code(asha, client, settings):
    from clinicflow.accounts.lockout import is_locked_out

    settings.AXES_FAILURE_LIMIT = 2
    for _n in range(2):
        Client().post(reverse("accounts:login"), {"username": asha.username, "password": "x"})
    assert is_locked_out(asha.username)
    _ask(client)
    right = code_sent_to(PHONE)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    refused = client.post(reverse("portal:sign_in_code_verify"), {"code": wrong})
    assert "not right" in refused.content.decode()
    assert "locked" not in refused.content.decode()
    page = client.post(reverse("portal:sign_in_code_verify"), {"code": right})
    assert "locked" in page.content.decode()
    assert client.get(reverse("core:dashboard")).status_code == 302


def test_the_tries_limit_answers_a_known_phone_and_an_unknown_one_alike(asha, clinic):
    from clinicflow.core import throttle

    throttle.cache.clear()  # Asha's registration tried a code for her phone already
    answers = {}
    for phone in (PHONE, "+9779807654321"):
        visitor = Client()
        statuses = []
        for _n in range(3):
            _ask(visitor, phone=phone[4:])
            for _m in range(5):
                page = visitor.post(reverse("portal:sign_in_code_verify"), {"code": "000000"})
                statuses.append(page.status_code)
        answers[phone] = statuses
    assert answers[PHONE] == answers["+9779807654321"]
    assert 429 in answers[PHONE]
