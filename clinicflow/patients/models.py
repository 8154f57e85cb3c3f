"""The patient record: demographics, the medical record number, allergies and the problem list."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from clinicflow.core.models import Audited, ClinicOwned


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class BloodGroup(models.TextChoices):
    A_POS = "A+", "A+"
    A_NEG = "A-", "A−"
    B_POS = "B+", "B+"
    B_NEG = "B-", "B−"
    AB_POS = "AB+", "AB+"
    AB_NEG = "AB-", "AB−"
    O_POS = "O+", "O+"
    O_NEG = "O-", "O−"


class AllergyStatement(models.TextChoices):
    """What the clinic knows about allergies, apart from the allergies recorded."""

    NOT_ASKED = "not_asked", _("Not asked yet")
    NONE_KNOWN = "none_known", _("No known allergies")
    RECORDED = "recorded", _("Allergies recorded")


class Patient(Audited, ClinicOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mrn = models.CharField(_("MRN"), max_length=20, editable=False)
    mrn_seq = models.PositiveIntegerField(editable=False)
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    birth_date_estimated = models.BooleanField(
        _("birth date estimated"), default=False, help_text=_("Worked out from an age in years.")
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164"))
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.TextField(_("address"), blank=True)
    blood_group = models.CharField(
        _("blood group"), max_length=3, choices=BloodGroup.choices, blank=True
    )
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=150, blank=True)
    emergency_contact_phone = models.CharField(
        _("emergency contact phone"), max_length=20, blank=True
    )
    emergency_contact_relation = models.CharField(_("relation"), max_length=60, blank=True)
    height_cm = models.DecimalField(
        _("height (cm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    current_medications = models.TextField(
        _("current medications (as the patient says)"), blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    allergy_statement = models.CharField(
        _("allergies"),
        max_length=12,
        choices=AllergyStatement.choices,
        default=AllergyStatement.NOT_ASKED,
    )
    #: Lower-case "given family" for name search (trigram-indexed on PostgreSQL).
    search_name = models.CharField(max_length=201, editable=False, db_index=False)
    is_active = models.BooleanField(_("active"), default=True)
    inactive_reason = models.CharField(_("reason"), max_length=200, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True)

    audit_exclude: ClassVar[tuple[str, ...]] = ("search_name", "updated_at")

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="patient_mrn_unique_per_clinic"),
            models.UniqueConstraint(
                fields=["clinic", "mrn_seq"], name="patient_mrn_seq_unique_per_clinic"
            ),
            models.CheckConstraint(
                condition=~models.Q(given_name="") & ~models.Q(family_name=""),
                name="patient_names_present",
            ),
            models.CheckConstraint(
                condition=models.Q(height_cm__isnull=True)
                | models.Q(height_cm__gt=20, height_cm__lt=260),
                name="patient_height_plausible",
            ),
            models.CheckConstraint(
                condition=models.Q(weight_kg__isnull=True)
                | models.Q(weight_kg__gt=0, weight_kg__lt=400),
                name="patient_weight_plausible",
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=True) | ~models.Q(inactive_reason=""),
                name="patient_inactive_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "phone"], name="patient_phone_idx"),
            models.Index(fields=["clinic", "email"], name="patient_email_idx"),
            models.Index(fields=["clinic", "birth_date"], name="patient_birth_date_idx"),
            models.Index(fields=["clinic", "family_name", "given_name"], name="patient_name_idx"),
            models.Index(fields=["clinic", "created_at"], name="patient_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class MrnCounter(ClinicOwned):
    """The last medical record number given in a clinic. Locked while a number is taken, in
    the same transaction as the patient's insert, so numbers are never skipped or repeated."""

    last_seq = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic"], name="mrn_counter_one_per_clinic")
        ]

    def __str__(self) -> str:
        return f"{self.clinic_id}: {self.last_seq}"


class ClinicalStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RESOLVED = "resolved", _("Resolved")
    ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")


class AllergySeverity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")
    LIFE_THREATENING = "life_threatening", _("Life-threatening")


class PatientRecord(Audited, ClinicOwned):
    """A row of a patient's chart: who recorded it and when, and its status."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT)
    status = models.CharField(
        _("status"), max_length=20, choices=ClinicalStatus.choices, default=ClinicalStatus.ACTIVE
    )
    status_reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        abstract = True


class Allergy(PatientRecord):
    substance = models.CharField(_("substance"), max_length=120)
    reaction = models.CharField(_("reaction"), max_length=200, blank=True)
    severity = models.CharField(
        _("severity"),
        max_length=20,
        choices=AllergySeverity.choices,
        default=AllergySeverity.MODERATE,
    )

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name_plural = "allergies"
        indexes = [models.Index(fields=["patient", "status"], name="allergy_patient_status_idx")]

    def __str__(self) -> str:
        return f"{self.substance} ({self.get_severity_display()})"


class Condition(PatientRecord):
    """An entry of the problem list (chronic conditions)."""

    description = models.CharField(_("condition"), max_length=200)
    icd10_code = models.CharField(_("ICD-10 code"), max_length=8, blank=True)
    onset = models.CharField(
        _("since"), max_length=40, blank=True, help_text=_("e.g. 2019, childhood")
    )

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["patient", "status"], name="condition_patient_status_idx")]

    def __str__(self) -> str:
        return self.description


class DocumentCategory(models.TextChoices):
    LAB_REPORT = "lab_report", _("Lab report")
    IMAGING = "imaging", _("Imaging")
    REFERRAL = "referral", _("Referral")
    ID = "id", _("ID")
    INSURANCE = "insurance", _("Insurance")
    OTHER = "other", _("Other")


class DocumentStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")


def document_path(document: PatientDocument, filename: str) -> str:
    """A random name under the clinic's private folder; the given name is never used."""
    return f"patients/{document.clinic_id}/{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1]}"


class PatientDocument(Audited, ClinicOwned):
    """A scanned or uploaded document, stored privately and served only through a
    permission-checked view."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="documents")
    category = models.CharField(
        _("category"),
        max_length=20,
        choices=DocumentCategory.choices,
        default=DocumentCategory.OTHER,
    )
    title = models.CharField(_("title"), max_length=150)
    document_date = models.DateField(_("date of the document"), null=True, blank=True)
    file = models.FileField(upload_to=document_path, max_length=200)
    thumbnail = models.FileField(upload_to=document_path, max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.CURRENT
    )
    status_reason = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["patient", "status"], name="document_patient_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(content_type__in=["application/pdf", "image/png", "image/jpeg"]),
                name="document_content_type_allowed",
            ),
            models.CheckConstraint(
                condition=models.Q(status="current") | ~models.Q(status_reason=""),
                name="document_error_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class NameWord(ClinicOwned):
    """Every distinct word of the clinic's patients' names (a few thousand, not a million):
    name search first finds the words close to what was typed here, then looks the names up
    by index. Kept by the registration services and the generator."""

    word = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "word"], name="name_word_unique")]

    def __str__(self) -> str:
        return self.word
