"""Writing prescriptions: items with computed quantities, the safety checks stored as alerts
(and run again when what they read changes), overrides with reasons, stopping and repeating,
issuing at signing, and the patient's medicine schedule derived from what is active."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinicflow.clinical import dosing, messages, safety, selectors
from clinicflow.clinical.models import (
    BLOCKING,
    Encounter,
    Frequency,
    ItemStatus,
    Prescription,
    PrescriptionItem,
    PrescriptionStatus,
    Route,
    SafetyAlert,
)
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.patients.models import Allergy, AllergyStatement, ClinicalStatus, Patient

#: Prescriptions the pharmacy has (or had) to act on: their active items are being taken.
LIVE = (
    PrescriptionStatus.ISSUED,
    PrescriptionStatus.PARTIALLY_DISPENSED,
    PrescriptionStatus.DISPENSED,
)
MAX_DAYS = 365


def _writable(actor: Actor, encounter: Encounter) -> Encounter:
    clinic = policy.require(actor, "clinical.write", encounter)
    locked = Encounter.objects.for_clinic(clinic).select_for_update().get(pk=encounter.pk)
    if locked.is_signed:
        raise Conflict(_("This consultation is signed: its prescription is issued."))
    return locked


def _draft(encounter: Encounter) -> Prescription:
    prescription, _created = Prescription.objects.for_clinic(encounter.clinic).get_or_create(
        encounter=encounter,
        defaults={
            "clinic": encounter.clinic,
            "patient_id": encounter.patient_id,
            "prescriber_id": encounter.practitioner_id,
        },
    )
    return prescription


def _decimal(raw: Any, field: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a number."), field=field) from None
    if not value.is_finite() or value <= 0 or value > 10_000:
        raise DomainError(_("Enter a number above zero."), field=field)
    return value


def _days(raw: Any) -> int:
    try:
        days = int(str(raw).strip())
    except ValueError:
        raise DomainError(_("Enter the number of days."), field="duration_days") from None
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(_("From 1 to 365 days."), field="duration_days")
    return days


@dataclass(frozen=True)
class ItemDetails:
    """An item's details, checked: what ``add_item`` stores."""

    fields: dict[str, Any]
    doses_a_day: int


def read_item(details: Mapping[str, Any]) -> ItemDetails:
    """Check what was typed for an item and compute its quantity (unless one is given).
    Errors: ``DomainError`` naming the field; nothing is stored."""
    name = " ".join(str(details.get("medicine_name", "")).split())
    if not name:
        raise DomainError(_("Name the medicine."), field="medicine_name")
    frequency = str(details.get("frequency", ""))
    if frequency not in Frequency.values:
        raise DomainError(_("Choose how often."), field="frequency")
    route = str(details.get("route") or Route.ORAL)
    if route not in Route.values:
        raise DomainError(_("Choose a route."), field="route")
    every = details.get("every_hours") or None
    every_hours = int(every) if every not in (None, "") and str(every).isdigit() else None
    times = dosing.times_of_day(frequency, every_hours, str(details.get("times_of_day", "")))
    dose = _decimal(details.get("dose", ""), "dose")
    days = _days(details.get("duration_days", ""))
    given = details.get("quantity")
    if given not in (None, ""):
        quantity = _decimal(given, "quantity")
    elif frequency == Frequency.PRN:
        raise DomainError(_("Give the quantity of a medicine taken when needed."), field="quantity")
    else:
        quantity = dosing.quantity(dose, len(times), days)
    return ItemDetails(
        fields={
            "medicine_name": name[:120],
            "strength": str(details.get("strength", "")).strip()[:40],
            "form": str(details.get("form", "")).strip()[:40],
            "dose": dose,
            "dose_unit": str(details.get("dose_unit") or "tablet").strip()[:20],
            "route": route,
            "frequency": frequency,
            "every_hours": every_hours if frequency == Frequency.EVERY_HOURS else None,
            "times_of_day": ",".join(times) if frequency == Frequency.TIMES else "",
            "duration_days": days,
            "quantity": quantity,
            "instructions": str(details.get("instructions", "")).strip()[:200],
        },
        doses_a_day=len(times) or 1,
    )


def active_items(patient: Any, *, today: date | None = None) -> list[PrescriptionItem]:
    """The patient's medicines being taken: active items of issued prescriptions whose course
    has not ended (days as the clinic counts them, ``today`` too by default)."""
    zone = patient.clinic.zone
    today = today or timezone.localdate(timezone.now(), zone)
    rows = (
        PrescriptionItem.objects.for_clinic(patient.clinic)
        .filter(prescription__patient=patient, prescription__status__in=LIVE)
        .filter(status=ItemStatus.ACTIVE)
        .select_related("prescription")
    )
    return [
        row
        for row in rows
        if row.prescription.issued_at is not None
        and timezone.localdate(row.prescription.issued_at, zone) + timedelta(days=row.duration_days)
        > today
    ]


def context_for(
    patient: Any,
    *,
    encounter: Encounter | None = None,
    draft: Prescription | None = None,
    skip: Any = None,
) -> safety.Context:
    """What the checks read of the patient: active allergies, the medicines being taken (and
    those of ``draft`` written before ``skip``, the item being checked), and the pregnancy
    status recorded at ``encounter``."""
    allergies = (
        Allergy.objects.for_clinic(patient.clinic)
        .filter(patient=patient, status=ClinicalStatus.ACTIVE)
        .values_list("substance", flat=True)
    )
    others = [o for o in active_items(patient) if skip is None or o.pk != skip.pk]
    if draft is not None:
        mine = draft.items.filter(status=ItemStatus.ACTIVE)
        # Each item is checked against those written before it, as when it was added: a pair
        # of duplicates warns once, on the second.
        others += list(mine.filter(pk__lt=skip.pk) if skip is not None else mine)
    status = selectors.pregnancy_status(encounter) if encounter is not None else None
    return safety.Context(
        patient=patient,
        allergies=[a.lower() for a in allergies],
        active=[(str(o), safety.facts_for(patient.clinic, o.medicine_name)) for o in others],
        pregnancy=status.status if status is not None else "",
    )


def _proposed(item: PrescriptionItem) -> safety.Proposed:
    times = dosing.times_of_day(item.frequency, item.every_hours, item.times_of_day)
    return safety.Proposed(
        name=item.medicine_name,
        dose=item.dose,
        doses_a_day=len(times) or 1,
        facts=safety.facts_for(item.clinic, item.medicine_name),
    )


def recheck(prescription: Prescription) -> list[tuple[PrescriptionItem, safety.Finding]]:
    """The safety checks again, for each active item of an issued prescription, against the
    patient's allergies and medicines of today and the pregnancy status recorded at its visit
    (the pharmacy's review before dispensing)."""
    found = []
    for item in prescription.items.filter(status=ItemStatus.ACTIVE):
        ctx = context_for(prescription.patient, encounter=prescription.encounter, skip=item)
        found += [(item, finding) for finding in safety.check(_proposed(item), ctx)]
    return found


def _alerts(item: PrescriptionItem, findings: list[safety.Finding]) -> list[SafetyAlert]:
    return [
        SafetyAlert.objects.create(
            clinic=item.clinic,
            item=item,
            kind=f.kind,
            severity=f.severity,
            key=f.key,
            message=f.message[:300],
        )
        for f in findings
    ]


def refresh_alerts(encounter: Encounter) -> None:
    """Run the checks again for every active item of the encounter's prescription being
    written, after what they read has changed (a pregnancy status, an allergy, another
    prescription): a new finding is stored as an alert, one no longer found is cleared (kept,
    with its override if it had one). The caller holds the encounter's lock."""
    draft = (
        Prescription.objects.for_clinic(encounter.clinic)
        .filter(encounter=encounter, status=PrescriptionStatus.DRAFT)
        .first()
    )
    if draft is None:
        return
    now = timezone.now()
    items = draft.items.filter(status=ItemStatus.ACTIVE).prefetch_related("alerts")
    for item in items:
        ctx = context_for(encounter.patient, encounter=encounter, draft=draft, skip=item)
        found = {f.key: f for f in safety.check(_proposed(item), ctx)}
        standing = {a.key: a for a in item.alerts.all() if a.cleared_at is None}
        for key, alert in standing.items():
            if key not in found:
                alert.cleared_at = now
                alert.save(update_fields=["cleared_at"])
        _alerts(item, [f for key, f in found.items() if key not in standing])


@transaction.atomic
def add_item(*, actor: Actor, encounter: Encounter, details: Mapping[str, Any]) -> PrescriptionItem:
    """Add a medicine to the encounter's prescription; the safety checks run at once and each
    finding is stored as an alert to override (with a reason) before signing."""
    encounter = _writable(actor, encounter)
    checked = read_item(details)
    prescription = _draft(encounter)
    facts = safety.facts_for(encounter.clinic, checked.fields["medicine_name"])
    item = PrescriptionItem.objects.create(
        clinic=encounter.clinic,
        prescription=prescription,
        free_text=not facts.from_catalogue,
        **checked.fields,
    )
    proposed = safety.Proposed(
        name=item.medicine_name, dose=item.dose, doses_a_day=checked.doses_a_day, facts=facts
    )
    ctx = context_for(encounter.patient, encounter=encounter, draft=prescription, skip=item)
    _alerts(item, safety.check(proposed, ctx))
    return item


@transaction.atomic
def override(*, actor: Actor, alert: SafetyAlert, reason: str) -> SafetyAlert:
    """Go ahead despite a blocking safety alert, saying why (kept and audited). A caution for
    information, or one no longer found, takes no override."""
    _writable(actor, alert.item.prescription.encounter)
    alert = SafetyAlert.objects.for_clinic(alert.clinic).select_for_update().get(pk=alert.pk)
    if not alert.blocks:
        raise DomainError(_("This caution is for information: it needs no override."))
    if alert.is_cleared:
        raise DomainError(_("This warning no longer applies: it needs no override."))
    if not reason.strip():
        raise DomainError(_("Say why the warning is overridden."), field="reason")
    alert.override_reason = reason.strip()[:200]
    alert.overridden_by = actor.user
    alert.overridden_at = timezone.now()
    alert.save(update_fields=["override_reason", "overridden_by", "overridden_at"])
    return alert


@transaction.atomic
def stop_item(*, actor: Actor, item: PrescriptionItem, reason: str) -> PrescriptionItem:
    """Stop a medicine (before signing: take it off the prescription), with the reason."""
    policy.require(actor, "clinical.write", item.prescription.encounter)
    item = PrescriptionItem.objects.for_clinic(item.clinic).select_for_update().get(pk=item.pk)
    if item.status != ItemStatus.ACTIVE:
        raise DomainError(_("This medicine is not active."))
    if not reason.strip():
        raise DomainError(_("Say why the medicine is stopped."), field="reason")
    item.status = ItemStatus.STOPPED
    item.stop_reason = reason.strip()[:200]
    item.stopped_at = timezone.now()
    item.save(update_fields=["status", "stop_reason", "stopped_at"])
    return item


ITEM_COPY = (
    "medicine_name", "strength", "form", "dose", "dose_unit", "route", "frequency",
    "every_hours", "times_of_day", "duration_days", "quantity", "instructions",
)  # fmt: skip


@transaction.atomic
def repeat_last(*, actor: Actor, encounter: Encounter) -> list[PrescriptionItem]:
    """Copy the items of the patient's last issued prescription into this one (the safety
    checks run again for each)."""
    encounter = _writable(actor, encounter)
    last = (
        Prescription.objects.for_clinic(encounter.clinic)
        .filter(patient=encounter.patient, status__in=LIVE)
        .exclude(encounter=encounter)
        .order_by("-issued_at")
        .first()
    )
    if last is None:
        raise DomainError(_("This patient has no earlier prescription."))
    items = last.items.exclude(status=ItemStatus.STOPPED)
    return [
        add_item(
            actor=actor,
            encounter=encounter,
            details={name: getattr(item, name) for name in ITEM_COPY},
        )
        for item in items
    ]


def unresolved(encounter: Encounter) -> list[SafetyAlert]:
    """The alerts that stop signing: blocking, still found, not overridden, on an active item."""
    return list(
        SafetyAlert.objects.for_clinic(encounter.clinic).filter(
            item__prescription__encounter=encounter,
            item__status=ItemStatus.ACTIVE,
            severity__in=BLOCKING,
            cleared_at__isnull=True,
            overridden_by__isnull=True,
        )
    )


def allergies_unasked(encounter: Encounter) -> bool:
    """Whether the patient's allergies have not been asked while the encounter prescribes."""
    statement = (
        Patient.objects.for_clinic(encounter.clinic)
        .filter(pk=encounter.patient_id)
        .values_list("allergy_statement", flat=True)
        .get()
    )
    return statement == AllergyStatement.NOT_ASKED and (
        PrescriptionItem.objects.for_clinic(encounter.clinic)
        .filter(prescription__encounter=encounter, status=ItemStatus.ACTIVE)
        .exists()
    )


def issue(
    *, actor: Actor, encounter: Encounter, allergies_unasked_acknowledged: bool = False
) -> Prescription | None:
    """At signing (inside its transaction): the prescription is issued — the pharmacy's to
    dispense — unless it has no active item. Refused while a blocking alert is not overridden,
    and, while the patient's allergies have not been asked, unless the prescriber acknowledges
    prescribing without knowing them (kept on the prescription: who and when). The pharmacists
    hear of an issued prescription in-app (``messages``)."""
    prescription = (
        Prescription.objects.for_clinic(encounter.clinic)
        .filter(encounter=encounter)
        # Named in the pharmacists' notice.
        .select_related("clinic", "patient", "prescriber__user")
        .first()
    )
    if prescription is None:
        return None
    if unresolved(encounter):
        raise DomainError(_("Override each safety warning, with a reason, before signing."))
    fields = ["status", "status_reason", "issued_at"]
    if allergies_unasked(encounter):
        if not allergies_unasked_acknowledged:
            raise DomainError(
                _(
                    'Allergies have not been asked: record them (or "no known allergies"), '
                    "or confirm that you prescribe without knowing them."
                ),
                field="acknowledge_allergies",
                code="allergies_unasked",
            )
        prescription.allergies_unasked_acknowledged_by = actor.user
        prescription.allergies_unasked_acknowledged_at = timezone.now()
        fields += ["allergies_unasked_acknowledged_by", "allergies_unasked_acknowledged_at"]
    items = prescription.items.filter(status=ItemStatus.ACTIVE).count()
    if not items:
        prescription.status = PrescriptionStatus.CANCELLED
        prescription.status_reason = _("No medicine left on it.")
    else:
        prescription.status = PrescriptionStatus.ISSUED
    prescription.issued_at = timezone.now()
    prescription.save(update_fields=fields)
    if items:
        messages.prescription_issued(prescription, items)
    return prescription


@dataclass(frozen=True)
class Dose:
    item: PrescriptionItem
    times: tuple[str, ...]
    until: date


def medicine_schedule(patient: Any, *, today: date | None = None) -> list[Dose]:
    """Which medicine at which times of day, until which date, from the active prescriptions
    (the portal shows it and records adherence later). Days are the clinic's, whatever zone
    the server or the request runs in: a course issued at 01:45 in Kathmandu starts that day
    there, not on the day before as UTC has it."""
    zone = patient.clinic.zone
    doses = []
    for item in active_items(patient, today=today):
        assert item.prescription.issued_at is not None
        start = timezone.localdate(item.prescription.issued_at, zone)
        doses.append(
            Dose(
                item=item,
                times=dosing.times_of_day(item.frequency, item.every_hours, item.times_of_day),
                until=start + timedelta(days=item.duration_days - 1),
            )
        )
    return sorted(doses, key=lambda d: (d.times[:1] or ("99",), d.item.medicine_name))
