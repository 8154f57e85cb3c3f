"""Bikram Sambat dates and fiscal years: fixed anchors, every day checked against a second,
independently kept calendar (py-nepali's ``nepali``), the round trip over the whole table,
both sides of every fiscal-year boundary, and the ``with_bs`` filter."""

from __future__ import annotations

from dataclasses import astuple
from datetime import UTC, date, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils.safestring import SafeData
from nepali.date_converter import converter as second_calendar

from clinicflow.core.bsdates import (
    FIRST_DAY,
    FISCAL_YEAR_RULES,
    LAST_DAY,
    BSDate,
    FiscalYear,
    fiscal_year,
    fiscal_years,
    to_ad,
    to_bs,
)
from clinicflow.core.templatetags.clinicflow import with_bs

ONE_DAY = timedelta(days=1)


def days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def second_to_ad(bs: BSDate) -> date | None:
    """The AD day of a BS date by the second library, None for a day it does not have."""
    try:
        return date(*second_calendar.nepali_to_english(bs.year, bs.month, bs.day))
    except ValueError:  # 31 Baisakh 2062, say: see DISPUTED
        return None


# ---------------------------------------------------------------- fixed dates

#: Each checked with both libraries; the first two also stand in Wikipedia's article on the
#: Nepali calendar ("2000 AD began 17 Poush 2056 and ended 16 Poush 2057"), which neither
#: library is built from.
ANCHORS = [
    (date(2000, 1, 1), BSDate(2056, 9, 17)),
    (date(2000, 12, 31), BSDate(2057, 9, 16)),
    (date(1943, 4, 14), BSDate(2000, 1, 1)),  # the second library's first day
    (date(2024, 4, 13), BSDate(2081, 1, 1)),  # new year 2081
    (date(2024, 7, 16), BSDate(2081, 4, 1)),  # fiscal year 2081/82 begins
    (date(2025, 4, 14), BSDate(2082, 1, 1)),
    (date(2025, 7, 16), BSDate(2082, 3, 32)),  # the last day of fiscal year 2081/82
    (date(2025, 7, 17), BSDate(2082, 4, 1)),
    (date(2026, 4, 14), BSDate(2083, 1, 1)),
    (date(2026, 7, 17), BSDate(2083, 4, 1)),  # fiscal year 2083/84 begins
    # Asoj 2083 has 31 days and Mangsir 29 in the published calendar; tables made before it
    # (nepali-datetime before 1.0.8.5, bsdatetime 1.0.1) put this day at 21 Mangsir.
    (date(2026, 12, 6), BSDate(2083, 8, 20)),
    (date(2027, 4, 13), BSDate(2083, 12, 30)),
]


@pytest.mark.parametrize(("ad", "bs"), ANCHORS, ids=[str(ad) for ad, _ in ANCHORS])
def test_known_days_convert_both_ways(ad, bs):
    assert to_bs(ad) == bs
    assert to_ad(bs.year, bs.month, bs.day) == ad
    assert second_to_ad(bs) == ad


def test_a_bs_date_reads_as_people_write_it():
    day = to_bs(date(2026, 12, 6))
    assert str(day) == "2083-08-20"
    assert day.format() == "20 Mangsir 2083"
    assert (day.month_name, day.month_name_ne) == ("Mangsir", "मंसिर")
    assert str(BSDate(2081, 1, 1)) == "2081-01-01"
    assert to_bs(date(2024, 7, 16)).format() == "1 Shrawan 2081"


def test_days_outside_the_calendar_are_refused_clearly():
    assert to_bs(FIRST_DAY) == BSDate(1975, 1, 1)
    assert to_bs(LAST_DAY) == BSDate(2100, 12, 30)
    with pytest.raises(ValueError, match="outside the Bikram Sambat calendar"):
        to_bs(FIRST_DAY - ONE_DAY)
    with pytest.raises(ValueError, match="outside the Bikram Sambat calendar"):
        to_bs(LAST_DAY + ONE_DAY)
    with pytest.raises(ValueError, match="2101-01-01 is not a Bikram Sambat day"):
        to_ad(2101, 1, 1)
    with pytest.raises(ValueError, match="2083-08-30 is not a Bikram Sambat day"):
        to_ad(2083, 8, 30)  # Mangsir 2083 has 29 days
    with pytest.raises(ValueError, match="month"):
        to_ad(2083, 13, 1)
    with pytest.raises(ValueError, match="month is 1 to 12"):
        BSDate(2083, 0, 1)


def test_a_moment_must_be_given_a_zone_before_it_has_a_bs_date():
    with pytest.raises(TypeError, match="zone"):
        to_bs(datetime(2026, 12, 6, 10, 0, tzinfo=UTC))


# ---------------------------------------------------------------- the second calendar

#: The days the second library covers (its AD years 1944 to 2042), cut at the end of 2083 BS:
#: the last year whose published calendar both libraries carry. From 2084 BS on each has its
#: own projection, and they part from Asar 2084 (15 June 2027) on, until those years' calendars
#: are settled; both still begin fiscal year 2084/85 on the same day (see below).
CROSS_CHECKED = (date(1944, 1, 1), date(2027, 4, 13))

#: Where the two disagree within that span, and why we keep nepali-datetime's reading.
#: Baisakh and Jestha 2062 BS: printed calendars differ (31 + 31 or 30 + 32 days);
#: nepali-datetime, and bikram since its correction (aerawatcorp/bikram#25), count 31 + 31,
#: py-nepali 30 + 32. From 31 Baisakh to the end of Jestha the two are a day apart.
DISPUTED = set(days(date(2005, 5, 14), date(2005, 6, 14)))


def test_every_day_agrees_with_a_second_independent_calendar_both_ways():
    checked = 0
    disagreements = set()
    for day in days(*CROSS_CHECKED):
        ours = to_bs(day)
        theirs = BSDate(*second_calendar.english_to_nepali(day.year, day.month, day.day))
        # AD → BS in both, and each library's BS → AD of the other's answer.
        if ours != theirs or second_to_ad(ours) != day or to_ad(*astuple(theirs)) != day:
            disagreements.add(day)
        checked += 1
    assert checked == 30_419  # 1 January 1944 (17 Poush 2000) to 30 Chaitra 2083
    assert disagreements == DISPUTED


def test_both_calendars_begin_each_year_and_fiscal_year_on_the_same_day_up_to_2084():
    # So both end fiscal year 2083/84 on 16 July 2027, though 2084 BS is not yet settled.
    for year in range(2000, 2085):
        assert to_ad(year, 4, 1) == date(*second_calendar.nepali_to_english(year, 4, 1)), year
        assert to_ad(year, 1, 1) == date(*second_calendar.nepali_to_english(year, 1, 1)), year


# ---------------------------------------------------------------- the whole table


def test_every_day_of_the_table_goes_to_bs_and_back():
    previous = to_bs(FIRST_DAY)
    for day in days(FIRST_DAY + ONE_DAY, LAST_DAY):
        bs = to_bs(day)
        assert to_ad(*astuple(bs)) == day
        # The day after a BS day is the next day of its month or the 1st of the next month.
        next_month = (
            BSDate(previous.year, previous.month + 1, 1)
            if previous.month < 12
            else BSDate(previous.year + 1, 1, 1)
        )
        assert bs == BSDate(previous.year, previous.month, previous.day + 1) or (
            bs == next_month and 29 <= previous.day <= 32
        ), day
        previous = bs


# ---------------------------------------------------------------- fiscal years

#: For each rule, a fiscal year and the one before it: label, first and last day.
BOUNDARIES = {
    "bs-shrawan": [
        ("2081/82", date(2024, 7, 16), date(2025, 7, 16)),
        ("2082/83", date(2025, 7, 17), date(2026, 7, 16)),
        ("2083/84", date(2026, 7, 17), date(2027, 7, 16)),
    ],
    "ad-01": [
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ],
    "ad-04": [
        ("2025/26", date(2025, 4, 1), date(2026, 3, 31)),
        ("2026/27", date(2026, 4, 1), date(2027, 3, 31)),
        ("2027/28", date(2027, 4, 1), date(2028, 3, 31)),
    ],
    "ad-07": [
        ("2025/26", date(2025, 7, 1), date(2026, 6, 30)),
        ("2026/27", date(2026, 7, 1), date(2027, 6, 30)),
    ],
}


@pytest.mark.parametrize("rule", list(BOUNDARIES))
def test_each_day_on_either_side_of_a_boundary_falls_in_its_own_fiscal_year(rule):
    for label, start, end in BOUNDARIES[rule]:
        expected = FiscalYear(label, start, end)
        for day in (start, start + ONE_DAY, end - ONE_DAY, end):
            assert fiscal_year(day, rule) == expected, day
        assert fiscal_year(start - ONE_DAY, rule).end == start - ONE_DAY
        assert fiscal_year(end + ONE_DAY, rule).start == end + ONE_DAY
        assert str(expected) == label
        assert start in expected
        assert end in expected
        assert start - ONE_DAY not in expected
        assert end + ONE_DAY not in expected


def test_nepals_fiscal_year_runs_from_1_shrawan_to_the_last_of_asar():
    year = fiscal_year(date(2026, 12, 6), FISCAL_YEAR_RULES.BS_SHRAWAN)
    assert year.label == "2083/84"
    assert to_bs(year.start) == BSDate(2083, 4, 1)
    assert to_bs(year.end).month == 3
    assert to_bs(year.end + ONE_DAY) == BSDate(2084, 4, 1)
    assert fiscal_year(date(2026, 7, 16), "bs-shrawan").label == "2082/83"  # 32 Asar 2083


@pytest.mark.parametrize("rule", FISCAL_YEAR_RULES.values)
def test_fiscal_years_follow_one_another_without_a_gap(rule):
    current = fiscal_year(date(2000, 1, 1), rule)
    while current.start < date(2040, 1, 1):
        following = fiscal_year(current.end + ONE_DAY, rule)
        assert following.start == current.end + ONE_DAY
        assert 365 <= (current.end - current.start).days + 1 <= 366
        assert following.label != current.label
        current = following


def test_labels_name_both_years_or_the_calendar_year():
    assert fiscal_year(date(2026, 12, 6), "ad-01").label == "2026"
    assert fiscal_year(date(2026, 12, 6), "ad-04").label == "2026/27"
    assert fiscal_year(date(2026, 12, 6), "ad-07").label == "2026/27"
    assert fiscal_year(date(2099, 5, 1), "ad-04").label == "2099/00"
    assert fiscal_year(date(2042, 12, 1), "bs-shrawan").label == "2099/00"
    assert fiscal_year(date(2005, 1, 1), "bs-shrawan").label == "2061/62"


def test_an_unknown_rule_or_a_year_past_the_calendar_is_refused():
    with pytest.raises(ValueError, match="not a fiscal year rule"):
        fiscal_year(date(2026, 1, 1), "ad-13")
    with pytest.raises(ValueError, match="fiscal year 2100/01 reaches beyond"):
        fiscal_year(LAST_DAY, "bs-shrawan")


def test_a_range_is_split_by_fiscal_year():
    assert [y.label for y in fiscal_years(date(2026, 1, 1), date(2027, 12, 31), "ad-04")] == [
        "2025/26",
        "2026/27",
        "2027/28",
    ]
    assert [y.label for y in fiscal_years(date(2026, 7, 16), date(2026, 7, 17), "bs-shrawan")] == [
        "2082/83",
        "2083/84",
    ]
    assert fiscal_years(date(2026, 5, 1), date(2026, 5, 1), "ad-01") == [
        fiscal_year(date(2026, 5, 1), "ad-01")
    ]
    with pytest.raises(ValueError, match="starts"):
        fiscal_years(date(2026, 5, 2), date(2026, 5, 1), "ad-01")


# ---------------------------------------------------------------- the with_bs filter


def render(value, clinic) -> str:
    template = Template("{% load clinicflow %}{{ value|with_bs:clinic }}")
    return template.render(Context({"value": value, "clinic": clinic}))


def test_a_clinic_in_nepal_sees_the_bs_date_beside_the_day(clinic):
    assert clinic.country == "NP"
    assert render(date(2026, 12, 6), clinic) == "6 Dec 2026 · 20 Mangsir 2083 BS"


def test_a_clinic_elsewhere_sees_the_day_alone(other_clinic):
    other_clinic.country = "IN"
    assert render(date(2026, 12, 6), other_clinic) == "6 Dec 2026"
    assert render(date(2026, 12, 6), None) == "6 Dec 2026"  # no clinic at hand


def test_a_moment_is_dated_on_the_clinics_calendar(clinic):
    clinic.timezone = "Asia/Kathmandu"  # 5:45 ahead of UTC
    late_evening_utc = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
    assert render(late_evening_utc, clinic) == "6 Dec 2026 · 20 Mangsir 2083 BS"
    clinic.timezone = "America/New_York"
    assert render(late_evening_utc, clinic) == "5 Dec 2026 · 19 Mangsir 2083 BS"


def test_nothing_or_something_else_renders_as_nothing(clinic):
    assert render(None, clinic) == ""
    assert render("<b>6 Dec</b>", clinic) == ""


def test_a_day_outside_the_bs_calendar_is_shown_in_ad_alone(clinic):
    assert render(date(1900, 1, 1), clinic) == "1 Jan 1900"


def test_the_filter_gives_plain_text_for_the_template_to_escape(clinic):
    shown = with_bs(date(2026, 12, 6), clinic)
    assert not isinstance(shown, SafeData)
    assert shown == "6 Dec 2026 · 20 Mangsir 2083 BS"
