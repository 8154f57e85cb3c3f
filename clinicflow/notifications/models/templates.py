"""A clinic's own wording of a message: per event kind, channel and language. Without one, the
event kind's default text is used (``events.EventKind.texts``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from clinicflow.core.models import Audited, ClinicOwned


class MessageTemplate(Audited, ClinicOwned):
    event = models.CharField(_("event"), max_length=40)
    channel = models.CharField(_("channel"), max_length=10)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    #: Text with ``{placeholders}`` from the event kind's list, never template code.
    body = models.TextField(_("text"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "event", "channel", "language"], name="message_template_once"
            ),
        ]
