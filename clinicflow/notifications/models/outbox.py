"""The outbox: every e-mail and SMS the application sends, written in the transaction of the
business change that caused it and delivered afterwards by a worker (``outbox.deliver_due``).

A row is also the delivery log: to whom, through which provider (its message id and cost),
how many attempts, the provider's last error, and the status a provider's callback reported.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from clinicflow.core.models import ClinicOwned


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-app")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")


#: The statuses a message can still leave by being delivered (or given up on).
PENDING = (MessageStatus.QUEUED,)


class Message(ClinicOwned):
    """One message to one address through one channel (e-mail or SMS).

    ``key`` is the idempotency key, ``<event kind>:<event key>:<recipient>:<channel>``: the
    database keeps one message per clinic and key, so an event emitted twice (a retried
    request, a reminder sweep run on two beat instances) writes one message. Not audited row by
    row: the business change that queued it is audited, and the row itself records each
    delivery step; a manager's resend is a named audit event."""

    key = models.CharField(max_length=200)
    #: The event that caused it (``appointment.booked``), for filtering and templates.
    event = models.CharField(_("event"), max_length=40)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    #: The phone number (E.164) or e-mail address at the time of sending.
    to = models.CharField(_("to"), max_length=254)
    language = models.CharField(max_length=8, default="en")
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    #: Urgent messages are sent during quiet hours too (a critical lab value).
    urgent = models.BooleanField(default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    #: When the worker may (next) try: now, the end of the recipient's quiet hours, or the
    #: next retry after a temporary failure.
    next_attempt_at = models.DateTimeField(db_default=Now())
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    provider = models.CharField(_("provider"), max_length=30, blank=True)
    provider_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    #: In the provider's billing unit (credits or rupees), as it reported.
    cost = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    segments = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "key"], name="message_once_per_key"),
            # To a person, or (a one-time code, always urgent) to an address being verified
            # that may belong to nobody yet.
            models.CheckConstraint(
                condition=Q(patient__isnull=False) | Q(user__isnull=False) | Q(urgent=True),
                name="message_has_recipient",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=[Channel.EMAIL, Channel.SMS]),
                name="message_outbound_channel",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[MessageStatus.SENT, MessageStatus.DELIVERED])
                | Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=MessageStatus.FAILED) | ~Q(last_error=""),
                name="message_failure_has_error",
            ),
        ]
        indexes = [
            # The worker's question: what is due now, oldest first.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="queued"),
                name="message_due_idx",
            ),
            models.Index(fields=["clinic", "-created_at"], name="message_log_idx"),
            models.Index(fields=["patient", "-created_at"], name="message_patient_idx"),
            models.Index(
                fields=["provider", "provider_id"],
                condition=~Q(provider_id=""),
                name="message_provider_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.to} ({self.channel})"

    @property
    def shown_subject(self) -> str:
        """The subject as the delivery log may show it: a one-time code masked."""
        from clinicflow.notifications.events import is_secret, masked

        return masked(self.subject) if is_secret(self.event) else self.subject

    @property
    def shown_body(self) -> str:
        """The text as the delivery log may show it: a one-time code masked."""
        from clinicflow.notifications.events import is_secret, masked

        return masked(self.body) if is_secret(self.event) else self.body
