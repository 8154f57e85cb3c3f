"""Preferences: a staff member's own (channels per staff message, language, quiet hours), and a
patient's, kept at the desk with their SMS consent (recorded with time, source and who), which
routing then follows."""

from __future__ import annotations

from datetime import time

import pytest
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.core.roles import Role
from clinicflow.notifications import events, preferences
from clinicflow.notifications.events import Audience, EventKind, Text
from clinicflow.notifications.models import (
    Channel,
    ConsentChange,
    Message,
    Notice,
    PatientPreference,
    UserPreference,
)
from clinicflow.scheduling.messages import BOOKED, REMINDER
from clinicflow.scheduling.replies import REPLIED
from tests.factories import member

pytestmark = pytest.mark.django_db

OWN = reverse("notifications:preferences")
#: A staff message nobody may turn off, to show the lock.
MUST = EventKind(
    key="test.staff_must",
    label="Must hear",
    audience=Audience.STAFF,
    channels=(Channel.IN_APP, Channel.EMAIL),
    placeholders=(),
    optional=False,
    texts={"en": Text(subject="Must", body="Must.")},
)
events.register_kind(MUST)
VALUES = {
    "patient": "Priya",
    "doctor": "Dr. Rai",
    "date": "3 Apr",
    "time": "9:00",
    "clinic_phone": "01-555",
    "answer": "confirmed",
}


def field(key):
    return "kind_" + key.replace(".", "_")


def as_shown(page):
    """What a browser sends back of the page's ticked channels, before any change."""
    form = page.context["form"]
    return {name: form[name].initial for name in form.kind_fields}


def tell_reception(clinic, key="1"):
    return events.emit(REPLIED, clinic=clinic, key=key, roles=[Role.RECEPTIONIST], values=VALUES)


def tell_patient(kind, clinic, patient, key="1"):
    return events.emit(kind, clinic=clinic, key=key, patient=patient, values=VALUES)


# ---------------------------------------------------------------- one's own


def test_the_notices_page_links_to_ones_preferences(receptionist, sign_in):
    page = sign_in(receptionist).get(reverse("notifications:list"))
    assert f'href="{OWN}"'.encode() in page.content


def test_a_receptionist_turns_off_a_staff_message_and_hears_it_no_more(
    clinic, receptionist, sign_in
):
    client = sign_in(receptionist)
    page = client.get(OWN)
    assert page.status_code == 200
    form = page.context["form"]
    assert form[field(REPLIED)].initial == ["in_app"]
    assert form.fields[field(MUST.key)].disabled  # shown, locked
    assert b'data-locked="1"' in page.content

    response = client.post(
        OWN,
        {
            **as_shown(page),
            field(REPLIED): [],  # nothing ticked for the reply message
            "language": "ne",
            "quiet_from": "21:00",
            "quiet_until": "06:00",
        },
    )

    assert response.status_code == 302
    saved = UserPreference.objects.get(user=receptionist)
    assert saved.channels == {REPLIED: []}
    assert (saved.language, saved.quiet_from, saved.quiet_until) == ("ne", time(21), time(6))
    assert tell_reception(clinic).notices == 0
    assert not Notice.objects.filter(recipient=receptionist).exists()
    # Ticked again, as the default: the choice is forgotten, and the notices come back.
    client.post(OWN, {**as_shown(page), "language": ""})
    saved.refresh_from_db()
    assert saved.channels == {}
    assert (saved.language, saved.quiet_from) == ("", None)
    assert tell_reception(clinic, key="2").notices == 1


def test_one_persons_choice_is_theirs_only(clinic, receptionist, sign_in):
    second = member(Role.RECEPTIONIST, clinic, username="reception2")
    sign_in(receptionist).post(OWN, {"language": ""})
    tell_reception(clinic)
    assert list(Notice.objects.values_list("recipient__username", flat=True)) == ["reception2"]
    assert not UserPreference.objects.filter(user=second).exists()


def test_half_a_quiet_period_is_refused_at_the_field_and_nothing_is_saved(receptionist, sign_in):
    response = sign_in(receptionist).post(OWN, {"quiet_from": "22:00", field(REPLIED): ["in_app"]})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "quiet_until": ["Give both ends of the quiet hours, or neither."]
    }
    assert not UserPreference.objects.exists()


def test_the_service_refuses_a_channel_the_message_has_not_and_a_locked_message(receptionist):
    me = actor_for(receptionist)
    common = {"language": "", "quiet_from": None, "quiet_until": None}
    with pytest.raises(DomainError, match="not sent through sms"):
        preferences.update_user_preference(actor=me, channels={REPLIED: ["sms"]}, **common)
    with pytest.raises(DomainError, match="always sent"):
        preferences.update_user_preference(actor=me, channels={MUST.key: []}, **common)
    with pytest.raises(DomainError, match="No such message"):
        preferences.update_user_preference(actor=me, channels={BOOKED: []}, **common)
    with pytest.raises(DomainError, match="Choose a language"):
        preferences.update_user_preference(actor=me, channels={}, **{**common, "language": "fr"})
    assert not UserPreference.objects.exists()


def test_a_locked_message_ignores_what_the_page_sent(clinic, receptionist, sign_in):
    client = sign_in(receptionist)
    client.post(OWN, {**as_shown(client.get(OWN)), field(MUST.key): []})
    assert UserPreference.objects.get(user=receptionist).channels == {}


# ---------------------------------------------------------------- a patient's, at the desk


@pytest.fixture
def priya(register):
    return register(phone="+9779841000001", email="priya@example.com")


def prefs_url(patient):
    return reverse("notifications:patient_preferences", args=[patient.pk])


def consent_url(patient):
    return reverse("notifications:patient_sms_consent", args=[patient.pk])


def test_the_chart_shows_the_desk_the_patients_messaging(priya, receptionist, doctor, sign_in):
    chart = reverse("patients:chart", args=[priya.pk])
    page = sign_in(receptionist).get(chart).content.decode()
    assert 'data-testid="message-preferences-panel"' in page
    assert prefs_url(priya) in page
    assert "English (the clinic&#x27;s)" in page
    assert (
        'data-testid="message-preferences-panel"' not in sign_in(doctor).get(chart).content.decode()
    )


def test_the_desk_stops_sms_and_routing_then_sends_none(clinic, priya, receptionist, sign_in):
    client = sign_in(receptionist)
    page = client.get(prefs_url(priya))
    assert page.status_code == 200
    assert b'data-testid="sms-opt-out"' in page.content

    response = client.post(
        consent_url(priya), {"opted_in": "0", "evidence": "Asked at the desk: no SMS"}
    )

    assert response.status_code == 302
    change = ConsentChange.objects.for_clinic(clinic).get()
    assert (change.patient, change.channel, change.opted_in) == (priya, "sms", False)
    assert (change.source, change.changed_by, change.evidence) == (
        "desk",
        receptionist,
        "Asked at the desk: no SMS",
    )
    assert PatientPreference.objects.for_clinic(clinic).get().sms_opted_out_at is not None
    history = client.get(prefs_url(priya)).content.decode()
    assert "Opted out" in history
    assert "At the desk" in history
    assert str(receptionist) in history
    assert 'data-testid="sms-opt-in"' in history

    tell_patient(BOOKED, clinic, priya)
    tell_patient(REMINDER, clinic, priya)
    assert set(Message.objects.values_list("channel", flat=True)) == {"email"}

    # Again: nothing new is recorded. Then back in.
    client.post(consent_url(priya), {"opted_in": "0"})
    assert ConsentChange.objects.count() == 1
    client.post(consent_url(priya), {"opted_in": "1", "evidence": "Wants reminders again"})
    assert list(ConsentChange.objects.values_list("opted_in", flat=True)) == [True, False]
    tell_patient(BOOKED, clinic, priya, key="2")
    assert Message.objects.filter(channel="sms").count() == 1


def test_the_desk_records_language_and_channels_which_routing_follows(
    clinic, priya, manager, sign_in
):
    client = sign_in(manager)
    page = client.get(prefs_url(priya))
    form = page.context["form"]
    assert form.fields[field(BOOKED)].disabled  # a booking is always told
    assert set(form[field(REMINDER)].initial) == {"sms", "email"}

    response = client.post(
        prefs_url(priya),
        {**as_shown(page), "language": "ne", field(REMINDER): ["sms"], field(BOOKED): []},
    )

    assert response.status_code == 302  # the lock ignored the unticked booking
    saved = PatientPreference.objects.for_clinic(clinic).get()
    assert (saved.language, saved.channels) == ("ne", {REMINDER: ["sms"]})
    tell_patient(REMINDER, clinic, priya)
    reminder = Message.objects.get()
    assert (reminder.channel, reminder.language) == ("sms", "ne")
    assert reminder.body.startswith("सम्झना")
    tell_patient(BOOKED, clinic, priya)
    assert Message.objects.filter(event=BOOKED).count() == 2  # both channels, as always


def test_patient_quiet_hours_need_both_ends(clinic, priya, receptionist, sign_in):
    response = sign_in(receptionist).post(prefs_url(priya), {"quiet_until": "07:00"})
    assert response.context["form"].errors == {
        "quiet_from": ["Give both ends of the quiet hours, or neither."]
    }
    assert not PatientPreference.objects.for_clinic(clinic).exists()


@pytest.mark.parametrize("role", ["doctor", "nurse", "pharmacist", "cashier"])
def test_only_the_desk_and_managers_keep_patients_preferences(role, request, priya, sign_in):
    client = sign_in(request.getfixturevalue(role))
    assert client.get(prefs_url(priya)).status_code == 403
    assert client.post(consent_url(priya), {"opted_in": "0"}).status_code == 403
    assert not ConsentChange.objects.exists()


def test_another_clinics_patient_is_not_found(clinic, other_clinic, register, sign_in):
    theirs = register(phone="+9779841000002", actor_user=member(Role.RECEPTIONIST, other_clinic))
    desk = sign_in(member(Role.RECEPTIONIST, clinic))
    assert desk.get(prefs_url(theirs)).status_code == 404
    assert desk.post(prefs_url(theirs), {"language": "ne"}).status_code == 404
    assert desk.post(consent_url(theirs), {"opted_in": "0"}).status_code == 404
    assert not ConsentChange.objects.all_clinics().exists()
    assert not PatientPreference.objects.all_clinics().exists()


def test_the_services_refuse_another_clinics_patient(other_clinic, register, receptionist):
    theirs = register(actor_user=member(Role.RECEPTIONIST, other_clinic))
    me = actor_for(receptionist)
    with pytest.raises(DomainError):
        preferences.record_sms_consent(actor=me, patient=theirs, opted_in=False)
    with pytest.raises(DomainError):
        preferences.update_patient_preference(
            actor=me, patient=theirs, language="ne", channels={}, quiet_from=None, quiet_until=None
        )
    assert not ConsentChange.objects.all_clinics().exists()
