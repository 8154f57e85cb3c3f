"""Bikram Sambat (BS) dates and fiscal years.

Nepal's civil calendar is the Bikram Sambat: its months have 29 to 32 days, decided each year
by the calendar committee, so no formula converts a date; a table of month lengths does. This
module is the only place that knows the library holding that table (nepali-datetime): when a
year's calendar is corrected upstream, a new version of the library is the whole change.

A BS table is only as good as the calendars already published; its later years are
projections that may still move by a day. ``core/tests/test_bsdates.py`` checks every day
against a second, independently kept library and names the days on which they differ.

Fiscal years: Nepal's runs from 1 Shrawan to the last day of Asar (mid-July to mid-July);
other countries' clinics pick a Gregorian rule. Stored dates are always AD; BS is for showing
and for deciding which fiscal year a day belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import nepali_datetime
from django.db import models
from django.utils.translation import gettext_lazy as _

MONTH_NAMES = (
    "Baisakh",
    "Jestha",
    "Asar",
    "Shrawan",
    "Bhadra",
    "Asoj",
    "Kartik",
    "Mangsir",
    "Poush",
    "Magh",
    "Falgun",
    "Chaitra",
)
MONTH_NAMES_NE = (
    "बैशाख",
    "जेठ",
    "असार",
    "साउन",
    "भदौ",
    "असोज",
    "कात्तिक",
    "मंसिर",
    "पुस",
    "माघ",
    "फागुन",
    "चैत",
)
SHRAWAN = 4

#: The first and last AD days the library's table covers (1 Baisakh 1975 to 30 Chaitra 2100).
FIRST_DAY: date = nepali_datetime.date.min.to_datetime_date()
LAST_DAY: date = nepali_datetime.date.max.to_datetime_date()


@dataclass(frozen=True, order=True)
class BSDate:
    """A day of the Bikram Sambat calendar. Made by ``to_bs``; ``to_ad`` goes back."""

    year: int
    month: int
    day: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"A Bikram Sambat month is 1 to 12, not {self.month}.")

    @property
    def month_name(self) -> str:
        return MONTH_NAMES[self.month - 1]

    @property
    def month_name_ne(self) -> str:
        return MONTH_NAMES_NE[self.month - 1]

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def format(self) -> str:
        """As people write it: "20 Mangsir 2083"."""
        return f"{self.day} {self.month_name} {self.year}"


def to_bs(day: date) -> BSDate:
    """The BS date of an AD day; ``ValueError`` outside the calendar the library knows."""
    if isinstance(day, datetime):
        # A moment has a different date in each zone: the caller decides whose.
        raise TypeError("to_bs takes a date: convert a datetime to the clinic's zone first.")
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(
            f"{day.isoformat()} is outside the Bikram Sambat calendar ClinicFlow knows "
            f"({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})."
        )
    bs = nepali_datetime.date.from_datetime_date(day)
    return BSDate(bs.year, bs.month, bs.day)


def to_ad(year: int, month: int, day: int) -> date:
    """The AD day of a BS date; ``ValueError`` if there is no such BS day (30 Mangsir 2083)
    or it is outside the calendar the library knows."""
    try:
        return nepali_datetime.date(year, month, day).to_datetime_date()
    except (ValueError, OverflowError) as error:
        reason = error.args[0] if error.args else str(error)
        raise ValueError(
            f"{year:04d}-{month:02d}-{day:02d} is not a Bikram Sambat day ClinicFlow knows "
            f"({reason})."
        ) from error


class FiscalYearRule(models.TextChoices):
    BS_SHRAWAN = "bs-shrawan", _("Nepal: 1 Shrawan to the end of Asar (Bikram Sambat)")
    AD_JANUARY = "ad-01", _("Calendar year: 1 January to 31 December")
    AD_APRIL = "ad-04", _("1 April to 31 March")
    AD_JULY = "ad-07", _("1 July to 30 June")


#: The rules a clinic can choose from (``FISCAL_YEAR_RULES.choices`` for a model field).
FISCAL_YEAR_RULES = FiscalYearRule


@dataclass(frozen=True)
class FiscalYear:
    """One fiscal year: its label ("2083/84", "2026/27", "2026") and its first and last AD
    days, both included."""

    label: str
    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def __str__(self) -> str:
        return self.label


def _span_label(first_year: int) -> str:
    return f"{first_year}/{(first_year + 1) % 100:02d}"


def fiscal_year(day: date, rule: str) -> FiscalYear:
    """The fiscal year that ``day`` (AD) falls in under ``rule``, one of ``FISCAL_YEAR_RULES``.

    ``ValueError`` for an unknown rule, or a Nepali fiscal year reaching beyond the calendar."""
    try:
        chosen = FiscalYearRule(rule)
    except ValueError:
        known = ", ".join(FiscalYearRule.values)
        raise ValueError(f"{rule!r} is not a fiscal year rule ({known}).") from None
    if chosen == FiscalYearRule.BS_SHRAWAN:
        bs = to_bs(day)
        first_year = bs.year if bs.month >= SHRAWAN else bs.year - 1
        try:
            start = to_ad(first_year, SHRAWAN, 1)
            end = to_ad(first_year + 1, SHRAWAN, 1) - timedelta(days=1)
        except ValueError as error:
            raise ValueError(
                f"The fiscal year {_span_label(first_year)} reaches beyond the Bikram Sambat "
                "calendar ClinicFlow knows."
            ) from error
        return FiscalYear(_span_label(first_year), start, end)

    first_month = int(chosen.value.removeprefix("ad-"))
    first_year = day.year if day.month >= first_month else day.year - 1
    start = date(first_year, first_month, 1)
    end = date(first_year + 1, first_month, 1) - timedelta(days=1)
    label = str(first_year) if first_month == 1 else _span_label(first_year)
    return FiscalYear(label, start, end)


def fiscal_years(start: date, end: date, rule: str) -> list[FiscalYear]:
    """The fiscal years that the days ``start`` to ``end`` (both included) touch, in order: a
    report over a range shows one part for each."""
    if start > end:
        raise ValueError(f"The range starts ({start}) after it ends ({end}).")
    years = [fiscal_year(start, rule)]
    while years[-1].end < end:
        years.append(fiscal_year(years[-1].end + timedelta(days=1), rule))
    return years
