"""Document numbers: gap-free and unique per clinic, series and fiscal year, given in the
transaction that issues the document (the series' row stays locked until it commits, so a
rolled-back issue gives its number back and two cashiers never get the same one).

A number reads ``KTM-INV-2083/84-000123``: clinic, series, fiscal year, sequence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from clinicflow.billing.models import NumberSeries
from clinicflow.core.bsdates import fiscal_year


class Series:
    INVOICE = "INV"
    CREDIT_NOTE = "CN"
    RECEIPT = "RCP"
    REFUND = "RF"


@dataclass(frozen=True)
class Number:
    text: str
    fiscal_year: str
    sequence: int


def take(clinic: Any, series: str, day: date, rule: str) -> Number:
    """The next number of ``series`` in the fiscal year holding ``day``. Needs the caller's
    transaction: the counter's row lock is held until it commits."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("numbers.take needs the issuing transaction")
    year = fiscal_year(day, rule).label
    counter = _locked_counter(clinic, series, year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return Number(
        text=f"{clinic.code}-{series}-{year}-{counter.last:06d}",
        fiscal_year=year,
        sequence=counter.last,
    )


def _locked_counter(clinic: Any, series: str, year: str) -> NumberSeries:
    rows = NumberSeries.objects.for_clinic(clinic).select_for_update()
    counter = rows.filter(series=series, fiscal_year=year).first()
    if counter is not None:
        return counter
    try:  # the year's first number: two issuers may both create it; one row survives
        with transaction.atomic():
            NumberSeries.objects.create(clinic=clinic, series=series, fiscal_year=year)
    except IntegrityError:
        pass
    return rows.get(series=series, fiscal_year=year)
