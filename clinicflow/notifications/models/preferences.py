"""What each person wants to hear, and through what: a patient's (kept by the clinic whose
record it is) and a staff member's (their own, across clinics).

No preference row means the defaults: each event kind's own channels, the clinic's language,
the clinic's quiet hours for patients and none for staff. ``ConsentChange`` keeps every
opt-in and opt-out with its time and source (an SMS "STOP", the desk, the person themselves).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from clinicflow.core.audit.queryset import AuditedManager
from clinicflow.core.models import Audited, ClinicOwned


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    NEPALI = "ne", _("नेपाली (Nepali)")


class Preferences(models.Model):
    """The choices a patient and a staff member share."""

    language = models.CharField(_("language"), max_length=8, choices=Language.choices, blank=True)
    #: ``{event kind: [channels]}`` for the kinds the person changed; ``[]`` is "not at all".
    channels = models.JSONField(default=dict, blank=True)
    quiet_from = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_until = models.TimeField(_("quiet until"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        abstract = True


class PatientPreference(Audited, ClinicOwned, Preferences):
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="message_preference"
    )
    #: Set by an SMS "STOP" (or the desk): no SMS at all, reminders included, until the
    #: patient opts in again.
    sms_opted_out_at = models.DateTimeField(_("SMS opted out at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(quiet_from__isnull=True) & Q(quiet_until__isnull=True))
                | (Q(quiet_from__isnull=False) & Q(quiet_until__isnull=False)),
                name="patient_preference_quiet_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"Messages to {self.patient}"


class UserPreference(Audited, Preferences):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_preference"
    )

    objects = AuditedManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(quiet_from__isnull=True) & Q(quiet_until__isnull=True))
                | (Q(quiet_from__isnull=False) & Q(quiet_until__isnull=False)),
                name="user_preference_quiet_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"Messages to {self.user}"


class ConsentSource(models.TextChoices):
    SMS_REPLY = "sms_reply", _("SMS reply")
    DESK = "desk", _("At the desk")
    SELF = "self", _("By the person")


class ConsentChange(Audited, ClinicOwned):
    """One opt-in or opt-out of a patient for a channel: append-only, the record a regulator
    asks for."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    channel = models.CharField(max_length=10)
    opted_in = models.BooleanField()
    source = models.CharField(max_length=12, choices=ConsentSource.choices)
    #: The inbound message or the person's words, as received.
    evidence = models.CharField(max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-changed_at"], name="consent_patient_idx")]
