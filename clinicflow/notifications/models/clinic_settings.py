"""How a clinic talks to its patients: when reminders go out, the quiet hours in which nothing
but urgent messages is sent, and the language of patients who chose none."""

from __future__ import annotations

from datetime import time

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clinicflow.core.models import Audited, ClinicOwned
from clinicflow.notifications.models.preferences import Language


class MessagingSettings(Audited, ClinicOwned):
    first_reminder_hours = models.PositiveSmallIntegerField(
        _("first reminder, hours before"), default=24
    )
    #: 0: no second reminder.
    second_reminder_hours = models.PositiveSmallIntegerField(
        _("second reminder, hours before"), default=2
    )
    quiet_from = models.TimeField(_("quiet hours from"), default=time(21, 0))
    quiet_until = models.TimeField(_("quiet hours until"), default=time(7, 0))
    language = models.CharField(
        _("patients' language"), max_length=8, choices=Language.choices, default=Language.ENGLISH
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic"], name="messaging_settings_one_per_clinic"),
            models.CheckConstraint(
                condition=Q(first_reminder_hours__gt=0)
                & Q(first_reminder_hours__lte=168)
                & Q(second_reminder_hours__lt=models.F("first_reminder_hours")),
                name="messaging_settings_reminder_order",
            ),
        ]
