"""What scheduling tells billing: a doctor's consultation and follow-up fees, kept as priced
services on the clinic's standard list (a new fee is a new price from today; charges made
under the old one keep it), and the booking fee paid online: the doctor's consultation fee
charged with the appointment as its source (``appointment``), invoiced at once, confirming
the booking when paid (``SourceKind.settled``) and counting as the visit's consultation
(``prepays_visit``), so the visit is not charged it again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models.signals import post_save
from django.urls import reverse

from clinicflow.billing import charges, invoices, prices, sources
from clinicflow.billing.models import Invoice, ItemKind, PriceItem
from clinicflow.scheduling.models import Appointment, Practitioner


def keep_fees(practitioner: Practitioner) -> None:
    clinic = practitioner.clinic
    first, follow_up = charges.consultation_codes(practitioner.pk)
    name = practitioner.user.get_full_name() or practitioner.user.get_username()
    department = practitioner.department or practitioner.specialization.name
    on = clinic.local_date()
    for code, label, kind, fee in (
        (first, "Consultation", ItemKind.CONSULTATION, practitioner.consultation_fee),
        (follow_up, "Follow-up", ItemKind.FOLLOW_UP, practitioner.follow_up_fee),
    ):
        prices.keep_item(
            clinic,
            code=code,
            name=f"{label} — Dr {name}"[:160],
            kind=kind,
            amount=fee,
            on=on,
            department=department[:80],
        )


def practitioner_saved(
    sender: Any, instance: Practitioner, raw: bool = False, **kwargs: Any
) -> None:
    if not raw:
        keep_fees(instance)


# ---------------------------------------------------------------- the booking fee paid online

#: The charge source of a booking's fee paid online: the appointment (its id).
BOOKING_FEE = "appointment"


@dataclass(frozen=True)
class Fee:
    item: PriceItem
    amount: Decimal


def booking_fee(practitioner: Practitioner) -> Fee | None:
    """The doctor's consultation fee today, from the price list that ``keep_fees`` keeps in
    step with the profile; None when the doctor charges nothing (nothing to pay online)."""
    clinic = practitioner.clinic
    first, _follow_up = charges.consultation_codes(practitioner.pk)
    item = PriceItem.objects.for_clinic(clinic).filter(code=first, is_active=True).first()
    amount = prices.price_of(item, clinic.local_date()) if item is not None else None
    if item is None or amount is None or amount <= 0:
        return None
    return Fee(item, amount)


def charge_booking_fee(appointment: Appointment, fee: Fee, *, by: Any) -> Invoice:
    """Charge the booking's fee (the appointment is the source, charged once) and invoice it
    at once, inside the booking's transaction: the patient pays that invoice's QR."""
    clinic = appointment.clinic
    charges.capture(
        clinic=clinic,
        patient_id=appointment.patient_id,
        source=BOOKING_FEE,
        source_id=appointment.pk,
        item=fee.item,
        description=fee.item.name,
        quantity=Decimal(1),
        unit_price=fee.amount,
        performer=appointment.practitioner.user_id,
        by=by,
        new_source=True,
    )
    return invoices.bill_source(clinic=clinic, source=BOOKING_FEE, source_id=appointment.pk, by=by)


def fee_bill(appointment: Appointment, *, lock: bool = False) -> Invoice | None:
    """The invoice of the booking's fee, if it has one (``lock``: its row locked)."""
    return invoices.invoice_of_source(appointment.clinic, BOOKING_FEE, appointment.pk, lock=lock)


def fee_bills(clinic: Any, appointment_ids: Iterable[Any]) -> dict[str, Invoice]:
    """The fee invoices of these bookings, by appointment id (one query)."""
    return invoices.invoices_of_sources(clinic, BOOKING_FEE, appointment_ids)


def withdraw_fee(appointment: Appointment, *, reason: str) -> None:
    """The held booking is off: its fee's bill is withdrawn by billing's rules."""
    invoices.withdraw_source(
        clinic=appointment.clinic, source=BOOKING_FEE, source_id=appointment.pk, reason=reason
    )


def fee_links(ids: Iterable[str]) -> dict[str, str]:
    return {i: reverse("scheduling:appointment", args=[i]) for i in ids}


def register() -> None:
    post_save.connect(practitioner_saved, sender=Practitioner, dispatch_uid="billing.fees")
    from clinicflow.scheduling import services  # services use this module's functions

    sources.register(
        sources.SourceKind(
            BOOKING_FEE,
            "Booking fee paid online",
            links=fee_links,
            settled=services.fee_paid,
            paid_whole=True,
            prepays_visit=True,
        )
    )
