"""In-app notices: a short message for one person in one clinic ("Low stock: amoxicillin"),
with a link to where they can act on it, read or not yet read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from clinicflow.core.models import ClinicOwned


class Notice(ClinicOwned):
    """One notice for one person. ``key`` names what it is about (``pharmacy.low_stock:12:
    2025-03-01``): the database keeps one notice per person, clinic and key, so whoever raises
    it twice (a daily task run again the same day) raises it once.

    Not audited: a notice is a message, not a record of care or money; what it is about is
    audited where it happens, and marking it read is bookkeeping."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    #: What raised it, ``domain.what`` (``pharmacy.low_stock``): for filtering and icons.
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A person who works in two clinics hears each clinic's notice of the same key.
            models.UniqueConstraint(
                fields=["recipient", "clinic", "key"], name="notice_once_per_key"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "clinic", "-id"], name="notice_inbox_idx"),
            models.Index(
                fields=["recipient", "clinic"],
                condition=Q(read_at__isnull=True),
                name="notice_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
