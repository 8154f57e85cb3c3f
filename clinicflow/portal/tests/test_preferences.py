"""The patient sets how the clinic messages the chosen family member, and stops or restarts
SMS, as consent given by the person; never for a record the account does not look after."""

from __future__ import annotations

import pytest

from clinicflow.core.models import AuditEvent
from clinicflow.notifications.models import ConsentChange, PatientPreference
from clinicflow.notifications.models.preferences import ConsentSource

pytestmark = pytest.mark.django_db

URL = "/portal/preferences/"


def test_the_patient_chooses_language_and_quiet_hours_for_themselves(family, sign_in, priya):
    client = sign_in(family)
    page = client.get(URL)
    assert page.status_code == 200
    assert 'data-testid="preference-form"' in page.content.decode()
    assert AuditEvent.objects.filter(action="view", changes__part="message preferences").exists()
    answer = client.post(URL, {"language": "ne", "quiet_from": "22:00", "quiet_until": "06:30"})
    assert answer.status_code == 302
    saved = PatientPreference.objects.get(patient=priya)
    assert (saved.language, str(saved.quiet_from), str(saved.quiet_until)) == (
        "ne",
        "22:00:00",
        "06:30:00",
    )


def test_for_a_child_the_choice_is_the_childs(family, sign_in, anjali, priya):
    client = sign_in(family)
    client.post(f"/portal/family/{anjali.pk}/select/")
    client.post(URL, {"language": "ne"})
    assert PatientPreference.objects.get(patient=anjali).language == "ne"
    assert not PatientPreference.objects.filter(patient=priya).exists()


def test_half_quiet_hours_are_refused_and_nothing_saved(family, sign_in, priya):
    page = sign_in(family).post(URL, {"language": "", "quiet_from": "22:00"})
    assert page.status_code == 200
    assert "invalid-feedback" in page.content.decode()
    assert not PatientPreference.objects.filter(patient=priya).exists()


def test_stopping_sms_is_consent_given_by_the_person(family, sign_in, priya):
    client = sign_in(family)
    assert f'name="patient" value="{priya.pk}"' in client.get(URL).content.decode()
    client.post(f"{URL}sms/", {"patient": str(priya.pk), "on": "0"})
    preference = PatientPreference.objects.get(patient=priya)
    assert preference.sms_opted_out_at is not None
    change = ConsentChange.objects.get(patient=priya)
    assert (change.opted_in, change.source, change.changed_by) == (
        False,
        ConsentSource.SELF,
        family,
    )
    client.post(f"{URL}sms/", {"patient": str(priya.pk), "on": "1"})
    preference.refresh_from_db()
    assert preference.sms_opted_out_at is None
    assert ConsentChange.objects.filter(patient=priya).count() == 2


def test_a_bad_sms_choice_changes_nothing(family, sign_in, priya):
    sign_in(family).post(f"{URL}sms/", {"patient": str(priya.pk), "on": "maybe"})
    assert not ConsentChange.objects.exists()


def test_the_desk_and_strangers_cannot_use_it(sign_in, receptionist, other_family, priya):
    assert sign_in(receptionist).get(URL).status_code == 403
    # Another account's page is about its own record only: Priya's row is never touched.
    stranger_client = sign_in(other_family)
    assert stranger_client.post(f"{URL}sms/", {"on": "0"}).status_code == 404  # no record named
    stranger_client.post(URL, {"language": "ne"})
    assert not PatientPreference.objects.filter(patient=priya).exists()


def test_a_tab_left_on_another_member_stops_sms_for_the_member_it_shows(
    family, sign_in, priya, anjali
):
    client = sign_in(family)
    client.post(f"/portal/family/{anjali.pk}/select/")  # the session now shows Anjali
    answer = client.post(f"{URL}sms/", {"patient": str(priya.pk), "on": "0"})  # Priya's tab
    assert answer.status_code == 302
    assert PatientPreference.objects.get(patient=priya).sms_opted_out_at is not None
    assert not ConsentChange.objects.filter(patient=anjali).exists()


def test_sms_for_a_record_the_account_does_not_look_after_is_a_404(family, sign_in, stranger):
    answer = sign_in(family).post(f"{URL}sms/", {"patient": str(stranger.pk), "on": "0"})
    assert answer.status_code == 404
    assert not ConsentChange.objects.filter(patient=stranger).exists()
