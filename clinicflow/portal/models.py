"""Who a portal account may act for, and the one-time codes that prove an address.

A ``PatientLink`` says that an account (a ``User``) looks after a patient's record: their own
(``self``) or a family member's, how it was linked (a code sent to the record's own phone or
e-mail, at the desk after checking ID, or at self-registration) and, once removed, when and by
whom. ``portal.access.patients_of`` reads these rows; nothing else decides what an account
may see.

A ``OneTimeCode`` is six digits sent to an address, kept only as an HMAC, usable once, for
ten minutes and five tries.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from clinicflow.core.audit.queryset import AuditedManager
from clinicflow.core.models import Audited, ClinicOwned


class Relationship(models.TextChoices):
    SELF = "self", _("Myself")
    CHILD = "child", _("My child")
    PARENT = "parent", _("My parent")
    SPOUSE = "spouse", _("My spouse")
    SIBLING = "sibling", _("My brother or sister")
    OTHER = "other", _("Someone else I look after")


class LinkedVia(models.TextChoices):
    CODE = "code", _("Code sent to the record's phone or e-mail")
    DESK = "desk", _("At the desk, after checking ID")
    REGISTRATION = "registration", _("Self-registration")


#: Links not removed.
ACTIVE = Q(removed_at__isnull=True)


class PatientLink(Audited, ClinicOwned):
    """An account looks after one patient's record (its own, or a family member's)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patient_links"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="portal_links"
    )
    relationship = models.CharField(_("relationship"), max_length=10, choices=Relationship.choices)
    linked_via = models.CharField(_("linked"), max_length=15, choices=LinkedVia.choices)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who linked it at the desk."),
    )
    linked_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["linked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "patient"],
                condition=Q(removed_at__isnull=True),
                name="portal_link_active_once",
                violation_error_message=_("This account already looks after this record."),
            ),
            # A record is one person's own: at most one account is theirs.
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(removed_at__isnull=True, relationship="self"),
                name="portal_link_one_self_per_patient",
                violation_error_message=_("Another account is already this person's own."),
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=False) | Q(removed_by__isnull=True),
                name="portal_link_removed_by_only_when_removed",
            ),
            models.CheckConstraint(
                condition=~Q(linked_via="desk") | Q(linked_by__isnull=False),
                name="portal_link_desk_names_who",
            ),
            models.CheckConstraint(
                condition=Q(relationship__in=Relationship.values),
                name="portal_link_relationship_valid",
            ),
        ]
        indexes = [models.Index(fields=["user", "removed_at"], name="portal_link_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} → {self.patient_id} ({self.relationship})"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


class CodePurpose(models.TextChoices):
    REGISTER = "register", _("Create an account")
    SIGN_IN = "sign_in", _("Sign in")
    LINK = "link", _("Link a record")
    CONTACT = "contact", _("Prove a new phone or e-mail")


class OneTimeCode(Audited, models.Model):
    """Six digits sent to ``address`` for one ``purpose``; only their HMAC is kept.

    ``payload`` holds what the step needs once the code is right: the registration's details
    (the password already hashed) or the record and relationship to link. A code with no
    ``address`` was never sent (details matching no record, no account for a number): it
    answers like any other and never verifies, so the visitor cannot tell the difference."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    purpose = models.CharField(max_length=10, choices=CodePurpose.choices)
    #: The clinic whose outbox sends it; none for a code that was never sent.
    clinic = models.ForeignKey(
        "core.Clinic", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: E.164 phone or lower-case e-mail; empty while (or when) nothing was sent.
    address = models.CharField(max_length=254, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payload = models.JSONField(default=dict, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    created_at = models.DateTimeField(db_default=Now())
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    objects = AuditedManager()

    audit_secrets = ("code_hash", "payload")
    clinic_path: ClassVar[str] = "clinic"

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "address"], name="portal_code_user_idx"),
            models.Index(fields=["expires_at"], name="portal_code_expiry_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=CodePurpose.values), name="portal_code_purpose_valid"
            ),
            models.CheckConstraint(
                condition=Q(attempts__lte=20), name="portal_code_attempts_bounded"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code {self.pk}"

    @property
    def audit_clinic_id(self) -> Any:
        return self.clinic_id


#: The youngest age a clinic may let adolescents hold their own account from, and the oldest.
ADOLESCENT_AGES = (12, 17)
#: Of age: from here on everyone may be the own account of their record.
ADULT_AGE = 18


class PortalSettings(Audited, ClinicOwned):
    """How the portal treats one clinic's patients. A clinic without a row has the defaults.

    Adolescents' own access: off by default, a patient under 18 is never the "own" account
    of their record (a parent or guardian looks after it); on, from ``adolescent_from_age``
    they may be."""

    adolescents_own_account = models.BooleanField(
        _("adolescents may hold their own account"), default=False
    )
    adolescent_from_age = models.PositiveSmallIntegerField(
        _("from the age of"),
        default=16,
        validators=[MinValueValidator(ADOLESCENT_AGES[0]), MaxValueValidator(ADOLESCENT_AGES[1])],
    )

    class Meta:
        verbose_name_plural = "portal settings"
        constraints = [
            models.UniqueConstraint(fields=["clinic"], name="portal_settings_one_per_clinic"),
            models.CheckConstraint(
                condition=Q(
                    adolescent_from_age__gte=ADOLESCENT_AGES[0],
                    adolescent_from_age__lte=ADOLESCENT_AGES[1],
                ),
                name="portal_settings_adolescent_age_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Portal settings of {self.clinic_id}"

    @property
    def own_account_from_age(self) -> int:
        """The age from which a patient may be the own account of their record."""
        return self.adolescent_from_age if self.adolescents_own_account else ADULT_AGE
