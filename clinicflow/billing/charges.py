"""Charges: captured where the service happens (a domain calls ``capture`` inside its own
service's transaction), added by hand at the counter from the price list, voided with a
reason while unbilled. A source is charged once: the database refuses a second."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from clinicflow.billing import live, prices, sources
from clinicflow.billing.models import (
    Charge,
    ChargeStatus,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    ItemKind,
    PriceItem,
)
from clinicflow.billing.money import rounded
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import Conflict, DomainError


def capture(
    *,
    clinic: Any,
    patient_id: Any,
    source: str,
    source_id: Any,
    description: str,
    quantity: Decimal,
    unit_price: Decimal,
    by: Any,
    item: PriceItem | None = None,
    department: str = "",
    performer: Any = None,
    tax_category: str | None = None,
    reverses: Charge | None = None,
    new_source: bool = False,
) -> Charge | None:
    """Charge the patient for ``source``/``source_id`` unless it was charged already (then
    None). For domains, from inside the service that did the work: that service decided who
    may do it, and its transaction carries the charge (a rollback leaves nothing).

    ``new_source``: the source was created in this very transaction (a dispense), so it
    cannot have been charged yet: one INSERT, without the check and its savepoint."""
    sources.get(source)  # an unregistered kind is a programming error, not a charge
    row = Charge(
        clinic_id=getattr(clinic, "pk", clinic),
        patient_id=patient_id,
        source_kind=source,
        source_id=str(source_id),
        item=item,
        description=description[:200],
        department=department or (item.department if item else ""),
        performer_id=getattr(performer, "pk", performer),
        quantity=quantity,
        unit_price=unit_price,
        amount=rounded(quantity * unit_price),
        tax_category=tax_category or (item.tax_category if item else "exempt"),
        charged_by_id=getattr(by, "pk", by),
        reverses=reverses,
    )
    if new_source:
        row.save()
        live.announce(clinic, "charged", patient_id)
        return row
    charged = Charge.objects.for_clinic(clinic).filter(source_kind=source, source_id=row.source_id)
    if charged.exists():
        return None
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # charged meanwhile by a concurrent request
        return None
    live.announce(clinic, "charged", patient_id)
    return row


def reverse(
    *,
    clinic: Any,
    source: str,
    source_id: Any,
    of_source: str,
    of_id: Any,
    quantity: Decimal,
    by: Any,
) -> Charge | None:
    """Give back ``quantity`` of what ``of_source``/``of_id`` charged (a returned medicine):
    a negative charge at the original unit price. Unbilled, it nets against the original
    on the next invoice; once the original is invoiced, a credit note settles it."""
    original = (
        Charge.objects.for_clinic(clinic)
        .filter(source_kind=of_source, source_id=str(of_id))
        .exclude(status=ChargeStatus.VOID)
        .first()
    )
    if original is None:
        return None
    return capture(
        clinic=clinic,
        patient_id=original.patient_id,
        source=source,
        source_id=source_id,
        item=original.item,
        description=f"Returned: {original.description}"[:200],
        department=original.department,
        performer=original.performer,
        quantity=-quantity,
        unit_price=original.unit_price,
        tax_category=original.tax_category,
        reverses=original,
        by=by,
        new_source=True,
    )


def void_source(*, clinic: Any, source: str, source_id: Any, reason: str) -> Charge | None:
    """The source was cancelled: void its charge while unbilled (an invoiced one stays, and
    is corrected by a credit note). Returns the charge voided, if any."""
    charge = (
        Charge.objects.for_clinic(clinic)
        .select_for_update()
        .filter(source_kind=source, source_id=str(source_id))
        .first()
    )
    if charge is None or charge.status != ChargeStatus.UNBILLED:
        return None
    charge.status, charge.void_reason = ChargeStatus.VOID, reason[:200] or "Source cancelled"
    charge.save(update_fields=["status", "void_reason"])
    return charge


@transaction.atomic
def add_manual(
    *, actor: Actor, patient: Any, item: PriceItem, quantity: Any = 1, performer: Any = None
) -> Charge:
    """A service from the price list, added at the counter (a dressing, a certificate)."""
    clinic = policy.require(actor, "billing.charges.add", patient)
    if item.clinic_id != clinic.pk or not item.is_active:
        raise DomainError("Choose one of this clinic's price list items.", field="item")
    if not item.is_manual or item.kind in (ItemKind.MEDICINE, ItemKind.LAB):
        raise DomainError(
            "Medicines and lab tests are charged where they are given, not by hand.",
            field="item",
        )
    amount = _quantity(quantity)
    price = prices.price_of(item, clinic.local_date())
    if price is None:
        raise DomainError("This item has no price yet; a manager sets it first.", field="item")
    charge = capture(
        clinic=clinic,
        patient_id=patient.pk,
        source=sources.MANUAL.key,
        source_id=uuid.uuid4().hex,
        item=item,
        description=item.name,
        quantity=amount,
        unit_price=price,
        by=actor.user,
        performer=performer,
        new_source=True,
    )
    assert charge is not None  # a fresh id is never charged
    return charge


@transaction.atomic
def void(*, actor: Actor, charge: Charge, reason: str) -> Charge:
    """Void an unbilled charge by hand (added by mistake), with the reason."""
    policy.require(actor, "billing.charges.void", charge)
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the charge is void.", field="reason")
    locked = Charge.objects.for_clinic(actor.clinic).select_for_update().get(pk=charge.pk)
    if locked.status != ChargeStatus.UNBILLED:
        raise Conflict("This charge is invoiced already; correct it with a credit note.")
    locked.status, locked.void_reason = ChargeStatus.VOID, reason[:200]
    locked.save(update_fields=["status", "void_reason"])
    return locked


def _quantity(raw: Any) -> Decimal:
    try:
        value = Decimal(str(raw))
    except ArithmeticError:
        raise DomainError("Enter how many, e.g. 1 or 2.", field="quantity") from None
    if (
        not value.is_finite()
        or value <= 0
        or value > 1000
        or value != value.quantize(Decimal("0.01"))
    ):
        raise DomainError("Enter how many, e.g. 1 or 2.", field="quantity")
    return value


# ---------------------------------------------------------------- consultations


def consultation_codes(practitioner_id: Any) -> tuple[str, str]:
    """The price-list codes of a doctor's consultation and follow-up."""
    return f"CONSULT-{practitioner_id}", f"FOLLOWUP-{practitioner_id}"


def paid_ahead(clinic: Any, kinds: list[str]) -> Q:
    """Charges of ``kinds`` (those that ``prepays_visit``) that count as a consultation: their
    invoice asks nothing more and still keeps money paid for it. A fee billed ahead stays an
    invoiced charge whatever becomes of it (billing voids only unbilled charges; an invoiced
    one is corrected by a credit note, and the invoice never changes), so whether it was paid
    for is read from its invoice: one withdrawn unpaid (a held booking released) or credited
    back in full after payment keeps nothing, and the visit is charged as any other. A part
    credited back (a goodwill reduction) leaves the consultation paid, at its lower price."""
    if not kinds:
        return Q(pk__in=[])
    paid = InvoiceLine.objects.for_clinic(clinic).filter(
        charge=OuterRef("pk"),
        invoice__kind=InvoiceKind.INVOICE,
        invoice__status=InvoiceStatus.ISSUED,
        invoice__paid__gt=0,
        invoice__paid__gte=F("invoice__total") - F("invoice__payer_share") - F("invoice__credited"),
    )
    return Q(source_kind__in=kinds) & Q(Exists(paid))


def charge_consultation(
    *,
    clinic: Any,
    moment: str,
    patient_id: Any,
    visit_id: Any,
    practitioner_id: Any,
    follow_up_days: int,
    performer: Any,
    by: Any,
    appointment_id: Any = None,
) -> Charge | None:
    """Charge a visit's consultation at ``moment`` ("check_in" or "start") if that is when
    the clinic charges it: the doctor's fee, or the follow-up fee when the patient's last
    consultation with this doctor was within the doctor's follow-up days. A visit of an
    ``appointment`` whose fee was paid ahead (a kind that ``prepays_visit``: the booking fee
    paid online; see ``paid_ahead``) is not charged again."""
    if prices.settings_of(clinic).consultation_charged_at != moment:
        return None
    ahead = sources.prepaying_visits()
    kept = Charge.objects.for_clinic(clinic).exclude(status=ChargeStatus.VOID)
    if (
        appointment_id is not None
        and ahead
        and kept.filter(paid_ahead(clinic, ahead), source_id=str(appointment_id)).exists()
    ):
        return None
    first, follow_up = consultation_codes(practitioner_id)
    items = {
        i.code: i for i in PriceItem.objects.for_clinic(clinic).filter(code__in=[first, follow_up])
    }
    today = clinic.local_date()
    earlier = kept.filter(
        Q(source_kind=CONSULTATION.key) | paid_ahead(clinic, ahead),
        patient_id=patient_id,
        item__code__in=[first, follow_up],
        charged_at__gte=timezone.now() - timedelta(days=follow_up_days),
    ).exists()
    item = items.get(follow_up if earlier else first)
    if item is None:
        return None
    price = prices.price_of(item, today)
    if price is None:
        return None
    return capture(
        clinic=clinic,
        patient_id=patient_id,
        source=CONSULTATION.key,
        source_id=visit_id,
        item=item,
        description=item.name,
        quantity=Decimal(1),
        unit_price=price,
        performer=performer,
        by=by,
    )


CONSULTATION = sources.SourceKind("consultation", "Consultation")
sources.register(CONSULTATION)
