"""Handing one outbox message to its channel's provider: Django's mail backend for e-mail
(SMTP, or a provider's API through django-anymail as production configures it), the
configured SMS gateway for SMS (``sms.backends``).

Each sender returns what the provider said (``Sent``) or raises ``DeliveryError``: permanent
(a refused address: retrying cannot help) or temporary (a timeout, the provider down, no
credit left: the worker tries again later)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from decimal import Decimal
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from clinicflow.notifications.models import Channel, Message
from clinicflow.notifications.sms.backends.base import SmsError, TemporarySmsError, get_backend
from clinicflow.notifications.sms.segments import count_segments


@dataclass(frozen=True)
class Sent:
    provider: str
    provider_id: str = ""
    cost: Decimal | None = None
    segments: int | None = None


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


def send_email(message: Message) -> Sent:
    ident = make_msgid(domain="clinicflow")
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers={"Message-ID": ident, "X-ClinicFlow-Key": message.key},
    )
    mail.attach_alternative(
        render_to_string("notifications/mail/message.html", {"message": message}), "text/html"
    )
    try:
        mail.send()
    except smtplib.SMTPRecipientsRefused as error:
        raise DeliveryError(f"Address refused: {error.recipients}", permanent=True) from error
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"Mail server: {error}", permanent=False) from error
    # Through a provider's API (django-anymail), its own id is what its reports will name.
    status = getattr(mail, "anymail_status", None)
    provider_id = getattr(status, "message_id", None) or ident.strip("<>")
    return Sent(provider="email", provider_id=str(provider_id))


def send_sms(message: Message) -> Sent:
    backend = get_backend()
    try:
        sent = backend.send(to=message.to, text=message.body, reference=message.key)
    except TemporarySmsError as error:
        if error.may_have_sent:
            # The gateway took the request and never answered: trying again might send it
            # twice. A person decides (the log's "send again").
            raise DeliveryError(
                f"No answer from the gateway; it may have been sent. {error}", permanent=True
            ) from error
        raise DeliveryError(str(error), permanent=False) from error
    except SmsError as error:
        raise DeliveryError(str(error), permanent=True) from error
    return Sent(
        provider=backend.name,
        provider_id=sent.provider_id,
        cost=sent.cost if sent.cost is not None else sent.credits,
        segments=count_segments(message.body).segments,
    )


SENDERS = {Channel.EMAIL: send_email, Channel.SMS: send_sms}


def send(message: Message) -> Sent:
    return SENDERS[Channel(message.channel)](message)
