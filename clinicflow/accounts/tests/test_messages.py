"""Security events told to the person themselves, by e-mail and in-app: a sign-in from a device
the account was never used from (not the first sign-in ever, not a known device; once per
session, even for someone who turned it off), and a password changed by them or by a reset
link (not a refused change)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinicflow.accounts import messages
from clinicflow.accounts.models import UserSession
from clinicflow.notifications.models import Message, Notice, UserPreference
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ON_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def told(kind, user):
    return (
        list(Message.objects.filter(event=kind, user=user).values_list("channel", "to", "body")),
        list(Notice.objects.filter(kind=kind, recipient=user).values_list("title", flat=True)),
    )


def test_a_sign_in_from_a_new_device_is_told_to_the_person(nurse, sign_in, clinic):
    sign_in(nurse, HTTP_USER_AGENT=FIREFOX_ON_LINUX)
    sign_in(nurse, HTTP_USER_AGENT=FIREFOX_ON_LINUX)
    assert told(messages.NEW_DEVICE, nurse) == ([], [])  # the first ever, then a known one
    sign_in(nurse, HTTP_USER_AGENT=CHROME_ON_ANDROID, REMOTE_ADDR="203.0.113.7")
    [(channel, to, body)], [title] = told(messages.NEW_DEVICE, nurse)
    assert (channel, to) == ("email", nurse.email)
    assert title == "New sign-in to your account from Chrome on Android"
    assert "Chrome on Android (address 203.0.113.7)" in body
    assert Message.objects.get(event=messages.NEW_DEVICE).urgent
    assert Notice.objects.get(kind=messages.NEW_DEVICE).clinic_id == clinic.pk


def test_the_new_device_notice_cannot_be_turned_off(nurse, sign_in):
    UserPreference.objects.create(user=nurse, channels={messages.NEW_DEVICE: []})
    sign_in(nurse, HTTP_USER_AGENT=FIREFOX_ON_LINUX)
    sign_in(nurse, HTTP_USER_AGENT=CHROME_ON_ANDROID)
    emails, notices = told(messages.NEW_DEVICE, nurse)
    assert (len(emails), len(notices)) == (1, 1)


def test_each_session_is_told_once(nurse, sign_in):
    sign_in(nurse, HTTP_USER_AGENT=FIREFOX_ON_LINUX)
    sign_in(nurse, HTTP_USER_AGENT=CHROME_ON_ANDROID)
    session = UserSession.objects.filter(user=nurse).order_by("-created_at").first()
    assert messages.signed_in(session).messages == 0
    assert Message.objects.filter(event=messages.NEW_DEVICE).count() == 1


def test_a_platform_admin_of_no_clinic_is_not_told(admin_user, sign_in):
    sign_in(admin_user, HTTP_USER_AGENT=FIREFOX_ON_LINUX)
    sign_in(admin_user, HTTP_USER_AGENT=CHROME_ON_ANDROID)
    assert not Message.objects.exists()


def change(client, new):
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password": new, "new_password_again": new},
    )


def test_a_changed_password_is_told_to_the_person(nurse, sign_in):
    assert change(sign_in(nurse), "Brand-new-secret-9").status_code == 302
    [(channel, to, body)], [title] = told(messages.PASSWORD_CHANGED, nurse)
    assert (channel, to, title) == ("email", nurse.email, "Your password was changed")
    assert "(by you, signed in)" in body
    assert nurse.username in body


def test_a_refused_change_tells_nothing(nurse, sign_in):
    assert change(sign_in(nurse), "12345678").status_code == 200
    assert told(messages.PASSWORD_CHANGED, nurse) == ([], [])


def test_a_password_reset_by_link_is_told(nurse):
    from clinicflow.accounts.services import credentials

    credentials.password_was_reset(nurse)
    [(_channel, _to, body)], _notices = told(messages.PASSWORD_CHANGED, nurse)
    assert "reset link" in body
