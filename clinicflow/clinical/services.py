"""Every write of the consultation: opening an encounter from a visit, autosaving the note,
diagnoses, templates, the pregnancy status and allergies asked at the visit, signing (which
ends the visit and adds the chosen diagnoses to the problem list) and amendments. One
transaction each, but for signing (see ``sign``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinicflow.clinical import prescribing, selectors
from clinicflow.clinical.models import (
    SOAP_FIELDS,
    Amendment,
    Diagnosis,
    DiagnosisCertainty,
    DiagnosisRank,
    Encounter,
    EncounterStatus,
    Icd10Code,
    NoteTemplate,
    Pregnancy,
    PregnancyStatus,
)
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.chain import batched
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.frontdesk import services as frontdesk
from clinicflow.frontdesk.models import QueueEntry, QueueStatus
from clinicflow.patients import services as patients
from clinicflow.patients.models import Allergy, Patient
from clinicflow.scheduling.models import Practitioner

#: What the note's autosave may write.
NOTE_FIELDS = (*SOAP_FIELDS, "quick_note")
NOTE_LIMIT = 20_000


def _own_practitioner(actor: Actor) -> Practitioner:
    assert actor.clinic is not None
    doctor = Practitioner.objects.for_clinic(actor.clinic).filter(user=actor.user).first()
    if doctor is None:
        raise DomainError(_("Only a doctor with a profile in this clinic writes consultations."))
    return doctor


def _first_visit(doctor: Practitioner, patient: Any) -> Encounter | None:
    """The signed first visit with this doctor that a new one would follow up, if within the
    doctor's follow-up validity."""
    since = timezone.now() - timedelta(days=doctor.follow_up_days)
    return (
        Encounter.objects.for_clinic(doctor.clinic)
        .filter(
            patient=patient,
            practitioner=doctor,
            status=EncounterStatus.SIGNED,
            follow_up_of__isnull=True,
            started_at__gte=since,
        )
        .order_by("-started_at")
        .first()
    )


@transaction.atomic
def open_encounter(*, actor: Actor, entry: QueueEntry) -> Encounter:
    """The encounter of a visit with the doctor: the existing one, or a new one (linked to the
    first visit it follows up). The visit must be with this doctor now."""
    clinic = policy.require(actor, "clinical.write")
    doctor = _own_practitioner(actor)
    entry = QueueEntry.objects.for_clinic(clinic).select_for_update().get(pk=entry.pk)
    existing = Encounter.objects.for_clinic(clinic).filter(entry=entry).first()
    if existing is not None:
        if existing.practitioner_id != doctor.pk:
            raise DomainError(_("Another doctor is writing this consultation."), code="forbidden")
        return existing
    if entry.patient_id is None:
        raise DomainError(_("Register the walk-in as a patient first."))
    if entry.status != QueueStatus.WITH_DOCTOR or entry.practitioner_id != doctor.pk:
        raise DomainError(_("Call the patient in before starting the consultation."))
    return Encounter.objects.create(
        clinic=clinic,
        patient_id=entry.patient_id,
        practitioner=doctor,
        entry=entry,
        appointment_id=entry.appointment_id,
        follow_up_of=_first_visit(doctor, entry.patient),
    )


def _writable(actor: Actor, encounter: Encounter) -> Encounter:
    clinic = policy.require(actor, "clinical.write", encounter)
    locked = Encounter.objects.for_clinic(clinic).select_for_update().get(pk=encounter.pk)
    if locked.is_signed:
        raise Conflict(_("This note is signed: add an amendment instead."))
    return locked


@transaction.atomic
def save_note(
    *, actor: Actor, encounter: Encounter, fields: Mapping[str, str], version: int
) -> Encounter:
    """Autosave: write the note's parts as typed. ``version`` is the one the page last saw; a
    page left behind by a newer save (another tab) is refused rather than overwriting it."""
    encounter = _writable(actor, encounter)
    if version != encounter.version:
        raise Conflict(
            _("This note was changed elsewhere. Reload it before typing on."), code="stale_note"
        )
    unknown = set(fields) - set(NOTE_FIELDS)
    if unknown:
        raise DomainError(_("These fields cannot be set: %s") % ", ".join(sorted(unknown)))
    for name, value in fields.items():
        if len(value) > NOTE_LIMIT:
            raise DomainError(_("This part of the note is too long."), field=name)
        setattr(encounter, name, value)
    encounter.version += 1
    encounter.save(update_fields=[*fields, "version"])
    return encounter


@transaction.atomic
def apply_template(*, actor: Actor, encounter: Encounter, template: NoteTemplate) -> Encounter:
    """Add a template's text to the note (after what is already written)."""
    encounter = _writable(actor, encounter)
    if template.owner_id != actor.user.pk or template.clinic_id != encounter.clinic_id:
        raise DomainError(_("You may not do this."), code="forbidden")
    for name in SOAP_FIELDS:
        extra = getattr(template, name)
        if extra:
            current = getattr(encounter, name)
            setattr(encounter, name, f"{current}\n{extra}".strip())
    encounter.version += 1
    encounter.save(update_fields=[*SOAP_FIELDS, "version"])
    return encounter


@transaction.atomic
def save_template(*, actor: Actor, name: str, note: Mapping[str, str]) -> NoteTemplate:
    clinic = policy.require(actor, "clinical.write")
    name = name.strip()
    if not name:
        raise DomainError(_("Name the template."), field="name")
    template, _created = NoteTemplate.objects.for_clinic(clinic).update_or_create(
        clinic=clinic,
        owner=actor.user,
        name=name[:80],
        defaults={part: note.get(part, "") for part in SOAP_FIELDS},
    )
    return template


@transaction.atomic
def add_diagnosis(
    *,
    actor: Actor,
    encounter: Encounter,
    code: str = "",
    text: str = "",
    rank: str = DiagnosisRank.PRIMARY,
    certainty: str = DiagnosisCertainty.PROVISIONAL,
) -> Diagnosis:
    """A coded diagnosis (its title unless ``text`` is given) or a free-text one."""
    encounter = _writable(actor, encounter)
    icd = None
    if code.strip():
        icd = Icd10Code.objects.filter(code=code.strip().upper()).first()
        if icd is None:
            raise DomainError(_("%(code)s is not an ICD-10 code.") % {"code": code}, field="code")
    text = text.strip() or (icd.title if icd else "")
    if not text:
        raise DomainError(_("Choose a code or write the diagnosis."), field="text")
    if rank not in DiagnosisRank.values or certainty not in DiagnosisCertainty.values:
        raise DomainError(_("Choose from the list."), field="rank")
    return Diagnosis.objects.create(
        clinic=encounter.clinic,
        encounter=encounter,
        code=icd,
        text=text[:255],
        rank=rank,
        certainty=certainty,
    )


@transaction.atomic
def remove_diagnosis(*, actor: Actor, diagnosis: Diagnosis) -> Diagnosis:
    """Before signing, a diagnosis added by mistake is marked so (kept, audited)."""
    _writable(actor, diagnosis.encounter)
    diagnosis.entered_in_error = True
    diagnosis.save(update_fields=["entered_in_error"])
    return diagnosis


def sign(
    *,
    actor: Actor,
    encounter: Encounter,
    problem_list: Collection[int] = (),
    allergies_unasked_acknowledged: bool = False,
) -> Encounter:
    """Sign the note: it is never edited again. Its prescription is issued (refused while a
    blocking safety warning is not overridden, and while the patient's allergies are not asked
    unless ``allergies_unasked_acknowledged``); the diagnoses chosen in ``problem_list`` (ids)
    join the patient's problem list unless already an active problem; the visit ends (and its
    appointment completes).

    The safety checks run again first, in a transaction of their own: a warning found only now
    (an allergy recorded on the chart meanwhile) is stored and shown even though signing is
    then refused, so that the doctor can answer it."""
    policy.require(actor, "clinical.write", encounter)
    with transaction.atomic():
        prescribing.refresh_alerts(_writable(actor, encounter))
    with transaction.atomic(), batched():
        encounter = _writable(actor, encounter)
        if not any(getattr(encounter, part).strip() for part in SOAP_FIELDS):
            raise DomainError(_("Write the note before signing it."))
        if prescribing.unresolved(encounter):
            raise DomainError(_("Override each safety warning, with a reason, before signing."))
        encounter.status = EncounterStatus.SIGNED
        encounter.signed_at = timezone.now()
        encounter.signed_by = actor.user
        encounter.save(update_fields=["status", "signed_at", "signed_by"])
        prescribing.issue(
            actor=actor,
            encounter=encounter,
            allergies_unasked_acknowledged=allergies_unasked_acknowledged,
        )
        _to_problem_list(actor, encounter, problem_list)
        entry = encounter.entry
        if entry is not None and entry.status == QueueStatus.WITH_DOCTOR:
            frontdesk.move(actor=actor, entry=entry, to_status=QueueStatus.DONE)
        return encounter


def _to_problem_list(actor: Actor, encounter: Encounter, chosen: Collection[int]) -> None:
    """Add the chosen diagnoses to the problem list, once: not one already an active problem
    (same code, or same words when uncoded), nor two of one code. The patient's row is locked
    so that two signings for one patient cannot both add a problem."""
    chosen = set(chosen)
    if not chosen:
        return
    diagnoses = [d for d in selectors.live_diagnoses(encounter) if d.pk in chosen]
    if len(diagnoses) != len(chosen):
        raise DomainError(_("Choose from this consultation's diagnoses."), field="problem_list")
    Patient.objects.for_clinic(encounter.clinic).select_for_update().get(pk=encounter.patient_id)
    codes, texts = selectors.active_problems(encounter.patient)
    for diagnosis in diagnoses:
        if selectors.on_problem_list(codes, texts, diagnosis):
            continue
        patients.record_condition(
            actor=actor,
            patient=encounter.patient,
            description=diagnosis.text,
            icd10_code=diagnosis.code_id or "",
        )
        if diagnosis.code_id:
            codes.add(diagnosis.code_id)
        else:
            texts.add(diagnosis.text.strip().lower())


@transaction.atomic
def record_pregnancy_status(*, actor: Actor, encounter: Encounter, status: str) -> PregnancyStatus:
    """Record whether the patient is pregnant or breastfeeding, as asked at this consultation
    (by the doctor or a nurse; who and when are kept). The medicines being prescribed are
    checked again against the answer. Errors: an unknown answer; a signed consultation."""
    policy.require(actor, "patients.clinical_edit", encounter)
    if status not in Pregnancy.values:
        raise DomainError(_("Choose one of the answers."), field="status")
    encounter = _open_for_records(encounter)
    recorded = PregnancyStatus.objects.create(
        clinic=encounter.clinic, encounter=encounter, status=status, recorded_by=actor.user
    )
    prescribing.refresh_alerts(encounter)
    return recorded


@transaction.atomic
def record_allergy(
    *, actor: Actor, encounter: Encounter, substance: str, reaction: str = "", severity: str
) -> Allergy:
    """An allergy told at the consultation: on the patient's chart at once (the patients'
    service, its rules and errors), and the medicines being prescribed checked against it."""
    policy.require(actor, "patients.clinical_edit", encounter)
    encounter = _open_for_records(encounter)
    allergy = patients.record_allergy(
        actor=actor,
        patient=encounter.patient,
        substance=substance,
        reaction=reaction,
        severity=severity,
    )
    prescribing.refresh_alerts(encounter)
    return allergy


def _open_for_records(encounter: Encounter) -> Encounter:
    """The encounter, locked, while it is still being written (what is asked at a visit is
    recorded during it; a signed one is final)."""
    locked = Encounter.objects.for_clinic(encounter.clinic).select_for_update().get(pk=encounter.pk)
    if locked.is_signed:
        raise Conflict(_("This consultation is signed: nothing more is recorded at it."))
    return locked


@transaction.atomic
def amend(*, actor: Actor, encounter: Encounter, text: str, reason: str) -> Amendment:
    """Append a correction to a signed note, with its reason; the original stays."""
    clinic = policy.require(actor, "clinical.write", encounter)
    encounter = Encounter.objects.for_clinic(clinic).get(pk=encounter.pk)
    if not encounter.is_signed:
        raise DomainError(_("Edit the note itself: it is not signed yet."))
    if not text.strip():
        raise DomainError(_("Write the correction."), field="text")
    if not reason.strip():
        raise DomainError(_("Say why the note is corrected."), field="reason")
    return Amendment.objects.create(
        clinic=clinic,
        encounter=encounter,
        text=text.strip()[:NOTE_LIMIT],
        reason=reason.strip()[:200],
        author=actor.user,
    )
