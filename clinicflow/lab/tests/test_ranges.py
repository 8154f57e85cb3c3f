"""The range a result is flagged against: by the patient's age on the day of collection and by
sex, at the edges of each band; the flags; values no sample can have; and the snapshot a result
keeps."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from clinicflow.core.errors import DomainError
from clinicflow.lab.ranges import AppliedRange, applicable_range, check_plausible, flag
from clinicflow.lab.tests.conftest import ADULT_FROM, NEWBORN_TO, add_range

pytestmark = pytest.mark.django_db

COLLECTED = date(2025, 3, 10)


def born_days_before(days: int) -> date:
    return COLLECTED - timedelta(days=days)


def range_for(parameter, *, sex="female", age_days):
    return applicable_range(parameter, sex=sex, birth_date=born_days_before(age_days), on=COLLECTED)


def test_a_baby_sampled_on_the_day_of_birth_gets_the_newborn_range(creatinine, creatinine_ranges):
    assert range_for(creatinine, age_days=0) == creatinine_ranges["newborn"]


def test_the_last_newborn_day_is_still_newborn(creatinine, creatinine_ranges):
    assert range_for(creatinine, age_days=NEWBORN_TO - 1) == creatinine_ranges["newborn"]


def test_the_day_a_baby_turns_28_days_the_child_range_applies(creatinine, creatinine_ranges):
    assert range_for(creatinine, age_days=NEWBORN_TO) == creatinine_ranges["child"]


def test_the_day_before_adulthood_is_still_the_child_range(creatinine, creatinine_ranges):
    assert range_for(creatinine, sex="male", age_days=ADULT_FROM - 1) == creatinine_ranges["child"]


def test_an_adult_gets_the_range_of_their_sex(creatinine, creatinine_ranges):
    assert range_for(creatinine, sex="male", age_days=ADULT_FROM) == creatinine_ranges["man"]
    assert range_for(creatinine, sex="female", age_days=40 * 365) == creatinine_ranges["woman"]


def test_an_adult_of_other_or_unknown_sex_gets_the_range_for_any(creatinine, creatinine_ranges):
    assert range_for(creatinine, sex="other", age_days=40 * 365) == creatinine_ranges["adult"]
    assert range_for(creatinine, sex="unknown", age_days=40 * 365) == creatinine_ranges["adult"]


def test_a_range_for_any_sex_serves_both_when_none_is_specific(creatinine):
    only = add_range(creatinine, low=Decimal("0.6"), high=Decimal("1.2"))
    assert range_for(creatinine, sex="male", age_days=0) == only
    assert range_for(creatinine, sex="female", age_days=80 * 365) == only


def test_a_sex_specific_child_band_wins_over_the_band_for_any(creatinine, creatinine_ranges):
    girls = add_range(
        creatinine, sex="female", age_from_days=NEWBORN_TO, age_to_days=ADULT_FROM, high=1
    )
    assert range_for(creatinine, sex="female", age_days=5 * 365) == girls
    assert range_for(creatinine, sex="male", age_days=5 * 365) == creatinine_ranges["child"]


def test_no_range_fits_a_parameter_without_ranges(creatinine):
    assert range_for(creatinine, age_days=100) is None


def test_without_a_date_of_birth_only_a_range_for_every_age_applies(creatinine, creatinine_ranges):
    assert applicable_range(creatinine, sex="male", birth_date=None, on=COLLECTED) is None
    every_age = add_range(creatinine, sex="male", low=Decimal("0.5"), high=Decimal("1.3"))
    assert applicable_range(creatinine, sex="male", birth_date=None, on=COLLECTED) == every_age


def test_a_sample_collected_before_birth_is_refused(creatinine):
    with pytest.raises(DomainError, match="before the patient's date of birth"):
        applicable_range(creatinine, sex="male", birth_date=COLLECTED, on=COLLECTED - timedelta(1))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.1", "LL"),
        ("0.2", "L"),  # on the critical limit: low, not critical
        ("0.69", "L"),
        ("0.7", ""),  # the limits themselves are normal
        ("1.0", ""),
        ("1.3", ""),
        ("1.31", "H"),
        ("7.0", "H"),
        ("7.01", "HH"),
    ],
)
def test_a_value_is_flagged_against_the_range(creatinine_ranges, value, expected):
    assert flag(Decimal(value), creatinine_ranges["man"]) == expected


def test_a_value_without_a_range_or_limits_is_not_flagged(creatinine_ranges, creatinine):
    assert flag(Decimal("99"), None) == ""
    text_only = add_range(creatinine, sex="male", age_from_days=0, age_to_days=1, text="Normal")
    assert flag(Decimal("99"), text_only) == ""


def test_a_range_with_only_an_upper_limit_flags_high_only(creatinine):
    cholesterol = add_range(creatinine, high=Decimal("200"))
    assert flag(Decimal("0"), cholesterol) == ""
    assert flag(Decimal("201"), cholesterol) == "H"


def test_a_value_beyond_the_plausible_limits_is_refused(creatinine):
    with pytest.raises(DomainError, match=r"45 mg/dL is not a plausible Creatinine \(above 30"):
        check_plausible(creatinine, Decimal("45"))
    with pytest.raises(DomainError, match=r"below 0\.05 mg/dL") as refused:
        check_plausible(creatinine, Decimal("0.01"))
    assert refused.value.code == "implausible"
    assert refused.value.field == "value"


def test_a_value_within_the_plausible_limits_passes(creatinine):
    check_plausible(creatinine, Decimal("0.05"))
    check_plausible(creatinine, Decimal("30"))
    check_plausible(creatinine, Decimal("12.5"))


def test_the_applied_range_keeps_what_was_reported_when_the_catalogue_changes(creatinine_ranges):
    man = creatinine_ranges["man"]
    man.refresh_from_db()  # as the selection loads it: the column's four decimals
    snapshot = AppliedRange.of(man)
    stored = snapshot.as_dict()
    man.high = Decimal("1.5")
    man.save()

    assert stored == {
        "low": "0.7000",
        "high": "1.3000",
        "critical_low": "0.2000",
        "critical_high": "7.0000",
        "text": "",
        "sex": "male",
        "age_from_days": ADULT_FROM,
        "age_to_days": None,
    }
    assert AppliedRange.from_dict(stored) == snapshot
    assert flag(Decimal("1.4"), AppliedRange.from_dict(stored)) == "H"
    assert snapshot.display == "0.7–1.3"
