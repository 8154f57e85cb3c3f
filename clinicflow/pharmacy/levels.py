"""Reading stock levels for the pharmacy's pages: per medicine what may be dispensed and what
sits expired awaiting its write-off, per batch its latest ledger rows. Writes are
``stock``'s; this module only reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    DecimalField,
    ExpressionWrapper,
    F,
    QuerySet,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from clinicflow.pharmacy import stock
from clinicflow.pharmacy.models import Medicine, StockBatch, StockMovement

QUANTITY = DecimalField(max_digits=12, decimal_places=2)


def near_expiry_limit(on: date | None = None) -> date:
    """The last expiry date flagged as near: a batch expiring after ``on`` and up to this."""
    return (on or stock.today()) + timedelta(days=stock.near_expiry_days())


def with_levels(medicines: QuerySet[Medicine], on: date | None = None) -> QuerySet[Medicine]:
    """The medicines with ``available_now`` (``stock.with_available``: what may be dispensed),
    ``expired`` (on hand in expired batches, awaiting write-off) and ``is_low``
    (``stock.low_q``), in the same one query."""
    on = on or stock.today()
    return (
        stock.with_available(medicines, on)
        .annotate(
            expired=Coalesce(
                Sum("batches__on_hand", filter=stock.expired_q(on, "batches__")),
                Value(Decimal("0")),
                output_field=QUANTITY,
            )
        )
        .annotate(is_low=ExpressionWrapper(stock.low_q(), output_field=BooleanField()))
    )


def recent_movements(
    clinic: Any, batches: Iterable[StockBatch], per_batch: int = 10
) -> dict[int, list[StockMovement]]:
    """Each batch's latest ledger rows, newest first, in one query whatever the number of
    batches (a window function numbers the rows within each batch)."""
    ids = [b.pk for b in batches]
    if not ids:
        return {}
    rows = (
        StockMovement.objects.for_clinic(clinic)
        .filter(batch_id__in=ids)
        .annotate(
            position=Window(
                RowNumber(), partition_by=[F("batch_id")], order_by=[F("at").desc(), F("pk").desc()]
            )
        )
        .filter(position__lte=per_batch)
        .select_related("by", "receipt", "dispense")
        .order_by("batch_id", "-at", "-pk")
    )
    grouped: dict[int, list[StockMovement]] = defaultdict(list)
    for row in rows:
        grouped[row.batch_id].append(row)
    return dict(grouped)
