"""Sessions: idle and absolute timeouts on the server, one's own session list, and sessions
that end when a password changes or a person is deactivated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.models import UserSession
from clinicflow.core.models import AuditAction, AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
DASHBOARD = "/dashboard/"


def live(user):
    return UserSession.objects.filter(user=user, ended_at__isnull=True)


def age(user, **delta):
    """Pretend the person's sessions started and were last used ``delta`` ago."""
    then = timezone.now() - timedelta(**delta)
    UserSession.objects.filter(user=user).update(created_at=then, last_seen_at=then)


def test_a_session_idle_for_31_minutes_is_signed_out(nurse, sign_in):
    client = sign_in(nurse)
    age(nurse, minutes=31)
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    ended = UserSession.objects.get(user=nurse)
    assert ended.end_reason == "idle_timeout"
    event = AuditEvent.objects.all_clinics().get(action=AuditAction.SESSION_ENDED)
    assert event.changes["reason"] == "idle_timeout"


def test_a_session_idle_for_29_minutes_goes_on(nurse, sign_in):
    client = sign_in(nurse)
    age(nurse, minutes=29)
    assert client.get(DASHBOARD).status_code == 200


def test_a_clinic_can_shorten_the_idle_timeout(nurse, clinic, sign_in):
    clinic.idle_timeout_minutes = 10
    clinic.save()
    client = sign_in(nurse)
    age(nurse, minutes=11)
    assert client.get(DASHBOARD).status_code == 302


def test_a_busy_session_still_ends_after_twelve_hours(nurse, sign_in):
    client = sign_in(nurse)
    UserSession.objects.filter(user=nurse).update(
        created_at=timezone.now() - timedelta(hours=12, minutes=1)
    )
    assert client.get(DASHBOARD).status_code == 302
    assert UserSession.objects.get(user=nurse).end_reason == "absolute_lifetime"


def test_my_sessions_lists_each_device(nurse, sign_in):
    sign_in(nurse, HTTP_USER_AGENT="Mozilla/5.0 (Android 14) Chrome/130.0")
    phone_and_desk = sign_in(nurse, HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Firefox/131.0")
    page = phone_and_desk.get(reverse("accounts:sessions")).content.decode()
    assert "Chrome on Android" in page
    assert "Firefox on Windows" in page
    assert "this device" in page


def test_ending_another_session_signs_that_device_out(nurse, sign_in):
    phone = sign_in(nurse)
    desk = sign_in(nurse)
    phone_session = live(nurse).order_by("created_at").first()
    desk.post(reverse("accounts:session_end", args=[phone_session.pk]))
    assert phone.get(DASHBOARD).status_code == 302
    assert desk.get(DASHBOARD).status_code == 200


def test_one_cannot_end_someone_elses_session(nurse, doctor, sign_in):
    sign_in(doctor)
    doctors_session = live(doctor).get()
    client = sign_in(nurse)
    client.post(reverse("accounts:session_end", args=[doctors_session.pk]))
    assert live(doctor).exists()


def test_changing_the_password_ends_the_other_sessions_only(nurse, sign_in):
    other = sign_in(nurse)
    this = sign_in(nurse)
    response = this.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password": "Brand-new-secret-9",
            "new_password_again": "Brand-new-secret-9",
        },
    )
    assert response.status_code == 302
    assert this.get(DASHBOARD).status_code == 200
    assert other.get(DASHBOARD).status_code == 302
    assert live(nurse).count() == 1


def test_a_weak_new_password_is_refused_and_nothing_changes(nurse, sign_in):
    client = sign_in(nurse)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password": "12345678", "new_password_again": "12345678"},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    nurse.refresh_from_db()
    assert nurse.check_password(PASSWORD)


def test_deactivating_a_person_ends_all_their_sessions_at_once(nurse, manager, sign_in):
    phone, desk = sign_in(nurse), sign_in(nurse)
    sign_in(manager).post(
        reverse("accounts:staff_deactivate", args=[nurse.pk]), {"reason": "Left the clinic"}
    )
    assert not live(nurse).exists()
    assert phone.get(DASHBOARD).status_code == 302
    assert desk.get(DASHBOARD).status_code == 302


def test_a_temporary_password_must_be_changed_before_anything_else(nurse, manager, sign_in):
    sign_in(manager).post(
        reverse("accounts:staff_set_password", args=[nurse.pk]), {"password": "Temporary-pass-31"}
    )
    client = sign_in(nurse, password="Temporary-pass-31")
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change")
    assert client.get(reverse("accounts:password_change")).status_code == 200
