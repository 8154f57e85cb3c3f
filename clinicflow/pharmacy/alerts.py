"""Stock alerts: what the pharmacy must act on — medicines running low, batches close to their
expiry date, and expired batches waiting to be written off — and the daily notices about them.

Each selector is one query whatever the size of the catalogue: quantities are summed over the
batches in the database (a filtered aggregate), never counted row by row.

- **Low stock**: an *active* medicine whose available quantity (batches not expired, as
  ``stock.usable`` counts them) is at or below its reorder level — among medicines the clinic
  keeps: a reorder level above zero, or stock received at least once. A catalogue entry
  nobody ever ordered with no reorder level is not "low"; one that ran out is (available 0 ≤
  reorder level 0).
- **Near expiry**: a batch with stock whose expiry date falls within the next ``days`` days
  (``CLINICFLOW_PHARMACY_NEAR_EXPIRY_DAYS``, 90 by default), the last of them included.
- **Expired**: a batch with stock whose expiry date is today or past (``stock.is_expired``):
  quarantined, never dispensed, to be written off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    QuerySet,
    Value,
)
from django.urls import reverse
from django.utils.translation import gettext as _

from clinicflow.core.roles import Role
from clinicflow.notifications import notices
from clinicflow.pharmacy import messages, stock
from clinicflow.pharmacy.models import Medicine, StockBatch

QUANTITY = DecimalField(max_digits=14, decimal_places=2)
MONEY = DecimalField(max_digits=20, decimal_places=4)
ZERO = Value(Decimal("0"), output_field=QUANTITY)

#: Who hears about stock alerts.
ALERTED_ROLES = (Role.PHARMACIST, Role.MANAGER)
#: Above this many alerts of one kind, a person gets one summary notice instead of one each.
SUMMARY_ABOVE = 20


def clinic_today(clinic: Any) -> date:
    """Today in the clinic's time zone (tasks run in UTC)."""
    return clinic.local_date()


def low_stock(clinic: Any, on: date | None = None) -> QuerySet[Medicine]:
    """Active medicines the clinic keeps whose available stock is at or below the reorder
    level, with ``available`` (the sum of its usable batches, 0 when none) and ``shortfall``
    (reorder level − available), emptiest first."""
    on = on or clinic_today(clinic)
    active = Medicine.objects.for_clinic(clinic).filter(is_active=True)
    return (
        stock.with_available(active, on)
        .filter(stock.low_q())
        .annotate(
            available=F("available_now"),
            shortfall=ExpressionWrapper(
                F("reorder_level") - F("available_now"), output_field=QUANTITY
            ),
        )
        .order_by("available", "generic_name", "strength", "pk")
    )


def _with_value(batches: QuerySet[StockBatch]) -> QuerySet[StockBatch]:
    return batches.annotate(
        value_at_cost=ExpressionWrapper(F("on_hand") * F("cost_price"), output_field=MONEY)
    )


def near_expiry(
    clinic: Any, on: date | None = None, days: int | None = None
) -> QuerySet[StockBatch]:
    """Batches with stock expiring after ``on`` and at most ``days`` days later, first
    expiring first, with their medicine and ``value_at_cost``."""
    on = on or clinic_today(clinic)
    last = on + timedelta(days=stock.near_expiry_days() if days is None else days)
    batches = (
        StockBatch.objects.for_clinic(clinic)
        .filter(stock.usable_q(on), expiry_date__lte=last)
        .select_related("medicine")
        .order_by("expiry_date", "medicine__generic_name", "pk")
    )
    return _with_value(batches)


def expired(clinic: Any, on: date | None = None) -> QuerySet[StockBatch]:
    """Batches with stock whose expiry date is ``on`` or earlier: to be written off."""
    on = on or clinic_today(clinic)
    batches = (
        StockBatch.objects.for_clinic(clinic)
        .filter(stock.expired_q(on))
        .select_related("medicine")
        .order_by("expiry_date", "medicine__generic_name", "pk")
    )
    return _with_value(batches)


@dataclass(frozen=True)
class AlertCounts:
    low_stock: int
    near_expiry: int
    expired: int


def counts(clinic: Any, on: date | None = None) -> AlertCounts:
    """The three figures of the dashboard cards (three COUNT queries)."""
    on = on or clinic_today(clinic)
    return AlertCounts(
        low_stock=low_stock(clinic, on).count(),
        near_expiry=near_expiry(clinic, on).count(),
        expired=expired(clinic, on).count(),
    )


# ---------------------------------------------------------------- the daily notices


def _amount(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _low_stock_notices(rows: list[Any], on: date, url: str) -> list[notices.Draft]:
    """``rows``: ``low_stock``'s, with their ``available`` annotation."""
    kind = "pharmacy.low_stock"
    if len(rows) > SUMMARY_ABOVE:
        return [
            notices.Draft(
                kind=kind,
                key=f"{kind}:all:{on.isoformat()}",
                title=_("Low stock: %(n)d medicines") % {"n": len(rows)},
                body=_("%(n)d medicines are at or below their reorder level.") % {"n": len(rows)},
                url=url,
            )
        ]
    return [
        notices.Draft(
            kind=kind,
            key=f"{kind}:{m.pk}:{on.isoformat()}",
            title=_("Low stock: %(medicine)s") % {"medicine": m},
            body=_("%(available)s available; reorder level %(level)d.")
            % {"available": _amount(m.available), "level": m.reorder_level},
            url=url,
        )
        for m in rows
    ]


def _batch_notices(
    batches: list[StockBatch], *, kind: str, on: date, url: str, one: str, many: str
) -> list[notices.Draft]:
    if len(batches) > SUMMARY_ABOVE:
        return [
            notices.Draft(
                kind=kind,
                key=f"{kind}:all:{on.isoformat()}",
                title=many % {"n": len(batches)},
                url=url,
            )
        ]
    return [
        notices.Draft(
            kind=kind,
            key=f"{kind}:{b.pk}:{on.isoformat()}",
            title=one % {"medicine": b.medicine, "batch": b.batch_number},
            body=_("%(quantity)s on hand; expiry date %(date)s.")
            % {"quantity": _amount(b.on_hand), "date": b.expiry_date.isoformat()},
            url=url,
        )
        for b in batches
    ]


@dataclass(frozen=True)
class DayAlerts:
    """The day's alerts of one clinic, read once for its notices and its digest."""

    on: date
    low: list[Any]
    soon: list[StockBatch]
    gone: list[StockBatch]


def day_alerts(clinic: Any, on: date) -> DayAlerts:
    return DayAlerts(
        on=on,
        low=list(low_stock(clinic, on)),
        soon=list(near_expiry(clinic, on)),
        gone=list(expired(clinic, on)),
    )


def stock_notices(clinic: Any, on: date, found: DayAlerts | None = None) -> list[notices.Draft]:
    """The day's notices of one clinic: one per low-stock medicine, near-expiry batch and
    expired batch — or, for a kind with more than ``SUMMARY_ABOVE``, one summary of that kind
    (a list that long belongs on the alerts page, not in fifty notices). Keys carry the day,
    so a second run the same day raises nothing new and tomorrow's run reminds again."""
    found = found or day_alerts(clinic, on)
    url = reverse("pharmacy:alerts")
    return [
        *_low_stock_notices(found.low, on, url),
        *_batch_notices(
            found.soon,
            kind="pharmacy.near_expiry",
            on=on,
            url=url,
            one=_("Expiring soon: %(medicine)s, batch %(batch)s"),
            many=_("Expiring soon: %(n)d batches"),
        ),
        *_batch_notices(
            found.gone,
            kind="pharmacy.expired",
            on=on,
            url=url,
            one=_("Expired, to write off: %(medicine)s, batch %(batch)s"),
            many=_("Expired, to write off: %(n)d batches"),
        ),
    ]


@transaction.atomic
def notify_stock_alerts(*, clinic: Any, on: date | None = None) -> int:
    """Raise the day's stock notices for the clinic's active pharmacists and managers, and
    queue each of them the day's e-mail digest (``messages.stock_digest``, once a day);
    returns how many notices were new."""
    on = on or clinic_today(clinic)
    found = day_alerts(clinic, on)
    drafts = stock_notices(clinic, on, found)
    messages.stock_digest(
        clinic, on, low=found.low, soon=found.soon, gone=found.gone, roles=ALERTED_ROLES
    )
    if not drafts:
        return 0
    return notices.notify_roles(clinic=clinic, roles=ALERTED_ROLES, drafts=drafts)
