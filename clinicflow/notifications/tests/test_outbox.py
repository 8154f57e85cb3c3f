"""Delivering the outbox: sent once, retried with growing waits after a temporary failure,
failed at once after a permanent one or after the last try; two workers never send one
message twice; a provider's reports update the status; a manager resends a failed one."""

from __future__ import annotations

import smtplib
import threading
import time as clock
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.core.models import AuditEvent
from clinicflow.notifications import outbox, senders
from clinicflow.notifications.models import Channel, Message, MessageStatus
from clinicflow.notifications.sms.standin import GatewayStandin, Reply, sparrow_refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def priya(register):
    return register(phone="+9779841000001", email="priya@example.com")


def queue(clinic, patient, n=1, channel=Channel.EMAIL, event="test.ping", **fields):
    return [
        Message.objects.create(
            clinic=clinic,
            key=f"{patient.pk}:{i}:{channel}",
            event=event,
            channel=channel,
            patient=patient,
            to=patient.email if channel == Channel.EMAIL else patient.phone,
            subject="Hello",
            body=f"Message {i}",
            **fields,
        )
        for i in range(n)
    ]


def test_a_due_e_mail_is_sent_once_with_text_and_html(clinic, priya):
    [message] = queue(clinic, priya)
    assert outbox.deliver_due() == {"sent": 1}
    assert outbox.deliver_due() == {}
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert (sent.to, sent.subject, sent.body) == (["priya@example.com"], "Hello", "Message 0")
    assert "<p>Message 0</p>" in sent.alternatives[0][0]
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.attempts == 1
    assert message.sent_at
    assert message.provider == "email"
    assert message.provider_id in sent.extra_headers["Message-ID"]


def test_a_message_not_yet_due_waits(clinic, priya):
    queue(clinic, priya, next_attempt_at=timezone.now() + timedelta(hours=1))
    assert outbox.deliver_due() == {}
    assert outbox.deliver_due(now=timezone.now() + timedelta(hours=2)) == {"sent": 1}


class Flaky:
    def __init__(self, error):
        self.error, self.calls = error, 0

    def __call__(self, message):
        self.calls += 1
        raise self.error


def test_a_temporary_failure_is_retried_with_growing_waits_then_failed(clinic, priya, monkeypatch):
    flaky = Flaky(senders.DeliveryError("Mail server: timed out", permanent=False))
    monkeypatch.setitem(senders.SENDERS, Channel.EMAIL, flaky)
    [message] = queue(clinic, priya)
    waits = []
    for _try in range(outbox.MAX_ATTEMPTS):
        now = message.next_attempt_at
        outbox.deliver_due(now=now)
        message.refresh_from_db()
        waits.append(round((message.next_attempt_at - now).total_seconds()))
    assert flaky.calls == outbox.MAX_ATTEMPTS
    assert waits[:4] == [30, 60, 120, 240]
    assert message.status == "failed"
    assert message.last_error == "Mail server: timed out"
    outbox.deliver_due(now=timezone.now() + timedelta(days=1))
    assert flaky.calls == outbox.MAX_ATTEMPTS


def test_a_refused_address_fails_at_once(clinic, priya, monkeypatch):
    def refuse(message):
        raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"no such user")})

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", lambda self: refuse(self))
    [message] = queue(clinic, priya)
    outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.attempts == 1
    assert "refused" in message.last_error


def test_provider_reports_move_a_sent_message_once(clinic, priya):
    [message] = queue(clinic, priya, channel=Channel.SMS)
    Message.objects.filter(pk=message.pk).update(
        status="sent", sent_at=timezone.now(), provider="sparrow", provider_id="abc"
    )
    assert outbox.record_report(provider="sparrow", provider_id="abc", status="delivered") == 1
    assert outbox.record_report(provider="sparrow", provider_id="abc", status="delivered") == 0
    assert outbox.record_report(provider="other", provider_id="abc", status="failed") == 0
    message.refresh_from_db()
    assert message.status == "delivered"
    assert message.delivered_at


def test_a_manager_resends_a_failed_message_and_it_is_audited(clinic, priya, manager):
    [message] = queue(clinic, priya, status="failed", last_error="timed out", attempts=5)
    outbox.resend(actor=actor_for(manager), message=message)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 0)
    event = AuditEvent.objects.filter(object_id=str(message.pk)).latest("pk")
    assert event.changes["resent"] is True
    with pytest.raises(DomainError, match="Only a failed"):
        outbox.resend(actor=actor_for(manager), message=message)


def test_resend_is_refused_to_other_roles_and_other_clinics(
    clinic, priya, receptionist, other_clinic_manager
):
    [message] = queue(clinic, priya, status="failed", last_error="x")
    with pytest.raises(DomainError):
        outbox.resend(actor=actor_for(receptionist), message=message)
    with pytest.raises(DomainError):
        outbox.resend(actor=actor_for(other_clinic_manager), message=message)
    message.refresh_from_db()
    assert message.status == "failed"


def test_health_counts_the_last_hour_per_channel(clinic, priya):
    queue(clinic, priya, n=2)
    queue(clinic, priya, channel=Channel.SMS, status="failed", last_error="x")
    outbox.deliver_due()
    assert outbox.health(clinic) == {
        "email": {"sent": 2, "failed": 0, "queued": 0},
        "sms": {"sent": 0, "failed": 1, "queued": 0},
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_message_exactly_once(clinic, priya, monkeypatch):
    sends: list[str] = []
    lock = threading.Lock()

    def slow_send(message):
        clock.sleep(0.02)  # long enough that the other worker looks at the queue meanwhile
        with lock:
            sends.append(message.key)
        return senders.Sent(provider="test", provider_id=message.key)

    monkeypatch.setitem(senders.SENDERS, Channel.EMAIL, slow_send)
    keys = [m.key for m in queue(clinic, priya, n=30)]
    outcomes = []

    def worker():
        try:
            outcomes.append(outbox.deliver_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(sends) == sorted(keys)
    assert sum(o.get("sent", 0) for o in outcomes) == 30
    assert len([o for o in outcomes if o]) >= 2  # the work was shared, not serialised
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def test_the_delivery_log_is_for_managers(clinic, priya, sign_in, manager, receptionist):
    queue(clinic, priya, status="failed", last_error="timed out")
    page = sign_in(manager).get(reverse("notifications:log"))
    assert page.status_code == 200
    assert b"timed out" in page.content
    assert b"priya@example.com" in page.content
    assert sign_in(receptionist).get(reverse("notifications:log")).status_code == 403


def test_the_delivery_log_names_each_event_as_the_filter_does(clinic, priya, sign_in, manager):
    """A manager reads "Appointment booked", the name the event filter offers, not the key the
    code uses; a message of a kind no longer registered keeps its key."""
    queue(clinic, priya, event="appointment.booked")
    queue(clinic, priya, channel=Channel.SMS)  # "test.ping": not a registered kind
    rows = sign_in(manager).get(reverse("notifications:log"), HTTP_HX_REQUEST="true")
    assert rows.status_code == 200
    text = rows.content.decode()
    assert '<td class="small">Appointment booked</td>' in text
    assert ">appointment.booked<" not in text
    assert '<td class="small">test.ping</td>' in text


@pytest.fixture
def sparrow(settings):
    """The Sparrow gateway configured as production would, pointed at a loopback stand-in."""
    with GatewayStandin("sparrow") as gateway:
        settings.SMS_BACKEND = "sparrow"
        settings.SMS_OPTIONS = {
            "token": "secret-token",
            "sender": "Clinic",
            "url": gateway.url("/v2/sms/"),
        }
        yield gateway


def test_an_sms_goes_through_the_gateway_with_its_id_and_cost(clinic, priya, sparrow):
    [message] = queue(clinic, priya, channel=Channel.SMS)
    assert outbox.deliver_due() == {"sent": 1}
    [request] = sparrow.requests
    assert request.form["to"] == "9841000001"
    assert request.form["text"] == "Message 0"
    assert request.form["token"] == "secret-token"
    message.refresh_from_db()
    assert (message.status, message.provider, message.segments) == ("sent", "sparrow", 1)
    assert message.provider_id


def test_no_credit_is_retried_and_a_bad_number_fails_at_once(clinic, priya, register, sparrow):
    [message] = queue(clinic, priya, channel=Channel.SMS)
    sparrow.script(sparrow_refused(1013))
    assert outbox.deliver_due() == {"queued": 1}
    message.refresh_from_db()
    assert "Insufficient Credits" in message.last_error
    assert message.attempts == 1
    assert outbox.deliver_due(now=message.next_attempt_at) == {"sent": 1}

    landline = register(given_name="Hari", phone="+97714400000")
    [bad] = queue(clinic, landline, channel=Channel.SMS)
    assert outbox.deliver_due() == {"failed": 1}
    bad.refresh_from_db()
    assert bad.last_error
    assert len(sparrow.requests) == 2


def test_a_gateway_that_takes_the_message_and_never_answers_is_not_tried_again(
    clinic, priya, settings
):
    with GatewayStandin("sparrow") as gateway:
        settings.SMS_BACKEND = "sparrow"
        url = gateway.url("/v2/sms/")
        settings.SMS_OPTIONS = {"token": "t", "sender": "Clinic", "url": url, "timeout": "0.2"}
        gateway.script(Reply(delay=1.0))
        [message] = queue(clinic, priya, channel=Channel.SMS)
        assert outbox.deliver_due() == {"failed": 1}
    message.refresh_from_db()
    assert "may have been sent" in message.last_error


def test_an_e_mail_providers_bounce_report_reaches_the_message(clinic, priya, settings, client):
    """Sent through a provider's API (django-anymail), then the provider's webhook (Postmark's
    documented bounce report) marks it bounced; without the webhook's secret, nothing."""
    import base64
    import json

    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "t", "WEBHOOK_SECRET": "hook:secret"}
    assert client.post(reverse("notifications:email_events", args=["mailgun"])).status_code == 404
    # The message goes through anymail's test backend (no network); reports come as
    # Postmark's.
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    [message] = queue(clinic, priya)
    outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.provider_id
    report = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "MessageID": message.provider_id,
        "Email": priya.email,
        "Description": "The server was unable to deliver your message.",
        "BouncedAt": "2026-12-07T10:00:00Z",
    }
    url = reverse("notifications:email_events", args=["postmark"])

    def post(credentials: bytes):
        auth = "Basic " + base64.b64encode(credentials).decode()
        body = json.dumps(report)
        return client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=auth)

    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    assert post(b"hook:guess").status_code == 400
    message.refresh_from_db()
    assert message.status == "sent"
    assert post(b"hook:secret").status_code == 200
    message.refresh_from_db()
    assert message.status == "bounced"
    assert "unable to deliver" in message.last_error
