"""Dispensing an issued prescription: the pharmacist's review (the safety checks again, against
today's allergies and medicines), then each item from stock — first expiring batch first, or a
batch the pharmacist picks with a reason, in part or in full, or another medicine with a reason.

Lock order, everywhere: the prescription, then the medicine's batches in key order. Two
pharmacists on one prescription wait for each other; two on the last units of one batch cannot
both take them (the loser is told how much is left)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import DecimalField, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from clinicflow.clinical import prescribing
from clinicflow.clinical.models import (
    BLOCKING,
    ItemStatus,
    Prescription,
    PrescriptionItem,
    PrescriptionStatus,
    SafetyAlert,
    Severity,
)
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.chain import atomic_audited
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.pharmacy import messages, stock
from clinicflow.pharmacy.models import Dispense, Medicine, MovementKind, Review, StockBatch
from clinicflow.pharmacy.queue import PENDING

ACTION = "pharmacy.dispense"


# ---------------------------------------------------------------- what was prescribed


def prescribed(item: PrescriptionItem) -> QuerySet[Medicine]:
    """The catalogue products that *are* the prescribed medicine (any brand of the same
    medicine, strength and form); anything else given is a substitution."""
    rows = Medicine.objects.for_clinic(item.clinic_id).filter(is_active=True)
    name = item.medicine_name
    rows = rows.filter(Q(generic_name__iexact=name) | Q(brand__iexact=name))
    if item.strength:
        rows = rows.filter(strength__iexact=item.strength)
    if item.form:
        rows = rows.filter(form__iexact=item.form)
    return rows.order_by("generic_name", "brand", "pk")


def alternatives(item: PrescriptionItem) -> list[Medicine]:
    """Active medicines with the same active ingredients as the prescribed one (other
    strengths or forms): the usual substitutes."""
    matches = list(prescribed(item))
    ingredients = {m.ingredient_set for m in matches}
    if not ingredients:
        ingredients = {frozenset({item.medicine_name.lower()})}
    first = sorted(next(iter(ingredients)))[0]
    rows = Medicine.objects.for_clinic(item.clinic_id).filter(
        is_active=True, ingredients__icontains=first
    )
    return [m for m in rows if m.ingredient_set in ingredients and m not in matches]


# ---------------------------------------------------------------- how far each item is


@dataclass(frozen=True)
class ItemProgress:
    item: PrescriptionItem
    dispensed: Decimal
    completed: bool

    @property
    def remaining(self) -> Decimal:
        if self.completed:
            return Decimal("0")
        return max(self.item.quantity - self.dispensed, Decimal("0"))


def progress(prescription: Prescription) -> list[ItemProgress]:
    """Each active item with what was given so far (one query)."""
    given = Dispense.objects.filter(item=OuterRef("pk"))
    items = (
        prescription.items.filter(status=ItemStatus.ACTIVE)
        .annotate(
            given=Coalesce(
                Subquery(given.values("item").annotate(total=Sum("quantity")).values("total")[:1]),
                Decimal("0"),
                output_field=DecimalField(),
            ),
            closed=Exists(given.filter(completes_item=True)),
        )
        .order_by("pk")
    )
    return [_progress(item, item.given, item.closed) for item in items]


def progress_of(
    clinic: Any, items_of: Mapping[Any, Sequence[PrescriptionItem]]
) -> dict[Any, list[ItemProgress]]:
    """``progress`` for many prescriptions at once (a page of the queue) in one query: their
    active items are given, keyed by prescription."""
    given: dict[Any, Decimal] = defaultdict(Decimal)
    closed: set[Any] = set()
    rows = Dispense.objects.for_clinic(clinic).filter(prescription__in=list(items_of))
    for item_id, quantity, completes in rows.values_list("item_id", "quantity", "completes_item"):
        given[item_id] += quantity
        if completes:
            closed.add(item_id)
    return {
        key: [
            _progress(item, given[item.pk], item.pk in closed)
            for item in sorted(items, key=lambda i: i.pk)
        ]
        for key, items in items_of.items()
    }


def _progress(item: PrescriptionItem, given: Decimal, closed: bool) -> ItemProgress:
    return ItemProgress(item=item, dispensed=given, completed=closed or given >= item.quantity)


def _settle(prescription: Prescription, states: list[ItemProgress]) -> None:
    """The prescription's status from its items' progress: all given → dispensed (the patient
    is told their medicines are ready), some → partly."""
    done = all(s.completed for s in states)
    started = any(s.dispensed for s in states)
    status = (
        PrescriptionStatus.DISPENSED
        if done
        else PrescriptionStatus.PARTIALLY_DISPENSED
        if started
        else PrescriptionStatus.ISSUED
    )
    if prescription.status != status:
        prescription.status = status
        prescription.save(update_fields=["status"])
        if status == PrescriptionStatus.DISPENSED:
            messages.prescription_ready(prescription)


def _locked(actor: Actor, prescription: Prescription) -> Prescription:
    clinic = policy.require(actor, ACTION, prescription)
    locked = (
        Prescription.objects.for_clinic(clinic)
        # Named in the audit trail and in the answer: read once, not locked.
        .select_related("clinic", "patient", "prescriber__user")
        .select_for_update(of=("self",))
        .annotate(is_reviewed=Exists(Review.objects.filter(prescription=OuterRef("pk"))))
        .get(pk=prescription.pk)
    )
    if locked.status not in PENDING:
        raise Conflict(
            _("This prescription is %(status)s: nothing more can be dispensed.")
            % {"status": locked.get_status_display().lower()}
        )
    return locked


# ---------------------------------------------------------------- the review


@dataclass(frozen=True)
class Finding:
    item: PrescriptionItem
    kind: str
    message: str
    #: The prescriber's reason, when they had overridden this warning at signing.
    prescriber_reason: str
    severity: str = Severity.HIGH

    @property
    def is_new(self) -> bool:
        """A blocking warning the prescriber did not override (a low one only informs)."""
        return self.severity in BLOCKING and not self.prescriber_reason


def findings(prescription: Prescription) -> list[Finding]:
    """What the safety checks say today, each with the prescriber's override if there was one."""
    overrides = {
        (a.item_id, a.kind): a.override_reason
        for a in SafetyAlert.objects.for_clinic(prescription.clinic).filter(
            item__prescription=prescription, overridden_by__isnull=False
        )
    }
    return [
        Finding(item, f.kind, f.message, overrides.get((item.pk, f.kind), ""), f.severity)
        for item, f in prescribing.recheck(prescription)
    ]


def latest_review(prescription: Prescription) -> Review | None:
    return Review.objects.for_clinic(prescription.clinic).filter(prescription=prescription).first()


@transaction.atomic
def review(*, actor: Actor, prescription: Prescription, note: str = "") -> Review:
    """The pharmacist has checked the prescription. A warning the prescriber had not seen
    (an allergy recorded since, another medicine started) needs the pharmacist's note."""
    prescription = _locked(actor, prescription)
    found = findings(prescription)
    note = " ".join(note.split())[:300]
    if any(f.is_new for f in found) and not note:
        raise DomainError(
            _("A safety warning is new since the doctor signed: say what you did about it."),
            field="note",
        )
    return Review.objects.create(
        clinic=prescription.clinic,
        prescription=prescription,
        findings=[
            {
                "item": f.item.pk,
                "medicine": str(f.item),
                "kind": f.kind,
                "message": f.message,
                "prescriber_reason": f.prescriber_reason,
            }
            for f in found
        ],
        note=note,
        reviewed_by=actor.user,
    )


# ---------------------------------------------------------------- dispensing


@dataclass(frozen=True)
class Portion:
    batch: StockBatch
    quantity: Decimal


def fefo(batches: Sequence[StockBatch], quantity: Decimal) -> list[Portion]:
    """Take ``quantity`` from the batches in the order given (first expiring first); refused
    when they hold too little."""
    portions, left = [], quantity
    for batch in batches:
        if left <= 0:
            break
        take = min(batch.on_hand, left)
        if take > 0:
            portions.append(Portion(batch, take))
            left -= take
    if left > 0:
        total = sum((b.on_hand for b in batches), Decimal("0"))
        raise Conflict(
            _("Only %(left)s in stock that has not expired.") % {"left": f"{total.normalize():f}"}
        )
    return portions


def _medicine_for(
    item: PrescriptionItem, matches: list[Medicine], medicine: Medicine | None, reason: str
) -> Medicine:
    """The medicine to give: the one picked (another product needs a reason) or the prescribed
    product (``matches``, with ``available_now``) with the most usable stock."""
    if medicine is None:
        if not matches:
            raise DomainError(
                _("%(name)s is not in the catalogue: choose what to give, and say why.")
                % {"name": item.medicine_name},
                field="medicine",
            )
        return max(matches, key=lambda m: (m.available_now > 0, -m.pk))  # type: ignore[attr-defined]
    if medicine.clinic_id != item.clinic_id or not medicine.is_active:
        raise DomainError(_("Choose an active medicine of the catalogue."), field="medicine")
    if medicine not in matches and not reason:
        raise DomainError(
            _("%(given)s is not what was prescribed: say why it is given instead.")
            % {"given": medicine},
            field="substitution_reason",
        )
    return medicine


@atomic_audited
def dispense(
    *,
    actor: Actor,
    item: PrescriptionItem,
    quantity: Any = None,
    medicine: Medicine | None = None,
    batch: StockBatch | None = None,
    batch_reason: str = "",
    substitution_reason: str = "",
    complete: bool = False,
) -> list[Dispense]:
    """Give (part of) an item: from the first expiring usable batches, or from ``batch``
    (a reason unless it is the first expiring). ``quantity`` defaults to what remains;
    ``complete`` says no more is needed. Writes the dispenses and their ledger rows."""
    prescription = _locked(actor, item.prescription)
    if not prescription.is_reviewed:  # type: ignore[attr-defined]  # annotated by _locked
        raise DomainError(_("Review the prescription before dispensing."))
    states = progress(prescription)
    state = next((s for s in states if s.item.pk == item.pk), None)
    if state is None:
        raise DomainError(_("This medicine is not on the prescription any more."))
    if state.completed:
        raise Conflict(_("%(item)s is already dispensed.") % {"item": state.item})
    amount = state.remaining if quantity in (None, "") else stock.read_quantity(quantity)
    if amount > state.remaining:
        raise DomainError(
            _("Only %(left)s remain to be given.") % {"left": f"{state.remaining.normalize():f}"},
            field="quantity",
        )
    substitution_reason = " ".join(substitution_reason.split())[:200]
    matches = list(stock.with_available(prescribed(state.item)))
    product = _medicine_for(state.item, matches, medicine, substitution_reason)
    if product in matches:
        substitution_reason = ""
    if batch is not None:
        batch = StockBatch.objects.for_clinic(prescription.clinic_id).filter(pk=batch.pk).first()
        if batch is None or batch.medicine_id != product.pk:
            raise DomainError(_("Choose a batch of the medicine given."), field="batch")
    usable = stock.lock(stock.usable(product))
    portions = _portions(usable, amount, batch, " ".join(batch_reason.split())[:200])
    given = []
    for n, portion in enumerate(portions, start=1):
        row = Dispense.objects.create(
            clinic_id=prescription.clinic_id,
            prescription=prescription,
            item=state.item,
            patient=prescription.patient,
            medicine=product,
            batch=portion.batch,
            quantity=portion.quantity,
            unit_price=portion.batch.sale_price,
            substitution_reason=substitution_reason,
            batch_reason=batch_reason if batch is not None else "",
            completes_item=complete and n == len(portions),
            dispensed_by=actor.user,
        )
        stock.move(
            actor=actor, batch=portion.batch, kind=MovementKind.DISPENSE,
            quantity=-portion.quantity, dispense=row,
        )  # fmt: skip
        given.append(row)
    handed = sum((r.quantity for r in given), Decimal("0"))
    now = ItemProgress(state.item, state.dispensed + handed, complete or handed >= state.remaining)
    _settle(prescription, [now if s is state else s for s in states])
    return given


def _portions(
    usable: list[StockBatch], amount: Decimal, batch: StockBatch | None, reason: str
) -> list[Portion]:
    if batch is None:
        return fefo(usable, amount)
    chosen = next((b for b in usable if b.pk == batch.pk), None)
    if chosen is None and stock.is_expired(batch):
        raise Conflict(
            _("Batch %(batch)s expired on %(date)s: it cannot be given.")
            % {"batch": batch.batch_number, "date": batch.expiry_date}
        )
    if chosen is None:
        raise DomainError(_("Choose a batch of this medicine that is in stock."), field="batch")
    if chosen is not usable[0] and not reason:
        raise DomainError(
            _("Batch %(first)s expires first: say why another is given.")
            % {"first": usable[0].batch_number},
            field="batch_reason",
        )
    return fefo([chosen], amount)


@transaction.atomic
def cancel(*, actor: Actor, prescription: Prescription, reason: str) -> Prescription:
    """The prescription will not be (further) dispensed; what was given stays on record."""
    reason = " ".join(reason.split())[:200]
    if not reason:
        raise DomainError(_("Say why the prescription is cancelled."), field="reason")
    prescription = _locked(actor, prescription)
    prescription.status = PrescriptionStatus.CANCELLED
    prescription.status_reason = reason
    prescription.save(update_fields=["status", "status_reason"])
    return prescription
