"""The inbound-SMS webhook: only with the shared secret; STOP opts every record of the number
out (recorded as consent), START in again; the same SMS twice is handled once."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from clinicflow.notifications import events
from clinicflow.notifications.models import ConsentChange, InboundSms, Message, PatientPreference

pytestmark = pytest.mark.django_db

SECRET = "inbound-secret"


@pytest.fixture(autouse=True)
def _inbound_on(settings):
    settings.SMS_INBOUND_SECRET = SECRET


def sms(text, sender="9841000001", key=SECRET, provider="sparrow", method="get", **extra):
    keyword, _space, rest = text.partition(" ")
    url = reverse("notifications:inbound", args=[provider])
    data = {"from": sender, "keyword": keyword, "text": rest, **extra}
    if method == "get":
        return Client().get(url, {**data, "key": key})
    return Client().post(f"{url}?key={key}", data)


def test_the_webhook_needs_the_secret(settings):
    assert sms("STOP", key="wrong").status_code == 404
    assert sms("STOP", provider="nobody").status_code == 404
    settings.SMS_INBOUND_SECRET = ""
    assert sms("STOP", key="").status_code == 404
    assert not InboundSms.objects.exists()


def test_a_message_without_sender_or_text_is_refused():
    assert sms("", sender="9841000001").status_code == 400
    assert sms("STOP", sender="not a number").status_code == 400
    assert not InboundSms.objects.exists()


def test_stop_opts_out_every_record_of_the_number_and_start_opts_in(register, other_clinic, clinic):
    priya = register(phone="+9779841000001", email="p@example.com")
    elsewhere = register(phone="+9779841000001", given_name="Asha")
    stranger = register(phone="+9779841000009", given_name="Hari")
    answer = sms("STOP")
    assert answer.status_code == 200
    assert "no more SMS" in answer.content.decode()
    opted_out = PatientPreference.objects.filter(sms_opted_out_at__isnull=False)
    assert set(opted_out.values_list("patient_id", flat=True)) == {priya.pk, elsewhere.pk}
    assert ConsentChange.objects.filter(opted_in=False, source="sms_reply").count() == 2
    # No more SMS to her, though e-mail still goes.
    events.emit("appointment.booked", clinic=clinic, key="x", patient=priya, values={})
    assert list(Message.objects.values_list("channel", flat=True)) == ["email"]
    assert not PatientPreference.objects.filter(patient=stranger).exists()

    assert "again" in sms("START please").content.decode()
    assert not PatientPreference.objects.filter(sms_opted_out_at__isnull=False).exists()
    assert ConsentChange.objects.filter(opted_in=True).count() == 2


def test_the_same_sms_twice_is_handled_once(register):
    register(phone="+9779841000001")
    first = sms("STOP", method="post")
    again = sms("STOP", method="post")
    assert first.content == again.content
    assert InboundSms.objects.count() == 1
    assert ConsentChange.objects.count() == 1


def test_a_provider_id_makes_two_sends_two_messages(register):
    register(phone="+9779841000001")
    url = reverse("notifications:inbound", args=["aakash"]) + f"?key={SECRET}"
    Client().post(url, {"from": "+9779841000001", "text": "STOP", "id": "a1"})
    Client().post(url, {"from": "+9779841000001", "text": "STOP", "id": "a1"})
    Client().post(url, {"from": "+9779841000001", "text": "START", "id": "a2"})
    assert list(InboundSms.objects.order_by("pk").values_list("key", "outcome")) == [
        ("aakash:a1", "opted out"),
        ("aakash:a2", "opted in"),
    ]


def test_an_unknown_word_is_answered_with_the_choices(register):
    register(phone="+9779841000001")
    assert "Reply C to confirm" in sms("hello there").content.decode()
    assert sms("hello", sender="9841000077").content == b""  # nobody we know: no reply
