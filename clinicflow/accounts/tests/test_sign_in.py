"""Signing in: by username or e-mail, audited, locked after repeated failures."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.forms import LOCKED_MESSAGE
from clinicflow.accounts.services.staff import unlock_account
from clinicflow.core.models import AuditAction, AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def attempt(username: str, password: str, *, ip: str = "10.0.0.1") -> object:
    # A fresh client each time: no cookie carries over, as with an attacker rotating them.
    return Client(REMOTE_ADDR=ip).post(LOGIN, {"username": username, "password": password})


def audit(action: str):
    return AuditEvent.objects.all_clinics().filter(action=action)


def test_nurse_signs_in_with_username_and_lands_on_the_dashboard(nurse):
    response = attempt("nurse", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:dashboard")
    assert audit(AuditAction.LOGIN).filter(actor=nurse).exists()


def test_sign_in_with_email_in_any_case(nurse):
    assert attempt(nurse.email.upper(), PASSWORD).status_code == 302


def test_a_wrong_password_is_refused_with_a_message_and_audited(nurse, clinic):
    response = attempt("nurse", "not-the-password")
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    event = audit(AuditAction.LOGIN_FAILED).get()
    assert event.actor_label == "nurse"
    assert event.clinic_id == clinic.pk  # in the clinic's trail, for its manager to see


def test_a_deactivated_person_cannot_sign_in(nurse):
    nurse.is_active = False
    nurse.save()
    assert attempt("nurse", PASSWORD).status_code == 200


def test_sign_in_gives_a_new_session_key(nurse):
    client = Client()
    client.get(LOGIN)
    client.cookies["clinicflow_session"] = "attacker-chosen-key"
    client.post(LOGIN, {"username": "nurse", "password": PASSWORD})
    assert client.cookies["clinicflow_session"].value != "attacker-chosen-key"


def test_ten_failures_lock_the_account_whatever_the_ip_or_cookie(nurse, clinic):
    for n in range(10):
        attempt("nurse" if n % 2 else nurse.email, "wrong-password", ip=f"10.0.0.{n}")
    response = attempt("nurse", PASSWORD, ip="10.9.9.9")
    assert response.status_code == 429
    assert escape(str(LOCKED_MESSAGE)) in response.content.decode()
    assert audit(AuditAction.LOCKOUT).filter(clinic=clinic).exists()


def test_nine_failures_do_not_lock(nurse):
    for _ in range(9):
        attempt("nurse", "wrong-password")
    assert attempt("nurse", PASSWORD).status_code == 302


def test_a_manager_unlocks_a_locked_account(nurse, manager, rf):
    for _ in range(10):
        attempt("nurse", "wrong-password")
    assert attempt("nurse", PASSWORD).status_code == 429

    request = rf.get("/")
    request.session = {}
    unlock_account(actor=actor_for(manager, request.session), user=nurse)
    assert attempt("nurse", PASSWORD).status_code == 302
    assert audit(AuditAction.UNLOCK).filter(object_id=str(nurse.pk)).exists()


def test_unlock_through_the_staff_page(nurse, manager, sign_in):
    for _ in range(10):
        attempt("nurse", "wrong-password")
    page = sign_in(manager)
    detail = page.get(reverse("accounts:staff_detail", args=[nurse.pk]))
    assert b"Locked out" in detail.content
    page.post(reverse("accounts:staff_unlock", args=[nurse.pk]))
    assert attempt("nurse", PASSWORD).status_code == 302


def test_sign_out_ends_the_session_and_is_audited(nurse, sign_in):
    client = sign_in(nurse)
    response = client.post(reverse("accounts:logout"))
    assert b"You are signed out" in response.content
    assert client.get(reverse("core:dashboard")).status_code == 302
    assert audit(AuditAction.LOGOUT).filter(actor=nurse).exists()
    assert not nurse.sessions.filter(ended_at__isnull=True).exists()
