"""What e-mail providers report of the messages they took (through django-anymail's tracking
webhooks): delivered, bounced, rejected. Each report moves the outbox message it names, by the
provider's message id kept when it was sent (``senders.send_email``)."""

from __future__ import annotations

from typing import Any

from anymail.signals import AnymailTrackingEvent, tracking  # type: ignore[import-untyped]
from anymail.webhooks.brevo import BrevoTrackingWebhookView  # type: ignore[import-untyped]
from anymail.webhooks.mailgun import MailgunTrackingWebhookView  # type: ignore[import-untyped]
from anymail.webhooks.postmark import PostmarkTrackingWebhookView  # type: ignore[import-untyped]
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView  # type: ignore[import-untyped]
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from clinicflow.core.access import requires
from clinicflow.notifications import outbox
from clinicflow.notifications.models import MessageStatus

#: Anymail's event types that say what became of a message; the others (opened, clicked,
#: deferred, queued...) change nothing here.
OUTCOMES = {
    "delivered": MessageStatus.DELIVERED,
    "bounced": MessageStatus.BOUNCED,
    "rejected": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
}


def on_report(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    status = OUTCOMES.get(event.event_type)
    if status is None or not event.message_id:
        return
    outbox.record_report(
        provider="email",
        provider_id=str(event.message_id),
        status=status,
        error=(event.description or event.reject_reason or event.event_type or "")[:300],
    )


#: The providers whose reports are taken, at ``/notifications/email-events/<provider>/``
#: (django-anymail's views: each checks the ``ANYMAIL_WEBHOOK_SECRET`` basic credentials and
#: reads its provider's documented payload). Another provider is one line.
WEBHOOKS = {
    "brevo": BrevoTrackingWebhookView,
    "mailgun": MailgunTrackingWebhookView,
    "postmark": PostmarkTrackingWebhookView,
    "sendgrid": SendGridTrackingWebhookView,
}


def configured_provider() -> str:
    """The provider whose API sends our mail (``EMAIL_BACKEND`` is one of anymail's), or ""."""
    parts = settings.EMAIL_BACKEND.split(".")
    return parts[2] if parts[:2] == ["anymail", "backends"] and len(parts) > 3 else ""


@csrf_exempt
@requires("notifications.email_reports")
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """A delivery report from the provider that sends our mail; any other provider's address
    does not exist (its view would want settings nobody gave)."""
    view = WEBHOOKS.get(provider)
    if view is None or provider != configured_provider():
        raise Http404
    response: HttpResponse = view.as_view()(request)
    return response


def register() -> None:
    tracking.connect(on_report, dispatch_uid="notifications.email_reports")
