"""What the pharmacist may give for a prescription item, for the dispensing page: the prescribed
products first, then the usual substitutes, then any other medicine in stock — each with what
is available and (for the first two) its usable batches, first expiring first. The rules stay
in ``dispensing`` and ``stock``; this only gathers them for display."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from clinicflow.clinical.models import PrescriptionItem
from clinicflow.pharmacy import dispensing, stock
from clinicflow.pharmacy.models import Medicine, StockBatch

PRESCRIBED = "prescribed"
ALTERNATIVE = "alternative"
OTHER = "other"
GROUP_LABELS = {
    PRESCRIBED: _("As prescribed"),
    ALTERNATIVE: _("Same active ingredients (substitution)"),
    OTHER: _("Other medicines in stock (substitution)"),
}
#: How many other medicines in stock the picker lists (a big catalogue stays a usable page).
OTHERS_SHOWN = 300


@dataclass
class Offer:
    medicine: Medicine
    group: str
    available: Decimal
    batches: list[StockBatch] = field(default_factory=list)

    @property
    def is_substitution(self) -> bool:
        return self.group != PRESCRIBED


def _with_batches(medicines: Iterable[Medicine], group: str) -> list[Offer]:
    offers = []
    for medicine in medicines:
        batches = list(stock.usable(medicine))
        available = sum((b.on_hand for b in batches), Decimal("0"))
        offers.append(Offer(medicine, group, available, batches))
    return offers


def others_in_stock(clinic: Any) -> list[Offer]:
    """Active medicines with stock that may be dispensed, with how much (one query)."""
    rows = (
        stock.with_available(Medicine.objects.for_clinic(clinic).filter(is_active=True))
        .filter(available_now__gt=0)  # type: ignore[misc]  # annotated by with_available
        .order_by("generic_name", "strength", "brand", "pk")[:OTHERS_SHOWN]
    )
    return [Offer(m, OTHER, m.available_now) for m in rows]  # type: ignore[attr-defined]


def offers_for(item: PrescriptionItem, others: list[Offer]) -> list[Offer]:
    """The item's choices in the order the picker shows them."""
    offered = _with_batches(dispensing.prescribed(item), PRESCRIBED)
    offered += _with_batches(dispensing.alternatives(item), ALTERNATIVE)
    known = {o.medicine.pk for o in offered}
    return offered + [o for o in others if o.medicine.pk not in known]


def suggested(offers: list[Offer]) -> Offer | None:
    """The choice the picker starts on: a prescribed product, one with stock if any."""
    prescribed = [o for o in offers if o.group == PRESCRIBED]
    return next((o for o in prescribed if o.available > 0), prescribed[0] if prescribed else None)
