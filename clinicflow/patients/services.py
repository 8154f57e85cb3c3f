"""Every write on patient records: registration (with its MRN and duplicate check), edits,
allergies and conditions, deactivation and merging. Views and the API call these; each is one
transaction that takes its row locks before its first audited write."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import Conflict, DomainError, field_errors
from clinicflow.core.models import AuditAction, Clinic
from clinicflow.core.roles import Role
from clinicflow.patients import merging
from clinicflow.patients.models import (
    Allergy,
    AllergyStatement,
    ClinicalStatus,
    Condition,
    DocumentStatus,
    MrnCounter,
    NameWord,
    Patient,
    PatientDocument,
)
from clinicflow.patients.phones import normalise_phone
from clinicflow.patients.selectors import likely_duplicates
from clinicflow.patients.uploads import check_upload

#: What registration and editing may set (everything else is the system's).
DETAIL_FIELDS = (
    "given_name",
    "family_name",
    "sex",
    "birth_date",
    "phone",
    "email",
    "address",
    "blood_group",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relation",
    "height_cm",
    "weight_kg",
    "current_medications",
    "notes",
)
OLDEST_AGE = 130


class PossibleDuplicates(Conflict):
    """Registration found records that may be the same person; the user decides."""

    default_code = "possible_duplicates"

    def __init__(self, candidates: list[Patient]):
        super().__init__(
            _("This person may already be registered. Open the record, or confirm a new one.")
        )
        self.candidates = candidates

    @property
    def payload(self) -> dict[str, object]:
        return {
            "candidates": [
                {"id": str(p.pk), "mrn": p.mrn, "name": p.full_name} for p in self.candidates
            ]
        }


def _require(actor: Actor, action: str, patient: Patient | None = None) -> Clinic:
    clinic: Clinic = policy.require(actor, action, patient)
    return clinic


def _today(clinic: Clinic) -> date:
    return timezone.localtime(timezone.now(), clinic.zone).date()


def _apply(patient: Patient, clinic: Clinic, details: Mapping[str, Any]) -> None:
    unknown = set(details) - set(DETAIL_FIELDS) - {"age_years"}
    if unknown:
        raise DomainError(_("These fields cannot be set: %s") % ", ".join(sorted(unknown)))
    for name, value in details.items():
        if name != "age_years":
            setattr(patient, name, value.strip() if isinstance(value, str) else value)
    patient.email = patient.email.lower()
    patient.phone = normalise_phone(patient.phone, region=clinic.country)
    patient.emergency_contact_phone = normalise_phone(
        patient.emergency_contact_phone, region=clinic.country, field="emergency_contact_phone"
    )
    _apply_birth(patient, clinic, details)
    if not patient.given_name:
        raise DomainError(_("A given name is needed."), field="given_name")
    if not patient.family_name:
        raise DomainError(_("A family name is needed."), field="family_name")
    patient.search_name = f"{patient.given_name} {patient.family_name}".lower()


def _apply_birth(patient: Patient, clinic: Clinic, details: Mapping[str, Any]) -> None:
    """A birth date, or — when only an age is known — an estimated one."""
    today = _today(clinic)
    age = details.get("age_years")
    if details.get("birth_date"):
        patient.birth_date_estimated = False
    elif age not in (None, ""):
        years = int(age)
        if not 0 <= years <= OLDEST_AGE:
            raise DomainError(_("An age between 0 and 130 years, please."), field="age_years")
        patient.birth_date = today.replace(year=today.year - years, month=1, day=1)
        patient.birth_date_estimated = True
    if patient.birth_date is None:
        patient.birth_date_estimated = False
        return
    if patient.birth_date > today:
        raise DomainError(_("The birth date cannot be in the future."), field="birth_date")
    if patient.birth_date < today - timedelta(days=365 * OLDEST_AGE + 32):
        raise DomainError(_("That birth date is more than 130 years ago."), field="birth_date")


def _next_mrn(clinic: Clinic) -> tuple[int, str]:
    """The next record number of the clinic, from its counter row, locked until commit."""
    MrnCounter.objects.for_clinic(clinic).get_or_create(clinic=clinic)
    counter = MrnCounter.objects.for_clinic(clinic).select_for_update().get()
    counter.last_seq += 1
    counter.save(update_fields=["last_seq"])
    return counter.last_seq, f"{clinic.code}-{counter.last_seq:06d}"


@transaction.atomic
def register_patient(
    *, actor: Actor, details: Mapping[str, Any], confirm_new: bool = False
) -> Patient:
    """Register a patient in the actor's clinic with the next MRN.

    Rules: given and family name; a birth date not in the future nor over 130 years ago, or an
    age (stored as an estimated birth date); phone and e-mail valid. Unless ``confirm_new``,
    likely duplicates (same phone, or similar name with the same birth date) stop the
    registration. Errors: ``DomainError`` naming the field; ``PossibleDuplicates``.
    """
    clinic = _require(actor, "patients.register")
    patient = checked_details(clinic, details, created_by=actor.user)
    if not confirm_new:
        candidates = likely_duplicates(clinic, patient)
        if candidates:
            raise PossibleDuplicates(candidates)
    return _save_new(clinic, patient)


def checked_details(clinic: Clinic, details: Mapping[str, Any], created_by: Any = None) -> Patient:
    """A new, unsaved record of ``clinic`` with ``details``, checked by the rules of
    registration (a form that collects details before a later step saves them asks here).
    Errors: ``DomainError`` naming the field."""
    patient = Patient(clinic=clinic, created_by=created_by)
    _apply(patient, clinic, details)
    system = ["mrn", "mrn_seq", "search_name"] + ([] if created_by else ["created_by"])
    with field_errors():
        patient.full_clean(exclude=system, validate_unique=False)
    return patient


def _save_new(clinic: Clinic, patient: Patient) -> Patient:
    patient.mrn_seq, patient.mrn = _next_mrn(clinic)
    patient.save(force_insert=True)
    remember_name_words(clinic, [patient.search_name])
    return patient


@transaction.atomic
def register_own_record(*, actor: Actor, details: Mapping[str, Any]) -> Patient:
    """A person who has just proved their phone or e-mail registers themselves online (the
    portal's self-registration), in the clinic they chose: the same rules and MRN series as
    at the desk. No duplicate check: its answer would tell a stranger who is registered; the
    clinic merges a duplicate as usual. Only a patient account registers itself.
    Errors: ``DomainError`` naming the field."""
    if Role.PATIENT not in actor.roles:
        raise DomainError(_("You may not do this."), code="forbidden")
    clinic = _require(actor, "portal.register")
    return _save_new(clinic, checked_details(clinic, details, created_by=actor.user))


@transaction.atomic
def update_patient(
    *, actor: Actor, patient: Patient, changes: Mapping[str, Any], action: str = "patients.edit"
) -> Patient:
    """Edit a patient's details; each changed field is audited old → new. ``action``: the
    policy action the change is made under (the portal's own, for a patient's own details).
    Errors: ``DomainError`` naming the field."""
    clinic = _require(actor, action, patient)
    patient = Patient.objects.for_clinic(clinic).select_for_update().get(pk=patient.pk)
    _apply(patient, clinic, changes)
    with field_errors():
        patient.full_clean(exclude=["mrn", "mrn_seq", "search_name"], validate_unique=False)
    patient.save()
    remember_name_words(clinic, [patient.search_name])
    return patient


def remember_name_words(clinic: Clinic, names: list[str]) -> None:
    """Add the words of these names to the clinic's word list (for name search)."""
    words = {word for name in names for word in name.split()}
    NameWord.objects.bulk_create(
        [NameWord(clinic=clinic, word=word) for word in words], ignore_conflicts=True
    )


def _locked(patient: Patient) -> Patient:
    return Patient.objects.for_clinic(patient.clinic).select_for_update().get(pk=patient.pk)


@transaction.atomic
def record_allergy(
    *, actor: Actor, patient: Patient, substance: str, reaction: str = "", severity: str
) -> Allergy:
    """Record an allergy; the patient's statement becomes "allergies recorded"."""
    clinic = _require(actor, "patients.clinical_edit", patient)
    patient = _locked(patient)
    allergy = Allergy(
        clinic=clinic,
        patient=patient,
        substance=substance.strip(),
        reaction=reaction.strip(),
        severity=severity,
        recorded_by=actor.user,
    )
    if not allergy.substance:
        raise DomainError(_("Name the substance."), field="substance")
    with field_errors():
        allergy.full_clean(exclude=["patient", "clinic", "recorded_by"])
    allergy.save()
    if patient.allergy_statement != AllergyStatement.RECORDED:
        patient.allergy_statement = AllergyStatement.RECORDED
        patient.save(update_fields=["allergy_statement", "updated_at"])
    return allergy


@transaction.atomic
def record_no_known_allergies(*, actor: Actor, patient: Patient) -> Patient:
    """The patient was asked and knows of no allergy. Refused while an allergy is active."""
    clinic = _require(actor, "patients.clinical_edit", patient)
    patient = _locked(patient)
    active = Allergy.objects.for_clinic(clinic).filter(
        patient=patient, status=ClinicalStatus.ACTIVE
    )
    if active.exists():
        raise DomainError(_("Resolve or correct the recorded allergies first: they say otherwise."))
    patient.allergy_statement = AllergyStatement.NONE_KNOWN
    patient.save(update_fields=["allergy_statement", "updated_at"])
    return patient


@transaction.atomic
def record_condition(
    *, actor: Actor, patient: Patient, description: str, icd10_code: str = "", onset: str = ""
) -> Condition:
    """Add to the patient's problem list."""
    clinic = _require(actor, "patients.clinical_edit", patient)
    condition = Condition(
        clinic=clinic,
        patient=patient,
        description=description.strip(),
        icd10_code=icd10_code.strip().upper(),
        onset=onset.strip(),
        recorded_by=actor.user,
    )
    if not condition.description:
        raise DomainError(_("Describe the condition."), field="description")
    with field_errors():
        condition.full_clean(exclude=["patient", "clinic", "recorded_by"])
    condition.save()
    return condition


@transaction.atomic
def change_record_status(
    *, actor: Actor, entry: Allergy | Condition, status: str, reason: str = ""
) -> Allergy | Condition:
    """Resolve an allergy or condition, or mark it entered in error (kept, hidden, with a
    reason). Errors: ``DomainError`` for an unknown status or a missing reason."""
    _require(actor, "patients.clinical_edit", entry.patient)
    if status not in ClinicalStatus.values:
        raise DomainError(_("Unknown status."), field="status")
    if status == ClinicalStatus.ENTERED_IN_ERROR and not reason.strip():
        raise DomainError(_("Say why this was entered in error."), field="reason")
    model = type(entry)
    entry = model.objects.for_clinic(entry.clinic).select_for_update().get(pk=entry.pk)
    entry.status = status
    entry.status_reason = reason.strip()[:200]
    entry.save(update_fields=["status", "status_reason"])
    return entry


@transaction.atomic
def deactivate_patient(*, actor: Actor, patient: Patient, reason: str) -> Patient:
    """Take a record out of use (never deleted). Errors: ``DomainError`` without a reason."""
    _require(actor, "patients.deactivate", patient)
    if not reason.strip():
        raise DomainError(_("Say why this record is being deactivated."), field="reason")
    patient = _locked(patient)
    patient.is_active = False
    patient.inactive_reason = reason.strip()[:200]
    patient.save(update_fields=["is_active", "inactive_reason", "updated_at"])
    return patient


@transaction.atomic
def reactivate_patient(*, actor: Actor, patient: Patient) -> Patient:
    _require(actor, "patients.deactivate", patient)
    patient = _locked(patient)
    if patient.merged_into_id:
        raise DomainError(_("A merged record stays merged."))
    patient.is_active = True
    patient.inactive_reason = ""
    patient.save(update_fields=["is_active", "inactive_reason", "updated_at"])
    return patient


@dataclass(frozen=True)
class MergeReport:
    survivor: Patient
    moved: dict[str, int]


@transaction.atomic
def merge_patients(
    *, actor: Actor, duplicate: Patient, survivor: Patient, reason: str
) -> MergeReport:
    """Fold ``duplicate`` into ``survivor``: every registered mover moves its rows, the
    duplicate is deactivated and points at the survivor, and the merge is audited.
    Errors: ``DomainError`` (same record, another clinic, already merged, no reason)."""
    clinic = _require(actor, "patients.merge", duplicate)
    if not policy.allows_object(actor, "patients.merge", survivor):
        raise DomainError(_("You may not do this."), code="forbidden")
    if duplicate.pk == survivor.pk:
        raise DomainError(_("Choose two different records."), field="survivor")
    if not reason.strip():
        raise DomainError(_("Say why these records are the same person."), field="reason")
    first, second = sorted([duplicate.pk, survivor.pk], key=str)  # one lock order for everyone
    locked = {
        p.pk: p
        for p in Patient.objects.for_clinic(clinic)
        .select_for_update()
        .filter(pk__in=[first, second])
        .order_by("pk")
    }
    duplicate, survivor = locked[duplicate.pk], locked[survivor.pk]
    if duplicate.merged_into_id or not survivor.is_active:
        raise DomainError(_("One of these records is already merged or inactive."))
    try:
        with transaction.atomic():
            moved = {name: mover(duplicate, survivor) for name, mover in merging.movers().items()}
    except IntegrityError:  # e.g. both records hold an appointment at the same time
        raise DomainError(
            _("These records have overlapping bookings; cancel one of them first.")
        ) from None
    duplicate.is_active = False
    duplicate.merged_into = survivor
    duplicate.inactive_reason = (_("Merged into %(mrn)s: ") % {"mrn": survivor.mrn} + reason)[:200]
    duplicate.save(update_fields=["is_active", "merged_into", "inactive_reason", "updated_at"])
    record(
        AuditAction.MERGE,
        obj=survivor,
        changes={"merged": duplicate.mrn, "moved": moved, "reason": reason.strip()},
    )
    return MergeReport(survivor=survivor, moved=moved)


#: The desk's right to add a document to any chart of the clinic.
UPLOAD_DOCUMENT = "patients.documents.upload"


def upload_document(
    *,
    actor: Actor,
    patient: Patient,
    content: bytes,
    original_name: str,
    category: str,
    title: str,
    document_date: date | None = None,
    action: str = UPLOAD_DOCUMENT,
) -> PatientDocument:
    """Keep a document for the patient after checking what the file really is (see
    ``uploads``). ``action``: the desk's (any patient of the clinic) or the portal's
    ``portal.documents.upload`` (a record the account looks after).
    Errors: a refusal when the action does not reach the patient; ``DomainError`` at
    ``file`` (type, size, content) or ``title``, and then nothing is kept."""
    clinic = _require(actor, action, patient)
    return keep_document(
        clinic=clinic,
        actor=actor,
        patient=patient,
        content=content,
        original_name=original_name,
        category=category,
        title=title,
        document_date=document_date,
    )


def keep_document(
    *,
    clinic: Clinic,
    actor: Actor,
    patient: Patient,
    content: bytes,
    original_name: str,
    category: str,
    title: str,
    document_date: date | None = None,
) -> PatientDocument:
    """``upload_document`` without its policy check, for a service that has checked its own
    (the lab's outside report: lab staff keep the report, not any document of the chart).
    The same checks of the file; the same errors."""
    if patient.clinic_id != clinic.pk:
        raise DomainError(_("You may not do this."), code="forbidden")
    checked = check_upload(content)
    document = PatientDocument(
        clinic=clinic,
        patient=patient,
        category=category,
        title=title.strip() or original_name[:150],
        document_date=document_date,
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=checked.sha256,
        original_name=original_name[:200],
        uploaded_by=actor.user,
    )
    if not document.title:
        raise DomainError(_("Give the document a title."), field="title")
    with field_errors():
        document.full_clean(
            exclude=["file", "thumbnail", "patient", "clinic", "uploaded_by"], validate_unique=False
        )
    document.file.save(f"upload.{checked.extension}", ContentFile(checked.content), save=False)
    if checked.thumbnail:
        document.thumbnail.save("thumb.jpg", ContentFile(checked.thumbnail), save=False)
    try:
        with transaction.atomic():
            document.save(force_insert=True)
    except Exception:
        # Nothing half-written survives: the stored files go with the refused row.
        for stored in (document.file, document.thumbnail):
            if stored.name:
                stored.storage.delete(stored.name)
        raise
    return document


@transaction.atomic
def mark_document_entered_in_error(
    *, actor: Actor, document: PatientDocument, reason: str
) -> PatientDocument:
    """Hide a document filed by mistake; it is kept, with the reason, never deleted."""
    _require(actor, "patients.documents.upload", document.patient)
    if not reason.strip():
        raise DomainError(_("Say why this document was filed in error."), field="reason")
    document = (
        PatientDocument.objects.for_clinic(document.clinic).select_for_update().get(pk=document.pk)
    )
    document.status = DocumentStatus.ENTERED_IN_ERROR
    document.status_reason = reason.strip()[:200]
    document.save(update_fields=["status", "status_reason"])
    return document
