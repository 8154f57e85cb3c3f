"""Events to messages: each recipient hears an event on their channels, in their language, once
per key, in the emitter's transaction; quiet hours hold what is not urgent; clinics' own texts
are checked and used."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.db import transaction

from clinicflow.core.roles import Role
from clinicflow.notifications import events, messaging, quiet, routing, wording
from clinicflow.notifications.events import Audience, EventKind, Text
from clinicflow.notifications.models import (
    Channel,
    Message,
    MessageTemplate,
    MessagingSettings,
    Notice,
    PatientPreference,
    UserPreference,
)
from tests.factories import member

pytestmark = pytest.mark.django_db

PING = EventKind(
    key="test.ping",
    label="Ping",
    audience=Audience.PATIENT,
    channels=(Channel.SMS, Channel.EMAIL),
    placeholders=("patient", "what"),
    texts={
        "en": Text(subject="Ping {what}", body="Dear {patient}, {what}. {clinic}", sms="{what}!"),
        "ne": Text(subject="पिङ {what}", body="{patient} ज्यू, {what}", sms="{what} भयो"),
    },
)
STAFF_PING = EventKind(
    key="test.staff_ping",
    label="Staff ping",
    audience=Audience.STAFF,
    channels=(Channel.IN_APP, Channel.EMAIL),
    placeholders=("what",),
    texts={"en": Text(subject="Staff: {what}", body="{what} happened.")},
)
URGENT = EventKind(
    key="test.urgent",
    label="Urgent",
    audience=Audience.PATIENT,
    channels=(Channel.SMS,),
    placeholders=("what",),
    urgent=True,
    texts={"en": Text(subject="", body="{what}")},
)
MUST = EventKind(**{**PING.__dict__, "key": "test.must", "optional": False})


@pytest.fixture(autouse=True)
def _test_kinds():
    """This module's kinds, registered for its tests only."""
    kinds = (PING, STAFF_PING, URGENT, MUST)
    for kind in kinds:
        events.register_kind(kind)
    yield
    for kind in kinds:
        events.unregister_kind(kind.key)


@pytest.fixture
def priya(register):
    return register(phone="+9779841000001", email="priya@example.com")


def ping(clinic, patient, key="1", **kwargs):
    values = {"patient": patient.given_name, "what": "hello"}
    return events.emit(
        "test.ping", clinic=clinic, key=key, patient=patient, values=values, **kwargs
    )


def test_a_patient_event_queues_one_message_per_channel_with_the_words_filled(clinic, priya):
    emitted = ping(clinic, priya)
    assert emitted.messages == 2
    sms = Message.objects.get(channel=Channel.SMS)
    email = Message.objects.get(channel=Channel.EMAIL)
    assert (sms.to, sms.body, sms.status) == ("+9779841000001", "hello!", "queued")
    assert email.to == "priya@example.com"
    assert email.subject == "Ping hello"
    assert email.body == f"Dear Priya, hello. {clinic.name}"
    assert sms.patient_id == priya.pk
    assert sms.clinic_id == clinic.pk
    assert sms.key == f"test.ping:1:p{priya.pk}:sms"


def test_the_same_event_twice_queues_each_message_once(clinic, priya):
    assert ping(clinic, priya).messages == 2
    assert ping(clinic, priya).messages == 0
    assert Message.objects.count() == 2
    assert ping(clinic, priya, key="2").messages == 2


def test_a_rolled_back_change_leaves_nothing_to_send(clinic, priya):
    def booking_that_fails():
        with transaction.atomic():
            ping(clinic, priya)
            raise RuntimeError("the booking failed")

    with pytest.raises(RuntimeError):
        booking_that_fails()
    assert not Message.objects.exists()


def test_a_patient_without_phone_or_email_gets_nothing_and_the_event_still_succeeds(
    clinic, register
):
    nobody = register(given_name="Sita")
    emitted = ping(clinic, nobody)
    assert emitted.messages == 0
    assert emitted.skipped == [f"p{nobody.pk}"]
    email_only = register(given_name="Gita", email="gita@example.com")
    assert ping(clinic, email_only).messages == 1


def test_the_patients_language_and_own_channels_decide(clinic, priya):
    PatientPreference.objects.create(
        clinic=clinic, patient=priya, language="ne", channels={"test.ping": ["sms"]}
    )
    assert ping(clinic, priya).messages == 1
    message = Message.objects.get()
    assert (message.channel, message.body, message.language) == ("sms", "hello भयो", "ne")


@pytest.mark.parametrize(
    ("chosen", "clinics", "language"),
    [
        ("ne", "en", "ne"),  # the person's own choice first
        ("en", "ne", "en"),
        ("", "ne", "ne"),  # no choice: the clinic's language for patients
        (None, "ne", "ne"),
        ("xx", "ne", "ne"),  # a language we do not write in counts as no choice
        ("", "", "en"),  # staff (no clinic language) and nothing chosen: English
        (None, None, "en"),
        ("xx", "yy", "en"),
    ],
)
def test_the_language_rule(chosen, clinics, language):
    assert messaging.language_for(chosen, clinics) == language


@pytest.mark.parametrize(
    ("chosen", "clinics"), [(None, "ne"), ("", "ne"), ("en", "ne"), ("ne", "en"), ("xx", "ne")]
)
def test_one_patient_and_a_batch_are_written_to_in_the_same_language(
    clinic, priya, chosen, clinics
):
    """``language_of`` (one patient: an inbound SMS's reply) and the routing of events (a
    batch) follow the one rule."""
    MessagingSettings.objects.create(clinic=clinic, language=clinics)
    if chosen is not None:
        PatientPreference.objects.create(clinic=clinic, patient=priya, language=chosen)
    ping(clinic, priya)
    routed = {m.language for m in Message.objects.filter(patient_id=priya.pk)}
    assert routed == {messaging.language_of(priya)} == {messaging.language_for(chosen, clinics)}


def test_stop_silences_sms_but_not_email(clinic, priya):
    PatientPreference.objects.create(
        clinic=clinic, patient=priya, sms_opted_out_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    ping(clinic, priya)
    assert list(Message.objects.values_list("channel", flat=True)) == ["email"]


def test_a_kind_the_clinic_must_send_ignores_a_choice_to_turn_it_off(clinic, priya):
    PatientPreference.objects.create(clinic=clinic, patient=priya, channels={"test.must": []})
    events.emit("test.must", clinic=clinic, key="1", patient=priya, values={"what": "x"})
    assert Message.objects.count() == 2


def test_quiet_hours_hold_a_message_until_morning_but_not_an_urgent_one(clinic, priya):
    clinic.timezone = "Asia/Kathmandu"
    clinic.save()
    night = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)  # 22:45 in Kathmandu
    at_night = {"clinic": clinic, "key": "n", "patient": priya, "users": (), "roles": ()}
    at_night.update(url="", channels=None, now=night, values={"what": "x", "patient": "P"})
    routing.route(events.kind_of("test.ping"), **at_night)
    held = Message.objects.filter(event="test.ping").first()
    morning = datetime(2026, 12, 8, 7, 0, tzinfo=clinic.zone)
    assert held.next_attempt_at == morning
    routing.route(events.kind_of("test.urgent"), **at_night)
    assert Message.objects.get(event="test.urgent").next_attempt_at == night


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (time(20, 59), False),
        (time(21, 0), True),
        (time(3, 0), True),
        (time(6, 59), True),
        (time(7, 0), False),
        (time(12, 0), False),
    ],
)
def test_overnight_quiet_hours(local, expected):
    assert quiet.is_quiet(local, time(21, 0), time(7, 0)) is expected


def test_equal_ends_mean_no_quiet_hours():
    assert not quiet.is_quiet(time(3, 0), time(0, 0), time(0, 0))


def test_a_staff_event_raises_notices_and_e_mails_those_who_want_them(clinic, manager):
    pharmacist = member(Role.PHARMACIST, clinic, username="ph1", email="ph1@example.com")
    quiet_one = member(Role.PHARMACIST, clinic, username="ph2", email="ph2@example.com")
    UserPreference.objects.create(user=quiet_one, channels={"test.staff_ping": ["in_app"]})
    emitted = events.emit(
        "test.staff_ping",
        clinic=clinic,
        key="7",
        roles=[Role.PHARMACIST],
        values={"what": "Stock"},
        url="/pharmacy/",
    )
    assert emitted.notices == 2
    assert set(Notice.objects.values_list("recipient__username", "title")) == {
        ("ph1", "Staff: Stock"),
        ("ph2", "Staff: Stock"),
    }
    assert list(Message.objects.values_list("to", flat=True)) == [pharmacist.email]
    assert manager.pk not in set(Notice.objects.values_list("recipient_id", flat=True))


def test_a_clinics_own_text_is_used_and_another_clinics_is_not(clinic, other_clinic, priya):
    MessageTemplate.objects.create(
        clinic=clinic, event="test.ping", channel="sms", language="en", body="Ours: {what}"
    )
    MessageTemplate.objects.create(
        clinic=other_clinic, event="test.ping", channel="email", language="en", body="Theirs"
    )
    ping(clinic, priya)
    assert Message.objects.get(channel="sms").body == "Ours: hello"
    assert Message.objects.get(channel="email").body.startswith("Dear Priya")


def test_placeholders_are_filled_never_evaluated():
    values = {"patient": "{what}", "what": "x"}
    assert wording.fill("{patient} {what} {other} {patient.__class__}", values) == (
        "{what} x {other} {patient.__class__}"
    )


def test_a_text_with_unknown_placeholders_or_stray_braces_is_refused():
    allowed = ("patient", "time")
    assert wording.problems("Dear {patient}, at {time}.", allowed) == []
    assert "{doctor}" in wording.problems("Dear {patient}, {doctor}", allowed)[0]
    assert wording.problems("{patient.__class__}", allowed)
    assert wording.problems("{{ patient }}", allowed)
    assert wording.problems("{% load x %}", allowed)
