"""Password reset by e-mail: the link works once and every session of the account ends."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def reset_link(email: str) -> str:
    Client().post(reverse("accounts:password_reset"), {"email": email})
    assert len(mail.outbox) == 1
    return re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", mail.outbox[0].body)[1]


def test_reset_by_email_sets_the_password_and_ends_every_session(nurse, sign_in):
    signed_in_elsewhere = sign_in(nurse)
    link = reset_link(nurse.email)
    client = Client()
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    new = "Fresh-start-2026"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    nurse.refresh_from_db()
    assert nurse.check_password(new)
    assert signed_in_elsewhere.get(reverse("core:dashboard")).status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_no_mail(nurse):
    response = Client().post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []
