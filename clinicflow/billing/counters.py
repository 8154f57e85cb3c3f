"""Which counter bills what: the cash desk (cashiers and managers) bills everything; where
the clinic lets the pharmacy take payment for its own sales, a pharmacist bills and takes
payment for the pharmacy's charges only."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clinicflow.billing import prices, sources
from clinicflow.billing.models import Charge, Invoice, PaymentCounter
from clinicflow.core.actor import Actor
from clinicflow.core.errors import DomainError
from clinicflow.core.roles import Role

CASH_DESK = frozenset({Role.CASHIER, Role.MANAGER})
PHARMACY = "pharmacy"


def pharmacy_takes_payment(clinic: Any) -> bool:
    return prices.settings_of(clinic).payment_counter == PaymentCounter.PHARMACY_OWN


def may_bill(actor: Actor, clinic: Any, charges: Iterable[Charge]) -> None:
    if actor.has_role(*CASH_DESK):
        return
    if not pharmacy_takes_payment(clinic) or any(
        sources.get(c.source_kind).counter != PHARMACY for c in charges
    ):
        raise DomainError(
            "The cash desk bills these; the pharmacy bills only its own sales, and only where "
            "the clinic has set it so.",
            code="forbidden",
        )


def may_take_payment(actor: Actor, clinic: Any, invoice: Invoice) -> None:
    if actor.has_role(*CASH_DESK):
        return
    charges = Charge.objects.for_clinic(clinic).filter(lines__invoice=invoice)
    may_bill(actor, clinic, charges)
