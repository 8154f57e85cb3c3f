"""SMS received from patients through a gateway's inbound webhook: kept once each, with what
was done about it and the answer sent back."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class InboundSms(models.Model):
    """One inbound SMS. ``key`` makes the webhook idempotent: the provider's message id, or a
    digest of sender, text and minute when the provider gives none, so a provider retrying
    its call is answered as the first time and nothing is done twice.

    Not clinic-owned: a number may belong to patients of several clinics (or none); what the
    reply changed is recorded (and audited) in each clinic it touched."""

    provider = models.CharField(max_length=30)
    key = models.CharField(max_length=100, unique=True)
    sender = models.CharField(_("from"), max_length=20)
    text = models.CharField(_("text"), max_length=500)
    #: What was understood and done ("confirmed", "cancelled", "opted out", "not understood").
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)
    reply = models.CharField(_("reply"), max_length=320, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["sender", "-received_at"], name="inbound_sender_idx")]

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:40]}"
